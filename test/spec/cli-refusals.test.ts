/**
 * Bad values as a user gives them on the command line: each run stops before anything is written,
 * with exit 1 and a sentence naming the option, what was expected and what was found.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { spawnSync } from 'node:child_process'
import { afterAll, describe, expect, it } from 'vitest'
import { REPO } from '../kit/support.js'
import { InputError, readHost, readParamsArg, readWorldArg } from '../../src/cli/inputs.js'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'memreplay-refusals-'))
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }))

const compare = (...args: string[]) => {
  const out = path.join(tmp, `out-${Math.random().toString(36).slice(2)}`)
  const r = spawnSync(process.execPath, ['dist/cli/main.js', 'compare', '--trace', 'traces/sample/sample.csv', '--policies', 'static', '--out', out, ...args], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', MEMREPLAY_NO_CACHE: '1' },
  })
  return { code: r.status, err: r.stderr, wrote: fs.existsSync(out) }
}

const UNITS = 'B, KiB, MiB, GiB, TiB, KB, MB, GB, TB, in any case'

describe('the command line refuses bad values by name, writing nothing', () => {
  // Through the CLI, as a user hits them (a few: each run starts a process).
  it.each([
    ['a bare number of --host', ['--host', '128'], `--host: a size needs a unit, found "128" (did you mean "128GiB"? units: ${UNITS})`],
    ['a host of 1e305 TiB', ['--host', '1e305TiB'], '--host: a size must be at most 64 TiB, found "1e305TiB"'],
    ['a negative rate in --world', ['--host', '64GiB', '--world', '{"swapOutMiBPerSecond": -200}'], '--world: world.swapOutMiBPerSecond: expected a number in 0..1048576 (MiB per second), found -200'],
  ])('%s', (_, args, sentence) => {
    const r = compare(...args)
    expect(r.code, r.err).toBe(1)
    expect(r.err).toContain(sentence)
    expect(r.wrote).toBe(false)
  })
})

describe('the options behind them, in process', () => {
  const refusal = (f: () => unknown): string => {
    try {
      f()
    } catch (err) {
      if (err instanceof InputError) return err.lines.join('\n')
      throw err
    }
    throw new Error('expected a refusal')
  }
  const REFUSED = `is refused (it names JavaScript's object machinery, not a setting; memreplay has no setting called that)`

  it.each([
    ['128G', `--host: unknown unit "G" in "128G" (known: ${UNITS}; did you mean "128GiB"?)`],
    ['64constructor', `--host: unknown unit "constructor" in "64constructor" (known: ${UNITS})`],
    ['0x10GiB', '--host: a size is a decimal number, found "0x10GiB" (hex, binary and octal are not read)'],
    ['+5GiB', '--host: a size is written without a sign, found "+5GiB"'],
  ])('--host %s', (arg, sentence) => {
    expect(refusal(() => readHost(arg))).toBe(sentence)
  })

  it('__proto__, constructor and prototype in --world and --params, at any depth', () => {
    expect(refusal(() => readWorldArg('{"__proto__": {"pagesPerSample": 1}}'))).toBe(`--world: the key "__proto__" ${REFUSED}`)
    expect(refusal(() => readWorldArg('{"slowdown": {"constructor": 1}}'))).toBe(`--world: slowdown: the key "constructor" ${REFUSED}`)
    expect(refusal(() => readParamsArg('{"__proto__": {"static": {}}}'))).toBe(`--params: the key "__proto__" ${REFUSED}`)
    expect(refusal(() => readParamsArg('{"static": {"prototype": 1}}'))).toBe(`--params: static: the key "prototype" ${REFUSED}`)
    expect(({} as Record<string, unknown>).pagesPerSample).toBeUndefined()
  })

  it('an absurd sample count in --world', () => {
    expect(refusal(() => readWorldArg('{"pagesPerSample": 1e12}'))).toBe('--world: world.pagesPerSample: expected a whole number in 1..10000 (pages), found 1000000000000')
  })
})

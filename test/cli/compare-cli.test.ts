/**
 * The compare command as a user meets it: --help explains with an example; a bad option or input is a
 * sentence on stderr, a non-zero exit, and no report folder.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = path.resolve(import.meta.dirname, '../..')
const tmp = mkdtempSync(path.join(tmpdir(), 'memreplay-cli-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const memreplay = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['dist/cli/main.js', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, MEMREPLAY_NO_CACHE: '1' } })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

describe('memreplay compare', () => {
  it('--help explains every option with an example', () => {
    const r = memreplay('compare', '--help')
    expect(r.code).toBe(0)
    for (const o of ['--trace', '--host', '--fleet', '--policies', '--policy', '--params', '--world', '--out', '--seed', '--map']) expect(r.out).toContain(o)
    expect(r.out).toMatch(/Examples:[\s\S]*npm run compare -- --trace/)
  })

  it.each([
    ['a missing trace', ['--trace', 'no/such/trace.csv', '--host', '64GiB'], /no\/such\/trace\.csv.*nothing readable there/],
    ['an unknown unit', ['--trace', 'traces/sample/sample.csv', '--host', '64XB'], /--host: unknown unit "XB"/],
    ['an unknown policy', ['--trace', 'traces/sample/sample.csv', '--host', '64GiB', '--policies', 'static,hyperv'], /unknown policy "hyperv"/],
    ['a misspelt param', ['--trace', 'traces/sample/sample.csv', '--host', '64GiB', '--policies', 'overcommit', '--params', '{"overcommit":{"idletax":0.5}}'], /overcommit has no parameter "idletax"/],
    ['a missing host', ['--trace', 'traces/sample/sample.csv'], /--host <size or host spec> is required/],
    ['a misspelt world param', ['--trace', 'traces/sample/sample.csv', '--host', '64GiB', '--world', '{"slowdown":{"swapdevice":"ssd"}}'], /--world: world\.slowdown has no parameter "swapdevice"/],
  ])('%s: a sentence, exit 1, no report', (_what, args, message) => {
    const out = path.join(tmp, `r-${Math.random().toString(36).slice(2)}`)
    const r = memreplay('compare', ...args, '--out', out)
    expect(r.code).toBe(1)
    expect(r.err).toMatch(message)
    expect(r.err).not.toMatch(/\n\s+at /) // no stack trace
    expect(existsSync(out)).toBe(false)
  })
})

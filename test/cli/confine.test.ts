/**
 * Policies are confined (issue 13 items 2, 8, 13, 14): a user's module replays on a worker thread
 * within a time and memory budget; an endless loop, unbounded allocation, process.exit, a throw or
 * an async step stops that policy alone, with a sentence naming it (and the limit), and the rest of
 * the comparison completes; a policy that writes into its context cannot change the others'
 * results; when every policy stopped, compare exits non-zero and the report says it is partial.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memreplay, writeTinyTrace } from './helpers.js'

const tmp = mkdtempSync(path.join(tmpdir(), 'memreplay-confine-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
let trace: string
beforeAll(() => {
  trace = writeTinyTrace(path.join(tmp, 'trace.csv'))
})

const policy = (name: string) => `test/cli/policies/${name}.ts`
let n = 0
const compare = async (policies: ReadonlyArray<string>, ...more: string[]) => {
  const out = path.join(tmp, `r${n++}`)
  const r = await memreplay(['compare', '--trace', trace, '--host', '8GiB', ...policies.flatMap((p) => (p === 'static' ? ['--policies', 'static'] : ['--policy', policy(p)])), '--out', out, ...more])
  const metrics = () => JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8')) as { title: string; runs: Array<{ label: string; error?: string; metrics: unknown }> }
  return { ...r, dir: out, metrics }
}

describe('a user policy that misbehaves stops alone, named', () => {
  it.each([
    ['endless', /policy "endless" \(test\/cli\/policies\/endless\.ts\): stopped after the time limit of 4 s \(raise it with --policy-timeout <seconds>\)/],
    ['hog', /policy "hog" \(test\/cli\/policies\/hog\.ts\): stopped: it exceeded its memory budget of 64 MiB/],
    ['exits', /policy "exits" \(test\/cli\/policies\/exits\.ts\): ended its worker \(process\.exit\(0\)\?\) before finishing/],
    ['throws', /policy "throws" broke rule "policy-threw" at tick 3 .*boom at tick 3/],
    ['async-step', /policy async-step: step returned a Promise; steps must be synchronous/],
    ['context-writer', /policy context-writer: init wrote into what it was given \(Cannot assign to read only property 'physicalMiB'/],
  ])('%s: static completes, the policy is stopped with a sentence, exit 0', async (name, sentence) => {
    const r = await compare(['static', name], '--policy-timeout', '4', '--policy-memory', '64')
    expect(r.code).toBe(0)
    expect(r.out).toMatch(sentence)
    expect(r.err).not.toMatch(/\n\s+at |Cannot read properties/)
    const m = r.metrics()
    expect(m.runs.map((x) => x.label)).toEqual(['static', name])
    expect(m.runs[0].error).toBeUndefined()
    expect(m.runs[1].error).toMatch(sentence)
    expect(m.title).toMatch(/\(partial: 1 of 2 policies stopped\)$/)
  })
})

describe('a well-behaved module', () => {
  it('gives on its worker the figures the same policy gives in-process', async () => {
    const r = await compare(['static', 'static-copy'])
    expect(r.code).toBe(0)
    const [a, b] = r.metrics().runs
    expect(b.label).toBe('static-copy')
    expect(b.error).toBeUndefined()
    expect({ ...(b.metrics as object), policy: 'static' }).toEqual(a.metrics)
  })
})

describe('exit codes', () => {
  it('every policy stopped: exit 1, says so, the report is marked partial', async () => {
    const r = await compare(['throws', 'async-step'])
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/memreplay: every policy stopped before the end of the trace .* the report in .* is partial and says so/)
    expect(r.metrics().title).toMatch(/\(partial: every policy stopped\)$/)
  })

  it('a module that calls process.exit(0) as it loads: a sentence naming it, exit 1, no report', async () => {
    const r = await compare(['static', 'exits-on-load'])
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/policy module test\/cli\/policies\/exits-on-load\.ts: ended its worker \(process\.exit\(0\)\?\)/)
  })
})

describe('a policy that writes into its context changes nothing for the others', () => {
  it('static gives the same figures alone, before and after the writer', async () => {
    const alone = (await compare(['static'])).metrics().runs[0].metrics
    for (const order of [['context-writer', 'static'], ['static', 'context-writer']]) {
      const r = await compare(order)
      const runs = r.metrics().runs
      expect(runs.find((x) => x.label === 'static')?.metrics).toEqual(alone)
      expect(runs.find((x) => x.label === 'context-writer')?.error).toMatch(/policy context-writer: init wrote into what it was given/)
    }
  })
})

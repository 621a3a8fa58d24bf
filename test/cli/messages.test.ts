/**
 * Messages (issue 13 item 14): deeply nested JSON and malformed shard folders are sentences naming
 * the option or file and what was expected, never "Maximum call stack size exceeded" or a raw
 * TypeError; exit 1, nothing written.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { jsonDepth } from '../../src/cli/json-depth.js'
import { memreplay, writeTinyTrace } from './helpers.js'

const tmp = mkdtempSync(path.join(tmpdir(), 'memreplay-messages-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
const trace = writeTinyTrace(path.join(tmp, 'trace.csv'))
const DEEP = 200_000
const nested = (inner: string, depth = DEEP) => '['.repeat(depth) + inner + ']'.repeat(depth)
const file = (name: string, text: string) => {
  const f = path.join(tmp, name)
  mkdirSync(path.dirname(f), { recursive: true })
  writeFileSync(f, text)
  return f
}

const expectSentence = (r: { code: number | null; err: string }, sentence: RegExp) => {
  expect(r.code).toBe(1)
  expect(r.err).toMatch(sentence)
  expect(r.err).not.toMatch(/Maximum call stack|TypeError|Cannot read properties|\n\s+at /)
}

describe('jsonDepth', () => {
  it('counts nesting outside strings, without recursion', () => {
    expect(jsonDepth('1')).toBe(0)
    expect(jsonDepth('{"a":[1,{"b":[]}]}')).toBe(4)
    expect(jsonDepth('{"a":"[[[[{{{{\\"[["}')).toBe(1)
    expect(jsonDepth('['.repeat(1_000_000) + ']'.repeat(1_000_000))).toBe(1_000_000)
  })
})

describe('deeply nested JSON', () => {
  const levels = /JSON nested (2000|500)\d\d levels deep; memreplay reads at most 64 levels/
  it.each([
    ['--params (a file)', () => ['--params', file('params.json', `{"overcommit":{"salting":${nested('')}}}`)], /--params .*params\.json: JSON nested/],
    // (one argument may hold 128 KiB)
    ['--params (inline)', () => ['--params', `{"overcommit":{"salting":${nested('', 50_000)}}}`], /--params: JSON nested/],
    ['--world', () => ['--world', file('world.json', `{"slowdown":{"swapDevice":${nested('')}}}`)], /--world .*world\.json: JSON nested/],
    ['--fleet', () => ['--fleet', file('fleet.json', `{"vms":[{"match":"*","buffer":${nested('')}}]}`)], /--fleet .*fleet\.json: JSON nested/],
    ['--host', () => ['--host', file('host.json', `{"physical":${nested('')}}`)], /--host .*host\.json: JSON nested/],
  ])('compare %s: a sentence naming it', async (_what, args, names) => {
    const out = path.join(tmp, `out-${Math.random().toString(36).slice(2)}`)
    const a = args()
    const base = a[0] === '--host' ? [] : ['--host', '8GiB']
    const r = await memreplay(['compare', '--trace', trace, ...base, '--policies', 'static,overcommit', ...a, '--out', out])
    expectSentence(r, names)
    expect(r.err).toMatch(levels)
    expect(existsSync(out)).toBe(false)
  })

  it('a sweep experiment', async () => {
    const x = file('deep-x.json', `{"traces":["trace.csv"],"hostSizes":["8GiB"],"hostCounts":[1],"policies":["static"],"params":${nested('')}}`)
    expectSentence(await memreplay(['sweep', x, '--out', path.join(tmp, 'sweep-out')]), /deep-x\.json: JSON nested 2000\d\d levels deep/)
  })
})

describe('merge of malformed shard folders', () => {
  const experiment = { traces: ['trace.csv'], hostSizes: ['8GiB'], hostCounts: [1], policies: ['static'] }
  const ok = JSON.stringify({ experiment, scenarioCount: 1 })
  it.each([
    ['results.json an array', 0, { 'results.json': '[]' }, /shard-0\/results\.json: expected the sweep's results \(an object with experiment and scenarioCount\), found an array/],
    ['results.json not JSON', 1, { 'results.json': '{"experiment": ' }, /shard-1\/results\.json: the sweep results is not valid JSON/],
    ['no experiment', 2, { 'results.json': '{"scenarioCount": 1}' }, /shard-2\/results\.json: expected the experiment the shard ran .* found undefined/],
    ['a scenario result that is null', 3, { 'results.json': ok, 'scenarios/s1/metrics.json': 'null' }, /shard-3\/scenarios\/s1\/metrics\.json: expected a scenario result \(an object\), found null/],
    ['a scenario result of another id', 4, { 'results.json': ok, 'scenarios/s1/metrics.json': '{"scenario":{"id":"s2","index":0},"metrics":{}}' }, /shard-4\/scenarios\/s1\/metrics\.json: expected the result of scenario s1/],
    ['a scenario folder that is a file', 5, { 'results.json': ok, 'scenarios/s1': 'x' }, /shard-5\/scenarios\/s1\/metrics\.json: cannot read the scenario result/],
  ])('%s: a sentence naming the file', async (_what, i, files, sentence) => {
    const shard = path.join(tmp, `shard-${i}`)
    for (const [name, text] of Object.entries(files)) file(path.join(`shard-${i}`, name), text)
    const out = path.join(tmp, `merged-${i}`)
    expectSentence(await memreplay(['merge', shard, '--out', out]), sentence)
    expect(existsSync(out)).toBe(false)
  })
})

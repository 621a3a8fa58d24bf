/**
 * The main command end to end: `npm start`'s comparison on the bundled sample writes every file of
 * the report, twice gives byte-identical files, a run's halves merge to the whole run's figures, and
 * a hostile VM name from a trace shows as text in the browser.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import { runCompare } from '../../src/cli/compare.js'
import { SAMPLE } from '../../src/cli/sample.js'
import { importTrace } from '../../src/trace/import.js'
import { resolveFleet } from '../../src/spec/fleet.js'
import { parseHostArg, resolveHost } from '../../src/spec/host.js'
import { headerOf, replay } from '../../src/engine/replay.js'
import { concatPartial, finishRun, runFolder } from '../../src/metrics/index.js'
import { BUILT_IN_POLICIES } from '../../policies/index.js'
import { hasChromium, launchChromium, watchPage } from '../support/browser.js'
import { schemaErrors } from './schema-support.js'

const CHARTS = ['key-metrics', 'host-memory', 'shortfall', 'heatmap', 'slowdown-distribution']
const ISSUE_METRICS = [
  'policy', 'params', 'hostMemoryGiB', 'vmsTotal', 'vmsAdmitted', 'vmsRefused', 'overAllocationRatio', 'overCommitRatio',
  'peakResidentGiB', 'meanResidentGiB', 'demandGiBh', 'shortfallGiBh', 'guestPagingGiBh', 'hostSwapGiBh', 'hostSwapOutGiB',
  'compressedGiBh', 'balloonedGiBh', 'sharedSavedGiBh', 'stateShare', 'pressureOver100Share', 'slowdownP50', 'slowdownP95',
  'slowdownP99', 'slowdownMax', 'fairness', 'shortOfMemoryShare', 'overCommitTimeShare', 'shortOrRefusedShare',
]

let root: string
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'memreplay-compare-'))
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('compare --sample (what npm start runs)', () => {
  let a: string
  let b: string
  beforeAll(async () => {
    a = (await runCompare({ sample: true, out: path.join(root, 'a'), png: true })).dir
    b = (await runCompare({ sample: true, out: path.join(root, 'b'), png: true })).dir
  }, 180_000)

  it('writes every file of the report', () => {
    const files = new Set(readdirSync(a))
    for (const f of ['index.html', 'summary.md', 'metrics.json']) expect(files, f).toContain(f)
    for (const c of CHARTS) for (const ext of ['vl.json', 'svg', 'png']) expect(files, `${c}.${ext}`).toContain(`${c}.${ext}`)
    for (const p of BUILT_IN_POLICIES) for (const s of ['host-series', 'vm-summary', 'heatmap']) expect(files).toContain(`${p.name}-${s}.csv`)
    expect(readdirSync(root).filter((n) => n.startsWith('.'))).toEqual([]) // no temporary folder left behind
    // --png: summary.md links the PNGs
    for (const c of CHARTS) expect(readFileSync(path.join(a, 'summary.md'), 'utf8')).toContain(`](${c}.png)`)
  })

  it('writes no PNG unless asked (--png); summary.md links the SVGs then', async () => {
    const { dir } = await runCompare({ sample: true, out: path.join(root, 'svg-only') })
    const files = readdirSync(dir)
    expect(files.filter((f) => f.endsWith('.png'))).toEqual([])
    for (const c of CHARTS) for (const ext of ['vl.json', 'svg']) expect(files, `${c}.${ext}`).toContain(`${c}.${ext}`)
    const md = readFileSync(path.join(dir, 'summary.md'), 'utf8')
    for (const c of CHARTS) expect(md).toContain(`](${c}.svg)`)
    // the same SVGs as with --png
    for (const c of CHARTS) expect(readFileSync(path.join(dir, `${c}.svg`), 'utf8')).toBe(readFileSync(path.join(a, `${c}.svg`), 'utf8'))
  }, 180_000)

  it('metrics.json has the schema version, the trace and its import report, and every figure per policy', () => {
    const m = JSON.parse(readFileSync(path.join(a, 'metrics.json'), 'utf8'))
    expect(m.schemaVersion).toBe(1)
    expect(m.traceName).toBe(SAMPLE.trace)
    expect(m.importReport.vms).toBe(24)
    expect(m.runs.map((r: { label: string }) => r.label)).toEqual(BUILT_IN_POLICIES.map((p) => p.name))
    for (const r of m.runs) for (const k of ISSUE_METRICS) expect(r.metrics, `${r.label}.${k}`).toHaveProperty(k)
  })

  it('metrics.json follows schemas/metrics.schema.json', () => {
    expect(schemaErrors('metrics.schema.json', JSON.parse(readFileSync(path.join(a, 'metrics.json'), 'utf8')))).toEqual([])
  })

  it('opens with the verdict: terminal, summary.md and index.html name the same winner', async () => {
    const { out } = await runCompare({ sample: true, out: path.join(root, 'c') })
    const first = out.split('\n')[0]
    expect(first).toMatch(/^Verdict: (\S+) serves the fleet best on this 96\.0 GiB host/)
    const winner = (/^Verdict: (\S+)/.exec(first) as RegExpExecArray)[1]
    const md = readFileSync(path.join(a, 'summary.md'), 'utf8')
    expect(md.indexOf('## Verdict')).toBeLessThan(md.indexOf('## Comparison'))
    expect(md).toContain(`**${winner}** serves the fleet best`)
    expect(readFileSync(path.join(a, 'index.html'), 'utf8')).toContain(`data-winner="${winner}"`)
  }, 180_000)

  it('gives byte-identical files when run twice', () => {
    const names = readdirSync(a).sort()
    expect(readdirSync(b).sort()).toEqual(names)
    for (const n of names) expect(readFileSync(path.join(b, n)).equals(readFileSync(path.join(a, n))), n).toBe(true)
  })
})

const expectSame = (x: unknown, y: unknown, at = 'metrics'): void => {
  if (typeof x === 'number' && typeof y === 'number') {
    expect(Math.abs(x - y), `${at}: ${x} vs ${y}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(y)))
  } else if (x !== null && y !== null && typeof x === 'object' && typeof y === 'object') {
    expect(Object.keys(x).sort(), at).toEqual(Object.keys(y).sort())
    for (const k of Object.keys(y)) expectSame((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], `${at}.${k}`)
  } else expect(x, at).toEqual(y)
}

describe('a run split in halves merges to the whole', () => {
  it.each(BUILT_IN_POLICIES.map((p) => [p.name, p] as const))('%s: by time and by VM group', async (_n, policy) => {
    const t = await importTrace(SAMPLE.trace)
    if (E.isLeft(t)) throw new Error('sample must import')
    const trace = t.right
    const vms = resolveFleet(trace, undefined)
    const host = parseHostArg(SAMPLE.host)
    if (E.isLeft(vms) || E.isLeft(host)) throw new Error('sample specs must decode')
    const input = { trace, host: resolveHost(host.right), vms: vms.right, policy, params: policy.defaults, seed: 1 }
    const header = headerOf(input)
    const mid = Math.floor(trace.ticks / 2)
    const half = Math.floor(trace.vms.length / 2)
    const groupA = Array.from({ length: half }, (_, i) => i)
    const groupB = Array.from({ length: trace.vms.length - half }, (_, i) => half + i)
    const folders = {
      whole: runFolder(header),
      early: runFolder(header),
      late: runFolder(header),
      groupA: runFolder(header, { vmIndices: groupA }),
      groupB: runFolder(header, { vmIndices: groupB }),
    }
    const accs = Object.fromEntries(Object.entries(folders).map(([k, f]) => [k, f.start()])) as Record<keyof typeof folders, unknown>
    const res = replay(input, (acc) => {
      folders.whole.add(accs.whole as never, acc)
      ;(acc.tick < mid ? folders.early : folders.late).add((acc.tick < mid ? accs.early : accs.late) as never, acc)
      folders.groupA.add(accs.groupA as never, acc)
      folders.groupB.add(accs.groupB as never, acc)
    })
    expect(E.isRight(res)).toBe(true)
    const done = (k: keyof typeof folders) => folders[k].finish(accs[k] as never)
    const whole = finishRun(header, done('whole'))
    // Equal up to the last bits of float sums taken in another order.
    expectSame(finishRun(header, concatPartial(done('early'), done('late'))), whole)
    expectSame(finishRun(header, concatPartial(done('groupA'), done('groupB'))), whole)
  })
})

describe.skipIf(!hasChromium)('a hostile VM name from a trace', () => {
  it('shows as text in the report, in a browser, with no request leaving the page', async () => {
    const evil = '<img src=x onerror=alert(1)>'
    const csv = path.join(root, 'evil.csv')
    const rows = ['time,vm,demand_mib,configured_mib']
    for (let t = 0; t < 48; t++) {
      rows.push(`${1_700_000_000 + t * 300},"${evil}",${300 + (t % 7) * 40},2048`)
      rows.push(`${1_700_000_000 + t * 300},db,${900 + (t % 5) * 100},4096`)
    }
    writeFileSync(csv, rows.join('\n') + '\n')
    const { dir } = await runCompare({ trace: csv, host: '4GiB', out: path.join(root, 'evil') })
    const browser = await launchChromium()
    try {
      const page = await browser.newPage()
      const url = pathToFileURL(path.join(dir, 'index.html')).href
      const watch = watchPage(page, url)
      await page.goto(url, { waitUntil: 'load' })
      await page.waitForSelector('body[data-charts="done"]', { timeout: 60_000 })
      for (const id of CHARTS) expect(await page.locator(`#chart-${id} svg g.role-mark path`).count(), id).toBeGreaterThan(0)
      expect(await page.locator('body').innerText()).toContain(evil)
      expect(await page.locator('img').count()).toBe(0)
      expect(watch).toEqual({ consoleErrors: [], pageErrors: [], foreignRequests: [], dialogs: [] })
    } finally {
      await browser.close()
    }
  })
})

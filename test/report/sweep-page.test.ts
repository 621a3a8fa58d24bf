/**
 * The sweep's report page: a sweep of the bundled sample (3 host sizes x 2 host counts x static,
 * dynamic-memory with two buffers, kvm-mom) writes index.html through the report path (manifest,
 * --out protection); the page's verdict names the policy that meets the service level with the
 * least host memory; a chart per varied axis with a panel per key metric, one colour per policy;
 * in Chromium every chart draws offline, tooltips answer on a point, nothing leaves the page.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runSweep } from '../../src/cli/sweep.js'
import type { ScenarioResult } from '../../src/plan/sweep.js'
import { MANIFEST } from '../../src/report/write-folder.js'
import { renderSweepHtml, SWEEP_METRICS, sweepAxes, sweepCharts, sweepVerdict } from '../../src/report/sweep-page.js'
import { hasChromium, launchChromium, watchPage } from '../support/browser.js'

const REPO = path.resolve(import.meta.dirname, '../..')

let root: string
let out: string
let results: ReadonlyArray<ScenarioResult>
let browser: Browser | undefined

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'memreplay-sweep-page-'))
  const experiment = path.join(root, 'exp.json')
  writeFileSync(
    experiment,
    JSON.stringify({
      description: 'sample <b>sizes</b>',
      traces: [path.join(REPO, 'traces/sample/sample.csv')],
      fleet: path.join(REPO, 'traces/sample/fleet.json'),
      hostSizes: ['32GiB', '48GiB', '64GiB'],
      hostCounts: [1, 2],
      hostReserve: '2GiB',
      vmOverhead: '64MiB',
      policies: ['static', 'dynamic-memory', 'kvm-mom'],
      vmSettings: { buffer: [10, 40] },
    }),
  )
  out = path.join(root, 'report')
  const r = await runSweep(experiment, { out, workers: '1', quiet: true })
  results = r.results
  expect(r.out).toContain(`Report: ${path.join(out, 'index.html')}`)
  if (hasChromium) browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  rmSync(root, { recursive: true, force: true })
})

describe('sweep report (pure)', () => {
  it('charts each key metric against each varied axis: host size, host count, the buffer', () => {
    expect(sweepAxes(results).map((a) => a.key)).toEqual(['hostSize', 'hosts', 'vmSettings:buffer'])
    const charts = sweepCharts(results)
    expect(charts.map((c) => c.id)).toEqual(['axis-1', 'axis-2', 'axis-3'])
    for (const c of charts) {
      const spec = c.spec as unknown as { concat: Array<{ title: string; encoding: { y: { title: string }; x: { title: string } } }>; data: { values: Array<{ policy: string; metric: string }> } }
      expect(spec.concat.map((p) => p.title)).toEqual(SWEEP_METRICS.map(([, t]) => t))
      for (const p of spec.concat) expect(p.encoding.x.title && p.encoding.y.title).toBeTruthy() // axis titles everywhere
    }
    // Against host size: every scenario, each metric; the buffer: dynamic-memory's scenarios only.
    const values = (i: number) => (charts[i].spec as unknown as { data: { values: Array<{ policy: string }> } }).data.values
    expect(values(0)).toHaveLength(results.length * SWEEP_METRICS.length)
    expect(new Set(values(2).map((v) => v.policy))).toEqual(new Set(['dynamic-memory']))
  })

  it('a policy param is an axis of its policy alone: numbers on a linear scale, other values as categories in order', () => {
    const dm = results.filter((r) => r.policyName === 'dynamic-memory' && r.scenario.vmSettings.buffer === 10)
    const withParams = [
      ...results.filter((r) => r.policyName !== 'dynamic-memory'),
      ...dm.flatMap((r, i) =>
        [true, false].map((salting, j) => ({ ...r, scenario: { ...r.scenario, id: `p${i}${j}`, params: { salting, period: 30 * (j + 1) } } })),
      ),
    ]
    const axes = sweepAxes(withParams)
    expect(axes.map((a) => [a.key, a.title, a.quantitative])).toEqual([
      ['hostSize', 'host size (GiB)', true],
      ['hosts', 'hosts', true],
      ['params:dynamic-memory:salting', 'dynamic-memory: salting', false],
      ['params:dynamic-memory:period', 'dynamic-memory: period', true],
    ])
    const charts = sweepCharts(withParams)
    const salting = charts[2].spec as unknown as { data: { values: Array<{ policy: string; x: unknown }> }; concat: Array<{ encoding: { x: { type: string; sort: unknown } } }> }
    expect(new Set(salting.data.values.map((v) => v.policy))).toEqual(new Set(['dynamic-memory']))
    expect(salting.concat[0].encoding.x).toMatchObject({ type: 'ordinal', sort: ['true', 'false'] })
  })

  it('the verdict names the policy meeting the service level with the least host memory, and each policy', () => {
    const v = sweepVerdict(results)
    const meeting = results.filter((r) => r.meets)
    expect(meeting.length).toBeGreaterThan(0)
    const gib = (r: ScenarioResult) => parseInt(r.scenario.hostSize, 10) * r.scenario.hosts
    const least = Math.min(...meeting.map(gib))
    const best = results.find((r) => r.scenario.id === v.scenario) as ScenarioResult
    expect(best.meets).toBe(true)
    expect(gib(best)).toBe(least)
    expect(v.winner).toBe(best.policyName)
    expect(v.text).toMatch(new RegExp(`^${v.winner} meets the service level with the least host memory: ${v.scenario}: `))
    expect(v.perPolicy.map((l) => l.split(':')[0])).toEqual(['static', 'dynamic-memory', 'kvm-mom'])
    // static refuses VMs on these hosts: it never meets, and the line says why.
    expect(v.perPolicy[0]).toMatch(/^static: meets the service level in none of its 6 scenarios; its best, s\d+: .* fails on VMs refused \d+ > 0\.$/)
    expect(sweepVerdict(results.map((r) => ({ ...r, meets: false })))).toMatchObject({ winner: undefined, text: `No scenario meets the service level (0 of ${results.length}).` })
  })

  it('a stopped scenario is named in the page and is never a policy\'s best while another ran to the end', () => {
    const statics = results.filter((r) => r.policyName === 'static')
    const best = statics.find((r) => r.metrics.vmsRefused === Math.min(...statics.map((s) => s.metrics.vmsRefused))) as ScenarioResult
    const stopped = results.map((r) => (r === best ? { ...r, violations: ['the run stopped'], metrics: { ...r.metrics, vmsRefused: 0, error: 'stopped: time limit' } } : r))
    expect(sweepVerdict(stopped).perPolicy[0]).not.toContain(`its best, ${best.scenario.id}:`)
    const x = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')).experiment
    expect(renderSweepHtml(x, results.length, stopped)).toContain(`1 scenario stopped early (their figures cover the ticks before the stop): ${best.scenario.id}.`)
  })

  it('is written through the report path (manifest) and is the same bytes for the same results', () => {
    const manifest = JSON.parse(readFileSync(path.join(out, MANIFEST), 'utf8'))
    expect(Object.keys(manifest.files)).toContain('index.html')
    const html = readFileSync(path.join(out, 'index.html'), 'utf8')
    const x = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')).experiment
    expect(renderSweepHtml(x, results.length, results)).toBe(html)
    expect(html).toContain('<title>memreplay sweep: sample &lt;b&gt;sizes&lt;/b&gt;</title>')
    expect(html).not.toMatch(/src="http|href="http/)
  })
})

describe.skipIf(!hasChromium)('sweep report in a browser', () => {
  it('shows the verdict first, draws every chart offline, and tooltips answer on a point', async () => {
    if (browser === undefined) throw new Error('no browser')
    const page = await browser.newPage()
    const pageUrl = pathToFileURL(path.join(out, 'index.html')).href
    const { consoleErrors, pageErrors, foreignRequests, dialogs } = watchPage(page, pageUrl)
    await page.goto(pageUrl, { waitUntil: 'load' })
    await page.waitForSelector('body[data-charts="done"]', { timeout: 60_000 })

    const verdict = page.locator('#verdict-text')
    const winner = sweepVerdict(results).winner as string
    expect(await verdict.getAttribute('data-winner')).toBe(winner)
    expect(await verdict.innerText()).toMatch(new RegExp(`^${winner} meets the service level with the least host memory`))
    expect(await page.locator('section').evaluateAll((els) => els.map((e) => e.id))).toEqual(['verdict', 'charts', 'scenarios', 'service-level', 'experiment'])
    expect(await page.locator('table.scenarios tbody tr').count()).toBe(results.length)

    for (const id of ['axis-1', 'axis-2', 'axis-3']) {
      expect(await page.getAttribute(`#chart-${id}`, 'data-rendered'), id).toBe('true')
      expect(await page.locator(`#chart-${id} svg`).count(), id).toBe(1)
      // lines (one mark per line) and points in every panel
      expect(await page.locator(`#chart-${id} svg g.mark-line.role-mark path`).count(), id).toBeGreaterThanOrEqual(4)
      expect(await page.locator(`#chart-${id} svg g.mark-symbol.role-mark path`).count(), id).toBeGreaterThan(0)
      const text = (await page.locator(`#chart-${id} svg text`).allTextContents()).join('|')
      for (const [, title, yTitle] of SWEEP_METRICS) {
        expect(text, id).toContain(title)
        expect(text, id).toContain(yTitle)
      }
      for (const p of ['static', 'dynamic-memory', 'kvm-mom']) if (id !== 'axis-3') expect(text, id).toContain(p) // the legend
    }

    // A point of the host-size chart answers with its policy, host size, value and scenario.
    const tooltip = page.locator('#vg-tooltip-element')
    await page.locator('#chart-axis-1 svg g.mark-symbol.role-mark path').nth(3).hover({ force: true })
    await page.waitForSelector('#vg-tooltip-element.visible', { timeout: 10_000 })
    const tip = await tooltip.innerText()
    expect(tip).toMatch(/static|dynamic-memory|kvm-mom/)
    expect(tip).toMatch(/host size \(GiB\)\s*(32|48|64)GiB/)
    expect(tip).toMatch(/scenario\s*s0\d\d/)
    expect(tip).toContain('meets the service level')

    expect(dialogs).toEqual([])
    expect(pageErrors).toEqual([])
    expect(consoleErrors).toEqual([])
    expect(foreignRequests).toEqual([])
    if (process.env.MEMREPLAY_SHOT) await page.screenshot({ path: process.env.MEMREPLAY_SHOT, fullPage: true })
    await page.close()
  })
})

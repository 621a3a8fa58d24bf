/**
 * The verdict from hand-built comparisons: the lexicographic rule (fewest refused, then least VM-time
 * short of memory, then slowdown p99, then host swap-out), refusals never better, stopped runs never
 * winning, VM counts that add up to the fleet, and the three renderers.
 */
import { describe, expect, it } from 'vitest'
import type { RunMetrics } from '../../src/metrics/run-metrics.js'
import { COMPARISON_GROUPS, comparisonRows, resolveRuns, vmCounts } from '../../src/report/prepare.js'
import { renderMarkdown } from '../../src/report/markdown.js'
import { renderHtml } from '../../src/report/html.js'
import {
  VERDICT_RULE,
  verdictHtml,
  verdictMarkdown,
  verdictOf,
  verdictOfReport,
  verdictText,
  type VerdictRun,
} from '../../src/report/verdict.js'
import { fixtureInput } from './fixture.js'

const metrics = (policy: string, over: Partial<RunMetrics> = {}): RunMetrics => ({
  policy,
  params: {},
  hostMemoryGiB: 96,
  vmsTotal: 24,
  vmsAdmitted: 24,
  vmsRefused: 0,
  vmsRefusedNeverAdmitted: 0,
  overAllocationRatio: 1,
  overCommitRatio: 0.8,
  peakResidentGiB: 80,
  meanResidentGiB: 70,
  demandGiBh: 1000,
  shortfallGiBh: 0,
  guestPagingGiBh: 0,
  hostSwapGiBh: 0,
  hostSwapOutGiB: 0,
  compressedGiBh: 0,
  balloonedGiBh: 0,
  sharedSavedGiBh: 0,
  blockedGiBh: 0,
  stateShare: {},
  pressureOver100Share: 0,
  slowdownP50: 1,
  slowdownP95: 1,
  slowdownP99: 1,
  slowdownMax: 1,
  fairness: 1,
  shortOfMemoryShare: 0,
  shortOrRefusedShare: 0,
  ...over,
})
const run = (label: string, over: Partial<RunMetrics> = {}, error?: string): VerdictRun => ({
  label,
  metrics: metrics(label, over),
  ...(error === undefined ? {} : { error }),
})
const fleet = { vms: 24, vmHours: 4032, demandGiBh: 1200 }

// The issue's case: static refuses VMs and so shows no shortfall; overcommit runs all, short 4 %,
// swaps; dynamic memory runs all, short 0.5 %.
const issueCase = [
  run('static', { vmsAdmitted: 21, vmsRefused: 3, vmsRefusedNeverAdmitted: 3, demandGiBh: 900, shortOrRefusedShare: 0.125 }),
  run('dynamic-memory', { shortOfMemoryShare: 0.005, shortOrRefusedShare: 0.005, slowdownP99: 1.02 }),
  run('overcommit', { shortOfMemoryShare: 0.04, shortOrRefusedShare: 0.04, slowdownP99: 10, hostSwapOutGiB: 512 }),
]

describe('verdictOf', () => {
  it('refusals first: a policy that refuses VMs never beats one that runs them all', () => {
    const v = verdictOf({ hostGiB: 96, runs: issueCase, fleet })
    expect(v.winner).toBe('dynamic-memory')
    expect(v.tiedWith).toEqual([])
    expect(v.standings.map((s) => s.label)).toEqual(['dynamic-memory', 'overcommit', 'static'])
    expect(v.losses).toEqual([
      { label: 'overcommit', criterion: 'shortOfMemory', value: 4, winnerValue: 0.5 },
      { label: 'static', criterion: 'refused', value: 3, winnerValue: 0 },
    ])
    expect(v.rule).toBe(VERDICT_RULE)
  })

  it('then VM-time short of memory (as printed, 0.01 %), then slowdown p99, then host swap-out', () => {
    const a = run('a', { shortOfMemoryShare: 0.00001, slowdownP99: 1.2 }) // 0.001 % prints as 0.00 %
    const b = run('b', { shortOfMemoryShare: 0.00002, slowdownP99: 1.1, hostSwapOutGiB: 50 })
    const c = run('c', { shortOfMemoryShare: 0.00002, slowdownP99: 1.1, hostSwapOutGiB: 10 })
    const v = verdictOf({ hostGiB: 96, runs: [a, b, c] })
    expect(v.winner).toBe('c')
    expect(v.losses).toEqual([
      { label: 'b', criterion: 'hostSwapOut', value: 50, winnerValue: 10 },
      { label: 'a', criterion: 'slowdownP99', value: 1.2, winnerValue: 1.1 },
    ])
  })

  it('equal on every criterion: a tie, display order first', () => {
    const v = verdictOf({ hostGiB: 96, runs: [run('x', { slowdownP99: 1.0001 }), run('y', { slowdownP99: 1.0004 })] })
    expect(v.winner).toBe('x')
    expect(v.tiedWith).toEqual(['y'])
    expect(v.losses).toEqual([{ label: 'y', criterion: 'tie' }])
    expect(verdictText(v)).toContain('tied with y')
  })

  it('a stopped run cannot win, whatever its figures; all stopped: no verdict', () => {
    const v = verdictOf({ hostGiB: 96, runs: [run('good', { shortOfMemoryShare: 0.3 }), run('broke', {}, 'rule x at tick 9')] })
    expect(v.winner).toBe('good')
    expect(v.losses).toEqual([{ label: 'broke', criterion: 'stopped' }])
    const none = verdictOf({ hostGiB: 96, runs: [run('broke', {}, 'rule x')] })
    expect(none.winner).toBeUndefined()
    expect(verdictText(none)).toContain('No verdict')
  })

  it('VM counts add up to the fleet: a VM that ran and was later refused counts once, as refused', () => {
    // The issue's report: 47 admitted + 454 refused = 501 of 500, one VM ran 289 h and was then refused.
    const m = metrics('static', { vmsTotal: 500, vmsAdmitted: 47, vmsRefused: 454, vmsRefusedNeverAdmitted: 453 })
    const c = vmCounts(m)
    expect(c).toEqual({ total: 500, served: 46, refused: 454, refusedAfterRunning: 1, neverOn: 0 })
    expect(c.served + c.refused + c.neverOn).toBe(500)
    const s = verdictOf({ hostGiB: 256, runs: [{ label: 'static', metrics: m }] }).standings[0]
    expect(s.served + s.refused + s.neverOn).toBe(500)
    // VMs of the trace that never ran are neither
    const n = vmCounts(metrics('p', { vmsTotal: 10, vmsAdmitted: 7, vmsRefused: 1, vmsRefusedNeverAdmitted: 1 }))
    expect(n).toEqual({ total: 10, served: 7, refused: 1, refusedAfterRunning: 0, neverOn: 2 })
  })
})

describe('verdict renderers', () => {
  const v = verdictOf({ hostGiB: 96, runs: issueCase, fleet })

  it('the paragraph names the winner, its cost, why each other loses, and the rule', () => {
    const text = verdictText(v, 100)
    expect(text.startsWith('Verdict: dynamic-memory serves the fleet best on this 96.0 GiB host: it runs all 24 VMs')).toBe(true)
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(100)
    const flat = text.replace(/\n/g, ' ')
    expect(flat).toContain('0.50 % of the VM-time short of memory, slowdown p99 1.020, no host swap')
    expect(flat).toContain(
      'overcommit loses: it leaves 4.00 % of VM-time short of memory against 0.50 % (slowdown p99 10.000, 512.0 GiB swapped out by the host)',
    )
    // figures over admitted VMs say so, next to the all-VM figure
    expect(flat).toContain('static loses: it refuses 3 VMs against 0, and refusals are never better')
    expect(flat).toContain('its other figures cover only the VMs it admitted: 0.00 % of their VM-time short of memory')
    expect(flat).toContain('12.50 % of all VM-time wanted refused or short')
    expect(flat).toContain(`Rule: ${VERDICT_RULE}`)
  })

  it('a winner that refuses VMs says so, with its admitted figures beside the fleet', () => {
    const w = verdictOf({ hostGiB: 64, runs: [issueCase[0]], fleet })
    const flat = verdictText(w).replace(/\n/g, ' ')
    expect(flat).toContain('static serves the fleet best on this 64.0 GiB host, but not all of it: it runs 21 of 24 VMs throughout and refuses 3')
    expect(flat).toContain("its admitted VMs' demand is 900.0 GiBh of the whole fleet's 1200.0 GiBh")
    expect(flat).toContain('It is the only policy compared.')
  })

  it('Markdown and HTML escape labels; HTML names the winner in an attribute', () => {
    const evil = verdictOf({ hostGiB: 96, runs: [run('<b>x</b>'), run('*y*', { vmsRefused: 1, vmsRefusedNeverAdmitted: 1, vmsAdmitted: 23 })] })
    const html = verdictHtml(evil)
    expect(html).toContain('data-winner="&lt;b&gt;x&lt;/b&gt;"')
    expect(html).toContain('<strong>&lt;b&gt;x&lt;/b&gt;</strong>')
    expect(html).not.toContain('<b>')
    const md = verdictMarkdown(evil)
    expect(md).toContain('**&lt;b&gt;x&lt;/b&gt;**')
    expect(md).toContain('**\\*y\\***')
  })
})

describe('the verdict and admitted-VM labels in the report', () => {
  const input = { ...fixtureInput(), fleet: { vms: 4, vmHours: 200, demandGiBh: 1600 } }
  it('summary.md and index.html open with the verdict', () => {
    const v = verdictOfReport(input)
    // fixture: static refuses 1 VM; hyperv-dm completes; esx stopped
    expect(v.winner).toBe('hyperv-dm')
    const md = renderMarkdown(input, [])
    expect(md.indexOf('## Verdict')).toBeLessThan(md.indexOf('## Comparison'))
    expect(md).toContain('**hyperv-dm** serves the fleet best')
    const html = renderHtml(input, [])
    expect(html.indexOf('id="verdict"')).toBeLessThan(html.indexOf('id="comparison"'))
    expect(html).toContain('data-winner="hyperv-dm"')
  })

  it('figures over admitted VMs say so, with the whole fleet beside them', () => {
    const rows = comparisonRows(resolveRuns(input), input.fleet)
    const labels = rows.map((r) => r.label)
    expect(labels).toContain('Demand, GiBh (admitted VMs)')
    const i = labels.indexOf('Demand, GiBh (all VMs, from the trace)')
    expect(rows[i]).toEqual({ key: 'fleetDemandGiBh', label: 'Demand, GiBh (all VMs, from the trace)', values: ['1600.0', '1600.0', '1600.0'] })
    expect(labels).toContain('VM-time refused or short of memory (all VMs)')
    // the figures over admitted VMs sit under a heading that says so
    const g = labels.indexOf(COMPARISON_GROUPS.admitted)
    expect(g).toBeGreaterThan(labels.indexOf('Demand, GiBh (all VMs, from the trace)'))
    expect(rows[g].key).toBe('group')
    expect(labels.indexOf('Slowdown p99')).toBeGreaterThan(g)
    expect(labels.indexOf('Slowdown p99')).toBeLessThan(labels.indexOf(COMPARISON_GROUPS.host))
  })

  it('the per-VM table lists served VMs only; refused VMs apart, with their configured size', () => {
    const html = renderHtml(input, [])
    const staticPart = html.slice(html.indexOf('<h3>static</h3>'), html.indexOf('<h3>hyperv-dm</h3>'))
    expect(staticPart).toContain('3 VMs served (ran, never refused), 1 refused.')
    expect(staticPart).toMatch(/<table class="vms refused">.*<td>16\.0<\/td><td>refused<\/td>/)
  })
})

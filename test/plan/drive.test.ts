/** The command line's driver of a plan's search: to the end, stopped part-way, or failed. */
import { describe, expect, it } from 'vitest'
import { drivePlan } from '../../src/cli/plan.js'
import { emptyPlan, planHosts, planHostsSteps, type PlanEvent, type PolicyPlan } from '../../src/plan/plan.js'
import { DEFAULT_SLA } from '../../src/plan/sla.js'
import { staticPolicy } from '../../policies/static.js'
import { buildTrace, hostOf, settingsOf } from '../support/build.js'

const GiB = 1024
const trace = buildTrace([0, 1, 2, 3, 4].map((i) => ({ id: `vm${i}`, demand: [GiB, 2 * GiB, 3 * GiB], configured: 8 * GiB })))
const vms = [0, 1, 2, 3, 4].map((i) => settingsOf(`vm${i}`, 8 * GiB))
const run = { policy: staticPolicy, params: staticPolicy.defaults }
const host = hostOf(16 * GiB)
const empty = (extra: { partial?: string; failed?: string }) => emptyPlan(run, 'hosts', 16, {}, extra)

describe('drivePlan', () => {
  it('to the end: the same plan as the synchronous search', async () => {
    const points: number[] = []
    const p = await drivePlan(planHostsSteps(trace, host, vms, run, 1, DEFAULT_SLA), { onHost: () => {}, onPoint: (e) => points.push(e.row.hosts), stopped: () => false }, empty)
    const sync = planHosts(trace, host, vms, run, 1, DEFAULT_SLA)
    expect(p.hostsNeeded).toBe(sync.hostsNeeded)
    expect(p.scan.map((r) => [r.hosts, r.meets])).toEqual(sync.scan.map((r) => [r.hosts, r.meets]))
    expect(points.length).toBe(sync.scan.length)
  })

  it('stopped part-way: what it had found, marked partial', async () => {
    let hosts = 0
    let points = 0
    const p = await drivePlan(
      planHostsSteps(trace, host, vms, run, 1, DEFAULT_SLA),
      { onHost: () => hosts++, onPoint: () => points++, stopped: () => points >= 1 },
      empty,
    )
    expect(points).toBe(1)
    expect(p.met).toBe(false)
    expect(p.partial).toMatch(/^stopped after \d+ replays, before the search settled/)
    expect(p.scan.length).toBe(1)
    const never = await drivePlan(planHostsSteps(trace, host, vms, run, 1, DEFAULT_SLA), { onHost: () => {}, onPoint: () => {}, stopped: () => true }, empty)
    expect(never.partial).toMatch(/^stopped (after 0 replays|before its first replay finished)/) // placement may have ruled out a count first
    expect(hosts).toBeGreaterThan(0)
  })

  it('a search that throws becomes a failed plan (the other policies are still written)', async () => {
    const sofar = planHosts(trace, host, vms, run, 1, DEFAULT_SLA)
    function* broken(): Generator<PlanEvent, PolicyPlan, void> {
      yield { kind: 'point', policy: 'static', row: sofar.scan[0], sofar }
      throw new Error('placement rule crashed')
    }
    const p = await drivePlan(broken(), { onHost: () => {}, onPoint: () => {}, stopped: () => false }, empty)
    expect(p.failed).toBe('placement rule crashed')
    expect(p.met).toBe(false)
    expect(p.notes).toEqual(['placement rule crashed'])
  })
})

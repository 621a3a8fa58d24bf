/**
 * The searches: gallop then bisect finds the threshold of a monotone predicate in O(log) points,
 * and a locally minimal point whatever the predicate; the plan equals an exhaustive scan on a small
 * synthetic fleet; reused host replays change nothing but the time; a VM that fits no host ends the
 * plan at once, named.
 */
import { describe, expect, it } from 'vitest'
import * as fc from 'fast-check'
import { gallop, runGallop, smallestHosts, smallestSize, type Evaluator } from '../../src/plan/search.js'
import { brokenForSure, planHosts, planHostSize, planHostsSteps, type PlanEvent } from '../../src/plan/plan.js'
import type { RunMetrics } from '../../src/metrics/run-metrics.js'
import { hostSeed, replayCache, runCluster } from '../../src/plan/cluster.js'
import { DEFAULT_SLA, evaluate } from '../../src/plan/sla.js'
import { dynamicMemoryPolicy } from '../../policies/dynamic-memory.js'
import { staticPolicy } from '../../policies/static.js'
import { buildTrace, hostOf, settingsOf } from '../support/build.js'

const GiB = 1024

/** Points a gallop asks for, with a predicate. */
const trail = (from: number, to: number, test: (k: number) => boolean): { readonly found: number | null; readonly asked: ReadonlyArray<number> } => {
  const asked: number[] = []
  const found = runGallop(from, to, (k) => {
    asked.push(k)
    return test(k)
  })
  return { found, asked }
}

describe('gallop (pure)', () => {
  it('finds the threshold of a monotone predicate in at most 2 log2(range) + 2 points', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 2100 }), (from, span, t) => {
        const to = from + span
        const r = trail(from, to, (k) => k >= t)
        const expected = t <= from ? from : t <= to ? t : null
        expect(r.found).toBe(expected)
        expect(r.asked.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(span + 2)) + 2)
        expect(new Set(r.asked).size).toBe(r.asked.length) // no point asked twice
        expect(r.asked.every((k) => k >= from && k <= to)).toBe(true)
      }),
    )
  })

  it('gallops 1, 2, 4, 8 ... from 1, then bisects', () => {
    expect(trail(1, 100, (k) => k >= 11).asked).toEqual([1, 2, 4, 8, 16, 12, 10, 11])
  })

  it('whatever the predicate, the answer meets and the point below it failed (or is below from)', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 2, maxLength: 60 }), (ok) => {
        const r = trail(1, ok.length - 1, (k) => ok[k])
        if (r.found === null) {
          expect(r.asked).toContain(ok.length - 1)
          expect(ok[ok.length - 1]).toBe(false)
        } else {
          expect(ok[r.found]).toBe(true)
          if (r.found > 1) {
            expect(r.asked).toContain(r.found - 1)
            expect(ok[r.found - 1]).toBe(false)
          }
        }
      }),
    )
  })

  it('is a generator: it yields the next point and is sent the verdict', () => {
    const g = gallop(3, 10)
    expect(g.next().value).toBe(3)
    expect(g.next(false).value).toBe(4)
    expect(g.next(false).value).toBe(6)
    expect(g.next(true).value).toBe(5)
    expect(g.next(true)).toEqual({ done: true, value: 5 })
  })
})

const boolEvaluator = (ok: (n: number) => boolean, screened: (n: number) => boolean, calls: number[] = []): Evaluator<boolean> => ({
  screen: (n) => (screened(n) ? false : undefined),
  evaluate: (n) => {
    calls.push(n)
    return ok(n)
  },
  meets: (r) => r,
})

describe('smallestHosts and smallestSize (pure)', () => {
  it('the smallest N, screening placement first, with no replay below the first N placement accepts', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 300 }), (screenUntil, threshold) => {
        const calls: number[] = []
        const r = smallestHosts(boolEvaluator((n) => n >= threshold, (n) => n < screenUntil, calls), 1, 256)
        const expected = Math.max(screenUntil, threshold)
        expect(r.found).toBe(expected <= 256 ? expected : null)
        expect(calls.every((n) => n >= screenUntil)).toBe(true)
        expect(calls.length).toBeLessThanOrEqual(20)
      }),
    )
  })

  it('finds the threshold size, with one step below failing', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 500 }), (screenUntil, threshold) => {
        const r = smallestSize(boolEvaluator((s) => s >= threshold, (s) => s < screenUntil), 1, 600)
        expect(r.found).toBe(Math.max(screenUntil, threshold))
        if (r.found !== null && r.found > 1) expect(r.probes.find((p) => p.at === r.found! - 1)?.meets).toBe(false)
      }),
    )
  })
})

describe('planHosts against an exhaustive scan', () => {
  // Six VMs of 8 GiB whose working sets rise and fall; 16 GiB hosts.
  const shapes = [
    [2, 3, 5, 6, 6, 5, 3, 2],
    [6, 6, 5, 4, 3, 2, 2, 2],
    [1, 2, 3, 4, 5, 6, 6, 6],
    [4, 4, 4, 4, 4, 4, 4, 4],
    [5, 1, 5, 1, 5, 1, 5, 1],
    [3, 3, 6, 6, 3, 3, 6, 6],
  ]
  // A quiet first tick (VMs boot at Startup RAM), then the shapes six times over.
  const demand = (d: ReadonlyArray<number>) => [0.5, ...Array.from({ length: 6 }, () => d).flat()].map((x) => x * GiB)
  const trace = buildTrace(shapes.map((d, i) => ({ id: `vm${i}`, demand: demand(d), configured: 8 * GiB })))
  const vms = shapes.map((_, i) => settingsOf(`vm${i}`, 8 * GiB))
  const host = hostOf(16 * GiB)

  for (const policy of [dynamicMemoryPolicy, staticPolicy]) {
    it(`${policy.name}: the plan's host count is the smallest N meeting the service level; each point tried agrees with a replay`, () => {
      const run = { policy, params: policy.defaults }
      const meets = Array.from({ length: shapes.length }, (_, k) => evaluate(DEFAULT_SLA, runCluster(trace, host, vms, run, 1, k + 1).metrics).length === 0)
      const exhaustive = meets.indexOf(true) + 1
      const plan = planHosts(trace, host, vms, run, 1, DEFAULT_SLA)
      expect(exhaustive).toBeGreaterThan(1) // the fleet does not fit one host
      expect(plan.hostsNeeded).toBe(exhaustive)
      expect(plan.hostsTotal).toBe(exhaustive)
      for (const r of plan.scan) expect(r.meets).toBe(meets[r.hosts - 1])
      expect(plan.scan.find((r) => r.hosts === exhaustive - 1)?.meets).toBe(false)
    })
  }

  it('N+k: the answer adds the spare hosts; the search is the same', () => {
    const run = { policy: staticPolicy, params: staticPolicy.defaults }
    const plain = planHosts(trace, host, vms, run, 1, DEFAULT_SLA)
    const ha = planHosts(trace, host, vms, run, 1, DEFAULT_SLA, { constraints: { spareHosts: 2, growth: 1, headroom: 0 } })
    expect(ha.hostsNeeded).toBe(plain.hostsNeeded)
    expect(ha.hostsTotal).toBe((plain.hostsNeeded as number) + 2)
  })

  it('headroom: planning to 50% of each host needs at least as many hosts as planning to 100%', () => {
    const run = { policy: staticPolicy, params: staticPolicy.defaults }
    const plain = planHosts(trace, host, vms, run, 1, DEFAULT_SLA)
    const roomy = planHosts(trace, host, vms, run, 1, DEFAULT_SLA, { constraints: { spareHosts: 0, growth: 1, headroom: 0.5 } })
    expect(roomy.hostsNeeded).toBe(6) // 8 GiB static VMs on 8 GiB left of each 16 GiB host: one per host
    expect(plain.hostsNeeded as number).toBeLessThan(6)
  })

  it('the reverse question: the smallest host size for 2 hosts, and one GiB less fails', () => {
    const run = { policy: dynamicMemoryPolicy, params: dynamicMemoryPolicy.defaults }
    const plan = planHostSize(trace, host, 2, vms, run, 1, DEFAULT_SLA, GiB, 64 * GiB)
    expect(plan.met).toBe(true)
    const size = (plan.hostGiB as number) * GiB
    const at = (s: number) => evaluate(DEFAULT_SLA, runCluster(trace, hostOf(s), vms, run, 1, 2).metrics).length === 0
    expect(at(size)).toBe(true)
    expect(at(size - GiB)).toBe(false)
  })

  it('the reverse question with N+1: 3 hosts with a spare are sized as 2 serving hosts', () => {
    const run = { policy: dynamicMemoryPolicy, params: dynamicMemoryPolicy.defaults }
    const two = planHostSize(trace, host, 2, vms, run, 1, DEFAULT_SLA, GiB, 64 * GiB)
    const ha = planHostSize(trace, host, 3, vms, run, 1, DEFAULT_SLA, GiB, 64 * GiB, { constraints: { spareHosts: 1, growth: 1, headroom: 0 } })
    expect(ha.hostGiB).toBe(two.hostGiB)
    expect([ha.hostsNeeded, ha.hostsTotal]).toEqual([2, 3])
  })

  it('reused host replays give the same plan as fresh ones; first-fit reuses the hosts it fills first', () => {
    const run = { policy: staticPolicy, params: staticPolicy.defaults }
    const cache = replayCache()
    const withCache = planHosts(trace, host, vms, run, 1, DEFAULT_SLA, { cache })
    const again = planHosts(trace, host, vms, run, 1, DEFAULT_SLA, { cache })
    const fresh = planHosts(trace, host, vms, run, 1, DEFAULT_SLA, { cache: replayCache(0) })
    const figures = (p: typeof fresh) => p.scan.map((r) => [r.hosts, r.meets, r.metrics])
    expect(figures(withCache)).toEqual(figures(fresh))
    expect(figures(again)).toEqual(figures(fresh))
    expect(again.work.hostReplays).toBe(0) // every host of every point seen before
    expect(cache.stats().hits).toBeGreaterThan(0)
  })
})

describe('cluster seeds follow the VMs a host holds', () => {
  it('the same VMs on a host replay the same way whatever the host index; the whole fleet takes the run seed', () => {
    expect(hostSeed(7, [0, 1, 2], 3)).toBe(7)
    expect(hostSeed(7, [0, 2], 3)).toBe(hostSeed(7, [0, 2], 3))
    expect(hostSeed(7, [0, 2], 3)).not.toBe(hostSeed(7, [1, 2], 3))
  })
})

describe('a VM that fits no host', () => {
  const trace = buildTrace([
    { id: 'small', demand: [2 * GiB, 2 * GiB, 2 * GiB], configured: 4 * GiB },
    { id: 'huge-db', demand: [100 * GiB, 300 * GiB, 300 * GiB], configured: 511.5 * GiB },
  ])
  const vms = [settingsOf('small', 4 * GiB), settingsOf('huge-db', 511.5 * GiB)]

  it('ends the plan at once, before any replay, naming the VM, its size and the host capacity', () => {
    const events: PlanEvent[] = []
    const g = planHostsSteps(trace, hostOf(256 * GiB, 4 * GiB), vms, { policy: staticPolicy, params: staticPolicy.defaults }, 1, DEFAULT_SLA)
    let step = g.next()
    while (!step.done) {
      events.push(step.value)
      step = g.next()
    }
    const plan = step.value
    expect(events).toEqual([])
    expect(plan.met).toBe(false)
    expect(plan.work.replays).toBe(0)
    expect(plan.cannotMeet?.vms.map((v) => [v.vm, v.needMiB, v.capacityMiB])).toEqual([['huge-db', 511.5 * GiB, 252 * GiB]])
    expect(plan.cannotMeet?.reason).toMatch(/VM huge-db needs 511\.5 GiB \(its static size plus overhead\) but a 256 GiB host admits at most 252 GiB/)
  })

  it('a policy that admits it on less replays, and each failing point names the VMs concerned', () => {
    const plan = planHosts(trace, hostOf(256 * GiB, 4 * GiB), vms, { policy: dynamicMemoryPolicy, params: dynamicMemoryPolicy.defaults }, 1, { ...DEFAULT_SLA, maxSlowdownP99: null, maxHostSwapOutGiB: null })
    expect(plan.cannotMeet).toBeUndefined()
    const failing = plan.scan.filter((r) => !r.meets)
    expect(failing.length).toBeGreaterThan(0)
    for (const r of failing) for (const v of r.violations) expect(v.vms ?? []).toContain('huge-db')
    expect(failing[0].violations[0].text).toContain('huge-db')
  })
})

describe('a failing point stops early', () => {
  it('a cluster replay stops after the host that proves the level broken; the point fails as the full replay does', () => {
    // Four 8 GiB static VMs, two working sets above what Hyper-V can give on a crowded host.
    const trace = buildTrace([0, 1, 2, 3].map((i) => ({ id: `vm${i}`, demand: [GiB, 6 * GiB, 7 * GiB, 7 * GiB], configured: 8 * GiB })))
    const vms = [0, 1, 2, 3].map((i) => settingsOf(`vm${i}`, 8 * GiB))
    const run = { policy: staticPolicy, params: staticPolicy.defaults }
    const full = runCluster(trace, hostOf(16 * GiB), vms, run, 1, 4)
    expect(full.hostsReplayed).toBe(4)
    const cut = runCluster(trace, hostOf(16 * GiB), vms, run, 1, 4, { stopEarly: () => true })
    expect(cut.hostsReplayed).toBe(1)
    const none = runCluster(trace, hostOf(16 * GiB), vms, run, 1, 4, { stopEarly: () => false })
    expect(none.metrics).toEqual(full.metrics)
  })

  it('only figures that grow as hosts are added prove a level broken early', () => {
    const m = { vmsRefused: 0, hostSwapOutGiB: 0, pressureOver100Share: 0.5, slowdownP99: 9 } as unknown as RunMetrics
    expect(brokenForSure(DEFAULT_SLA, m)).toBe(false) // a share and a percentile can fall as VM-time is added
    expect(brokenForSure(DEFAULT_SLA, { ...m, hostSwapOutGiB: 0.1 })).toBe(true)
    expect(brokenForSure(DEFAULT_SLA, { ...m, vmsRefused: 1 })).toBe(true)
    expect(brokenForSure({ ...DEFAULT_SLA, maxVmsRefused: null }, { ...m, vmsRefused: 1 })).toBe(false)
    expect(brokenForSure(DEFAULT_SLA, { ...m, error: 'stopped' })).toBe(true)
  })
})

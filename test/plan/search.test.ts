/** The searches return the smallest point that meets the service level. */
import { describe, expect, it } from 'vitest'
import * as fc from 'fast-check'
import { smallestHosts, smallestSize, type Evaluator } from '../../src/plan/search.js'
import { planHosts, planHostSize } from '../../src/plan/plan.js'
import { runCluster } from '../../src/plan/cluster.js'
import { DEFAULT_SLA, evaluate } from '../../src/plan/sla.js'
import { dynamicMemoryPolicy } from '../../policies/dynamic-memory.js'
import { staticPolicy } from '../../policies/static.js'
import { buildTrace, hostOf, settingsOf } from '../support/build.js'

const boolEvaluator = (ok: ReadonlyArray<boolean>, screened: ReadonlyArray<boolean> = []): Evaluator<boolean> => ({
  screen: (n) => (screened[n] ? false : undefined),
  evaluate: (n) => ok[n] ?? false,
  meets: (r) => r,
})

describe('smallestHosts (pure)', () => {
  it('is the first N that meets, for any (non-monotone) pattern and any screening', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 30 }), fc.array(fc.boolean(), { maxLength: 30 }), (ok, scr) => {
        const screened = scr.map((s, n) => s && !ok[n]) // placement screens only points that fail
        const r = smallestHosts(boolEvaluator(ok, screened), 1, ok.length - 1)
        const exhaustive = ok.findIndex((x, n) => n >= 1 && x)
        expect(r.found).toBe(exhaustive === -1 ? null : exhaustive)
      }),
    )
  })
})

describe('smallestSize (pure)', () => {
  it('finds the threshold of a monotone predicate, with one step below failing', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 500 }), (screenUntil, threshold) => {
        const ev: Evaluator<boolean> = {
          screen: (s) => (s < screenUntil ? false : undefined),
          evaluate: (s) => s >= threshold,
          meets: (r) => r,
        }
        const r = smallestSize(ev, 1, 600)
        expect(r.found).toBe(Math.max(screenUntil, threshold))
        if (r.found !== null && r.found > 1) expect(r.probes.find((p) => p.at === r.found! - 1)?.meets).toBe(false)
      }),
    )
  })
})

describe('planHosts against an exhaustive scan', () => {
  // Six VMs of 8 GiB whose working sets rise and fall; 16 GiB hosts.
  const GiB = 1024
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
    it(`${policy.name}: the plan's host count is the smallest N meeting the service level`, () => {
      const run = { policy, params: policy.defaults }
      const meets = Array.from({ length: shapes.length }, (_, k) => evaluate(DEFAULT_SLA, runCluster(trace, host, vms, run, 1, k + 1).metrics).length === 0)
      const exhaustive = meets.indexOf(true) + 1
      const plan = planHosts(trace, host, vms, run, 1, DEFAULT_SLA)
      expect(exhaustive).toBeGreaterThan(1) // the fleet does not fit one host
      expect(plan.hostsNeeded).toBe(exhaustive)
      expect(plan.scan.map((r) => r.meets)).toEqual(meets.slice(0, exhaustive))
    })
  }

  it('the reverse question: the smallest host size for 2 hosts, and one GiB less fails', () => {
    const run = { policy: dynamicMemoryPolicy, params: dynamicMemoryPolicy.defaults }
    const plan = planHostSize(trace, host, 2, vms, run, 1, DEFAULT_SLA, GiB, 64 * GiB)
    expect(plan.met).toBe(true)
    const size = (plan.hostGiB as number) * GiB
    const at = (s: number) => evaluate(DEFAULT_SLA, runCluster(trace, hostOf(s), vms, run, 1, 2).metrics).length === 0
    expect(at(size)).toBe(true)
    expect(at(size - GiB)).toBe(false)
  })
})

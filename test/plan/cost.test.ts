/** Cost: the spec's codec, a plan's cost worked by hand, and the choice among host sizes. */
import { describe, expect, it } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import { choosePlan, costOf, costRows, costText, decodeCostSpec, licenceOf, type CostSpec } from '../../src/plan/cost.js'
import { DEFAULT_CONSTRAINTS } from '../../src/plan/sla.js'
import type { PolicyPlan } from '../../src/plan/plan.js'
import { verdictLine } from '../../src/plan/plan-report.js'

const left = <A>(e: E.Either<ReadonlyArray<string>, A>): ReadonlyArray<string> => (E.isLeft(e) ? e.left : [])

/** A met plan of `hosts` hosts of `gib` GiB (+ spares). */
const plan = (policy: string, hosts: number | null, gib: number, spareHosts = 0): PolicyPlan => ({
  policy,
  params: {},
  placement: 'ffd',
  placementNote: '',
  overAllocationCap: null,
  mode: 'hosts',
  met: hosts !== null,
  hostsNeeded: hosts,
  hostsTotal: hosts === null ? null : hosts + spareHosts,
  hostGiB: gib,
  vmsPerHost: null,
  configuredPerPhysical: null,
  peakOverAllocation: null,
  margin: null,
  notes: [],
  scan: [],
  constraints: { ...DEFAULT_CONSTRAINTS, spareHosts },
  work: { replays: 1, hostReplays: 1, hostsReused: 0 },
})

describe('cost spec', () => {
  it('fills defaults; a licence is a number or prices by policy with a default', () => {
    expect(decodeCostSpec({ perHost: 9000 }, 'cost.json')).toEqual(E.right({ currency: 'cost', perHost: 9000, perGiB: 0, licence: 0 }))
    const s = decodeCostSpec({ perGiB: 4, licence: { default: 7000, 'kvm-mom': 0 }, currency: 'EUR' }, 'cost.json')
    if (E.isLeft(s)) throw new Error(s.left.join())
    expect(licenceOf(s.right, 'overcommit')).toBe(7000)
    expect(licenceOf(s.right, 'kvm-mom')).toBe(0)
  })
  it('rejects bad prices, unknown keys and an empty spec with sentences', () => {
    expect(left(decodeCostSpec({ perHost: -1 }, 'cost.json'))).toEqual(['cost.json: perHost: expected a price >= 0 (a plain number), found -1'])
    expect(left(decodeCostSpec({ perGib: 4 }, 'cost.json'))[0]).toBe('cost.json: unknown key "perGib" (did you mean "perGiB"?)')
    expect(left(decodeCostSpec({}, 'cost.json'))).toEqual(['cost.json: expected at least one of perHost, perGiB, licence, found none'])
    expect(left(decodeCostSpec({ licence: { default: 'x' } }, 'cost.json'))[0]).toMatch(/^cost\.json: licence\.default: expected a price >= 0/)
  })
})

describe('costOf', () => {
  const spec: CostSpec = { currency: 'EUR', perHost: 9000, perGiB: 4, licence: { default: 7000, 'kvm-mom': 0 } }
  it('hosts to buy (spares included) x (per host + per GiB x size + licence)', () => {
    // 3 + 1 spare hosts of 256 GiB: 4 x (9000 + 1024 + 7000) = 68,096.
    expect(costOf(spec, plan('overcommit', 3, 256, 1))).toEqual({ currency: 'EUR', hosts: 4, hostGiB: 256, perHost: 9000, memory: 1024, licence: 7000, eachHost: 17024, total: 68096 })
    expect(costOf(spec, plan('kvm-mom', 2, 512))?.total).toBe(2 * (9000 + 2048))
    expect(costOf(spec, plan('static', null, 256))).toBeNull()
    expect(costText(spec)(plan('overcommit', 3, 256, 1))).toBe('cost EUR 68,096 (4 x 17,024)')
    expect(verdictLine(plan('overcommit', 3, 256, 1), costText(spec))).toBe('policy overcommit: 3 hosts (+1 for HA) = 4; growth x1; headroom 0%; cost EUR 68,096 (4 x 17,024)')
    expect(costRows(spec, [plan('static', null, 256)])[1]).toEqual(['static', 'not met', '-', '-', '-', '-', '-'])
  })
  it('chooses the fewest hosts (ties: the smaller host) or the cheapest (ties: fewer hosts); unmet plans never win', () => {
    const candidates = [plan('static', 5, 128), plan('static', 3, 256), plan('static', 2, 512), plan('static', null, 64)]
    expect(choosePlan(candidates, 'hosts', spec).hostGiB).toBe(512)
    // Memory dear, hosts cheap: 5 x (100 + 128 x 100) = 64,500 beats 2 x (100 + 512 x 100) = 102,600.
    const dearMemory: CostSpec = { currency: 'EUR', perHost: 100, perGiB: 100, licence: 0 }
    expect(choosePlan(candidates, 'cost', dearMemory).hostGiB).toBe(128)
    expect(choosePlan([plan('static', 2, 256), plan('static', 2, 512)], 'hosts', undefined).hostGiB).toBe(256)
    expect(choosePlan([plan('static', null, 64)], 'cost', spec).met).toBe(false)
  })
})

/**
 * The planner's law (issue 11): for every built-in policy, a bigger host never raises the working
 * set the fleet goes without, host swap-out or refusals by more than sampling noise (5% plus 0.5%
 * of the fleet's demand), with the seed fixed. Random fleets, traces and hosts (fast-check).
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { BUILT_IN_POLICIES } from '../../policies/index.js'
import { monotoneBreach, monotoneFinding, type Outcome } from '../../src/engine/conformance/monotone.js'
import { scenarioArb } from '../support/arbitraries.js'

describe('the judgement of a breach', () => {
  const o = (unservedGiBh: number, swapOutGiB: number, refused: number): Outcome => ({ unservedGiBh, swapOutGiB, refused, demandGiBh: 100, physicalGiB: 10 })
  it('allows 5% plus 0.5% of demand, no more', () => {
    // Floor 0.5% of 100 GiBh = 0.5: 10 -> 10 x 1.05 + 0.5 = 11 is allowed, 11.01 is not.
    expect(monotoneBreach(o(10, 0, 0), o(11, 0, 0))).toBeUndefined()
    expect(monotoneBreach(o(10, 0, 0), o(11.01, 0, 0))?.figure).toBe('unserved')
    // Swap-out: 2% of a 10 GiB host = 0.2 > 0.5% of demand... no: 0.5 > 0.2, so 4 -> 4.7 is allowed, 4.8 is not.
    expect(monotoneBreach(o(0, 4, 0), o(0, 4.7, 0))).toBeUndefined()
    expect(monotoneBreach(o(0, 4, 0), o(0, 4.71, 0))?.figure).toBe('swapOut')
    expect(monotoneBreach(o(0, 0, 1), o(0, 0, 2))?.figure).toBe('refused')
    expect(monotoneBreach(o(10, 4, 2), o(1, 0, 0))).toBeUndefined()
  })
})

describe.each(BUILT_IN_POLICIES.map((p) => [p.name, p] as const))('more host memory never makes %s worse', (_name, policy) => {
  it('on random fleets, traces and hosts', () => {
    fc.assert(
      fc.property(scenarioArb(5, 24), fc.constantFrom(512, 2048, 8192), fc.integer({ min: 0, max: 1000 }), fc.boolean(), (drawn, extra, seed, limits) => {
        // Half the scenarios without VM limits, where swap-out is judged too (see monotoneBreach).
        const s = limits ? drawn : { ...drawn, vms: drawn.vms.map((v) => ({ ...v, limitMiB: v.staticMiB })) }
        const breach = monotoneFinding(policy, policy.defaults, s, extra, seed)
        if (breach) throw new Error(`${policy.name}: +${extra} MiB ${breach.detail}`)
        return true
      }),
      { numRuns: 120, seed: 20261202 },
    )
    expect(true).toBe(true)
  })
})

/**
 * The engine's invariants hold for every built-in policy over random fleets, traces and hosts:
 * conservation, 0 <= resident <= touched <= configured, bounds, reservation and limit, no negative
 * quantity, no host swap for policies that do not overcommit (engine/invariants.ts checks each tick).
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { replay, formatViolation } from '../../src/engine/replay.js'
import { BUILT_IN_POLICIES } from '../../policies/index.js'
import { scenarioArb } from '../support/arbitraries.js'

describe.each(BUILT_IN_POLICIES.map((p) => [p.name, p] as const))('invariants of %s', (_name, policy) => {
  it('hold on random fleets and traces', () => {
    fc.assert(
      fc.property(scenarioArb(), fc.integer({ min: 0, max: 1000 }), (s, seed) => {
        const res = replay({ ...s, policy, params: policy.defaults, seed, checkInvariants: true }, () => {})
        if (E.isLeft(res)) throw new Error(formatViolation(res.left))
        return true
      }),
      { numRuns: 150, seed: 20261127 },
    )
  })

  it('is deterministic: same inputs, same account stream', () => {
    fc.assert(
      fc.property(scenarioArb(4, 12), (s) => {
        const collect = () => {
          const out: number[] = []
          replay({ ...s, policy, params: policy.defaults, seed: 7 }, (a) => {
            out.push(a.host.free, ...a.vm.resident, ...a.vm.slowdown)
          })
          return out
        }
        expect(collect()).toEqual(collect())
      }),
      { numRuns: 40, seed: 1 },
    )
  })
})

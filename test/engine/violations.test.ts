import { describe, expect, it } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import { replay, formatViolation } from '../../src/engine/replay.js'
import { definePolicy, type Decision } from '../../src/engine/policy.js'
import { staticPolicy } from '../../policies/static.js'
import { buildTrace, hostOf, settingsOf } from '../support/build.js'

/** Admits everything at its full configured size: breaks the host-memory rule when they do not fit. */
const greedy = definePolicy({
  ...staticPolicy,
  name: 'greedy',
  init: (ctx) => staticPolicy.init(ctx, staticPolicy.defaults),
  step: (state, obs) => {
    const [next, d] = staticPolicy.step(state, obs)
    const decision: Decision = { ...d, admit: new Uint8Array(obs.vmCount).fill(1) }
    return [next, decision] as const
  },
})

describe('a decision that breaks the rules stops the run', () => {
  it('names the policy, tick, rule', () => {
    // Host 3000 MiB; a (2048) runs from tick 0; b (2048) starts at tick 2: 4096 > 3000.
    const trace = buildTrace([
      { id: 'a', demand: [100, 100, 100], configured: 2048 },
      { id: 'b', demand: [NaN, NaN, 100], configured: 2048 },
    ])
    const seen: number[] = []
    const res = replay(
      { trace, host: hostOf(3000), vms: [settingsOf('a', 2048), settingsOf('b', 2048)], policy: greedy, params: {}, seed: 1 },
      (a) => seen.push(a.tick),
    )
    expect(E.isLeft(res)).toBe(true)
    if (E.isLeft(res)) {
      expect(res.left).toMatchObject({ policy: 'greedy', tick: 2, rule: 'host-memory' })
      expect(formatViolation(res.left)).toMatch(/policy "greedy" broke rule "host-memory" at tick 2/)
    }
    expect(seen).toEqual([0, 1])
  })

  it('names the VM when a per-VM value is wrong', () => {
    const bad = definePolicy({
      ...greedy,
      name: 'negative',
      step: (ctx, obs) => {
        const [s, d] = greedy.step(ctx, obs)
        const balloon = new Float64Array(obs.vmCount)
        balloon[1] = -5
        return [s, { ...d, balloon }] as const
      },
    })
    const trace = buildTrace([
      { id: 'a', demand: [100], configured: 512 },
      { id: 'b', demand: [100], configured: 512 },
    ])
    const res = replay({ trace, host: hostOf(4096), vms: [settingsOf('a', 512), settingsOf('b', 512)], policy: bad, params: {}, seed: 1 }, () => {})
    expect(E.isLeft(res) && res.left).toMatchObject({ vm: 'b', rule: 'non-negative', tick: 0 })
  })

  it('a policy that does not overcommit may not ask for page sharing', () => {
    const sharer = definePolicy({
      ...greedy,
      name: 'sharer',
      step: (state, obs) => {
        const [next, d] = greedy.step(state, obs)
        return [next, { ...d, sharing: { scope: 'intraVm', breakLargePages: true, scanMiBPerSecond: 10 } }] as const
      },
    })
    const trace = buildTrace([{ id: 'a', demand: [100, 100], configured: 512 }])
    const res = replay({ trace, host: hostOf(4096), vms: [settingsOf('a', 512)], policy: sharer, params: {}, seed: 1 }, () => {})
    expect(E.isLeft(res) && res.left).toMatchObject({ rule: 'no-page-sharing', tick: 0 })
  })
})

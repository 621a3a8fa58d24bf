/**
 * The bench's per-control-step figure rests on the control steps per tick a replay ran, counted
 * (countedReplay): ESX's 60 s loop at a 300 s trace step is 5 steps a tick, at 120 s 2, at 60 s 1;
 * the other built-in policies act once a tick.
 */
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { BUILT_IN_POLICIES } from '../../policies/index.js'
import { countedReplay } from '../../src/bench/replay.js'
import { policyParams } from '../../src/engine/validate-policy.js'
import { resolveFleet } from '../../src/spec/fleet.js'
import { generateFleet } from '../../src/trace/synthetic.js'

const stepsPerTick = (name: string, stepSeconds: number): { steps: number; ticks: number; stepsPerTick: number } => {
  const trace = generateFleet({ seed: 3, vms: 6, days: 1, stepSeconds })
  const vms = resolveFleet(trace, undefined)
  if (E.isLeft(vms)) throw new Error(vms.left.join('\n'))
  const policy = BUILT_IN_POLICIES.find((p) => p.name === name)!
  const params = policyParams(policy, undefined)
  if (E.isLeft(params)) throw new Error(params.left.join('\n'))
  // A host with room for all: no policy stops.
  return countedReplay({ trace, host: { physicalMiB: 1024 * 1024, reserveMiB: 2048, vmOverheadMiB: 64 }, vms: vms.right, policy, params: params.right, seed: 1 })
}

describe('countedReplay', () => {
  it('counts 5 control steps a tick for overcommit at a 300 s step (60 s loop), 2 at 120 s, 1 at 60 s', () => {
    const at300 = stepsPerTick('overcommit', 300)
    expect(at300.ticks).toBe(288) // a day of 5-minute ticks, every one accounted
    expect(at300.steps).toBe(5 * 288)
    expect(at300.stepsPerTick).toBe(5)
    expect(stepsPerTick('overcommit', 120).stepsPerTick).toBe(2)
    expect(stepsPerTick('overcommit', 60).stepsPerTick).toBe(1)
  })
  it('counts one step a tick for the policies that act once a tick', () => {
    for (const name of ['static', 'dynamic-memory', 'kvm-mom']) expect(stepsPerTick(name, 300).stepsPerTick, name).toBe(1)
  })
})

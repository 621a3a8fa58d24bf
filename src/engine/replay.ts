/**
 * The replay: folds a trace through a policy, tick by tick, and hands the world's account of each
 * tick to a sink. Pure at its interface: the same input gives the same stream (the world's own
 * randomness, its page sampling, is seeded from input.seed).
 */
import * as E from 'fp-ts/lib/Either.js'
import type { TickAccount, RunHeader } from './account.js'
import type { Observation, PolicyContext } from './policy.js'
import type { AccountSink, ReplayInput, RuleViolation } from './replay-api.js'
import { accountOf, applyTick, createWorld, observeTick, DEFAULT_WORLD, type WorldParams } from './world.js'
import { checkInvariants } from './invariants.js'
import { mutableRng, seedRng, deriveSeed } from './random.js'

export type { ReplayInput, RuleViolation, AccountSink }

export const headerOf = (input: ReplayInput): RunHeader => ({
  policy: input.policy.name,
  params: input.params,
  traceName: input.trace.name,
  host: { physical: input.host.physicalMiB, reserve: input.host.reserveMiB, vmOverhead: input.host.vmOverheadMiB },
  vmIds: input.trace.vms.map((v) => v.id),
  start: input.trace.start,
  step: input.trace.step,
  ticks: input.trace.ticks,
  hasStates: input.policy.traits.states,
})

/** Replay a trace through a policy; each tick's account goes to `sink` (copy what you keep). */
export const replay = (input: ReplayInput, sink: AccountSink, world: WorldParams = DEFAULT_WORLD): E.Either<RuleViolation, RunHeader> => {
  const { trace, host, vms, policy } = input
  if (vms.length !== trace.vms.length) throw new Error(`replay: ${vms.length} VM settings for ${trace.vms.length} VMs`)
  const header = headerOf(input)
  // The world and the policy draw from independent streams derived from the seed.
  const w = createWorld(host, vms, trace.vms, world, policy.traits, policy.name, mutableRng(seedRng(input.seed, 'world')).float)
  const context: PolicyContext = {
    host,
    vms,
    stepSeconds: trace.step,
    seed: deriveSeed(input.seed, 'policy'),
    rates: {
      hotAddMiBPerSecond: world.hotAddMiBPerSecond,
      balloonMiBPerSecond: world.balloonMiBPerSecond,
      swapOutMiBPerSecond: world.swapOutMiBPerSecond,
      compressMiBPerSecond: world.compressMiBPerSecond,
    },
  }
  let state: unknown = policy.init(context, input.params)
  const from = input.fromTick ?? 0
  const to = Math.min(input.toTick ?? trace.ticks, trace.ticks)
  const seconds = trace.step
  for (let tick = 0; tick < to; tick++) {
    const time = trace.start + tick * seconds
    observeTick(w, tick, seconds)
    const obs: Observation = {
      tick,
      time,
      stepSeconds: seconds,
      host: { physicalMiB: host.physicalMiB, reserveMiB: host.reserveMiB, freeMiB: w.free },
      vmCount: vms.length,
      poweredOn: w.poweredOn,
      status: w.status,
      configured: w.vm.configured,
      visible: w.vm.visible,
      assigned: w.vm.assigned,
      ballooned: w.vm.ballooned,
      touched: w.vm.touched,
      resident: w.vm.resident,
      shared: w.vm.shared,
      compressed: w.vm.compressed,
      swapped: w.vm.swapped,
      committed: w.committed,
      sampledPages: w.sampledPages,
      accessedPages: w.accessedPages,
      samplePeriods: seconds / world.samplePeriodSeconds,
    }
    let decided
    try {
      decided = policy.step(state, obs)
    } catch (err) {
      return E.left({ _tag: 'RuleViolation', policy: policy.name, tick, time, vm: undefined, rule: 'policy-threw', detail: err instanceof Error ? err.message : String(err) })
    }
    state = decided[0]
    const outcome = applyTick(w, tick, time, seconds, decided[1])
    if ('_tag' in outcome) return E.left(outcome)
    const acc: TickAccount = accountOf(w, tick, time, seconds, outcome)
    if (input.checkInvariants) {
      const breach = checkInvariants(acc, host, vms, policy.traits)
      if (breach)
        return E.left({ _tag: 'RuleViolation', policy: policy.name, tick, time, vm: breach.vm === undefined ? undefined : vms[breach.vm].id, rule: breach.rule, detail: breach.detail })
    }
    if (tick >= from) sink(acc)
  }
  return E.right(header)
}

/** A violation as a sentence: policy, tick (and time), VM, rule. */
export const formatViolation = (v: RuleViolation): string =>
  `policy "${v.policy}" broke rule "${v.rule}" at tick ${v.tick} (${new Date(v.time * 1000).toISOString()})` +
  (v.vm === undefined ? '' : `, VM "${v.vm}"`) +
  `: ${v.detail}`

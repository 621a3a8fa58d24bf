/**
 * The replay: folds a trace through a policy, tick by tick, and hands the world's account of each
 * tick to a sink. Pure at its interface: the same input gives the same stream (the world's own
 * randomness, its page sampling, is seeded from input.seed).
 */
import * as E from 'fp-ts/lib/Either.js'
import { HOST_STATES, VM_FIELDS, type TickAccount, type RunHeader, type VmField } from './account.js'
import { SCRATCH_COLUMNS, type Observation, type PolicyContext, type Scratch } from './policy.js'
import type { AccountSink, ReplayInput, RuleViolation, ScratchMode } from './replay-api.js'
import { accountOf, applyTick, createWorld, observeTick, DEFAULT_WORLD, type WorldParams } from './world.js'
import { checkInvariants } from './invariants.js'
import { mutableRng, seedRng, deriveSeed } from './random.js'

export type { ReplayInput, RuleViolation, AccountSink, ScratchMode }

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

/**
 * Control steps per trace tick. A policy that says how often its real system re-evaluates
 * (`controlSeconds`, e.g. ESX's 60 s sampling period) acts that often, with the trace's values held
 * over the tick (the trace cannot say more); otherwise it acts once per tick.
 */
export const controlStepsPerTick = (stepSeconds: number, controlSeconds: number | undefined): number =>
  controlSeconds === undefined || !(controlSeconds > 0) ? 1 : Math.max(1, Math.ceil(stepSeconds / controlSeconds - 1e-9))

/** Replay a trace through a policy; each tick's account goes to `sink` (copy what you keep). */
export const replay = (input: ReplayInput, sink: AccountSink, world: WorldParams = DEFAULT_WORLD): E.Either<RuleViolation, RunHeader> => {
  const { trace, host, vms, policy } = input
  if (vms.length !== trace.vms.length) throw new Error(`replay: ${vms.length} VM settings for ${trace.vms.length} VMs`)
  const header = headerOf(input)
  const k = controlStepsPerTick(trace.step, policy.controlSeconds)
  const seconds = trace.step / k
  // The world and the policy draw from independent streams derived from the seed.
  const w = createWorld(host, vms, trace.vms, world, policy.traits, policy.name, mutableRng(seedRng(input.seed, 'world')).float, policy.pageSamples !== false, trace.step)
  const context: PolicyContext = {
    host,
    vms,
    stepSeconds: seconds,
    seed: deriveSeed(input.seed, 'policy'),
    warmStart: world.start === 'warm',
    rates: {
      hotAddMiBPerSecond: world.hotAddMiBPerSecond,
      balloonMiBPerSecond: world.balloonMiBPerSecond,
      swapOutMiBPerSecond: world.swapOutMiBPerSecond,
      compressMiBPerSecond: world.compressMiBPerSecond,
    },
  }
  let state: unknown
  try {
    state = policy.init(context, input.params)
  } catch (err) {
    return E.left({ _tag: 'RuleViolation', policy: policy.name, tick: 0, time: trace.start, vm: undefined, rule: 'policy-threw', detail: `init: ${err instanceof Error ? err.message : String(err)}` })
  }
  // When checking, the policy sees copies: a policy that writes into what it observes must not
  // change the world (check-policy reports such writes; a normal run trusts the contract).
  const view = input.checkInvariants ? observationCopies(vms.length) : undefined
  const mean = k > 1 ? tickMean(vms.length) : undefined
  const scratch = scratchOffer(input.scratch ?? 'recycle', vms.length)
  const stop = (tick: number, time: number, rule: string, detail: string, vm?: number): E.Either<RuleViolation, RunHeader> =>
    E.left({ _tag: 'RuleViolation', policy: policy.name, tick, time, vm: vm === undefined ? undefined : vms[vm].id, rule, detail })
  for (let tick = 0; tick < trace.ticks; tick++) {
    const tickTime = trace.start + tick * trace.step
    mean?.reset()
    let acc: TickAccount | undefined
    for (let j = 0; j < k; j++) {
      const time = tickTime + j * seconds
      observeTick(w, tick, seconds)
      const obs: Observation = {
        tick,
        time,
        stepSeconds: seconds,
        host: { physicalMiB: host.physicalMiB, reserveMiB: host.reserveMiB, freeMiB: w.free },
        vmCount: vms.length,
        poweredOn: view ? view.copy('poweredOn', w.poweredOn) : w.poweredOn,
        status: view ? view.copy('status', w.status) : w.status,
        configured: view ? view.copy('configured', w.vm.configured) : w.vm.configured,
        visible: view ? view.copy('visible', w.vm.visible) : w.vm.visible,
        assigned: view ? view.copy('assigned', w.vm.assigned) : w.vm.assigned,
        ballooned: view ? view.copy('ballooned', w.vm.ballooned) : w.vm.ballooned,
        touched: view ? view.copy('touched', w.vm.touched) : w.vm.touched,
        resident: view ? view.copy('resident', w.vm.resident) : w.vm.resident,
        shared: view ? view.copy('shared', w.vm.shared) : w.vm.shared,
        compressed: view ? view.copy('compressed', w.vm.compressed) : w.vm.compressed,
        swapped: view ? view.copy('swapped', w.vm.swapped) : w.vm.swapped,
        committed: view ? view.copy('committed', w.committed) : w.committed,
        sampledPages: view ? view.copy('sampledPages', w.sampledPages) : w.sampledPages,
        accessedPages: view ? view.copy('accessedPages', w.accessedPages) : w.accessedPages,
        samplePeriods: seconds / world.samplePeriodSeconds,
      }
      let decided
      try {
        // The scratch columns are dead here: the world applied the last decision and nothing keeps them.
        decided = policy.step(state, obs, scratch.next())
      } catch (err) {
        return stop(tick, time, 'policy-threw', err instanceof Error ? err.message : String(err))
      }
      state = decided[0]
      const outcome = applyTick(w, tick, time, seconds, decided[1])
      if ('_tag' in outcome) return E.left(outcome)
      acc = accountOf(w, tick, time, seconds, outcome)
      if (input.checkInvariants) {
        const breach = checkInvariants(acc, host, vms, policy.traits)
        if (breach) return stop(tick, time, breach.rule, breach.detail, breach.vm)
      }
      mean?.add(acc)
    }
    sink(mean === undefined ? (acc as TickAccount) : mean.account(tick, tickTime, trace.step, w.status))
  }
  return E.right(header)
}

/**
 * The scratch a run offers its steps (policy.ts Scratch, replay-api.ts ScratchMode). 'recycle' lends
 * the same frozen offer every step at no cost per step; 'poison' fills the columns with NaN before
 * each step and rotates their order, so that a column kept past its step is seen to change.
 */
export const scratchOffer = (mode: ScratchMode, n: number): { readonly next: () => Scratch | undefined } => {
  if (mode === 'withhold') return { next: () => undefined }
  const columns = Array.from({ length: SCRATCH_COLUMNS }, () => new Float64Array(n))
  if (mode === 'recycle') {
    const offer: Scratch = Object.freeze({ columns: Object.freeze(columns) })
    return { next: () => offer }
  }
  const rotations: Scratch[] = columns.map((_, r) => Object.freeze({ columns: Object.freeze(columns.map((_, i) => columns[(i + r) % columns.length])) }))
  let steps = 0
  return {
    next: () => {
      for (const c of columns) c.fill(NaN)
      return rotations[steps++ % rotations.length]
    },
  }
}

/** Reusable copies of the world's columns, for a checking run's observations. */
const observationCopies = (n: number) => {
  const copies = new Map<string, Float64Array>()
  return {
    copy: (name: string, src: ArrayLike<number>): Float64Array => {
      let a = copies.get(name)
      if (a === undefined) copies.set(name, (a = new Float64Array(n)))
      for (let i = 0; i < n; i++) a[i] = src[i]
      return a
    },
  }
}

/**
 * The account of a tick made of several control steps: each VM column and the host's free memory
 * averaged over the steps (the identities of the account are linear, so averages keep them), swap-out
 * and admission events summed, the state the one held longest (the more severe on a tie).
 */
const tickMean = (n: number) => {
  const sums = Object.fromEntries(VM_FIELDS.map((f) => [f, new Float64Array(n)])) as Record<VmField, Float64Array>
  const stateSteps = new Float64Array(HOST_STATES.length)
  let steps = 0
  let free = 0
  let admitted = 0
  let refused = 0
  let physical = 0
  let reserve = 0
  return {
    reset: () => {
      for (const f of VM_FIELDS) sums[f].fill(0)
      stateSteps.fill(0)
      steps = free = admitted = refused = 0
    },
    add: (a: TickAccount) => {
      for (const f of VM_FIELDS) {
        const s = sums[f]
        const x = a.vm[f]
        for (let v = 0; v < n; v++) s[v] += x[v]
      }
      stateSteps[a.host.state]++
      free += a.host.free
      admitted += a.admittedNow
      refused += a.refusedNow
      physical = a.host.physical
      reserve = a.host.reserve
      steps++
    },
    account: (tick: number, time: number, seconds: number, status: Uint8Array): TickAccount => {
      for (const f of VM_FIELDS) {
        if (f === 'swapOut') continue
        const s = sums[f]
        for (let v = 0; v < n; v++) s[v] /= steps
      }
      let state = 0
      for (let i = 1; i < stateSteps.length; i++) if (stateSteps[i] >= stateSteps[state]) state = i
      return { tick, time, seconds, host: { physical, reserve, free: free / steps, state }, status, vm: sums, admittedNow: admitted, refusedNow: refused }
    },
  }
}

/** A violation as a sentence: policy, tick (and time), VM, rule. */
export const formatViolation = (v: RuleViolation): string =>
  `policy "${v.policy}" broke rule "${v.rule}" at tick ${v.tick} (${new Date(v.time * 1000).toISOString()})` +
  (v.vm === undefined ? '' : `, VM "${v.vm}"`) +
  `: ${v.detail}`

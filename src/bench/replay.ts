/**
 * Replay speed: VM-ticks per second of each built-in policy, with a sink that does nothing (the
 * replay itself) and with the metrics fold (what compare does), next to a baseline loop over the
 * same typed arrays doing the least arithmetic any replay must do: per tick, sum the running VMs'
 * demand and hold it against the host's capacity. Ratios are of rates measured in the same run.
 * Both are timed after an untimed first pass (JIT warm-up; for a replay, also the trace's frames).
 * static is measured twice: on the bench's host, where it refuses most VMs (and so runs few), and on
 * a host that admits every VM (the fair figure for its replay).
 *
 * A policy that acts k times a tick (its control interval shorter than the trace's step: overcommit,
 * ESX's 60 s at a 300 s step, k = 5) does k times the work, so each rate is also given per control
 * step: VM-control-steps per second (VM-ticks/s x k) against the baseline's VM-ticks per second (issue
 * 14). k is what the replay did: the warm-up replay counts the policy's steps over the ticks accounted.
 */
import * as E from 'fp-ts/lib/Either.js'
import { BUILT_IN_POLICIES } from '../../policies/index.js'
import { replay, type ReplayInput } from '../engine/replay.js'
import { policyParams } from '../engine/validate-policy.js'
import { runPolicy } from '../report/comparison.js'
import type { HostSettings, VmSettings } from '../spec/settings.js'
import { peakConfigured, type Trace } from '../trace/trace.js'
import { median, sig, timed } from './stats.js'

export interface PolicyReplay {
  readonly nullSinkVmTicksPerSec: number
  readonly metricsVmTicksPerSec: number
  /** nullSink rate / baseline rate. */
  readonly ratio: number
  /** metrics rate / baseline rate. */
  readonly metricsRatio: number
  /** Control steps the replay ran per trace tick (1 unless the policy acts more often than the trace's step). */
  readonly controlStepsPerTick: number
  /** nullSink VM-control-steps per second (VM-ticks/s x controlStepsPerTick), and over the baseline's VM-ticks/s. */
  readonly nullSinkVmStepsPerSec: number
  readonly stepRatio: number
  /** The same with the metrics fold. */
  readonly metricsStepRatio: number
  readonly stopped: string | null
}

export interface ReplayFigures {
  readonly vms: number
  readonly ticks: number
  readonly vmTicks: number
  readonly repeats: number
  readonly baselineVmTicksPerSec: number
  /** On the bench's host (40% of the fleet's configured memory: static refuses most VMs). */
  readonly policies: Readonly<Record<string, PolicyReplay>>
  /** VMs each policy admitted on the bench's host (of `vms`). */
  readonly admitted: Readonly<Record<string, number>>
  /**
   * static on a host that admits every VM (physical = reserve + every VM's peak configured memory and
   * overhead): the replay runs all of them, which the bench's host does not let it do.
   */
  readonly staticAdmitAll: PolicyReplay & { readonly hostGiB: number; readonly admitted: number }
}

/** A host with room for every VM of the trace at its peak configured size (whole GiB). */
export const admitAllHost = (trace: Trace, host: HostSettings): HostSettings => {
  const need = host.reserveMiB + trace.vms.reduce((s, v) => s + peakConfigured(v) + host.vmOverheadMiB, 0)
  return { ...host, physicalMiB: Math.ceil(need / 1024) * 1024 }
}

/** The baseline: per tick, the sum of running VMs' demand against capacity; returns ticks over capacity (so the loop is not dead code). */
export const baselineLoop = (trace: Trace, capacityMiB: number): number => {
  const vms = trace.vms
  const n = vms.length
  let over = 0
  for (let t = 0; t < trace.ticks; t++) {
    let sum = 0
    for (let v = 0; v < n; v++) {
      const vm = vms[v]
      if (vm.on[t] === 1) sum += vm.demand[t]
    }
    if (sum > capacityMiB) over++
  }
  return over
}

/**
 * Replay once, untimed (the JIT's warm-up), counting the policy's control steps and the ticks
 * accounted: their ratio is the control steps per tick the replay ran.
 */
export const countedReplay = (input: ReplayInput): { readonly steps: number; readonly ticks: number; readonly stepsPerTick: number } => {
  const { policy } = input
  let steps = 0
  let ticks = 0
  // (every argument passed on: the engine may hand a step more than the state and the observation)
  const counted: typeof policy = { ...policy, step: (...args: Parameters<typeof policy.step>) => (steps++, policy.step(...args)) }
  replay({ ...input, policy: counted }, () => void ticks++)
  return { steps, ticks, stepsPerTick: ticks > 0 ? steps / ticks : NaN }
}

export const measureReplay = async (
  trace: Trace,
  host: HostSettings,
  vms: ReadonlyArray<VmSettings>,
  repeats: number,
  log: (s: string) => void,
): Promise<ReplayFigures> => {
  const vmTicks = trace.vms.length * trace.ticks
  const capacity = host.physicalMiB - host.reserveMiB
  // The baseline is far faster than a replay: repeat it within one timing so that the clock can see it.
  const inner = 20
  const base: number[] = []
  let sink = 0
  for (let i = 0; i < repeats + 1; i++) {
    const r = await timed(() => {
      for (let k = 0; k < inner; k++) sink += baselineLoop(trace, capacity)
    })
    if (i > 0) base.push(r.seconds / inner) // the first pass warms the JIT
  }
  void sink
  const baseline = vmTicks / median(base)
  log(`  baseline loop: ${(baseline / 1e6).toFixed(1)} M VM-ticks/s`)
  const one = async (policy: (typeof BUILT_IN_POLICIES)[number], on: HostSettings, label: string): Promise<{ figures: PolicyReplay; admitted: number }> => {
    const params = policyParams(policy, undefined)
    if (E.isLeft(params)) throw new Error(params.left.join('\n'))
    const nul: number[] = []
    const met: number[] = []
    let stopped: string | null = null
    let admitted = 0
    // One replay untimed first, as the baseline's first pass: it warms the JIT and makes the trace's
    // tick-major frames, which later replays of the same trace reuse (engine/internal/frames.ts); it
    // counts the control steps per tick.
    const k = countedReplay({ trace, host: on, vms, policy, params: params.right, seed: 1 }).stepsPerTick
    for (let i = 0; i < repeats; i++) {
      const a = await timed(() => replay({ trace, host: on, vms, policy, params: params.right, seed: 1 }, () => {}))
      if (E.isLeft(a.value)) stopped = `${a.value.left.rule}: ${a.value.left.detail}`
      nul.push(a.seconds)
      const b = await timed(() => runPolicy(trace, on, vms, { policy, params: params.right }, 1))
      admitted = b.value.metrics.vmsAdmitted
      met.push(b.seconds)
      log(`  replay ${label} ${i + 1}/${repeats}: ${a.seconds.toFixed(2)} s (no sink), ${b.seconds.toFixed(2)} s (metrics), ${k} control step${k === 1 ? '' : 's'} a tick`)
    }
    const nr = vmTicks / median(nul)
    const mr = vmTicks / median(met)
    return {
      figures: {
        nullSinkVmTicksPerSec: sig(nr),
        metricsVmTicksPerSec: sig(mr),
        ratio: sig(nr / baseline),
        metricsRatio: sig(mr / baseline),
        controlStepsPerTick: sig(k),
        nullSinkVmStepsPerSec: sig(nr * k),
        stepRatio: sig((nr * k) / baseline),
        metricsStepRatio: sig((mr * k) / baseline),
        stopped,
      },
      admitted,
    }
  }
  const policies: Record<string, PolicyReplay> = {}
  const admitted: Record<string, number> = {}
  for (const policy of BUILT_IN_POLICIES) {
    const r = await one(policy, host, policy.name)
    policies[policy.name] = r.figures
    admitted[policy.name] = r.admitted
  }
  const staticPolicy = BUILT_IN_POLICIES.find((p) => p.name === 'static')
  if (staticPolicy === undefined) throw new Error('bench: no built-in policy named static')
  const wide = admitAllHost(trace, host)
  const all = await one(staticPolicy, wide, 'static (host admits every VM)')
  return {
    vms: trace.vms.length,
    ticks: trace.ticks,
    vmTicks,
    repeats,
    baselineVmTicksPerSec: sig(baseline),
    policies,
    admitted,
    staticAdmitAll: { ...all.figures, hostGiB: wide.physicalMiB / 1024, admitted: all.admitted },
  }
}

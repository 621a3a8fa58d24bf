/**
 * Replay speed: VM-ticks per second of each built-in policy, with a sink that does nothing (the
 * replay itself) and with the metrics fold (what compare does), next to a baseline loop over the
 * same typed arrays doing the least arithmetic any replay must do: per tick, sum the running VMs'
 * demand and hold it against the host's capacity. Ratios are of rates measured in the same run.
 * Both are timed after an untimed first pass (JIT warm-up; for a replay, also the trace's frames).
 */
import * as E from 'fp-ts/lib/Either.js'
import { BUILT_IN_POLICIES } from '../../policies/index.js'
import { replay } from '../engine/replay.js'
import { policyParams } from '../engine/validate-policy.js'
import { runPolicy } from '../report/comparison.js'
import type { HostSettings, VmSettings } from '../spec/settings.js'
import type { Trace } from '../trace/trace.js'
import { median, sig, timed } from './stats.js'

export interface PolicyReplay {
  readonly nullSinkVmTicksPerSec: number
  readonly metricsVmTicksPerSec: number
  /** nullSink rate / baseline rate. */
  readonly ratio: number
  /** metrics rate / baseline rate. */
  readonly metricsRatio: number
  readonly stopped: string | null
}

export interface ReplayFigures {
  readonly vms: number
  readonly ticks: number
  readonly vmTicks: number
  readonly repeats: number
  readonly baselineVmTicksPerSec: number
  readonly policies: Readonly<Record<string, PolicyReplay>>
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
  const policies: Record<string, PolicyReplay> = {}
  for (const policy of BUILT_IN_POLICIES) {
    const params = policyParams(policy, undefined)
    if (E.isLeft(params)) throw new Error(params.left.join('\n'))
    const nul: number[] = []
    const met: number[] = []
    let stopped: string | null = null
    // One replay untimed first, as the baseline's first pass: it warms the JIT and makes the trace's
    // tick-major frames, which later replays of the same trace reuse (engine/internal/frames.ts).
    replay({ trace, host, vms, policy, params: params.right, seed: 1 }, () => {})
    for (let i = 0; i < repeats; i++) {
      const a = await timed(() => replay({ trace, host, vms, policy, params: params.right, seed: 1 }, () => {}))
      if (E.isLeft(a.value)) stopped = `${a.value.left.rule}: ${a.value.left.detail}`
      nul.push(a.seconds)
      const b = await timed(() => runPolicy(trace, host, vms, { policy, params: params.right }, 1))
      met.push(b.seconds)
      log(`  replay ${policy.name} ${i + 1}/${repeats}: ${a.seconds.toFixed(2)} s (no sink), ${b.seconds.toFixed(2)} s (metrics)`)
    }
    const nr = vmTicks / median(nul)
    const mr = vmTicks / median(met)
    policies[policy.name] = {
      nullSinkVmTicksPerSec: sig(nr),
      metricsVmTicksPerSec: sig(mr),
      ratio: sig(nr / baseline),
      metricsRatio: sig(mr / baseline),
      stopped,
    }
  }
  return { vms: trace.vms.length, ticks: trace.ticks, vmTicks, repeats, baselineVmTicksPerSec: sig(baseline), policies }
}

/**
 * One built-in policy's replay for a comparison, folded into its part of the report (foldRun): what
 * a thread of the comparison's pool runs (pool.ts), and what a serial comparison runs in the main
 * thread, the same function either way, so the report is the same bytes whatever the number of
 * workers. The trace arrives shared (pool.ts shareTrace); everything else is this thread's copy,
 * frozen as the main thread's is. Only the fold crosses back, not the run's account.
 */
import { builtInPolicy } from '../../../policies/index.js'
import { foldRun, runPolicy, type RunFold } from '../../report/comparison.js'
import type { Trace } from '../../trace/trace.js'
import type { HostSettings, VmSettings } from '../../spec/settings.js'
import type { WorldParams } from '../../engine/world.js'
import { deepFreeze } from '../confine.js'

export interface CompareTask {
  readonly trace: Trace
  readonly host: HostSettings
  readonly vms: ReadonlyArray<VmSettings>
  /** A built-in policy's name (user modules replay confined: confine.ts). */
  readonly policy: string
  /** Decoded params (defaults filled). */
  readonly params: unknown
  readonly seed: number
  readonly world: WorldParams
  readonly label?: string
  /** On a worker: a shared counter of ticks replayed, for the main thread's progress bar. */
  readonly progress?: Int32Array
}

/** Replay and fold one policy; `onTick` after each tick. */
export const compareRun = (task: CompareTask, onTick?: () => void): RunFold => {
  const policy = builtInPolicy(task.policy)
  if (policy === undefined) throw new Error(`compare worker: "${task.policy}" is not a built-in policy`)
  const [host, vms, params, world] = [task.host, task.vms, task.params, task.world].map(deepFreeze) as [HostSettings, ReadonlyArray<VmSettings>, unknown, WorldParams]
  const run = { policy, params, ...(task.label === undefined ? {} : { label: task.label }) }
  return foldRun(runPolicy(task.trace, host, vms, run, task.seed, world, onTick))
}

/** The pool's task (piscina calls the default export). */
export default (task: CompareTask): RunFold => {
  const counter = task.progress
  return compareRun(task, counter === undefined ? undefined : () => void Atomics.add(counter, 0, 1))
}

/**
 * One built-in policy's plan search (plan.ts planPolicy) on a thread of the plan's pool (pool.ts):
 * the same function a serial plan runs in the main thread. The trace arrives shared; progress goes
 * back on a MessagePort; an interrupt (Ctrl-C in the main thread) is a shared flag read between
 * host replays, as the serial search reads its own.
 */
import type { MessagePort } from 'node:worker_threads'
import { builtInPolicy } from '../../../policies/index.js'
import { planPolicy, type PlanPolicyInput } from '../plan.js'
import type { PolicyPlan } from '../../plan/plan.js'
import { deepFreeze } from '../confine.js'

export interface PlanTask extends PlanPolicyInput {
  /** 1 once the run is interrupted. */
  readonly stop: Int32Array
  readonly port: MessagePort
}

export default async (task: PlanTask): Promise<PolicyPlan | null> => {
  const policy = builtInPolicy(task.policy)
  if (policy === undefined) throw new Error(`plan worker: "${task.policy}" is not a built-in policy`)
  const { stop, port, ...input } = task
  try {
    return await planPolicy({ ...input, params: deepFreeze(input.params) }, policy, () => Atomics.load(stop, 0) === 1, (e) => port.postMessage(e))
  } finally {
    port.close()
  }
}

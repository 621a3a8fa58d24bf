/**
 * A user's policy module, on its own worker thread (confine.ts runInWorker): `probe` loads and
 * checks it and decodes params for the main process; `replay` replays it on the inputs given. The
 * inputs are this thread's own copies (structured clone), deep-frozen, and the policy's contract is
 * checked at run time (guardedPolicy), so whatever it does stays here. One outcome is posted.
 */
import { parentPort, workerData } from 'node:worker_threads'
import * as E from 'fp-ts/lib/Either.js'
import { loadPolicy } from '../load-policy.js'
import { policyParams } from '../../engine/validate-policy.js'
import { runPolicy } from '../../report/comparison.js'
import type { Trace } from '../../trace/trace.js'
import type { HostSettings, VmSettings } from '../../spec/settings.js'
import type { WorldParams } from '../../engine/world.js'
import { deepFreeze, guardedPolicy, type PolicyMeta, type WorkerOutcome } from '../confine.js'
import { fleetOf, loadTraceCached, policyRef, resolveRef, type WorkerTask } from './scenario-worker.js'
import { runScenario, type ScenarioResult } from '../../plan/sweep.js'
import { parseSize } from '../../units.js'
import { planPolicy, type PlanPolicyInput } from '../plan.js'
import type { PolicyPlan } from '../../plan/plan.js'

export type PolicyTask =
  | {
      readonly kind: 'probe'
      readonly module: string
      /** Params to decode: each of `list`, or else the entry of `byName` under the policy's name. */
      readonly list?: ReadonlyArray<unknown>
      readonly byName?: Readonly<Record<string, unknown>>
    }
  | {
      readonly kind: 'replay'
      readonly module: string
      readonly trace: Trace
      readonly host: HostSettings
      readonly vms: ReadonlyArray<VmSettings>
      readonly params: unknown
      readonly seed: number
      readonly world: WorldParams
      readonly label?: string
    }

/** One policy's plan search (plan.ts planPolicy) whose policy is a user's module; events go back as `{ event }`. */
export interface PlanModuleTask {
  readonly kind: 'plan'
  readonly module: string
  readonly input: PlanPolicyInput
  /** 1 once the run is interrupted (Ctrl-C in the main thread), read between host replays. */
  readonly stop: Int32Array
}

/** One sweep scenario whose policy is a user's module (sweep.ts); the same steps as runTask. */
export interface ScenarioTask {
  readonly kind: 'scenario'
  readonly task: WorkerTask
}

export interface Probe {
  readonly meta: PolicyMeta
  readonly decoded: ReadonlyArray<{ readonly ok: true; readonly params: unknown } | { readonly ok: false; readonly errors: ReadonlyArray<string> }>
}

const scenario = async ({ task }: ScenarioTask): Promise<WorkerOutcome<ScenarioResult>> => {
  const { experiment: x, baseDir, scenario: sc } = task
  const trace = await loadTraceCached(resolveRef(baseDir, sc.trace))
  const loaded = await loadPolicy(policyRef(baseDir, sc.policy))
  if (E.isLeft(loaded)) return { ok: false, error: loaded.left.join('\n') }
  parentPort?.postMessage({ loaded: true }) // the time limit counts from here
  const policy = guardedPolicy(loaded.right)
  const params = policyParams(policy, sc.params)
  if (E.isLeft(params)) return { ok: false, error: params.left.join('\n') }
  const size = parseSize(sc.hostSize)
  if (E.isLeft(size)) return { ok: false, error: `host size ${sc.hostSize}: ${size.left}` }
  const host = deepFreeze({ physicalMiB: size.right, reserveMiB: x.hostReserveMiB, vmOverheadMiB: x.vmOverheadMiB })
  const vms = deepFreeze(fleetOf(x, baseDir, sc, trace))
  return { ok: true, value: runScenario(x, sc, { trace, vms, policy, params: deepFreeze(params.right), host }) }
}

const plan = async ({ module, input, stop }: PlanModuleTask): Promise<WorkerOutcome<PolicyPlan | null>> => {
  const loaded = await loadPolicy(module)
  if (E.isLeft(loaded)) return { ok: false, error: loaded.left.join('\n') }
  parentPort?.postMessage({ loaded: true }) // the time limit counts from here
  const policy = guardedPolicy(loaded.right)
  const value = await planPolicy({ ...input, params: deepFreeze(input.params) }, policy, () => Atomics.load(stop, 0) === 1, (event) => parentPort?.postMessage({ event }))
  return { ok: true, value }
}

const run = async (task: PolicyTask | ScenarioTask | PlanModuleTask): Promise<WorkerOutcome<unknown>> => {
  if (task.kind === 'scenario') return scenario(task)
  if (task.kind === 'plan') return plan(task)
  const loaded = await loadPolicy(task.module)
  if (E.isLeft(loaded)) return { ok: false, error: loaded.left.join('\n') }
  const policy = loaded.right
  parentPort?.postMessage({ loaded: true }) // the time limit counts from here
  if (task.kind === 'probe') {
    const { name, description, traits, defaults, controlSeconds, pageSamples, notes } = policy
    const meta: PolicyMeta = JSON.parse(JSON.stringify({ name, description, traits, defaults, controlSeconds, pageSamples, notes })) as PolicyMeta
    const decoded = (task.list ?? [task.byName?.[policy.name]]).map((p) => {
      const d = policyParams(policy, p)
      return E.isLeft(d) ? { ok: false as const, errors: d.left } : { ok: true as const, params: d.right }
    })
    return { ok: true, value: { meta, decoded } satisfies Probe }
  }
  const { trace, seed } = task
  const [host, vms, params, world] = [task.host, task.vms, task.params, task.world].map(deepFreeze) as [HostSettings, ReadonlyArray<VmSettings>, unknown, WorldParams]
  const result = runPolicy(trace, host, vms, { policy: guardedPolicy(policy), params, ...(task.label === undefined ? {} : { label: task.label }) }, seed, world)
  return { ok: true, value: result }
}

const port = parentPort
if (port !== null) {
  run(workerData as PolicyTask | ScenarioTask | PlanModuleTask).then(
    (o) => port.postMessage(o),
    (err: unknown) => port.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) }),
  )
}

/**
 * The policies a comparison runs, with user modules confined (confine.ts): built-in names load here;
 * a module path is loaded, checked and its params decoded on a worker thread, and the main process
 * keeps only a stand-in (name, description, traits, notes). Every error is collected before any
 * replay. compare, plan and sweep load their policies this way.
 */
import * as fs from 'node:fs'
import { BUILT_IN_POLICIES, builtInPolicy } from '../../policies/index.js'
import * as E from 'fp-ts/lib/Either.js'
import { policyParams } from '../engine/validate-policy.js'
import { finishRun, partialSink } from '../metrics/index.js'
import { headerOf } from '../engine/replay.js'
import type { RunResult } from '../report/comparison.js'
import type { Trace } from '../trace/trace.js'
import type { HostSettings, VmSettings } from '../spec/settings.js'
import type { WorldParams } from '../engine/world.js'
import type { AnyPolicy } from '../engine/policy.js'
import { InputError } from './inputs.js'
import { remotePolicy, runInWorker, type PolicyLimits } from './confine.js'
import { resolvePolicyRef } from './resolve-policy.js'
import type { PolicyTask, Probe } from './workers/policy-worker.js'

export interface ConfinedPolicy {
  readonly policy: AnyPolicy
  readonly params: unknown
  /** The module path of a user policy (replayed in a worker); undefined for a built-in one. */
  readonly module: string | undefined
}

/** Load, check and probe one user module on a worker; its errors as sentences. */
export const probeModule = async (module: string, task: Omit<Extract<PolicyTask, { kind: 'probe' }>, 'kind' | 'module'>, limits: PolicyLimits): Promise<E.Either<ReadonlyArray<string>, Probe>> => {
  if (!fs.existsSync(module)) return E.left([`policy module ${module}: no such file`])
  const o = await runInWorker<Probe>({ kind: 'probe', module, ...task }, `policy module ${module}`, limits)
  return o.ok ? E.right(o.value) : E.left(o.error.split('\n'))
}

export const readConfinedPolicies = async (
  names: ReadonlyArray<string>,
  params: Readonly<Record<string, unknown>>,
  limits: PolicyLimits,
): Promise<ReadonlyArray<ConfinedPolicy>> => {
  const errors: string[] = []
  const loaded: ConfinedPolicy[] = []
  for (const given of names) {
    const name = resolvePolicyRef(given, (n) => builtInPolicy(n) !== undefined) // a bare name may be policies/<name>.ts
    const builtIn = builtInPolicy(name)
    if (builtIn !== undefined) {
      const p = policyParams(builtIn, params[builtIn.name])
      if (E.isLeft(p)) errors.push(...p.left)
      else loaded.push({ policy: builtIn, params: p.right, module: undefined })
      continue
    }
    if (!/[./\\]/.test(name)) {
      errors.push(`unknown policy "${name}" (built in: ${BUILT_IN_POLICIES.map((p) => p.name).join(', ')}; or give a path to a policy module)`)
      continue
    }
    const probe = await probeModule(name, { byName: params }, limits)
    if (E.isLeft(probe)) {
      errors.push(...probe.left)
      continue
    }
    const d = probe.right.decoded[0]
    if (!d.ok) errors.push(...d.errors)
    else loaded.push({ policy: remotePolicy(probe.right.meta, name), params: d.params, module: name })
  }
  const known = new Set(loaded.map((p) => p.policy.name))
  const stray = Object.keys(params).filter((k) => !known.has(k))
  if (errors.length === 0 && stray.length > 0) errors.push(...stray.map((k) => `--params names policy "${k}", which is not in this run (${[...known].join(', ')})`))
  if (errors.length > 0) throw new InputError(errors)
  return loaded
}

const traceMiB = (trace: Trace): number =>
  trace.vms.reduce((s, v) => s + v.demand.byteLength + v.configured.byteLength + v.on.byteLength + (v.touched?.byteLength ?? 0), 0) / (1024 * 1024)

/**
 * Replay a user policy on its worker. If the worker fails (time, memory, exit, a crash), the run
 * stops at once: its result carries the sentence as its error, like a policy that broke a rule.
 */
export const replayConfined = async (
  module: string,
  policy: AnyPolicy,
  input: { readonly trace: Trace; readonly host: HostSettings; readonly vms: ReadonlyArray<VmSettings>; readonly params: unknown; readonly seed: number; readonly world: WorldParams },
  limits: PolicyLimits,
): Promise<RunResult> => {
  const o = await runInWorker<RunResult>({ kind: 'replay', module, ...input } satisfies PolicyTask, `policy "${policy.name}" (${module})`, limits, 2 * traceMiB(input.trace))
  if (o.ok) return o.value
  const header = headerOf({ trace: input.trace, host: input.host, vms: input.vms, policy, params: input.params, seed: input.seed })
  const partial = partialSink(header).result()
  return { label: policy.name, header, partial, metrics: finishRun(header, partial, o.error), error: o.error }
}

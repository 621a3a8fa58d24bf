/**
 * The scenario worker: loads what a scenario needs (trace, fleet, policy, params, host), with a
 * per-process cache, and runs it (plan/sweep.ts runScenario). Runs on a piscina worker thread
 * (compiled: dist/cli/workers/scenario-worker.js itself; as TypeScript: through entry.mjs, which registers
 * tsx in the thread first) or in-process for a
 * serial sweep: the same function either way, so the results are the same.
 *
 * Cache: each trace is imported once per process (per worker thread), keyed by its resolved path;
 * policies once per reference. A sweep over 16 scenarios of one trace parses it once per worker.
 */
import * as path from 'node:path'
import { readFileSync } from 'node:fs'
import * as E from 'fp-ts/lib/Either.js'
import type { Trace } from '../../trace/trace.js'
import type { AnyPolicy } from '../../engine/policy.js'
import type { VmSettings } from '../../spec/settings.js'
import { decodeFleetSpec, resolveFleet } from '../../spec/fleet.js'
import { policyParams } from '../../engine/validate-policy.js'
import { formatTraceErrors } from '../../trace/import.js'
import { importTraceCached } from '../../trace/cache.js'
import { loadPolicy } from '../load-policy.js'
import { parseSize } from '../../units.js'
import type { Experiment, Scenario } from '../../plan/experiment.js'
import { runScenario, type ScenarioResult } from '../../plan/sweep.js'

export interface WorkerTask {
  readonly experiment: Experiment
  /** Folder the experiment file is in: relative paths in it are resolved from here. */
  readonly baseDir: string
  readonly scenario: Scenario
}

const traces = new Map<string, Promise<Trace>>()
const policies = new Map<string, Promise<AnyPolicy>>()
let imports = 0

/** Traces imported by this process so far (for tests of the cache). */
export const traceImportCount = (): number => imports

const fail = (lines: ReadonlyArray<string>): never => {
  throw new Error(lines.join('\n'))
}

export const resolveRef = (baseDir: string, ref: string): string => (path.isAbsolute(ref) ? ref : path.resolve(baseDir, ref))

/** A policy reference: a built-in name, or a module path relative to the experiment file. */
export const policyRef = (baseDir: string, ref: string): string => (/[./\\]/.test(ref) ? resolveRef(baseDir, ref) : ref)

export const loadTraceCached = (file: string): Promise<Trace> => {
  let p = traces.get(file)
  if (p === undefined) {
    p = importTraceCached(file).then((r) => {
      imports++
      return E.isLeft(r) ? fail(formatTraceErrors(r.left).split('\n')) : r.right
    })
    traces.set(file, p)
  }
  return p
}

export const loadPolicyCached = (ref: string): Promise<AnyPolicy> => {
  let p = policies.get(ref)
  if (p === undefined) {
    p = loadPolicy(ref).then((r) => (E.isLeft(r) ? fail(r.left) : r.right))
    policies.set(ref, p)
  }
  return p
}

/**
 * The fleet spec JSON of a scenario: the experiment's fleet file (if any) with the scenario's VM
 * settings appended as a last rule matching every VM (so they override the file's rules).
 */
export const fleetJson = (x: Experiment, baseDir: string, vmSettings: Readonly<Record<string, unknown>>): { readonly json: unknown; readonly source: string } => {
  let base: Record<string, unknown> = {}
  let source = 'vmSettings'
  if (x.fleet !== null) {
    const file = resolveRef(baseDir, x.fleet)
    try {
      base = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
    } catch (err) {
      fail([`fleet spec ${x.fleet}: ${(err as Error).message}`])
    }
    source = x.fleet
  }
  if (Object.keys(vmSettings).length === 0) return { json: base, source }
  const vms = Array.isArray(base.vms) ? base.vms : []
  return { json: { ...base, vms: [...vms, { match: '*', ...vmSettings }] }, source: `${source} with vmSettings ${JSON.stringify(vmSettings)}` }
}

export const fleetOf = (x: Experiment, baseDir: string, sc: Scenario, trace: Trace): ReadonlyArray<VmSettings> => {
  const { json, source } = fleetJson(x, baseDir, sc.vmSettings)
  const spec = decodeFleetSpec(json, source)
  if (E.isLeft(spec)) return fail(spec.left)
  const vms = resolveFleet(trace, spec.right)
  return E.isLeft(vms) ? fail(vms.left) : vms.right
}

export const runTask = async (task: WorkerTask): Promise<ScenarioResult> => {
  const { experiment: x, baseDir, scenario: sc } = task
  const trace = await loadTraceCached(resolveRef(baseDir, sc.trace))
  const policy = await loadPolicyCached(policyRef(baseDir, sc.policy))
  const params = policyParams(policy, sc.params)
  if (E.isLeft(params)) fail(params.left)
  const size = parseSize(sc.hostSize)
  if (E.isLeft(size)) fail([`host size ${sc.hostSize}: ${size.left}`])
  const host = { physicalMiB: (size as E.Right<number>).right, reserveMiB: x.hostReserveMiB, vmOverheadMiB: x.vmOverheadMiB }
  return runScenario(x, sc, { trace, vms: fleetOf(x, baseDir, sc, trace), policy, params: (params as E.Right<unknown>).right, host })
}

export default runTask

/**
 * `memreplay plan`: for each policy, the fewest hosts of a size that meet a service level (or, with
 * --hosts N, the smallest host size), found by replays on a cluster; prints the recommendation and
 * writes the capacity report (plan.json, index.html, summary.md, charts).
 * Everything is read and checked before the first replay; failures are sentences.
 */
import { receiveMessageOnPort } from 'node:worker_threads'
import * as path from 'node:path'
import { readFileSync } from 'node:fs'
import * as E from 'fp-ts/lib/Either.js'
import type { Command } from 'commander'
import type { HostSettings, VmSettings } from '../spec/settings.js'
import type { Trace } from '../trace/trace.js'
import type { AnyPolicy } from '../engine/policy.js'
import { builtInPolicy } from '../../policies/index.js'
import { workerEntry } from '../runtime.js'
import { poolSize, runAll, shareTrace, stepsPerTick, taskRunner } from './pool.js'
import type { PlanTask } from './workers/plan-worker.js'
import { parseSize } from '../units.js'
import { InputError, policyNames, policyOptions, readFleet, readHost, readParamsArg, readTrace, readWorldArg } from './inputs.js'
import { readConfinedPolicies, type ConfinedPolicy } from './user-policies.js'
import { DEFAULT_LIMITS, readPolicyLimits, runInWorker } from './confine.js'
import { traceOptions } from './trace-options.js'
import { DEFAULT_PLAN_SPEC, DEFAULT_SLA, decodePlanSpec, describeConstraints, describeServiceLevel, parsePlanSpecText, parseServiceLevelText, type Constraints, type PlanSpec, type ServiceLevel } from '../plan/sla.js'
import { PLACEMENT_NAMES, type PlacementName } from '../plan/placement.js'
import { emptyPlan, fleetFigures, planHostSizeSteps, planHostsSteps, type PlanEvent, type PlanOptions, type PolicyPlan } from '../plan/plan.js'
import { grownTrace } from '../plan/constraints.js'
import { verdictLine, verdictLines, withPlanExtras, type PlanExtras } from '../plan/plan-report.js'
import { estimatedReplays, planProgress } from './plan-progress.js'
import { DEFAULT_RIGHTSIZE, rightsize, rightsizingCsv, rightsizingMarkdown, rightsizingSentence } from '../plan/rightsize.js'
import { escapeMarkdown } from '../report/escape.js'
import { choosePlan, costMarkdown, costOf, costRows, costText, parseCostSpecText, type CostSpec, type Objective } from '../plan/cost.js'
import { replayCache } from '../plan/cluster.js'
import { buildCapacityFiles, marginText, recommendationRows, type CapacityInput } from '../report/capacity.js'
import { writeFolderAtomically } from '../report/write-folder.js'
import { admissionModel } from '../plan/admission.js'
import { guardOut } from './out-guard.js'

export interface PlanFlags {
  readonly trace?: string
  readonly host?: string
  readonly fleet?: string
  readonly world?: string
  readonly sla?: string
  readonly maxVmsRefused?: string
  readonly maxPressureShare?: string
  readonly maxSlowdownP99?: string
  readonly maxHostSwapGib?: string
  readonly policies?: string
  readonly policy?: ReadonlyArray<string>
  readonly params?: string
  readonly placement?: string
  readonly maxOverAllocation?: string
  readonly hostReserve?: string
  readonly vmOverhead?: string
  readonly hosts?: string
  readonly granularity?: string
  readonly maxHostSize?: string
  readonly maxHosts?: string
  readonly seed?: string
  readonly out?: string
  readonly format?: string
  readonly map?: string
  readonly separator?: string
  readonly maxGap?: string
  readonly cache?: boolean
  readonly title?: string
  readonly spareHosts?: string
  readonly growth?: string
  readonly headroom?: string
  readonly rightsizePercentile?: string
  readonly cost?: string
  readonly minimise?: string
  readonly hostSizes?: string
  /** No progress on stderr. */
  readonly quiet?: boolean
  /** Threads searching for built-in policies side by side (default: one per core, at most one per policy; 1: one after the other, in this thread). */
  readonly workers?: string
  /** Limits of a --policy module's search, on its own worker thread (confine.ts). */
  readonly policyTimeout?: string
  readonly policyMemory?: string
}

const sizeArg = (flag: string, v: string): number => {
  const r = parseSize(v)
  if (E.isLeft(r)) throw new InputError([`${flag}: ${r.left}`])
  return r.right
}

const wholeArg = (flag: string, v: string, min: number): number => {
  const n = Number(v)
  if (!Number.isInteger(n) || n < min) throw new InputError([`${flag}: expected a whole number >= ${min}, found "${v}"`])
  return n
}

const numberArg = (flag: string, v: string): number => {
  const n = Number(v)
  if (v.trim() === '' || !Number.isFinite(n)) throw new InputError([`${flag}: expected a number, found "${v}"`])
  return n
}

/** `--sla` (inline JSON or a file: bounds and constraints) then the single-term options over it; all through the codec. */
export const readPlanSpec = (flags: PlanFlags): PlanSpec => {
  let spec = DEFAULT_PLAN_SPEC
  if (flags.sla !== undefined) {
    let text = flags.sla
    let source = '--sla'
    if (!flags.sla.trim().startsWith('{')) {
      try {
        text = readFileSync(flags.sla, 'utf8')
        source = flags.sla
      } catch (err) {
        throw new InputError([`--sla: cannot read "${flags.sla}": ${(err as Error).message}`])
      }
    }
    const r = parsePlanSpecText(text, source)
    if (E.isLeft(r)) throw new InputError(r.left)
    spec = r.right
  }
  const terms: Record<string, unknown> = {}
  const opt = (flag: string, key: string, v: string | undefined): void => {
    if (v === undefined) return
    terms[key] = v.trim() === 'none' ? null : numberArg(flag, v)
  }
  opt('--max-vms-refused', 'maxVmsRefused', flags.maxVmsRefused)
  opt('--max-pressure-share', 'maxPressureOver100Share', flags.maxPressureShare)
  opt('--max-slowdown-p99', 'maxSlowdownP99', flags.maxSlowdownP99)
  opt('--max-host-swap-gib', 'maxHostSwapOutGiB', flags.maxHostSwapGib)
  let sla = spec.sla
  if (Object.keys(terms).length > 0) {
    const r = parseServiceLevelText(JSON.stringify(terms), 'service-level options', sla)
    if (E.isLeft(r)) throw new InputError(r.left)
    sla = r.right
  }
  return { sla, constraints: readConstraints(flags, spec.constraints) }
}

/** Host template: --host (size or spec), with --host-reserve / --vm-overhead over it. */
export const readHostTemplate = (flags: { host?: string; hostReserve?: string; vmOverhead?: string }, required: boolean): HostSettings => {
  if (flags.host === undefined && required) throw new InputError(['--host <size or host spec> is required, e.g. --host 256GiB'])
  const base: HostSettings = flags.host === undefined ? { physicalMiB: 0, reserveMiB: 0, vmOverheadMiB: 0 } : readHost(flags.host)
  const host = {
    ...base,
    ...(flags.hostReserve === undefined ? {} : { reserveMiB: sizeArg('--host-reserve', flags.hostReserve) }),
    ...(flags.vmOverhead === undefined ? {} : { vmOverheadMiB: sizeArg('--vm-overhead', flags.vmOverhead) }),
  }
  if (base.physicalMiB > 0 && host.reserveMiB >= host.physicalMiB)
    throw new InputError([`--host-reserve (${host.reserveMiB} MiB) must be below the host's memory (${host.physicalMiB} MiB)`])
  return host
}

export const readPlacement = (v: string | undefined): PlacementName | undefined => {
  if (v === undefined) return undefined
  if (!(PLACEMENT_NAMES as ReadonlyArray<string>).includes(v)) throw new InputError([`--placement: expected one of ${PLACEMENT_NAMES.join(', ')}, found "${v}"`])
  return v as PlacementName
}

/** Rows as fixed-width text: first row the header, first column left-aligned, the rest right. */
export const textTable = (rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((c, j) => (j === 0 || j === cells.length - 1 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join('  ').trimEnd()
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n')
}

const pct = (x: number | null): string => (x === null ? '-' : `${Math.round(x * 100) / 100}`)

/** Spares, growth and headroom: the --sla spec's, with the single options over them. */
export const readConstraints = (flags: PlanFlags, base: Constraints): Constraints => {
  const terms: Record<string, unknown> = {}
  if (flags.spareHosts !== undefined) terms.spareHosts = numberArg('--spare-hosts', flags.spareHosts)
  if (flags.growth !== undefined) terms.growth = numberArg('--growth', flags.growth)
  if (flags.headroom !== undefined) terms.headroom = numberArg('--headroom', flags.headroom)
  if (Object.keys(terms).length === 0) return base
  const r = decodePlanSpec(terms, 'constraint options', { sla: DEFAULT_SLA, constraints: base })
  if (E.isLeft(r)) throw new InputError(r.left)
  return r.right.constraints
}

/** `--cost` (inline JSON or a file), through the codec. */
export const readCost = (arg: string | undefined): CostSpec | undefined => {
  if (arg === undefined) return undefined
  let text = arg
  let source = '--cost'
  if (!arg.trim().startsWith('{')) {
    try {
      text = readFileSync(arg, 'utf8')
      source = arg
    } catch (err) {
      throw new InputError([`--cost: cannot read "${arg}": ${(err as Error).message}`])
    }
  }
  const r = parseCostSpecText(text, source)
  if (E.isLeft(r)) throw new InputError(r.left)
  return r.right
}

export const readObjective = (v: string | undefined, cost: CostSpec | undefined): Objective => {
  if (v === undefined || v === 'hosts') return 'hosts'
  if (v !== 'cost') throw new InputError([`--minimise: expected hosts or cost, found "${v}"`])
  if (cost === undefined) throw new InputError(['--minimise cost needs prices: give --cost, e.g. --cost \'{"perHost":9000,"perGiB":4,"licence":7000}\''])
  return 'cost'
}

/** Rows of a scan as lines, consecutive points with the same verdict on one line. */
const scanLines = (p: PolicyPlan, sizeMode: boolean): ReadonlyArray<string> => {
  const groups: Array<{ at: string[]; text: string }> = []
  for (const r of p.scan) {
    const text = r.meets ? 'meets' : r.violations.map((v) => v.text).join('; ')
    const at = sizeMode ? `${r.hostGiB} GiB` : String(r.hosts)
    const g = groups[groups.length - 1]
    if (g !== undefined && g.text === text) g.at.push(at)
    else groups.push({ at: [at], text })
  }
  return groups.map((g) => `  ${g.at.join(', ')}${sizeMode ? '' : ` host${g.at.length === 1 && g.at[0] === '1' ? '' : 's'}`}: ${g.text}`)
}

export interface PlanRun {
  readonly out: string
  readonly dir: string
  readonly plans: ReadonlyArray<PolicyPlan>
  /** The run was interrupted (SIGINT): what was done is written, marked partial. */
  readonly interrupted: boolean
  /** Some policy's plan failed (an exception): the others are written. */
  readonly failed: boolean
}

const pause = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

export interface DriveHooks {
  readonly onHost: (e: Extract<PlanEvent, { kind: 'host' }>) => void
  readonly onPoint: (e: Extract<PlanEvent, { kind: 'point' }>) => void
  /** Asked before each host replay, after a turn of the event loop (where Ctrl-C is heard). */
  readonly stopped: () => boolean
}

/**
 * Run one plan's search to its end, pausing before each host replay so an interrupt is heard. A plan
 * stopped part-way is what it had found (its last point's plan so far, marked partial); a plan that
 * throws becomes a failed plan, so the other policies' results are still written. `empty` builds a
 * plan with nothing tried (failed, or stopped before its first point).
 */
export const drivePlan = async (steps: Generator<PlanEvent, PolicyPlan, void>, hooks: DriveHooks, empty: (extra: { partial?: string; failed?: string }) => PolicyPlan): Promise<PolicyPlan> => {
  let sofar: PolicyPlan | undefined
  try {
    for (let step = steps.next(); ; step = steps.next()) {
      if (step.done) return step.value
      const e = step.value
      if (e.kind === 'host') {
        hooks.onHost(e)
        await pause()
        if (hooks.stopped()) {
          steps.return(undefined as never)
          return sofar ?? empty({ partial: 'stopped before its first replay finished' })
        }
      } else {
        sofar = e.sofar
        hooks.onPoint(e)
      }
    }
  } catch (err) {
    return empty({ failed: err instanceof Error ? err.message : String(err) })
  }
}

/** What a policy's search tells the progress display (a thread's events cross on a MessagePort). */
export type PlanPolicyEvent =
  | { readonly kind: 'start'; readonly policy: string; readonly label: string }
  | { readonly kind: 'done'; readonly policy: string; readonly label: string; readonly text: string; readonly seconds: number }
  | { readonly kind: 'settled'; readonly policy: string; readonly line: string; readonly replays: number }

/** Everything one policy's search needs but the policy itself (structured-cloneable: a thread gets a copy, the trace shared). */
export interface PlanPolicyInput {
  readonly trace: Trace
  readonly host: HostSettings
  readonly vms: ReadonlyArray<VmSettings>
  /** The policy's name (a built-in one on a thread). */
  readonly policy: string
  readonly params: unknown
  readonly seed: number
  readonly sla: ServiceLevel
  readonly sizeMode: boolean
  readonly fixedHosts: number | undefined
  readonly hostSizes: ReadonlyArray<number>
  readonly granularity: number
  readonly maxSize: number
  readonly options: Omit<PlanOptions, 'cache'>
  readonly objective: Objective
  readonly cost: CostSpec | undefined
}

/**
 * One policy's search to its end (every host size compared, the chosen plan), or null when the run
 * was interrupted before it began (not planned). Runs on a thread of the pool (plan-worker.ts) or
 * in the main thread: the same function, the same plan.
 */
export const planPolicy = async (
  input: PlanPolicyInput,
  policy: AnyPolicy,
  stopped: () => boolean,
  emit: (e: PlanPolicyEvent) => void,
): Promise<PolicyPlan | null> => {
  if (stopped()) return null
  const { trace, host, vms, params, seed, sla, sizeMode, fixedHosts, hostSizes, granularity, maxSize, options, objective, cost } = input
  const constraints = options.constraints ?? DEFAULT_PLAN_SPEC.constraints
  const run = { policy, params }
  // One cache per policy, shared by the host sizes compared (its keys hold the host's size).
  const cache = replayCache()
  const what = (at: number): string => (sizeMode ? `${(fixedHosts as number) - constraints.spareHosts} hosts of ${at / 1024} GiB` : `${at} host${at === 1 ? '' : 's'}`)
  const candidates: PolicyPlan[] = []
  for (const size of sizeMode ? [host.physicalMiB] : hostSizes) {
    if (stopped()) break
    const sized = { ...host, physicalMiB: size }
    const steps = sizeMode
      ? planHostSizeSteps(trace, host, fixedHosts as number, vms, run, seed, sla, granularity, maxSize, { ...options, cache })
      : planHostsSteps(trace, sized, vms, run, seed, sla, { ...options, cache })
    const label = (at: number): string => `${what(at)}${!sizeMode && hostSizes.length > 1 ? ` of ${size / 1024} GiB` : ''}`
    let began = Date.now()
    const done = await drivePlan(
      steps,
      {
        onHost: (e) => {
          if (e.host === 0) {
            began = Date.now()
            emit({ kind: 'start', policy: policy.name, label: label(e.at) })
          }
        },
        onPoint: (e) => {
          if (e.row.replayed)
            emit({ kind: 'done', policy: policy.name, label: label(sizeMode ? e.row.hostGiB * 1024 : e.row.hosts), text: e.row.meets ? 'meets' : e.row.violations.map((v) => v.text).join('; '), seconds: (Date.now() - began) / 1000 })
        },
        stopped,
      },
      (extra) => emptyPlan(run, sizeMode ? 'size' : 'hosts', sizeMode ? null : size / 1024, options, extra),
    )
    candidates.push(done)
  }
  const finished = candidates.filter((p) => p.partial === undefined)
  const chosen = choosePlan(finished.length > 0 ? finished : candidates, objective, cost)
  const compared =
    candidates.length < 2
      ? chosen
      : {
          ...chosen,
          notes: [
            ...chosen.notes,
            `host sizes compared (${objective === 'cost' ? 'cheapest' : 'fewest hosts'} chosen): ${candidates
              .map((p) => `${p.hostGiB} GiB: ${p.met ? `${p.hostsTotal} host${p.hostsTotal === 1 ? '' : 's'}${cost === undefined ? '' : `, ${costText(cost)(p)}`}` : p.partial !== undefined ? 'not settled' : 'not met'}${p === chosen ? ' (chosen)' : ''}`)
              .join('; ')}`,
          ],
        }
  const replays = candidates.reduce((n, p) => n + p.work.replays, 0)
  emit({ kind: 'settled', policy: policy.name, line: verdictLine(compared, cost === undefined ? undefined : costText(cost), hostSizes.length > 1), replays })
  return compared
}

export const runPlan = async (flags: PlanFlags): Promise<PlanRun> => {
  if (flags.trace === undefined) throw new InputError(['--trace <path> is required'])
  const sizeMode = flags.hosts !== undefined
  const fixedHosts = sizeMode ? wholeArg('--hosts', flags.hosts as string, 1) : undefined
  const host = readHostTemplate(flags, !sizeMode)
  const spec = readPlanSpec(flags)
  const sla = spec.sla
  const constraints = spec.constraints
  const cost = readCost(flags.cost)
  const objective = readObjective(flags.minimise, cost)
  const placement = readPlacement(flags.placement)
  const cap = flags.maxOverAllocation === undefined ? undefined : numberArg('--max-over-allocation', flags.maxOverAllocation)
  if (cap !== undefined && !(cap > 0)) throw new InputError([`--max-over-allocation: expected a multiple of host memory above 0, found ${cap}`])
  const granularity = flags.granularity === undefined ? 1024 : sizeArg('--granularity', flags.granularity)
  if (!(granularity > 0)) throw new InputError(['--granularity must be above 0'])
  const maxHosts = flags.maxHosts === undefined ? undefined : wholeArg('--max-hosts', flags.maxHosts, 1)
  if (sizeMode && flags.hostSizes !== undefined) throw new InputError(['--host-sizes compares host sizes for the fewest hosts; with --hosts N the plan already searches the size: give one or the other'])
  const hostSizes: ReadonlyArray<number> =
    flags.hostSizes === undefined ? [host.physicalMiB] : [...new Set(flags.hostSizes.split(',').map((x) => sizeArg('--host-sizes', x.trim())))].sort((a, b) => a - b)
  if (!sizeMode) for (const size of hostSizes) if (host.reserveMiB >= size) throw new InputError([`--host-sizes: ${size / 1024} GiB is not above the host's reserve (${host.reserveMiB / 1024} GiB)`])
  const seed = flags.seed === undefined ? 1 : Number(flags.seed)
  if (!Number.isInteger(seed)) throw new InputError([`--seed: expected a whole number, found "${flags.seed}"`])
  const percentile = flags.rightsizePercentile === undefined ? DEFAULT_RIGHTSIZE.percentile : numberArg('--rightsize-percentile', flags.rightsizePercentile)
  if (!(percentile > 0 && percentile <= 100)) throw new InputError([`--rightsize-percentile: expected a percentile above 0 and at most 100, found ${percentile}`])
  const rightsizeOptions = { ...DEFAULT_RIGHTSIZE, percentile }
  if (sizeMode && (fixedHosts as number) <= constraints.spareHosts)
    throw new InputError([`--hosts ${fixedHosts} with ${constraints.spareHosts} spare host${constraints.spareHosts === 1 ? '' : 's'} for HA leaves no host to serve the fleet: give more hosts or fewer spares`])
  const traceBase = path.basename(path.resolve(flags.trace)).replace(/\.(csv(\.gz)?)$/i, '')
  const outDir = flags.out ?? path.join('reports', `plan-${traceBase}`)
  guardOut(outDir, [
    { what: 'trace', path: flags.trace },
    { what: 'host spec', path: flags.host },
    { what: 'fleet spec', path: flags.fleet },
    { what: '--sla file', path: flags.sla },
    { what: '--params file', path: flags.params },
    { what: '--world file', path: flags.world },
    ...(flags.policy ?? []).map((p) => ({ what: 'policy module', path: p })),
  ])
  // A user's module is loaded, checked and its params decoded on a worker thread, under the limits,
  // and its whole search runs on one (below): as compare and sweep confine it.
  const limits = readPolicyLimits(flags)
  const policies: ReadonlyArray<ConfinedPolicy> = await readConfinedPolicies(policyNames(flags), readParamsArg(flags.params), limits)
  const workers = poolSize(flags.workers, policies.filter(({ policy }) => builtInPolicy(policy.name) === policy).length)
  const recorded = await readTrace(flags.trace, flags)
  // Growth scales the trace; the fleet is resolved over the grown trace (constraints.ts).
  const trace = grownTrace(recorded, constraints.growth)
  const vms = readFleet(trace, flags.fleet)
  const fleet = fleetFigures(trace)
  // Size mode: the largest size tried holds the whole fleet at configured size plus overheads.
  const maxSize =
    flags.maxHostSize !== undefined
      ? sizeArg('--max-host-size', flags.maxHostSize)
      : Math.ceil((host.reserveMiB + vms.reduce((s, v) => s + Math.max(v.staticMiB, v.maximumMiB) + host.vmOverheadMiB, 0)) / granularity) * granularity
  const options = {
    world: readWorldArg(flags.world),
    constraints,
    ...(placement === undefined ? {} : { placement }),
    ...(cap === undefined ? {} : { overAllocationCap: cap }),
    ...(maxHosts === undefined ? {} : { maxHosts }),
  }
  const points = sizeMode ? Math.floor(maxSize / granularity) : (maxHosts ?? Math.max(1, fleet.vms))
  const perPolicy = estimatedReplays(points) * (sizeMode ? 1 : hostSizes.length)
  const progress = planProgress(perPolicy * policies.length, flags.quiet ? 'quiet' : undefined)
  // Ctrl-C: finish the host replay under way, write what is done (marked partial); a second one
  // quits. The flag is shared memory: the pool's threads read it between host replays.
  const stopFlag = new Int32Array(new SharedArrayBuffer(4))
  let stopped = false
  const onSigint = (): void => {
    if (stopped) process.exit(130)
    stopped = true
    Atomics.store(stopFlag, 0, 1)
    progress.note('interrupted: writing what is done (Ctrl-C again to quit without writing)')
  }
  process.on('SIGINT', onSigint)
  const plans: PolicyPlan[] = []
  const notPlanned: string[] = []
  // Built-in policies' searches run side by side on the pool (pool.ts), one policy per thread, or
  // here with --workers 1; a user's module here (as before). The same function (planPolicy) either way.
  const runner = taskRunner<PlanTask, PolicyPlan | null>(workerEntry('plan-worker'), workers, () => {
    throw new Error('plan: a serial search runs planPolicy directly')
  })
  const shared = runner.workers > 1 ? shareTrace(trace) : trace
  const common = { host, vms, seed, sla, sizeMode, fixedHosts, hostSizes, granularity, maxSize, options, objective, cost }
  const costs = policies.map(({ policy }) => stepsPerTick(policy, trace.step))
  const onEvent = (e: PlanPolicyEvent): void => {
    if (e.kind === 'start') progress.start(e.policy, e.label)
    else if (e.kind === 'done') progress.done(e.policy, e.label, e.text, e.seconds)
    else progress.settled(e.policy, e.line, e.replays, perPolicy)
  }
  try {
    const outcomes = await runAll(
      {
        workers: runner.workers,
        close: runner.close,
        run: async (i: number) => {
          const { policy, params, module } = policies[i]
          if (module !== undefined) {
            // The search on its own thread, under --policy-timeout (for the whole search) and
            // --policy-memory; a failure is this policy's, and the others are written.
            const o = await runInWorker<PolicyPlan | null>(
              { kind: 'plan', module, input: { ...common, trace, policy: policy.name, params }, stop: stopFlag },
              `policy module ${module}`,
              limits,
              0,
              (e) => onEvent(e as PlanPolicyEvent),
            )
            // A worker that failed (time, memory, a crash, an exit) fails this policy's plan alone.
            return o.ok ? o.value : emptyPlan({ policy, params }, sizeMode ? 'size' : 'hosts', sizeMode ? null : hostSizes[0] / 1024, options, { failed: o.error })
          }
          if (builtInPolicy(policy.name) === policy && runner.workers > 1) {
            const { port1, port2 } = new MessageChannel()
            port1.on('message', onEvent)
            try {
              return await runner.run({ ...common, trace: shared, policy: policy.name, params, stop: stopFlag, port: port2 }, [port2])
            } finally {
              // The thread's last events may still wait in the port's queue when its result has
              // arrived on the pool's own channel: take them before closing, or progress loses them.
              for (let m = receiveMessageOnPort(port1); m !== undefined; m = receiveMessageOnPort(port1)) onEvent(m.message as PlanPolicyEvent)
              port1.close()
            }
          }
          return planPolicy({ ...common, trace, policy: policy.name, params }, policy, () => Atomics.load(stopFlag, 0) === 1, onEvent)
        },
      },
      policies.map((_, i) => i),
      costs,
    )
    outcomes.forEach((o, i) => (o === null ? notPlanned.push(policies[i].policy.name) : plans.push(o)))
  } finally {
    process.off('SIGINT', onSigint)
    progress.stop()
    await runner.close()
  }
  const partial = stopped ? `interrupted: ${plans.filter((p) => p.partial === undefined).length} of ${policies.length} policies planned to the end` : undefined
  const notes = [
    ...(partial === undefined ? [] : [`PARTIAL: ${partial}; the rest is marked partial or not planned.`]),
    'Placement is done once, when each VM starts (no live migration); a VM keeps its host slot from its first tick to its last.',
    ...policies.map(({ policy, params }) => admissionModel(policy.name, params).description).map((d) => `Placement: ${d}.`),
    'Cluster metrics merge the hosts: VM figures as they are, host memory summed, state shares as shares of host-time. VMs placement refused count as refused.',
    'The slowdown figures are an estimate from the unavailable part of each working set (see the comparison report for the model).',
    ...describeConstraints(constraints).map((c) => `Constraint: ${c}.`),
  ]
  const input: CapacityInput = {
    title: flags.title ?? `memreplay capacity plan: ${path.basename(trace.name)}`,
    traceName: trace.name,
    mode: sizeMode ? 'size' : 'hosts',
    host: { physicalGiB: host.physicalMiB / 1024, reserveGiB: host.reserveMiB / 1024, vmOverheadGiB: host.vmOverheadMiB / 1024 },
    ...(sizeMode ? { hosts: fixedHosts, granularityGiB: granularity / 1024 } : {}),
    fleet: { vms: fleet.vms, configuredGiB: fleet.configuredMiB / 1024 },
    sla,
    seed,
    plans,
    notes,
  }
  // Right-sizing describes the VMs as recorded (before growth), over the fleet resolved on that trace.
  const sizing = rightsize(recorded, constraints.growth === 1 ? vms : readFleet(recorded, flags.fleet), rightsizeOptions)
  const extras: PlanExtras = {
    ...(partial === undefined ? {} : { partial }),
    notPlanned,
    json: { constraints, objective, ...(cost === undefined ? {} : { costSpec: cost }), ...(hostSizes.length > 1 ? { hostSizesGiB: hostSizes.map((x) => x / 1024) } : {}), rightsizing: { ...sizing.options, totals: sizing.totals, file: 'rightsizing.csv' } },
    markdownSections: [...(cost === undefined ? [] : [costMarkdown(cost, plans, escapeMarkdown)]), rightsizingMarkdown(sizing, escapeMarkdown)],
    ...(cost === undefined ? {} : { cost: costText(cost), planJson: (p: PolicyPlan) => ({ cost: costOf(cost, p) }) }),
    hostSizes: hostSizes.length > 1,
    files: new Map([['rightsizing.csv', rightsizingCsv(sizing)]]),
  }
  const files = withPlanExtras(await buildCapacityFiles(input), plans, extras)
  const dir = await writeFolderAtomically(outDir, files, `--out ${outDir}`)
  const lines: string[] = []
  lines.push(
    sizeMode
      ? `Smallest host size for ${fixedHosts} hosts (steps of ${granularity / 1024} GiB), per policy:`
      : `Fewest hosts of ${hostSizes.map((x) => x / 1024).join(', ').replace(/, ([^,]*)$/, ' or $1')} GiB (reserve ${host.reserveMiB / 1024} GiB, overhead ${host.vmOverheadMiB} MiB per VM), per policy:`,
  )
  lines.push('', ...verdictLines(plans, extras))
  lines.push('', 'Service level:', ...describeServiceLevel(sla).map((l) => `  ${l}`), ...describeConstraints(constraints).map((l) => `  ${l}`), '')
  lines.push(textTable(recommendationRows(input)))
  lines.push('')
  for (const p of plans) {
    lines.push(`${p.policy}: ${p.placementNote}.`)
    lines.push(...scanLines(p, sizeMode))
    if (p.met) lines.push(`  -> ${sizeMode ? `${p.hostGiB} GiB` : `${p.hostsNeeded} host${p.hostsNeeded === 1 ? "" : "s"}`}, ${pct(p.vmsPerHost)} VMs per host, ${pct(p.configuredPerPhysical)} configured GiB per physical GiB; margin ${marginText(p)}`)
    for (const n of p.notes) lines.push(`  (${n})`)
  }
  if (cost !== undefined) lines.push('', 'Cost:', textTable(costRows(cost, plans)))
  lines.push('', rightsizingSentence(sizing), `Per VM: ${path.join(outDir, 'rightsizing.csv')}`)
  lines.push('', `Report: ${path.join(outDir, 'index.html')}${partial === undefined ? '' : ' (PARTIAL)'}`)
  return { out: lines.join('\n'), dir, plans, interrupted: stopped, failed: plans.some((p) => p.failed !== undefined) }
}

export const registerPlan = (program: Command): void => {
  const cmd = program
    .command('plan')
    .description('how many hosts (or what host size) each policy needs to meet a service level, found by replays on a cluster')
    .option('--trace <path>', 'trace: a Bitbrains folder or file, a canonical CSV, or any CSV with --map')
    .option('--host <size|spec.json>', 'host size such as 256GiB, or a JSON host spec {"physical","reserve","vmOverhead"}')
    .option('--fleet <spec.json>', 'fleet spec (default: derived from the trace)')
  traceOptions(policyOptions(cmd))
    .option('--sla <json|file>', `service level and constraints, e.g. '{"maxPressureOver100Share":0.01,"spareHosts":1}' (default ${JSON.stringify({ ...DEFAULT_SLA, ...DEFAULT_PLAN_SPEC.constraints })}; null drops a bound)`)
    .option('--max-vms-refused <n>', 'service level: VMs refused at most ("none": no bound)')
    .option('--max-pressure-share <share>', 'service level: share of VM-time with pressure > 100 at most (0.001 = 0.1%)')
    .option('--max-slowdown-p99 <x>', 'service level: slowdown P99 at most')
    .option('--max-host-swap-gib <GiB>', 'service level: GiB written to host swap at most')
    .option('--spare-hosts <k>', 'constraint: k spare hosts for HA added to the count found (N+k; default 0)')
    .option('--growth <x>', "constraint: factor over the trace's memory, e.g. 1.2 for 20% growth (default 1)")
    .option('--headroom <share>', "constraint: share of each host's memory for VMs kept free, e.g. 0.1 to plan to 90% (default 0)")
    .option('--placement <rule>', `placement rule: ${PLACEMENT_NAMES.join(' or ')} (default: ffd for static, spread for policies that admit on less than the VM's size)`)
    .option('--max-over-allocation <x>', 'placement: cap on configured memory per host, as a multiple of its memory')
    .option('--host-reserve <size>', "hypervisor's own memory per host (overrides the host spec)")
    .option('--vm-overhead <size>', 'hypervisor memory per running VM (overrides the host spec)')
    .option('--hosts <n>', 'reverse question: the smallest host size meeting the service level with n hosts')
    .option('--granularity <size>', 'host-size search step with --hosts (default 1GiB)')
    .option('--max-host-size <size>', 'largest host size tried with --hosts (default: one host holding the whole fleet)')
    .option('--max-hosts <n>', 'largest host count tried (default: the number of VMs)')
    .option('--seed <n>', 'seed (default 1)')
    .option('--out <dir>', 'report folder (default reports/plan-<trace name>)')
    .option('--title <text>', 'report title')
    .option('--cost <json|file>', 'prices, e.g. \'{"currency":"EUR","perHost":9000,"perGiB":4,"licence":{"default":7000,"kvm-mom":0}}\': a cost column and a cost in each verdict')
    .option('--host-sizes <sizes>', 'compare host sizes, e.g. 128GiB,256GiB,512GiB (instead of --host\'s size; its reserve and overhead apply): each policy gets the size with fewest hosts, or the cheapest with --minimise cost')
    .option('--minimise <what>', 'hosts (default) or cost (needs --cost): which answer to recommend among --host-sizes')
    .option('--rightsize-percentile <p>', "right-sizing: size each VM for this percentile of its working set over its running ticks (default 99)")
    .option('--workers <n>', 'threads searching for built-in policies side by side (default: one per core, at most one per policy; 1: one after the other)')
    .option('--policy-timeout <seconds>', `wall-clock limit for each --policy module's whole search, on its own thread (default ${DEFAULT_LIMITS.timeoutSeconds}; also MEMREPLAY_POLICY_TIMEOUT)`)
    .option('--policy-memory <MiB>', `heap limit for each --policy module's thread (default ${DEFAULT_LIMITS.memoryMiB}; also MEMREPLAY_POLICY_MEMORY)`)
    .option('--quiet', 'no progress on stderr (by default a bar on a terminal, else a line per replay)')
    .addHelpText(
      'after',
      `
Examples:
  npm run plan -- --trace ../shared/traces/bitbrains-rnd-2013-08 --host 256GiB
  npm run plan -- --trace ../shared/traces/bitbrains-rnd-2013-08 --host 256GiB --host-reserve 8GiB --vm-overhead 64MiB --sla '{"maxPressureOver100Share":0.01}'
  npm run plan -- --trace ../shared/traces/bitbrains-rnd-2013-08 --hosts 2 --policies static,dynamic-memory`,
    )
    .action(async (flags: PlanFlags) => {
      const r = await runPlan(flags)
      process.stdout.write(r.out + '\n')
      // Interrupted: 130, as a shell reports Ctrl-C; a policy that failed: 1 (the others are written).
      if (r.interrupted) process.exitCode = 130
      else if (r.failed) process.exitCode = 1
    })
}

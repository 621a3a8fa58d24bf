/**
 * A capacity plan for one policy: the fewest hosts of a size that meet the service level (or, with
 * a fixed host count, the smallest host size), found by replays (search.ts over cluster.ts), with the
 * density reached, the margin of the binding figure and the table of what was tried.
 *
 * The search gallops then bisects (search.ts), relying on monotonicity in memory; host replays whose
 * placement did not change are reused (cluster.ts ReplayCache). Before any replay, VMs that fit no
 * host at all are found (why.ts unplaceable): if there are more than the level allows, the plan
 * cannot be met and ends there, naming them. Every failing point says why, with the VMs concerned.
 *
 * Constraints (sla.ts): the host count found is N; the plan's answer is N + spareHosts; hosts are
 * replayed with the headroom kept free (constraints.ts headroomHost); growth is applied to the trace
 * by the caller (constraints.ts grownTrace, before the fleet is resolved) and recorded here.
 *
 * Density:
 *   vmsPerHost             VMs of the fleet that run at some tick / hosts
 *   configuredPerPhysical  sum of those VMs' peak configured memory / (hosts x host physical memory):
 *                          how many GiB of configured memory each physical GiB carries (static
 *                          cannot exceed 1 over VMs that run together; over-allocating policies can)
 *   peakOverAllocation     the replay's own figure: peak over ticks of configured memory of running
 *                          VMs / cluster physical memory
 *
 * Each search is a generator (planHostsSteps, planHostSizeSteps) yielding an event before each host
 * replay and after each point, with the plan so far, so a command line can show progress, pause
 * between hosts and keep what is done when interrupted; planHosts and planHostSize drain it. Pure.
 */
import type { Trace } from '../trace/trace.js'
import { peakConfigured } from '../trace/trace.js'
import type { HostSettings, VmSettings } from '../spec/settings.js'
import type { PolicyRun } from '../report/comparison.js'
import type { RunMetrics } from '../metrics/run-metrics.js'
import { clusterSetup, clusterSteps, placementInput, replayCache, type ClusterOptions, type ClusterResult, type HostEvent, type ReplayCache } from './cluster.js'
import { placementRefused } from './placement.js'
import { DEFAULT_CONSTRAINTS, DEFAULT_SLA as DEFAULT_SLA_FOR_EMPTY, evaluate, margin, worstUse, type Constraints, type Margin, type ServiceLevel, type Violation } from './sla.js'
import { drain, searchSteps, type Probe, type ProbeEvent, type SteppedEvaluator } from './search.js'
import { explainViolations, nameList, unplaceable, type UnplaceableVm } from './why.js'
import { headroomHost, withSpares } from './constraints.js'

export interface PlanOptions extends ClusterOptions {
  /** Largest host count tried (default: the number of VMs that run: beyond it hosts stay empty). */
  readonly maxHosts?: number
  /** First host count tried (default 1). */
  readonly minHosts?: number
  /** Spares, growth (already applied to the trace by the caller) and headroom; default none. */
  readonly constraints?: Constraints
}

/** One point of a scan: a host count and size, what was found there. */
export interface ScanRow {
  readonly hosts: number
  readonly hostGiB: number
  /** false: placement alone refused too many VMs, no replay. */
  readonly replayed: boolean
  readonly placementRefused: number
  readonly meets: boolean
  readonly violations: ReadonlyArray<Violation>
  /** Worst SLA figure as a share of its room (1 = at its bound; see sla.ts usedShare). */
  readonly worstUse: number
  readonly vmsPerHost: number
  readonly configuredPerPhysical: number
  /** Present when replayed. */
  readonly metrics?: RunMetrics
}

/** Why a plan cannot be met, found before any replay. */
export interface CannotMeet {
  /** One sentence naming the VMs, their sizes and the host's capacity. */
  readonly reason: string
  readonly vms: ReadonlyArray<UnplaceableVm>
}

export interface PolicyPlan {
  readonly policy: string
  readonly params: unknown
  readonly placement: string
  readonly placementNote: string
  readonly overAllocationCap: number | null
  /** 'hosts': fewest hosts of hostGiB; 'size': smallest host size for `hosts` hosts. */
  readonly mode: 'hosts' | 'size'
  readonly met: boolean
  /** Hosts the service level needs (mode 'hosts'), or the fixed count less the spares (mode 'size'); null when not met. */
  readonly hostsNeeded: number | null
  /** Host size (mode 'hosts': the given one; mode 'size': the smallest that meets, null if none). */
  readonly hostGiB: number | null
  readonly vmsPerHost: number | null
  readonly configuredPerPhysical: number | null
  readonly peakOverAllocation: number | null
  readonly margin: Margin | null
  /** Sentences: the search's assumptions or why nothing met. */
  readonly notes: ReadonlyArray<string>
  readonly scan: ReadonlyArray<ScanRow>
  /** The cluster run at the answer (absent when not met). */
  readonly result?: ClusterResult
  /** The constraints planned for. */
  readonly constraints: Constraints
  /** Hosts to buy: hostsNeeded + spareHosts (mode 'hosts'), or the fixed count (mode 'size'); null when not met. */
  readonly hostsTotal: number | null
  /** Set when the plan ended before any replay (VMs that fit no host). */
  readonly cannotMeet?: CannotMeet
  /** Set when the search was stopped before it settled (interrupted): what it had found stands in the scan. */
  readonly partial?: string
  /** Set when the plan failed (an exception): the message. */
  readonly failed?: string
  /** Cluster replays run, host replays run and host replays reused. */
  readonly work: { readonly replays: number; readonly hostReplays: number; readonly hostsReused: number }
}

const MIB_PER_GIB = 1024

/** VMs that run at some tick, and the sum of their peak configured memory (MiB). */
export const fleetFigures = (trace: Trace): { readonly vms: number; readonly configuredMiB: number } => {
  let vms = 0
  let configuredMiB = 0
  for (const v of trace.vms)
    if (v.firstTick < v.endTick) {
      vms++
      configuredMiB += peakConfigured(v)
    }
  return { vms, configuredMiB }
}

const densityOf = (trace: Trace, hosts: number, physicalMiB: number): { vmsPerHost: number; configuredPerPhysical: number } => {
  const f = fleetFigures(trace)
  return { vmsPerHost: f.vms / hosts, configuredPerPhysical: f.configuredMiB / (hosts * physicalMiB) }
}

interface Point {
  readonly row: ScanRow
  readonly result?: ClusterResult
}

/** Events of a plan: a host about to be replayed (at a point of the search), or a point settled with the plan so far. */
export type PlanEvent =
  | (HostEvent & { readonly policy: string; readonly at: number })
  | { readonly kind: 'point'; readonly policy: string; readonly row: ScanRow; readonly sofar: PolicyPlan }

/**
 * Does a cluster's part already break the level for sure? Only figures that can only grow as the
 * remaining hosts are added count: VMs refused, GiB written to host swap, a run stopped on a rule
 * violation. (Shares and percentiles can fall as more VM-time is added.)
 */
export const brokenForSure = (sla: ServiceLevel, m: RunMetrics): boolean =>
  m.error !== undefined ||
  (sla.maxVmsRefused !== null && m.vmsRefused > sla.maxVmsRefused) ||
  (sla.maxHostSwapOutGiB !== null && m.hostSwapOutGiB > sla.maxHostSwapOutGiB)

const evaluator = (
  trace: Trace,
  vms: ReadonlyArray<VmSettings>,
  run: PolicyRun,
  seed: number,
  sla: ServiceLevel,
  options: PlanOptions,
  cache: ReplayCache,
  /** The hosts replayed at a point (headroom already taken off their memory). */
  at: (x: number) => { readonly host: HostSettings; readonly hosts: number },
): SteppedEvaluator<Point, PlanEvent> => {
  const setup = clusterSetup(run, options)
  return {
    screen: (x) => {
      const { host, hosts } = at(x)
      const input = placementInput(setup, trace, host, vms, hosts)
      const refused = placementRefused(input, setup.rule(input))
      if (sla.maxVmsRefused === null || refused.length <= sla.maxVmsRefused) return undefined
      const ids = refused.map((k) => trace.vms[k].id)
      const v: Violation = {
        term: 'maxVmsRefused',
        figure: 'vmsRefused',
        value: refused.length,
        bound: sla.maxVmsRefused,
        text: `placement refuses ${refused.length} VM${refused.length === 1 ? '' : 's'} > ${sla.maxVmsRefused} (not replayed): ${nameList(ids)}`,
        vms: ids,
      }
      return {
        row: {
          hosts,
          hostGiB: host.physicalMiB / MIB_PER_GIB,
          replayed: false,
          placementRefused: refused.length,
          meets: false,
          violations: [v],
          worstUse: Infinity,
          ...densityOf(trace, hosts, host.physicalMiB),
        },
      }
    },
    evaluate: function* (x) {
      const { host, hosts } = at(x)
      const steps = clusterSteps(trace, host, vms, run, seed, hosts, { ...options, cache, stopEarly: (m) => brokenForSure(sla, m) })
      let step = steps.next()
      while (!step.done) {
        yield { ...step.value, policy: run.policy.name, at: x }
        step = steps.next()
      }
      const result = step.value
      const cut = result.hostsReplayed < result.hosts ? ` (found on the first ${result.hostsReplayed} of ${result.hosts} hosts; the rest were not replayed)` : ''
      // A cut replay reports only the terms it proves broken (brokenForSure's): the others' figures cover part of the fleet.
      const sure = (v: Violation): boolean => v.term === 'error' || v.term === 'maxVmsRefused' || v.term === 'maxHostSwapOutGiB'
      const violations = explainViolations(evaluate(sla, result.metrics), result.partial)
        .filter((v) => cut === '' || sure(v))
        .map((v) => (cut === '' ? v : { ...v, text: v.text + cut }))
      return {
        result,
        row: {
          hosts,
          hostGiB: host.physicalMiB / MIB_PER_GIB,
          replayed: true,
          placementRefused: result.placementRefused.length,
          meets: violations.length === 0,
          violations,
          worstUse: worstUse(sla, result.metrics),
          ...densityOf(trace, hosts, host.physicalMiB),
          metrics: result.metrics,
        },
      }
    },
    meets: (p) => p.row.meets,
  }
}

type PlanBase = Pick<PolicyPlan, 'policy' | 'params' | 'placement' | 'placementNote' | 'overAllocationCap' | 'mode' | 'constraints'>

interface Work {
  replays: number
  hostReplays: number
  hostsReused: number
}

const finish = (
  base: PlanBase,
  sla: ServiceLevel,
  probes: ReadonlyArray<Probe<Point>>,
  answer: Point | undefined,
  hostsNeeded: number | null,
  hostsTotal: number | null,
  hostGiB: number | null,
  notes: ReadonlyArray<string>,
  work: Work,
  extra: Pick<PolicyPlan, 'cannotMeet' | 'partial' | 'failed'> = {},
): PolicyPlan => ({
  ...base,
  met: answer !== undefined && extra.partial === undefined,
  hostsNeeded,
  hostsTotal,
  hostGiB,
  vmsPerHost: answer?.row.vmsPerHost ?? null,
  configuredPerPhysical: answer?.row.configuredPerPhysical ?? null,
  peakOverAllocation: answer?.result?.metrics.overAllocationRatio ?? null,
  margin: answer?.result === undefined ? null : (margin(sla, answer.result.metrics) ?? null),
  notes,
  scan: probes.map((p) => p.result.row),
  ...(answer?.result === undefined ? {} : { result: answer.result }),
  work: { ...work },
  ...extra,
})

/** Count the work a search's events stand for. */
function* counted(g: Generator<PlanEvent | ProbeEvent<Point>, unknown, void>, work: Work): Generator<PlanEvent | ProbeEvent<Point>, unknown, void> {
  let step = g.next()
  while (!step.done) {
    const e = step.value
    if (e.kind === 'host') {
      if (e.host === 0) work.replays++
      if (e.cached) work.hostsReused++
      else work.hostReplays++
    }
    yield e
    step = g.next()
  }
  return step.value
}

/** The smallest meeting probe so far (an upper bound while the search runs). */
const bestSoFar = (probes: ReadonlyArray<Probe<Point>>): Probe<Point> | undefined => probes.find((p) => p.meets)

/** The fewest hosts of `host`'s size that meet `sla` under one policy, as a generator (see the module note). */
export function* planHostsSteps(
  trace: Trace,
  host: HostSettings,
  vms: ReadonlyArray<VmSettings>,
  run: PolicyRun,
  seed: number,
  sla: ServiceLevel,
  options: PlanOptions = {},
): Generator<PlanEvent, PolicyPlan, void> {
  const setup = clusterSetup(run, options)
  const constraints = options.constraints ?? DEFAULT_CONSTRAINTS
  const base: PlanBase = { policy: run.policy.name, params: run.params, placement: setup.placementName, placementNote: setup.admission.description, overAllocationCap: setup.overAllocationCap, mode: 'hosts', constraints }
  const work: Work = { replays: 0, hostReplays: 0, hostsReused: 0 }
  const hostGiB = host.physicalMiB / MIB_PER_GIB
  const planned = headroomHost(host, constraints.headroom)
  const misfits = unplaceable(setup, trace, planned, vms)
  if (sla.maxVmsRefused !== null && misfits.length > sla.maxVmsRefused) {
    const reason = `cannot be met: ${misfits.length} VM${misfits.length === 1 ? ' fits' : 's fit'} no host${constraints.headroom > 0 ? ` (with ${constraints.headroom * 100}% headroom)` : ''} and at most ${sla.maxVmsRefused} may be refused: ${misfits.slice(0, 5).map((m) => m.text).join('; ')}${misfits.length > 5 ? `; and ${misfits.length - 5} more` : ''}`
    return finish(base, sla, [], undefined, null, null, hostGiB, [reason], work, { cannotMeet: { reason, vms: misfits } })
  }
  const maxHosts = options.maxHosts ?? Math.max(1, fleetFigures(trace).vms)
  const from = Math.max(1, options.minHosts ?? 1)
  const ev = evaluator(trace, vms, run, seed, sla, options, options.cache ?? replayCache(), (n) => ({ host: planned, hosts: n }))
  const search = counted(searchSteps(ev, from, maxHosts), work)
  let step = search.next()
  while (!step.done) {
    const e = step.value
    if (e.kind === 'probe') {
      const best = bestSoFar(e.probes)
      const sofar = finish(base, sla, e.probes, best?.result, best?.at ?? null, best === undefined ? null : withSpares(best.at, constraints.spareHosts), hostGiB, [], work, {
        partial: `stopped after ${work.replays} replays, before the search settled${best === undefined ? ': no host count tried met the service level' : `: ${best.at} hosts met the service level (an upper bound), fewer may too`}`,
      })
      yield { kind: 'point', policy: run.policy.name, row: e.probe.result.row, sofar }
    } else yield e
    step = search.next()
  }
  const scan = step.value as { readonly found: number | null; readonly probes: ReadonlyArray<Probe<Point>> }
  const answer = scan.found === null ? undefined : scan.probes.find((p) => p.at === scan.found)?.result
  const replayed = scan.probes.filter((p) => !p.screened).map((p) => p.at)
  const notes =
    scan.found === null
      ? [
          `no host count up to ${maxHosts} meets the service level (beyond one host per VM, more hosts change nothing)`,
          ...(scan.probes.length > 0 ? [`at ${scan.probes[scan.probes.length - 1].at} hosts: ${scan.probes[scan.probes.length - 1].result.row.violations.map((v) => v.text).join('; ')}`] : []),
        ]
      : [
          `searched host counts by doubling then bisection (replayed ${replayed.join(', ')}${replayed.length < scan.probes.length ? '; fewer ruled out by placement alone' : ''}): ${scan.found} meets the service level${scan.probes.some((p) => p.at === scan.found! - 1 && !p.meets) ? ` and ${scan.found - 1} does not` : ''}, assuming more hosts never make the figures worse`,
          ...(work.hostsReused > 0 ? [`${work.hostsReused} host replays reused (same VMs on a host as at a count tried before)`] : []),
        ]
  return finish(base, sla, scan.probes, answer, scan.found, scan.found === null ? null : withSpares(scan.found, constraints.spareHosts), hostGiB, notes, work)
}

/** The fewest hosts of `host`'s size that meet `sla` under one policy. */
export const planHosts = (
  trace: Trace,
  host: HostSettings,
  vms: ReadonlyArray<VmSettings>,
  run: PolicyRun,
  seed: number,
  sla: ServiceLevel,
  options: PlanOptions = {},
): PolicyPlan => drain(planHostsSteps(trace, host, vms, run, seed, sla, options))

/**
 * The smallest host size (multiple of granularityMiB, at most maxMiB) meeting `sla` with `hosts`
 * hosts, as a generator. With spare hosts k, the fleet must meet the level on hosts - k of them.
 */
export function* planHostSizeSteps(
  trace: Trace,
  hostTemplate: HostSettings,
  hosts: number,
  vms: ReadonlyArray<VmSettings>,
  run: PolicyRun,
  seed: number,
  sla: ServiceLevel,
  granularityMiB: number,
  maxMiB: number,
  options: PlanOptions = {},
): Generator<PlanEvent, PolicyPlan, void> {
  const setup = clusterSetup(run, options)
  const constraints = options.constraints ?? DEFAULT_CONSTRAINTS
  const base: PlanBase = { policy: run.policy.name, params: run.params, placement: setup.placementName, placementNote: setup.admission.description, overAllocationCap: setup.overAllocationCap, mode: 'size', constraints }
  const work: Work = { replays: 0, hostReplays: 0, hostsReused: 0 }
  const serving = hosts - constraints.spareHosts
  if (serving < 1) {
    const reason = `cannot be met: ${hosts} hosts less ${constraints.spareHosts} spare${constraints.spareHosts === 1 ? '' : 's'} for HA leaves no host to serve the fleet`
    return finish(base, sla, [], undefined, null, null, null, [reason], work, { cannotMeet: { reason, vms: [] } })
  }
  const hostOf = (size: number): HostSettings => ({ ...hostTemplate, physicalMiB: size })
  const misfits = unplaceable(setup, trace, headroomHost(hostOf(maxMiB), constraints.headroom), vms)
  if (sla.maxVmsRefused !== null && misfits.length > sla.maxVmsRefused) {
    const reason = `cannot be met: ${misfits.length} VM${misfits.length === 1 ? ' fits' : 's fit'} no host up to the largest size tried (${maxMiB / MIB_PER_GIB} GiB): ${misfits.slice(0, 5).map((m) => m.text).join('; ')}${misfits.length > 5 ? `; and ${misfits.length - 5} more` : ''}`
    return finish(base, sla, [], undefined, null, null, null, [reason], work, { cannotMeet: { reason, vms: misfits } })
  }
  const g = granularityMiB
  const ev = evaluator(trace, vms, run, seed, sla, options, options.cache ?? replayCache(), (k) => ({ host: headroomHost(hostOf(k * g), constraints.headroom), hosts: serving }))
  // No size at or below the reserve can hold anything: start the placement search above it.
  const from = Math.floor(hostTemplate.reserveMiB / g) + 1
  const search = counted(searchSteps(ev, from, Math.floor(maxMiB / g)), work)
  let step = search.next()
  while (!step.done) {
    const e = step.value
    if (e.kind === 'probe') {
      const best = bestSoFar(e.probes)
      const sofar = finish(base, sla, e.probes, best?.result, serving, best === undefined ? null : hosts, best === undefined ? null : (best.at * g) / MIB_PER_GIB, [], work, {
        partial: `stopped after ${work.replays} replays, before the search settled${best === undefined ? ': no host size tried met the service level' : `: ${(best.at * g) / MIB_PER_GIB} GiB met the service level (an upper bound)`}`,
      })
      yield { kind: 'point', policy: run.policy.name, row: e.probe.result.row, sofar }
    } else if (e.kind === 'host') yield { ...e, at: e.at * g }
    step = search.next()
  }
  const scan = step.value as { readonly found: number | null; readonly probes: ReadonlyArray<Probe<Point>> }
  const found = scan.found === null ? null : scan.found * g
  const answer = scan.found === null ? undefined : scan.probes.find((p) => p.at === scan.found)?.result
  const gText = `${g / MIB_PER_GIB} GiB`
  const notes = [
    found === null
      ? `no host size up to ${maxMiB / MIB_PER_GIB} GiB meets the service level with ${serving} hosts`
      : `searched host sizes in steps of ${gText} by doubling then bisection: ${found / MIB_PER_GIB} GiB meets the service level${scan.probes.some((p) => p.at === scan.found! - 1 && !p.meets) ? ` and ${(found - g) / MIB_PER_GIB} GiB does not` : ''}, assuming more memory per host never makes the figures worse`,
    ...(constraints.spareHosts > 0 ? [`sized for ${serving} serving hosts: ${hosts} less ${constraints.spareHosts} spare${constraints.spareHosts === 1 ? '' : 's'} for HA`] : []),
  ]
  return finish(base, sla, scan.probes, answer, found === null ? null : serving, found === null ? null : hosts, found === null ? null : found / MIB_PER_GIB, notes, work)
}

/** The smallest host size (multiple of granularityMiB, at most maxMiB) meeting `sla` with `hosts` hosts. */
export const planHostSize = (
  trace: Trace,
  hostTemplate: HostSettings,
  hosts: number,
  vms: ReadonlyArray<VmSettings>,
  run: PolicyRun,
  seed: number,
  sla: ServiceLevel,
  granularityMiB: number,
  maxMiB: number,
  options: PlanOptions = {},
): PolicyPlan => drain(planHostSizeSteps(trace, hostTemplate, hosts, vms, run, seed, sla, granularityMiB, maxMiB, options))

/**
 * A plan with no answer and nothing tried, for a policy whose search failed (an exception) or was
 * stopped before its first point settled: `extra` says which.
 */
export const emptyPlan = (
  run: PolicyRun,
  mode: 'hosts' | 'size',
  hostGiB: number | null,
  options: PlanOptions,
  extra: Pick<PolicyPlan, 'partial' | 'failed'>,
): PolicyPlan => {
  const setup = clusterSetup(run, options)
  return finish(
    { policy: run.policy.name, params: run.params, placement: setup.placementName, placementNote: setup.admission.description, overAllocationCap: setup.overAllocationCap, mode, constraints: options.constraints ?? DEFAULT_CONSTRAINTS },
    DEFAULT_SLA_FOR_EMPTY,
    [],
    undefined,
    null,
    null,
    hostGiB,
    [extra.failed ?? extra.partial ?? ''],
    { replays: 0, hostReplays: 0, hostsReused: 0 },
    extra,
  )
}

/**
 * A capacity plan for one policy: the fewest hosts of a size that meet the service level (or, with a
 * fixed host count, the smallest host size), found by replays (search.ts over cluster.ts), with the
 * density reached, the margin of the binding figure and the table of what was tried.
 *
 * Density:
 *   vmsPerHost             VMs of the fleet that run at some tick / hosts
 *   configuredPerPhysical  sum of those VMs' peak configured memory / (hosts x host physical memory):
 *                          how many GiB of configured memory each physical GiB carries (static
 *                          cannot exceed 1 over VMs that run together; over-allocating policies can)
 *   peakOverAllocation     the replay's own figure: peak over ticks of configured memory of running
 *                          VMs / cluster physical memory
 * Pure.
 */
import type { Trace } from '../trace/trace.js'
import { peakConfigured } from '../trace/trace.js'
import type { HostSettings, VmSettings } from '../spec/settings.js'
import type { PolicyRun } from '../report/comparison.js'
import type { RunMetrics } from '../metrics/run-metrics.js'
import { clusterSetup, placementInput, runCluster, type ClusterOptions, type ClusterResult } from './cluster.js'
import { placementRefused } from './placement.js'
import { evaluate, margin, worstUse, type Margin, type ServiceLevel, type Violation } from './sla.js'
import { smallestHosts, smallestSize, type Evaluator } from './search.js'

export interface PlanOptions extends ClusterOptions {
  /** Largest host count tried (default: the number of VMs that run: beyond it hosts stay empty). */
  readonly maxHosts?: number
  /** First host count tried (default 1). */
  readonly minHosts?: number
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

export interface PolicyPlan {
  readonly policy: string
  readonly params: unknown
  readonly placement: string
  readonly placementNote: string
  readonly overAllocationCap: number | null
  /** 'hosts': fewest hosts of hostGiB; 'size': smallest host size for `hosts` hosts. */
  readonly mode: 'hosts' | 'size'
  readonly met: boolean
  /** Hosts needed (mode 'hosts'), or the fixed count (mode 'size'); null when not met. */
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

const evaluator = (
  trace: Trace,
  vms: ReadonlyArray<VmSettings>,
  run: PolicyRun,
  seed: number,
  sla: ServiceLevel,
  options: PlanOptions,
  at: (x: number) => { readonly host: HostSettings; readonly hosts: number },
): Evaluator<Point> => {
  const setup = clusterSetup(run, options)
  return {
    screen: (x) => {
      const { host, hosts } = at(x)
      const input = placementInput(setup, trace, host, vms, hosts)
      const refused = placementRefused(input, setup.rule(input)).length
      if (sla.maxVmsRefused === null || refused <= sla.maxVmsRefused) return undefined
      const v: Violation = {
        term: 'maxVmsRefused',
        figure: 'vmsRefused',
        value: refused,
        bound: sla.maxVmsRefused,
        text: `placement refuses ${refused} VMs > ${sla.maxVmsRefused} (not replayed)`,
      }
      return {
        row: {
          hosts,
          hostGiB: host.physicalMiB / MIB_PER_GIB,
          replayed: false,
          placementRefused: refused,
          meets: false,
          violations: [v],
          worstUse: Infinity,
          ...densityOf(trace, hosts, host.physicalMiB),
        },
      }
    },
    evaluate: (x) => {
      const { host, hosts } = at(x)
      const result = runCluster(trace, host, vms, run, seed, hosts, options)
      const violations = evaluate(sla, result.metrics)
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

const finish = (
  base: Omit<PolicyPlan, 'met' | 'hostsNeeded' | 'hostGiB' | 'vmsPerHost' | 'configuredPerPhysical' | 'peakOverAllocation' | 'margin' | 'scan' | 'result' | 'notes'>,
  sla: ServiceLevel,
  probes: ReadonlyArray<{ readonly result: Point }>,
  answer: Point | undefined,
  hostsNeeded: number | null,
  hostGiB: number | null,
  notes: ReadonlyArray<string>,
): PolicyPlan => ({
  ...base,
  met: answer !== undefined,
  hostsNeeded,
  hostGiB,
  vmsPerHost: answer?.row.vmsPerHost ?? null,
  configuredPerPhysical: answer?.row.configuredPerPhysical ?? null,
  peakOverAllocation: answer?.result?.metrics.overAllocationRatio ?? null,
  margin: answer?.result === undefined ? null : (margin(sla, answer.result.metrics) ?? null),
  notes,
  scan: probes.map((p) => p.result.row),
  ...(answer?.result === undefined ? {} : { result: answer.result }),
})

/** The fewest hosts of `host`'s size that meet `sla` under one policy. */
export const planHosts = (
  trace: Trace,
  host: HostSettings,
  vms: ReadonlyArray<VmSettings>,
  run: PolicyRun,
  seed: number,
  sla: ServiceLevel,
  options: PlanOptions = {},
): PolicyPlan => {
  const setup = clusterSetup(run, options)
  const maxHosts = options.maxHosts ?? Math.max(1, fleetFigures(trace).vms)
  const ev = evaluator(trace, vms, run, seed, sla, options, (n) => ({ host, hosts: n }))
  const scan = smallestHosts(ev, options.minHosts ?? 1, maxHosts)
  const answer = scan.found === null ? undefined : scan.probes[scan.probes.length - 1].result
  const notes =
    scan.found === null
      ? [`no host count up to ${maxHosts} meets the service level (beyond one host per VM, more hosts change nothing)`]
      : [`scanned host counts ${scan.probes[0].at}..${scan.found} upward: ${scan.found} is the smallest that meets the service level`]
  return finish(
    { policy: run.policy.name, params: run.params, placement: setup.placementName, placementNote: setup.admission.description, overAllocationCap: setup.overAllocationCap, mode: 'hosts' },
    sla,
    scan.probes,
    answer,
    scan.found,
    host.physicalMiB / MIB_PER_GIB,
    notes,
  )
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
): PolicyPlan => {
  const setup = clusterSetup(run, options)
  const hostOf = (size: number): HostSettings => ({ ...hostTemplate, physicalMiB: size })
  const ev = evaluator(trace, vms, run, seed, sla, options, (size) => ({ host: hostOf(size), hosts }))
  // No size at or below the reserve can hold anything: start the placement scan above it.
  const from = (Math.floor(hostTemplate.reserveMiB / granularityMiB) + 1) * granularityMiB
  const scan = smallestSize(ev, granularityMiB, maxMiB, from)
  const answer = scan.found === null ? undefined : scan.probes.find((p) => p.at === scan.found)?.result
  const g = `${granularityMiB / MIB_PER_GIB} GiB`
  const notes = [
    scan.found === null
      ? `no host size up to ${maxMiB / MIB_PER_GIB} GiB meets the service level with ${hosts} hosts`
      : `searched host sizes in steps of ${g}: ${scan.found / MIB_PER_GIB} GiB meets the service level${scan.probes.some((p) => p.at === scan.found! - granularityMiB && !p.meets) ? ` and ${(scan.found - granularityMiB) / MIB_PER_GIB} GiB does not` : ''}`,
    ...(scan.assumedMonotone
      ? ['sizes below the first that placement accepts were ruled out by placement alone; above it the search doubles then bisects, assuming more memory per host never makes the figures worse']
      : []),
  ]
  return finish(
    { policy: run.policy.name, params: run.params, placement: setup.placementName, placementNote: setup.admission.description, overAllocationCap: setup.overAllocationCap, mode: 'size' },
    sla,
    scan.probes,
    answer,
    hosts,
    scan.found === null ? null : scan.found / MIB_PER_GIB,
    notes,
  )
}

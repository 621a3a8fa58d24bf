/**
 * Cluster replay: N identical hosts under one policy. Placement assigns each VM a host when it
 * starts (placement.ts, with the policy's admission quantity: admission.ts); each host replays its
 * own VMs (selectVms: no copying) under the policy with the same host settings; the hosts' partials
 * merge into cluster metrics (metrics/cluster.ts: VM figures as they are, host memory summed,
 * stateShare as the share of host-time in each state). VMs placement refused count as refused.
 *
 * Seeds: host 0 replays with the run's seed (so a one-host cluster is exactly the comparison's run),
 * host h > 0 with deriveSeed(seed, 'host', h).
 *
 * Pure at its interface: same inputs, same result.
 */
import type { Trace } from '../trace/trace.js'
import { selectVms } from '../trace/trace.js'
import type { HostSettings, VmSettings } from '../spec/settings.js'
import type { RunHeader } from '../engine/account.js'
import { deriveSeed } from '../engine/random.js'
import { DEFAULT_WORLD, type WorldParams } from '../engine/world.js'
import { runPolicy, type PolicyRun } from '../report/comparison.js'
import { finishCluster, refusedPartial } from '../metrics/cluster.js'
import type { RunPartial } from '../metrics/partial.js'
import type { RunMetrics } from '../metrics/run-metrics.js'
import { admissionModel, placementVms, type AdmissionModel } from './admission.js'
import { PLACEMENT_RULES, hostsUsed, type PlacementInput, type PlacementName, type PlacementRule } from './placement.js'

export interface ClusterOptions {
  /** Placement rule: a name, or a rule of your own; default: the admission model's default. */
  readonly placement?: PlacementName | { readonly name: string; readonly rule: PlacementRule }
  /** Over-allocation cap (x host capacity) for placement; default the policy's own (overcommit's maxOverAllocation), else none. */
  readonly overAllocationCap?: number | null
  readonly world?: WorldParams
  /** Called per replayed tick (progress). */
  readonly onTick?: () => void
}

export interface ClusterSetup {
  readonly admission: AdmissionModel
  readonly placementName: string
  readonly rule: PlacementRule
  readonly overAllocationCap: number | null
}

export interface ClusterResult {
  readonly hosts: number
  readonly placement: string
  readonly overAllocationCap: number | null
  /** Host index per VM (trace order); null = refused by placement. */
  readonly assignment: ReadonlyArray<number | null>
  /** Ids of VMs placement refused. */
  readonly placementRefused: ReadonlyArray<string>
  /** Hosts that hold at least one VM. */
  readonly hostsUsed: number
  /** VMs per host (by host index). */
  readonly vmsPerHost: ReadonlyArray<number>
  readonly header: RunHeader
  readonly partial: RunPartial
  readonly metrics: RunMetrics
}

export const clusterSetup = (run: PolicyRun, options: ClusterOptions = {}): ClusterSetup => {
  const admission = admissionModel(run.policy.name, run.params)
  const p = options.placement ?? admission.defaultPlacement
  const named = typeof p === 'string' ? { name: p, rule: PLACEMENT_RULES[p] } : p
  const cap = options.overAllocationCap === undefined ? admission.policyCap : options.overAllocationCap
  return { admission, placementName: named.name, rule: named.rule, overAllocationCap: cap }
}

/** The placement input for N hosts. */
export const placementInput = (setup: ClusterSetup, trace: Trace, host: HostSettings, vms: ReadonlyArray<VmSettings>, hosts: number): PlacementInput => ({
  hosts,
  capacityMiB: setup.admission.capacity(host),
  vms: placementVms(setup.admission, host, vms, trace.vms),
  overAllocationCap: setup.overAllocationCap,
})

export const clusterHeader = (trace: Trace, host: HostSettings, run: PolicyRun, hosts: number): RunHeader => ({
  policy: run.policy.name,
  params: run.params,
  traceName: trace.name,
  host: { physical: host.physicalMiB * hosts, reserve: host.reserveMiB * hosts, vmOverhead: host.vmOverheadMiB },
  vmIds: trace.vms.map((v) => v.id),
  start: trace.start,
  step: trace.step,
  ticks: trace.ticks,
  hasStates: run.policy.traits.states,
})

/** The seed of host h (see the module note). */
export const hostSeed = (seed: number, h: number): number => (h === 0 ? seed : deriveSeed(seed, 'host', h))

/** Replay the fleet on N hosts. */
export const runCluster = (
  trace: Trace,
  host: HostSettings,
  vms: ReadonlyArray<VmSettings>,
  run: PolicyRun,
  seed: number,
  hosts: number,
  options: ClusterOptions = {},
): ClusterResult => {
  if (!(Number.isInteger(hosts) && hosts >= 1)) throw new RangeError(`runCluster: host count must be a whole number >= 1, found ${hosts}`)
  const setup = clusterSetup(run, options)
  const input = placementInput(setup, trace, host, vms, hosts)
  const { assignment } = setup.rule(input)
  const world = options.world ?? DEFAULT_WORLD
  const partials: RunPartial[] = []
  const errors: string[] = []
  const vmsPerHost: number[] = []
  for (let h = 0; h < hosts; h++) {
    const on = new Set<number>()
    assignment.forEach((a, k) => {
      if (a === h) on.add(k)
    })
    vmsPerHost.push(on.size)
    const sub = selectVms(trace, (_vm, i) => on.has(i))
    const subVms = vms.filter((_vm, i) => on.has(i))
    const onTick = options.onTick
    const r = runPolicy(sub, host, subVms, run, hostSeed(seed, h), world, onTick === undefined ? undefined : () => onTick())
    partials.push(r.partial)
    if (r.error !== undefined) errors.push(`host ${h + 1}: ${r.error}`)
  }
  const refusedIds = assignment.flatMap((a, k) => (a === null ? [trace.vms[k].id] : []))
  const header = clusterHeader(trace, host, run, hosts)
  const { partial, metrics } = finishCluster(header, partials, refusedPartial(refusedIds), errors.length === 0 ? undefined : errors.join('; '))
  return {
    hosts,
    placement: setup.placementName,
    overAllocationCap: setup.overAllocationCap,
    assignment,
    placementRefused: refusedIds,
    hostsUsed: hostsUsed(input, { assignment }),
    vmsPerHost,
    header,
    partial,
    metrics,
  }
}

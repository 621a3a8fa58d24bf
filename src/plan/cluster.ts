/**
 * Cluster replay: N identical hosts under one policy. Placement assigns each VM a host when it
 * starts (placement.ts, with the policy's admission quantity: admission.ts); each host replays its
 * own VMs (selectVms: no copying) under the policy with the same host settings; the hosts' partials
 * merge into cluster metrics (metrics/cluster.ts: VM figures as they are, host memory summed,
 * stateShare as the share of host-time in each state). VMs placement refused count as refused.
 *
 * Seeds: a host's seed is derived from the run's seed and the VMs it holds (their trace indices),
 * not from its index, so a host holding the same VMs replays the same way whatever the cluster's
 * size or the host's place in it: that is what lets a plan reuse it (ReplayCache). A host holding
 * every VM of the fleet replays with the run's own seed, so a one-host cluster is exactly the
 * comparison's run.
 *
 * Reuse: identical host subsets (same host settings, same VMs) give identical partials, so a plan
 * keeps them in a ReplayCache (bounded in bytes, least recently used out first) and replays only
 * the hosts whose placement changed. The hosts' partials are merged as they come (a running merge,
 * the same additions in the same order as merging them all at the end), so a cluster of hundreds of
 * hosts never holds hundreds of per-tick series at once.
 *
 * Pure at its interface: same inputs, same result (the cache changes only the time taken).
 */
import type { Trace } from '../trace/trace.js'
import { selectVms } from '../trace/trace.js'
import type { HostSettings, VmSettings } from '../spec/settings.js'
import type { RunHeader } from '../engine/account.js'
import { deriveSeed } from '../engine/random.js'
import { DEFAULT_WORLD, type WorldParams } from '../engine/world.js'
import { runPolicy, type PolicyRun } from '../report/comparison.js'
import { concatHostPartials, hostTimeStateShare, refusedPartial } from '../metrics/cluster.js'
import { emptyPartial, type RunPartial } from '../metrics/partial.js'
import { finishRun } from '../metrics/finish.js'
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
  /** Host replays to reuse (see the module note); none by default. */
  readonly cache?: ReplayCache
  /**
   * Asked after each host but the last with the metrics of the hosts replayed so far (and the VMs
   * placement refused): true stops the replay there, when a figure that only grows as hosts are
   * added has already broken the service level (a plan's failing points need not be replayed whole).
   */
  readonly stopEarly?: (soFar: RunMetrics) => boolean
}

/** Yielded before each host of a cluster replay: which host, how many VMs, and whether it is reused. */
export interface HostEvent {
  readonly kind: 'host'
  /** 0-based host index. */
  readonly host: number
  readonly hosts: number
  readonly vms: number
  readonly cached: boolean
}

interface HostRun {
  readonly partial: RunPartial
  readonly error: string | undefined
}

/** Replays of single hosts by (host settings, VMs held), bounded in bytes; least recently used out first. */
export interface ReplayCache {
  readonly get: (key: string) => HostRun | undefined
  readonly set: (key: string, run: HostRun) => void
  readonly stats: () => { readonly hits: number; readonly misses: number; readonly bytes: number; readonly entries: number }
}

const partialBytes = (p: RunPartial): number => {
  let b = p.vms.stats.byteLength + p.vms.hist.byteLength + p.vms.flags.byteLength + p.heat.cells.byteLength + p.vms.ids.length * 64
  const s = p.series
  b += s.tick.byteLength + s.time.byteLength + s.seconds.byteLength + s.physical.byteLength + s.reserve.byteLength + s.free.byteLength + s.state.byteLength
  for (const k of Object.keys(s.sums)) b += (s.sums as Record<string, Float64Array>)[k].byteLength
  return b
}

/** A cache of host replays holding at most `maxBytes` of partials (default 512 MiB). */
export const replayCache = (maxBytes = 512 * 1024 * 1024): ReplayCache => {
  // A Map iterates in insertion order: re-inserting on use makes its first key the least recently used.
  const entries = new Map<string, { readonly run: HostRun; readonly bytes: number }>()
  let bytes = 0
  let hits = 0
  let misses = 0
  return {
    get: (key) => {
      const e = entries.get(key)
      if (e === undefined) {
        misses++
        return undefined
      }
      hits++
      entries.delete(key)
      entries.set(key, e)
      return e.run
    },
    set: (key, run) => {
      const size = partialBytes(run.partial)
      if (size > maxBytes || entries.has(key)) return
      entries.set(key, { run, bytes: size })
      bytes += size
      for (const [k, e] of entries) {
        if (bytes <= maxBytes) break
        entries.delete(k)
        bytes -= e.bytes
      }
    },
    stats: () => ({ hits, misses, bytes, entries: entries.size }),
  }
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
  /** Hosts replayed: fewer than `hosts` when stopEarly stopped the replay (the figures are then those hosts' and the refused VMs'). */
  readonly hostsReplayed: number
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

/** The seed of a host holding the VMs `on` (trace indices, ascending) of a fleet of `fleetSize` (see the module note). */
export const hostSeed = (seed: number, on: ReadonlyArray<number>, fleetSize: number): number =>
  on.length === fleetSize ? seed : deriveSeed(seed, 'vms', on.join(','))

/**
 * Replay the fleet on N hosts, as a generator: yields a HostEvent before each host, returns the
 * cluster's result. runCluster drains it; a command line can pause between hosts.
 */
export function* clusterSteps(
  trace: Trace,
  host: HostSettings,
  vms: ReadonlyArray<VmSettings>,
  run: PolicyRun,
  seed: number,
  hosts: number,
  options: ClusterOptions = {},
): Generator<HostEvent, ClusterResult, void> {
  if (!(Number.isInteger(hosts) && hosts >= 1)) throw new RangeError(`runCluster: host count must be a whole number >= 1, found ${hosts}`)
  const setup = clusterSetup(run, options)
  const input = placementInput(setup, trace, host, vms, hosts)
  const { assignment } = setup.rule(input)
  const world = options.world ?? DEFAULT_WORLD
  const onHost: number[][] = Array.from({ length: hosts }, () => [])
  assignment.forEach((a, k) => {
    if (a !== null) onHost[a].push(k)
  })
  let merged: RunPartial = emptyPartial
  const states: RunPartial[] = []
  const errors: string[] = []
  const hostKey = `${host.physicalMiB}/${host.reserveMiB}/${host.vmOverheadMiB}|`
  const refusedIds = assignment.flatMap((a, k) => (a === null ? [trace.vms[k].id] : []))
  const header = clusterHeader(trace, host, run, hosts)
  let replayed = 0
  for (let h = 0; h < hosts; h++) {
    const on = onHost[h]
    const key = hostKey + on.join(',')
    const known = options.cache?.get(key)
    yield { kind: 'host', host: h, hosts, vms: on.length, cached: known !== undefined }
    let r = known
    if (r === undefined) {
      const keep = new Set(on)
      const sub = selectVms(trace, (_vm, i) => keep.has(i))
      const subVms = on.map((i) => vms[i])
      const onTick = options.onTick
      const res = runPolicy(sub, host, subVms, run, hostSeed(seed, on, trace.vms.length), world, onTick === undefined ? undefined : () => onTick())
      r = { partial: res.partial, error: res.error }
      options.cache?.set(key, r)
    }
    merged = h === 0 ? concatHostPartials([r.partial]) : concatHostPartials([merged, r.partial])
    // Only the state band of each host is kept for the share of host-time in each state.
    states.push({ ...emptyPartial, series: { ...emptyPartial.series, length: r.partial.series.length, seconds: r.partial.series.seconds, state: r.partial.series.state } })
    if (r.error !== undefined) errors.push(`host ${h + 1}: ${r.error}`)
    replayed = h + 1
    if (options.stopEarly !== undefined && h < hosts - 1) {
      const soFar = finishRun(header, concatHostPartials([merged], refusedPartial(refusedIds)), errors.length === 0 ? undefined : errors.join('; '))
      if (options.stopEarly(soFar)) break
    }
  }
  const partial = concatHostPartials([merged], refusedPartial(refusedIds))
  const m = finishRun(header, partial, errors.length === 0 ? undefined : errors.join('; '))
  const metrics: RunMetrics = { ...m, stateShare: header.hasStates ? hostTimeStateShare(states) : {} }
  return {
    hosts,
    placement: setup.placementName,
    overAllocationCap: setup.overAllocationCap,
    assignment,
    placementRefused: refusedIds,
    hostsUsed: hostsUsed(input, { assignment }),
    hostsReplayed: replayed,
    vmsPerHost: onHost.map((on) => on.length),
    header,
    partial,
    metrics,
  }
}

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
  const g = clusterSteps(trace, host, vms, run, seed, hosts, options)
  let step = g.next()
  while (!step.done) step = g.next()
  return step.value
}

/**
 * Cluster metrics: merging the run partials of DIFFERENT HOSTS of one cluster.
 *
 * concatPartial (partial.ts) merges pieces of ONE host's run (spans of time, groups of VMs): on a
 * tick both pieces have, it keeps the left piece's host fields (physical, reserve, free, state),
 * because both pieces saw the same host. Pieces from different hosts saw different hosts, so here:
 *   - VM figures (per-VM tables, heat grids, per-tick sums over VMs) merge as in concatPartial: the
 *     hosts' VMs are disjoint, so nothing is double-counted;
 *   - host physical, reserve and free are SUMMED over hosts on each tick (the cluster's memory);
 *   - the series' state on a tick is the most severe state of any host (HOST_STATES order: none,
 *     high, clear, soft, hard, low), for the report's state band;
 *   - stateShare in the metrics is the share of HOST-time in each state: the seconds each host
 *     spent in the state, summed over hosts, over (hosts x seconds). With one host it is the
 *     host's own stateShare.
 *   - over-commitment is a host's, not the cluster's (a VM's pages cannot be backed by another
 *     host's memory): overCommitRatio is the peak over hosts and ticks of each host's
 *     (touched - shared) / physical, overCommitTimeShare the share of HOST-time above 1. With one
 *     host both are the host's own. overAllocationRatio stays cluster-wide (configured / the
 *     cluster's physical), as placement spreads what is promised.
 * VMs a placement refused (never placed on any host) enter as a partial of their own with the
 * refused flag and no running time (refusedPartial), as the engine records a VM refused at start.
 *
 * Pure.
 */
import type { RunHeader } from '../engine/account.js'
import { HOST_STATES } from '../engine/account.js'
import { SLOWDOWN_BUCKETS } from './histogram.js'
import { allocSeries, concatPartial, emptyPartial, HOST_SUM_FIELDS, VM_REFUSED, VM_STAT_COUNT, type HostSeries, type RunPartial } from './partial.js'
import { finishRun, overCommitOf } from './finish.js'
import type { RunMetrics } from './run-metrics.js'

/** Sum the host fields of several hosts' series, tick by tick (union of ticks); VM sums added. */
const sumHostSeries = (parts: ReadonlyArray<HostSeries>): HostSeries => {
  const ticks = new Set<number>()
  for (const s of parts) for (let i = 0; i < s.length; i++) ticks.add(s.tick[i])
  const sorted = [...ticks].sort((a, b) => a - b)
  const row = new Map(sorted.map((t, i) => [t, i]))
  const out = allocSeries(sorted.length)
  const seen = new Uint8Array(sorted.length)
  for (const s of parts) {
    for (let i = 0; i < s.length; i++) {
      const k = row.get(s.tick[i]) as number
      if (!seen[k]) {
        seen[k] = 1
        out.tick[k] = s.tick[i]
        out.time[k] = s.time[i]
        out.seconds[k] = s.seconds[i]
        out.state[k] = s.state[i]
      } else if (s.state[i] > out.state[k]) out.state[k] = s.state[i]
      out.physical[k] += s.physical[i]
      out.reserve[k] += s.reserve[i]
      out.free[k] += s.free[i]
      for (const f of HOST_SUM_FIELDS) out.sums[f][k] += s.sums[f][i]
    }
  }
  return out
}

/**
 * Merge the partials of the hosts of a cluster (in host order) and of the VMs refused by placement.
 * VM order in the result: hosts' VMs in host order, then the refused ones.
 */
export const concatHostPartials = (hosts: ReadonlyArray<RunPartial>, refused: RunPartial = emptyPartial): RunPartial => {
  const vmsOnly = [...hosts, refused].reduce(concatPartial, emptyPartial)
  return { ...vmsOnly, series: sumHostSeries(hosts.map((h) => h.series)) }
}

/** A partial for VMs that never ran because no host would take them: refused flag, zero figures. */
export const refusedPartial = (vmIds: ReadonlyArray<string>): RunPartial => ({
  series: allocSeries(0),
  vms: {
    ids: [...vmIds],
    flags: new Uint8Array(vmIds.length).fill(VM_REFUSED),
    stats: new Float64Array(vmIds.length * VM_STAT_COUNT),
    hist: new Float64Array(vmIds.length * SLOWDOWN_BUCKETS),
  },
  heat: { bucketTicks: 0, buckets: 0, cells: new Float64Array(0) },
})

/** Share of host-time in each state, over the hosts' own series (see the module note). */
export const hostTimeStateShare = (hosts: ReadonlyArray<RunPartial>): Readonly<Record<string, number>> => {
  const sec = new Float64Array(HOST_STATES.length)
  let total = 0
  for (const h of hosts) {
    const s = h.series
    for (let i = 0; i < s.length; i++) {
      total += s.seconds[i]
      if (s.state[i] < sec.length) sec[s.state[i]] += s.seconds[i]
    }
  }
  const share: Record<string, number> = {}
  if (total > 0)
    HOST_STATES.forEach((name, k) => {
      if (name !== 'none' || sec[k] > 0) share[name] = sec[k] / total
    })
  return share
}

/** Peak over hosts of each host's over-commit ratio, and the share of host-time above 1. */
export const hostOverCommit = (hosts: ReadonlyArray<RunPartial>): { readonly ratio: number; readonly timeShare: number } => {
  let ratio = 0
  let over = 0
  let total = 0
  for (const h of hosts) {
    const oc = overCommitOf(h.series)
    ratio = Math.max(ratio, oc.ratio)
    over += oc.overSeconds
    total += oc.seconds
  }
  return { ratio, timeShare: total > 0 ? over / total : 0 }
}

/**
 * The cluster's RunMetrics: finishRun over the merged partial (header: the cluster's, with
 * host.physical and host.reserve the sums over hosts and vmIds every VM of the fleet), with
 * stateShare replaced by the share of host-time in each state and the over-commit figures by the
 * hosts' own (hostOverCommit). overAllocationRatio is cluster-wide.
 */
export const finishCluster = (
  header: RunHeader,
  hosts: ReadonlyArray<RunPartial>,
  refused: RunPartial = emptyPartial,
  error?: string,
): { readonly partial: RunPartial; readonly metrics: RunMetrics } => {
  const partial = concatHostPartials(hosts, refused)
  const m = finishRun(header, partial, error)
  const oc = hostOverCommit(hosts)
  return {
    partial,
    metrics: {
      ...m,
      overCommitRatio: oc.ratio,
      overCommitTimeShare: oc.timeShare,
      stateShare: header.hasStates ? hostTimeStateShare(hosts) : {},
    },
  }
}

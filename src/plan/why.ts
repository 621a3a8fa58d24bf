/**
 * Why a plan is not met, in words that name VMs (pure):
 *
 *   unplaceable       VMs that fit no host at all, even an empty one: their admission quantity
 *                     (admission.ts) is above what a host admits, or their configured size is above
 *                     the over-allocation cap. A refused VM stays refused whatever the host count,
 *                     so when there are more of them than the service level allows the plan cannot
 *                     be met and ends before any replay.
 *   explainViolations each broken term with the VMs concerned, read from the cluster's per-VM
 *                     figures: refused VMs; the VMs with most time under pressure; the VMs with most
 *                     time above the slowdown bound; the VMs whose pages went to host swap (largest
 *                     first). At most NAMED names in a sentence; the full list stays in plan.json.
 */
import type { HostSettings, VmSettings } from '../spec/settings.js'
import type { Trace } from '../trace/trace.js'
import { VM_REFUSED, VM_STAT_COUNT, vmStatIndex, type RunPartial } from '../metrics/partial.js'
import { SLOWDOWN_BUCKETS, SLOWDOWN_EDGES } from '../metrics/histogram.js'
import type { ClusterSetup } from './cluster.js'
import type { Violation } from './sla.js'

/** Names shown in a sentence; the rest are counted. */
export const NAMED = 5

const MIB_PER_GIB = 1024
const gib = (mib: number): string => `${Math.round((mib / MIB_PER_GIB) * 100) / 100} GiB`

/** "a, b, c and 4 more". */
export const nameList = (ids: ReadonlyArray<string>, named = NAMED): string =>
  ids.length <= named ? ids.join(', ') : `${ids.slice(0, named).join(', ')} and ${ids.length - named} more`

export interface UnplaceableVm {
  readonly vm: string
  /** What the VM asks a host for, MiB. */
  readonly needMiB: number
  /** The most a host gives it, MiB. */
  readonly capacityMiB: number
  /** One sentence: the VM, its size, the host's capacity. */
  readonly text: string
}

const QUANTITY: Readonly<Record<ClusterSetup['admission']['kind'], string>> = {
  static: 'its static size plus overhead',
  'dynamic-memory': 'its Startup RAM plus overhead',
  reservation: 'its reservation plus overhead',
  configured: 'its configured size plus overhead',
}

/** VMs that run and fit no host of this size, even an empty one (see the module note). */
export const unplaceable = (setup: ClusterSetup, trace: Trace, host: HostSettings, vms: ReadonlyArray<VmSettings>): ReadonlyArray<UnplaceableVm> => {
  const capacity = setup.admission.capacity(host)
  const cap = setup.overAllocationCap
  const hostText = `a ${gib(host.physicalMiB)} host admits at most ${gib(capacity)}${host.reserveMiB > 0 ? ` (after its ${gib(host.reserveMiB)} reserve)` : ''}`
  return vms.flatMap((vm, i): UnplaceableVm[] => {
    const t = trace.vms[i]
    if (!(t.firstTick < t.endTick)) return []
    const size = setup.admission.size(vm, host)
    if (size > capacity + 1e-9)
      return [{ vm: vm.id, needMiB: size, capacityMiB: capacity, text: `VM ${vm.id} needs ${gib(size)} (${QUANTITY[setup.admission.kind]}) but ${hostText}` }]
    const weight = setup.admission.weight(vm, host)
    if (cap !== null && weight > cap * capacity + 1e-9)
      return [
        {
          vm: vm.id,
          needMiB: weight,
          capacityMiB: cap * capacity,
          text: `VM ${vm.id} may grow to ${gib(weight)} (configured size plus overhead) but the over-allocation cap of ${cap} x the host allows ${gib(cap * capacity)} per host`,
        },
      ]
    return []
  })
}

const stat = (p: RunPartial, row: number, key: keyof typeof vmStatIndex): number => p.vms.stats[row * VM_STAT_COUNT + vmStatIndex[key]]

/** VM ids with a positive score, largest first (ties: fleet order). */
const ranked = (p: RunPartial, score: (row: number) => number): ReadonlyArray<string> =>
  p.vms.ids
    .map((id, row) => ({ id, row, s: score(row) }))
    .filter((x) => x.s > 0)
    .sort((a, b) => b.s - a.s || a.row - b.row)
    .map((x) => x.id)

/** Seconds a VM spent at a slowdown above `bound` (from its histogram: buckets whose lower edge is at or above it). */
const secondsAbove = (p: RunPartial, row: number, bound: number): number => {
  let s = 0
  for (let k = 0; k < SLOWDOWN_BUCKETS; k++) if (SLOWDOWN_EDGES[k] > bound) s += p.vms.hist[row * SLOWDOWN_BUCKETS + k]
  return s
}

/** The VMs concerned by one broken term (see the module note). */
export const vmsConcerned = (v: Violation, p: RunPartial): ReadonlyArray<string> => {
  switch (v.term) {
    case 'maxVmsRefused':
      return ranked(p, (row) => (p.vms.flags[row] & VM_REFUSED ? 1 : 0))
    case 'maxPressureOver100Share':
      return ranked(p, (row) => stat(p, row, 'pressureOverSeconds'))
    case 'maxSlowdownP99':
      return ranked(p, (row) => secondsAbove(p, row, v.bound))
    case 'maxHostSwapOutGiB':
      return ranked(p, (row) => stat(p, row, 'swapOutMiB'))
    default:
      return []
  }
}

const CONCERN: Readonly<Record<string, string>> = {
  maxVmsRefused: 'refused',
  maxPressureOver100Share: 'most time under pressure',
  maxSlowdownP99: 'most time above the bound',
  maxHostSwapOutGiB: 'most swapped',
}

/** The violations with the VMs concerned named in each sentence and listed in `vms`. */
export const explainViolations = (violations: ReadonlyArray<Violation>, p: RunPartial): ReadonlyArray<Violation> =>
  violations.map((v) => {
    const vms = vmsConcerned(v, p)
    if (vms.length === 0) return v
    return { ...v, vms, text: `${v.text} (${vms.length} VM${vms.length === 1 ? '' : 's'}; ${CONCERN[v.term] ?? 'concerned'}: ${nameList(vms)})` }
  })

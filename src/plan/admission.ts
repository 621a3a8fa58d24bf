/**
 * What placement counts for each policy: the quantity the policy's own admission control counts,
 * so that a VM placed on a host is a VM that host's policy would admit at its start.
 *
 *   static           staticMiB + vmOverhead; capacity (physical - reserve) x admissionShare
 *   dynamic-memory   min(startup, maximum) + vmOverhead (Hyper-V admits on Startup RAM)
 *   overcommit       reservationMiB + vmOverhead (ESX admits on reservations), plus the policy's
 *                    maxOverAllocation, if set, as the over-allocation cap
 *   kvm-mom          reservationMiB + vmOverhead, no cap unless given
 *   anything else    (a user policy we know nothing about) its configured size (staticMiB, the
 *                    peak configured memory by default) + vmOverhead, FFD: the conservative
 *                    assumption that it cannot over-allocate, as static.
 *
 * The default placement rule per policy, and why (THE modelling point of placement):
 *   For dynamic-memory, overcommit and kvm-mom the admission quantity (Startup 1 GiB, reservation 0)
 *   is far below what the VMs then use. First-fit on it would pile every VM onto host 1 (36 VMs x
 *   1 GiB fit any host), so adding hosts would never help and the search over N would be
 *   meaningless. A real cluster scheduler (SCVMM, DRS initial placement) balances load instead, so
 *   the default for those is 'spread': worst-fit decreasing on the VMs' configured sizes (what they
 *   may grow to hold), admitting only where the admission quantity fits. An over-allocation cap
 *   (--max-over-allocation, or overcommit's own maxOverAllocation param) can be added; with a cap,
 *   'ffd' also becomes meaningful (it packs up to the cap) and may be chosen with --placement ffd.
 *   For static and unknown policies the default is 'ffd': admission is on the full size, so packing
 *   is exactly what a static cluster can do, and the host count is the FFD bin-packing count.
 */
import type { HostSettings, VmSettings } from '../spec/settings.js'
import type { VmTrace } from '../trace/trace.js'
import type { PlacementName, PlacementVm } from './placement.js'

export interface AdmissionModel {
  /** Which rule of the list above applied. */
  readonly kind: 'static' | 'dynamic-memory' | 'reservation' | 'configured'
  /** One sentence for plan output and reports. */
  readonly description: string
  /** Admission quantity of a VM, MiB. */
  readonly size: (vm: VmSettings, host: HostSettings) => number
  /** What the VM may grow to hold, MiB (balanced by spread, bounded by the over-allocation cap). */
  readonly weight: (vm: VmSettings, host: HostSettings) => number
  /** Capacity admission counts against, MiB. */
  readonly capacity: (host: HostSettings) => number
  /** Over-allocation cap the policy itself applies (x capacity), or null. */
  readonly policyCap: number | null
  readonly defaultPlacement: PlacementName
}

const configured = (vm: VmSettings, host: HostSettings): number => Math.max(vm.staticMiB, vm.maximumMiB) + host.vmOverheadMiB
const free = (host: HostSettings): number => host.physicalMiB - host.reserveMiB

const numberParam = (params: unknown, key: string): number | null => {
  if (typeof params !== 'object' || params === null) return null
  const v = (params as Record<string, unknown>)[key]
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}

/** The admission model of a policy (by name), given its decoded params. */
export const admissionModel = (policyName: string, params: unknown): AdmissionModel => {
  switch (policyName) {
    case 'static': {
      const share = numberParam(params, 'admissionShare') ?? 1
      return {
        kind: 'static',
        description: `static admits a VM on its static size plus overhead${share === 1 ? '' : `, within ${share} of the host`}: placed first-fit decreasing on that size`,
        size: (vm, host) => vm.staticMiB + host.vmOverheadMiB,
        weight: (vm, host) => vm.staticMiB + host.vmOverheadMiB,
        capacity: (host) => free(host) * share,
        policyCap: null,
        defaultPlacement: 'ffd',
      }
    }
    case 'dynamic-memory':
      return {
        kind: 'dynamic-memory',
        description:
          'dynamic-memory admits a VM on its Startup RAM plus overhead, far below what it then uses: placed by spread (worst-fit decreasing on configured size), since first-fit on Startup RAM would put every VM on one host',
        size: (vm, host) => Math.min(vm.startupMiB, vm.maximumMiB) + host.vmOverheadMiB,
        weight: configured,
        capacity: free,
        policyCap: null,
        defaultPlacement: 'spread',
      }
    case 'overcommit':
    case 'kvm-mom': {
      const cap = numberParam(params, 'maxOverAllocation')
      return {
        kind: 'reservation',
        description: `${policyName} admits a VM on its reservation plus overhead${cap === null ? '' : `, with over-allocation capped at ${cap} x the host`}: placed by spread (worst-fit decreasing on configured size), since first-fit on reservations would put every VM on one host`,
        size: (vm, host) => vm.reservationMiB + host.vmOverheadMiB,
        weight: configured,
        capacity: free,
        policyCap: cap,
        defaultPlacement: 'spread',
      }
    }
    default:
      return {
        kind: 'configured',
        description: `${policyName} is not a policy the planner knows: placed as static would be (configured size plus overhead, first-fit decreasing), the conservative assumption`,
        size: (vm, host) => vm.staticMiB + host.vmOverheadMiB,
        weight: (vm, host) => vm.staticMiB + host.vmOverheadMiB,
        capacity: free,
        policyCap: null,
        defaultPlacement: 'ffd',
      }
  }
}

/** The placement items of a fleet under an admission model. */
export const placementVms = (model: AdmissionModel, host: HostSettings, vms: ReadonlyArray<VmSettings>, traces: ReadonlyArray<VmTrace>): ReadonlyArray<PlacementVm> =>
  vms.map((vm, index) => ({
    index,
    size: model.size(vm, host),
    weight: model.weight(vm, host),
    firstTick: traces[index].firstTick,
    endTick: traces[index].endTick,
  }))

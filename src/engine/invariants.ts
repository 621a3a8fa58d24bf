/**
 * The engine's invariants, checked after every tick when asked (tests, check-policy):
 *   - memory is conserved on the host: sum(resident + overhead) + reserve + free = physical;
 *   - 0 <= resident <= touched <= assigned (what the guest may use, which a fleet spec may set above
 *     the trace's configured size); a host that does not overcommit backs what it assigns (resident = assigned);
 *   - no quantity negative or not finite;
 *   - assigned within [minimum, maximum] for policies that promise it (Hyper-V);
 *   - reservation and limit honoured for policies that promise it (ESX);
 *   - policies that do not overcommit never swap or compress at the host.
 * Returns the first broken rule as a sentence, or undefined.
 */
import { VM_FIELDS, VmStatus, type TickAccount } from './account.js'
import type { PolicyTraits } from './policy.js'
import type { HostSettings, VmSettings } from '../spec/settings.js'

const TOL = 1e-3 // MiB: float sums over hundreds of VMs

export interface InvariantBreach {
  readonly vm: number | undefined
  readonly rule: string
  readonly detail: string
}

export const checkInvariants = (
  acc: TickAccount,
  host: HostSettings,
  vms: ReadonlyArray<VmSettings>,
  traits: PolicyTraits,
): InvariantBreach | undefined => {
  const { vm } = acc
  let used = host.reserveMiB
  for (let v = 0; v < vms.length; v++) {
    for (const f of VM_FIELDS) {
      const x = vm[f][v]
      if (!Number.isFinite(x) || x < -TOL) return { vm: v, rule: 'non-negative', detail: `${f} is ${x}` }
    }
    if (acc.status[v] !== VmStatus.running) continue
    used += vm.resident[v] + vm.overhead[v]
    const R = vm.resident[v]
    const T = vm.touched[v]
    if (R > T + TOL) return { vm: v, rule: 'resident<=touched', detail: `resident ${R} > touched ${T}` }
    if (T > vm.assigned[v] + TOL) return { vm: v, rule: 'touched<=assigned', detail: `touched ${T} > assigned ${vm.assigned[v]}` }
    if (traits.minMax) {
      const s = vms[v]
      // The floor is the minimum, or startup when it is lower (a VM boots at startup before it may shrink).
      const floor = Math.min(s.minimumMiB, s.startupMiB)
      if (vm.assigned[v] > s.maximumMiB + TOL || vm.assigned[v] < floor - TOL)
        return { vm: v, rule: 'assigned-within-bounds', detail: `assigned ${vm.assigned[v]} outside [${floor}, ${s.maximumMiB}]` }
    }
    if (traits.reservations) {
      const s = vms[v]
      const floor = Math.min(s.reservationMiB, T)
      const held = T - vm.compressed[v] - vm.swapped[v]
      if (held < floor - TOL) return { vm: v, rule: 'reservation', detail: `host holds ${held} MiB of touched pages, below the reservation ${s.reservationMiB}` }
      if (vm.assigned[v] < Math.min(s.reservationMiB, vm.visible[v]) - TOL)
        return { vm: v, rule: 'reservation', detail: `ballooned below the reservation: assigned ${vm.assigned[v]} < ${s.reservationMiB}` }
      if (R > s.limitMiB + TOL) return { vm: v, rule: 'limit', detail: `resident ${R} > limit ${s.limitMiB}` }
    }
    if (!traits.overcommit && Math.abs(R - vm.assigned[v]) > TOL)
      return { vm: v, rule: 'resident=assigned', detail: `a host that does not overcommit backs what it assigns: resident ${R}, assigned ${vm.assigned[v]}` }
    if (!traits.overcommit && (vm.swapped[v] > 0 || vm.compressed[v] > 0))
      return { vm: v, rule: 'no-host-swap', detail: `swapped ${vm.swapped[v]}, compressed ${vm.compressed[v]}` }
  }
  const sum = used + acc.host.free
  if (Math.abs(sum - host.physicalMiB) > TOL * Math.max(1, vms.length))
    return { vm: undefined, rule: 'conservation', detail: `resident + overhead + reserve + free = ${sum} MiB, physical = ${host.physicalMiB} MiB` }
  return undefined
}

/**
 * The planner's law: more host memory never makes a policy's result worse. A plan reads "N hosts
 * meet the service level" as "N + 1 do too"; a policy for which a bigger host raises the memory
 * its VMs go without, its host swap or its refusals breaks that reading.
 *
 * What is compared, over the whole fleet (so that refusing a VM is never "better"):
 *   unserved  GiB-hours of working set the VMs did not have: guest paging, host-swap and
 *             compression hits, blocked allocations of running VMs, and the whole demand of a VM
 *             powered on but refused;
 *   swapOut   GiB written to host swap;
 *   refused   VMs refused at least once.
 * A bigger host may be worse by sampling noise only (ESX's active-memory sampling draws differ when
 * the host changes): `tolerance` relative, plus a small absolute floor: 0.5% of the fleet's demand,
 * and for swap-out also 2% of the bigger host's memory (ESX keeps free memory above thresholds that
 * grow with the host, minFree being 1-6% of it, so a bigger host may swap a little more to keep them).
 */
import * as E from 'fp-ts/lib/Either.js'
import { VmStatus } from '../account.js'
import type { AnyPolicy } from '../policy.js'
import { replay } from '../replay.js'
import { DEFAULT_WORLD, type WorldParams } from '../world.js'
import type { Trace } from '../../trace/trace.js'
import type { HostSettings, VmSettings } from '../../spec/settings.js'

export interface Outcome {
  readonly unservedGiBh: number
  readonly swapOutGiB: number
  readonly refused: number
  /** The fleet's demand, GiB-hours (the scale of the absolute floor), and the host's memory, GiB. */
  readonly demandGiBh: number
  readonly physicalGiB: number
}

export interface MonotoneBreach {
  readonly figure: 'unserved' | 'swapOut' | 'refused'
  readonly smaller: Outcome
  readonly bigger: Outcome
  readonly detail: string
}

/** Relative slack for sampling noise (5%), and the absolute floor as a share of the fleet's demand. */
export const MONOTONE_TOLERANCE = 0.05
export const MONOTONE_FLOOR_SHARE = 0.005
export const MONOTONE_SWAP_FLOOR_HOST_SHARE = 0.02

/** What a replay leaves the VMs without (undefined: the policy stopped on a rule). */
export const outcomeOf = (policy: AnyPolicy, params: unknown, trace: Trace, host: HostSettings, vms: ReadonlyArray<VmSettings>, seed: number, world: WorldParams = DEFAULT_WORLD): Outcome | undefined => {
  let unserved = 0
  let swapOut = 0
  let demand = 0
  const refused = new Uint8Array(vms.length)
  const res = replay({ trace, host, vms, policy, params, seed }, (a) => {
    const h = a.seconds / 3600
    const { vm, status } = a
    for (let v = 0; v < vms.length; v++) {
      const tr = trace.vms[v]
      const d = tr.on[a.tick] === 1 ? tr.demand[a.tick] : 0
      demand += d * h
      if (status[v] === VmStatus.refused) {
        refused[v] = 1
        unserved += d * h
      } else if (status[v] === VmStatus.running) {
        unserved += (vm.guestPaging[v] + vm.hostSwapHit[v] + vm.compressedHit[v] + vm.blocked[v]) * h
        swapOut += vm.swapOut[v]
      }
    }
  }, world)
  if (E.isLeft(res)) return undefined
  return { unservedGiBh: unserved / 1024, swapOutGiB: swapOut / 1024, refused: refused.reduce((s, x) => s + x, 0), demandGiBh: demand / 1024, physicalGiB: host.physicalMiB / 1024 }
}

/**
 * Whether `bigger` (on more host memory) is worse than `smaller` beyond the noise allowed. `swap`
 * false leaves swap-out out: a VM limit below what the VM touches swaps by design on a host that
 * lets it touch that much (Windows zeroing its memory at boot under a limit, a known VMware pitfall),
 * while a host too small to back those pages blocks them instead; that swap is the limit's doing.
 */
export const monotoneBreach = (smaller: Outcome, bigger: Outcome, swap = true, tolerance = MONOTONE_TOLERANCE, floorShare = MONOTONE_FLOOR_SHARE): MonotoneBreach | undefined => {
  const floor = floorShare * Math.max(smaller.demandGiBh, 1 / 1024)
  const worse = (a: number, b: number, f: number) => b > a * (1 + tolerance) + f
  if (bigger.refused > smaller.refused)
    return { figure: 'refused', smaller, bigger, detail: `refuses ${bigger.refused} VMs on the bigger host against ${smaller.refused}` }
  if (worse(smaller.unservedGiBh, bigger.unservedGiBh, floor))
    return { figure: 'unserved', smaller, bigger, detail: `leaves ${bigger.unservedGiBh.toFixed(3)} GiBh of working set unserved on the bigger host against ${smaller.unservedGiBh.toFixed(3)}` }
  if (swap && worse(smaller.swapOutGiB, bigger.swapOutGiB, Math.max(floor, MONOTONE_SWAP_FLOOR_HOST_SHARE * bigger.physicalGiB)))
    return { figure: 'swapOut', smaller, bigger, detail: `swaps out ${bigger.swapOutGiB.toFixed(3)} GiB on the bigger host against ${smaller.swapOutGiB.toFixed(3)}` }
  return undefined
}

/** Replays on `host` and on `host` with `extraMiB` more physical memory; the breach, if any. */
export const monotoneFinding = (
  policy: AnyPolicy,
  params: unknown,
  s: { readonly trace: Trace; readonly host: HostSettings; readonly vms: ReadonlyArray<VmSettings> },
  extraMiB: number,
  seed: number,
  world: WorldParams = DEFAULT_WORLD,
): MonotoneBreach | undefined => {
  const small = outcomeOf(policy, params, s.trace, s.host, s.vms, seed, world)
  const big = outcomeOf(policy, params, s.trace, { ...s.host, physicalMiB: s.host.physicalMiB + extraMiB }, s.vms, seed, world)
  // A run that stops on a rule is the invariant check's business, not this one's. Swap-out is
  // judged only where no VM has a limit below its size (see monotoneBreach).
  const limited = s.vms.some((v) => v.limitMiB < v.staticMiB)
  return small === undefined || big === undefined ? undefined : monotoneBreach(small, big, !limited)
}

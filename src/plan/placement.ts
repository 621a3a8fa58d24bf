/**
 * Placement: which of N identical hosts each VM runs on. A placement rule is a pure function, like
 * a policy: (input) -> an assignment per VM (a host index, or null when no host would take it: the
 * VM is refused, as a hypervisor's admission control would refuse it).
 *
 * VMs are placed once, when they start (no live migration). Room for migration later: a placement
 * is data (an assignment per VM), so a future migration step can be a function
 * (assignment, observation of the hosts) -> moves, applied between ticks, without changing this
 * contract.
 *
 * Time-aware: a VM occupies its host over its lifetime [firstTick, endTick) (off periods in between
 * included: its host keeps its slot, as a cluster keeps a VM registered on its host). A VM fits a
 * host if, at every tick of its lifetime, the sizes of the VMs already placed there plus its own
 * stay within the host's capacity; VMs whose lifetimes do not overlap can share. Load is kept as a
 * step function over the distinct lifetime boundaries, so a check costs O(VMs), not O(ticks).
 *
 * Two quantities per VM:
 *   size    what the policy's admission control counts (admission.ts): must fit (sum <= capacity);
 *   weight  what the VM may grow to use (its configured size plus overhead): 'spread' balances it,
 *           and the optional over-allocation cap bounds it (sum of weights <= cap x capacity).
 * For static the two are the same number.
 *
 * Rules:
 *   ffd     first-fit decreasing: VMs by size (then weight, then fleet order) descending, each to the
 *           first host where it fits. With every VM running throughout, this is textbook FFD bin
 *           packing.
 *   spread  worst-fit decreasing: VMs by weight (then size, then fleet order) descending, each to the
 *           host with the most room, room = capacity - peak placed weight over the VM's lifetime
 *           (ties: lowest host index), among hosts where its size fits.
 */

export interface PlacementVm {
  /** Index in the fleet (the trace's VM order). */
  readonly index: number
  /** Admission quantity, MiB (policy-specific: admission.ts). */
  readonly size: number
  /** What the VM may grow to hold (configured + overhead), MiB. */
  readonly weight: number
  /** Lifetime [firstTick, endTick); a VM with firstTick >= endTick never runs and takes no room. */
  readonly firstTick: number
  readonly endTick: number
}

export interface PlacementInput {
  readonly hosts: number
  /** Memory per host that admission counts against (physical - reserve, times any admission share), MiB. */
  readonly capacityMiB: number
  readonly vms: ReadonlyArray<PlacementVm>
  /** Optional cap on over-allocation: sum of weights on a host <= cap x capacityMiB; null = none. */
  readonly overAllocationCap: number | null
}

/** Host index per VM (by PlacementVm.index order of the input: assignment[k] is for input.vms[k]); null = refused. */
export interface Placement {
  readonly assignment: ReadonlyArray<number | null>
}

export type PlacementRule = (input: PlacementInput) => Placement

export const PLACEMENT_NAMES = ['ffd', 'spread'] as const
export type PlacementName = (typeof PLACEMENT_NAMES)[number]

const EPS = 1e-9

/** Per-host load as step functions over the segments between lifetime boundaries. */
interface Loads {
  readonly bounds: ReadonlyArray<number>
  readonly seg: (tick: number) => number
  readonly size: Float64Array[] // per host, per segment
  readonly weight: Float64Array[]
}

const makeLoads = (input: PlacementInput): Loads => {
  const set = new Set<number>()
  for (const v of input.vms) if (v.firstTick < v.endTick) set.add(v.firstTick).add(v.endTick)
  const bounds = [...set].sort((a, b) => a - b)
  const index = new Map(bounds.map((b, i) => [b, i]))
  const nSeg = Math.max(0, bounds.length - 1)
  return {
    bounds,
    seg: (tick) => index.get(tick) as number,
    size: Array.from({ length: input.hosts }, () => new Float64Array(nSeg)),
    weight: Array.from({ length: input.hosts }, () => new Float64Array(nSeg)),
  }
}

const peak = (load: Float64Array, from: number, to: number): number => {
  let m = 0
  for (let s = from; s < to; s++) if (load[s] > m) m = load[s]
  return m
}

const fits = (input: PlacementInput, loads: Loads, h: number, vm: PlacementVm, a: number, b: number): boolean => {
  if (peak(loads.size[h], a, b) + vm.size > input.capacityMiB + EPS) return false
  if (input.overAllocationCap !== null && peak(loads.weight[h], a, b) + vm.weight > input.overAllocationCap * input.capacityMiB + EPS) return false
  return true
}

const place = (loads: Loads, h: number, vm: PlacementVm, a: number, b: number): void => {
  for (let s = a; s < b; s++) {
    loads.size[h][s] += vm.size
    loads.weight[h][s] += vm.weight
  }
}

const greedy =
  (order: (a: PlacementVm, b: PlacementVm) => number, choose: (input: PlacementInput, loads: Loads, vm: PlacementVm, a: number, b: number) => number | null): PlacementRule =>
  (input) => {
    const loads = makeLoads(input)
    const assignment: Array<number | null> = input.vms.map(() => null)
    const keys = input.vms.map((vm, k) => ({ vm, k })).sort((x, y) => order(x.vm, y.vm) || x.vm.index - y.vm.index)
    for (const { vm, k } of keys) {
      if (!(vm.firstTick < vm.endTick)) {
        assignment[k] = input.hosts > 0 ? 0 : null // never runs: any host will do, it takes no room
        continue
      }
      const a = loads.seg(vm.firstTick)
      const b = loads.seg(vm.endTick)
      const h = choose(input, loads, vm, a, b)
      if (h !== null) {
        place(loads, h, vm, a, b)
        assignment[k] = h
      }
    }
    return { assignment }
  }

/** First-fit decreasing (by admission size). */
export const ffd: PlacementRule = greedy(
  (x, y) => y.size - x.size || y.weight - x.weight,
  (input, loads, vm, a, b) => {
    for (let h = 0; h < input.hosts; h++) if (fits(input, loads, h, vm, a, b)) return h
    return null
  },
)

/** Worst-fit decreasing (by weight): to the host with the most room. */
export const spread: PlacementRule = greedy(
  (x, y) => y.weight - x.weight || y.size - x.size,
  (input, loads, vm, a, b) => {
    let best: number | null = null
    let bestLoad = Infinity
    for (let h = 0; h < input.hosts; h++) {
      if (!fits(input, loads, h, vm, a, b)) continue
      const load = peak(loads.weight[h], a, b)
      if (load < bestLoad - EPS) {
        best = h
        bestLoad = load
      }
    }
    return best
  },
)

export const PLACEMENT_RULES: Readonly<Record<PlacementName, PlacementRule>> = { ffd, spread }

/** Hosts a placement actually uses (some VM assigned that runs). */
export const hostsUsed = (input: PlacementInput, p: Placement): number => {
  const used = new Set<number>()
  p.assignment.forEach((h, k) => {
    const vm = input.vms[k]
    if (h !== null && vm.firstTick < vm.endTick) used.add(h)
  })
  return used.size
}

/** VMs that run at some tick and that the placement refused. */
export const placementRefused = (input: PlacementInput, p: Placement): ReadonlyArray<number> =>
  p.assignment.flatMap((h, k) => (h === null && input.vms[k].firstTick < input.vms[k].endTick ? [input.vms[k].index] : []))

/**
 * The searches of a plan, as pure functions over an evaluation (a cluster replay, or anything else
 * in tests):
 *
 *   smallestHosts   the fewest hosts N in [from, to] whose evaluation meets the service level: a
 *                   scan upward from `from`, so it is exactly the smallest N >= from that meets,
 *                   whether or not more hosts always help (no monotonicity is assumed). Each N is
 *                   first screened by placement alone (cheap): if placement already refuses more VMs
 *                   than the level allows, N fails without a replay (a refused VM stays refused).
 *   smallestSize    the smallest host size (a multiple of `granularity`) meeting the level with N
 *                   hosts: a placement-only scan finds the first size at which placement no longer
 *                   refuses too many VMs (exact); from there a doubling search and a bisection with
 *                   replays, which ASSUMES that more memory per host never makes things worse past
 *                   that point (it checks that the answer meets and one step below fails, and says so).
 */

export interface Probe<R> {
  /** Evaluated point: a host count or a host size (MiB). */
  readonly at: number
  /** Did placement alone settle it (no replay)? */
  readonly screened: boolean
  readonly result: R
  readonly meets: boolean
}

export interface ScanResult<R> {
  /** The smallest point that meets, or null if none in range. */
  readonly found: number | null
  /** Every point evaluated, ascending. */
  readonly probes: ReadonlyArray<Probe<R>>
}

export interface Evaluator<R> {
  /** Cheap check: undefined if placement does not settle it; else the (failing) result to record. */
  readonly screen: (at: number) => R | undefined
  /** Full evaluation (replay). */
  readonly evaluate: (at: number) => R
  readonly meets: (r: R) => boolean
}

const probe = <R>(ev: Evaluator<R>, at: number): Probe<R> => {
  const s = ev.screen(at)
  if (s !== undefined) return { at, screened: true, result: s, meets: false }
  const r = ev.evaluate(at)
  return { at, screened: false, result: r, meets: ev.meets(r) }
}

/** The smallest whole N in [from, to] that meets (a scan upward). */
export const smallestHosts = <R>(ev: Evaluator<R>, from: number, to: number): ScanResult<R> => {
  const probes: Probe<R>[] = []
  for (let n = Math.max(1, from); n <= to; n++) {
    const p = probe(ev, n)
    probes.push(p)
    if (p.meets) return { found: n, probes }
  }
  return { found: null, probes }
}

/**
 * The smallest size k x granularity (k >= 1, size <= max) that meets; see the module note.
 * `screenFrom`: a size from which to start the placement-only scan (a multiple of granularity).
 */
export const smallestSize = <R>(ev: Evaluator<R>, granularity: number, max: number, screenFrom = granularity): ScanResult<R> & { readonly assumedMonotone: boolean } => {
  const tried = new Map<number, Probe<R>>()
  const at = (size: number): Probe<R> => {
    const known = tried.get(size)
    if (known !== undefined) return known
    const p = probe(ev, size)
    tried.set(size, p)
    return p
  }
  const sorted = (): ReadonlyArray<Probe<R>> => [...tried.values()].sort((a, b) => a.at - b.at)
  const g = granularity
  // 1. placement-only scan (no replays): the first size placement accepts.
  const kMax = Math.floor(max / g)
  let k = Math.max(1, Math.round(screenFrom / g))
  while (k <= kMax && ev.screen(k * g) !== undefined) k++
  if (k > 1) at((k - 1) * g) // recorded: the largest size placement refuses
  if (k > kMax) return { found: null, probes: sorted(), assumedMonotone: false }
  // 2. doubling from there until a size meets.
  let lo = k - 1 // largest known failing multiple (0: none)
  let step = 1
  let hi = k
  for (;;) {
    const p = at(hi * g)
    if (p.meets) break
    lo = hi
    if (hi >= kMax) return { found: null, probes: sorted(), assumedMonotone: true }
    hi = Math.min(kMax, hi + step)
    step *= 2
  }
  // 3. bisection between lo (fails or 0) and hi (meets).
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2)
    if (at(mid * g).meets) hi = mid
    else lo = mid
  }
  if (lo >= 1) at(lo * g) // one step below is known to fail (evaluated during the search or now)
  return { found: hi * g, probes: sorted(), assumedMonotone: true }
}

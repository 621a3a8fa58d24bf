/**
 * Whom ESX reclaims from: min-funding revocation with the idle memory tax (Waldspurger, "Memory
 * Resource Management in VMware ESX Server", OSDI 2002, section 5.2).
 *
 * A client with S shares and an allocation of P pages, a fraction f of them active, has the
 * adjusted shares-per-page ratio
 *
 *     rho = S / (P x (f + k x (1 - f))),    k = 1 / (1 - tau)
 *
 * with tau the idle memory tax rate (0 <= tau < 1; ESX default 75%, so an idle page costs k = 4 active
 * pages; tau = 0 is pure proportional share, rho = S / P). Memory is revoked from the client with the
 * lowest rho first. Writing A = f x P for the active pages, the denominator is the "cost" of the
 * allocation, c(P) = min(P, A) + k x max(0, P - A): taking a page away removes an idle page (cost k)
 * while any remain, then active ones (cost 1). Revoking one page at a time from the lowest rho is, in
 * the limit of small pages, water-filling on c / S: every client giving memory ends at the same rho
 * (the same c / S), clients already above that rho give nothing, and no client goes below its floor.
 * This module computes that limit exactly (the common level, found among the kinks of a piecewise-
 * linear sum), so the result does not depend on a quantum.
 */

export interface TaxClient {
  /** Shares (S). */
  readonly shares: number
  /** Pages allocated now (P, MiB). */
  readonly pages: number
  /** Active pages (A = f x P, MiB; clipped to [0, P]). */
  readonly active: number
  /** Pages the client keeps whatever happens (reservation, mechanism limits), MiB. */
  readonly floor: number
}

/** k = 1 / (1 - tau), the cost of an idle page in active pages. */
export const idlePageCost = (tax: number): number => 1 / (1 - Math.min(Math.max(tax, 0), 0.999999))

/** The cost c(P) of holding P pages of which A are active. */
const costOf = (pages: number, active: number, k: number): number => Math.min(pages, active) + k * Math.max(0, pages - active)

/** The allocation whose cost is y (inverse of costOf in P). */
const pagesAtCost = (y: number, active: number, k: number): number => (y <= active ? y : active + (y - active) / k)

/**
 * The level y at which a non-decreasing, piecewise-linear f(y) = `target`, given f's breakpoints
 * (kinks): binary search over the sorted breakpoints, then linear interpolation inside the bracket.
 * f is exact between kinks, so this is exact, in O(n log n) rather than the ~55 evaluations of a
 * bisection on doubles (this runs every control step for every VM of an ESX host).
 */
const levelAt = (kinks: ReadonlyArray<number>, f: (y: number) => number, target: number): number => {
  // A typed array sorts numerically, natively, and far faster than an array with a comparator.
  let m = 0
  const all = new Float64Array(kinks.length)
  for (const y of kinks) if (Number.isFinite(y) && y >= 0) all[m++] = y
  const ys = all.subarray(0, m).sort()
  if (ys.length === 0) return 0
  if (f(ys[0]) >= target) return ys[0]
  let lo = 0
  let hi = ys.length - 1
  if (f(ys[hi]) < target) return ys[hi]
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1
    if (f(ys[mid]) < target) lo = mid
    else hi = mid
  }
  const y0 = ys[lo]
  const y1 = ys[hi]
  const f0 = f(y0)
  const f1 = f(y1)
  return f1 > f0 ? y0 + ((target - f0) / (f1 - f0)) * (y1 - y0) : y1
}

/** The adjusted shares-per-page ratio rho = S / (P (f + k (1 - f))). */
export const sharesPerPage = (c: TaxClient, tax: number): number => {
  const k = idlePageCost(tax)
  const cost = costOf(c.pages, Math.min(Math.max(c.active, 0), c.pages), k)
  return cost > 0 ? c.shares / cost : Infinity
}

/**
 * MiB to take from each client so that `amount` MiB are reclaimed in all, lowest rho first, never
 * taking a client below its floor. If the clients cannot give `amount`, each gives all it can.
 */
export const idleTaxReclaim = (clients: ReadonlyArray<TaxClient>, amount: number, tax: number): Float64Array => {
  const n = clients.length
  const out = new Float64Array(n)
  if (!(amount > 0) || n === 0) return out
  const k = idlePageCost(tax)
  const active = clients.map((c) => Math.min(Math.max(c.active, 0), Math.max(c.pages, 0)))
  const floor = clients.map((c) => Math.min(Math.max(c.floor, 0), Math.max(c.pages, 0)))
  let available = 0
  for (let v = 0; v < n; v++) available += Math.max(0, clients[v].pages) - floor[v]
  if (amount >= available) {
    for (let v = 0; v < n; v++) out[v] = Math.max(0, clients[v].pages) - floor[v]
    return out
  }
  // Allocation of client v when every giver is brought down to cost-per-share y.
  const keep = (v: number, y: number): number => {
    const c = clients[v]
    const p = Math.max(0, c.pages)
    return Math.max(floor[v], Math.min(p, pagesAtCost(y * Math.max(0, c.shares), active[v], k)))
  }
  const taken = (y: number): number => {
    let s = 0
    for (let v = 0; v < n; v++) s += Math.max(0, clients[v].pages) - keep(v, y)
    return s
  }
  // taken(y) falls from `available` (y = 0) to 0 (y = the highest c/S); find taken(y) = amount.
  // Each client's keep(v, y) kinks where it reaches its floor, its active pages, and all its pages.
  const kinks: number[] = []
  for (let v = 0; v < n; v++) {
    const s = Math.max(0, clients[v].shares)
    if (!(s > 0)) continue
    kinks.push(costOf(floor[v], active[v], k) / s, active[v] / s, costOf(Math.max(0, clients[v].pages), active[v], k) / s)
  }
  const y = levelAt(kinks, (x) => -taken(x), -amount)
  for (let v = 0; v < n; v++) out[v] = Math.max(0, clients[v].pages) - keep(v, y)
  // Bisection leaves taken(hi) <= amount by a hair: give the rest to the clients still giving.
  let rest = amount - out.reduce((a, b) => a + b, 0)
  for (let v = 0; v < n && rest > 0; v++) {
    const more = Math.min(rest, Math.max(0, clients[v].pages) - floor[v] - out[v])
    if (more > 0 && out[v] > 0) {
      out[v] += more
      rest -= more
    }
  }
  return out
}

/**
 * Compression applies only to pages chosen for swap (ESX 4.1+): of `chosen` MiB, the share that
 * compresses to 2 KB or less goes to the compression cache while the cache has room (`cacheRoom`,
 * MiB of uncompressed pages), the rest to swap. Returns [compressed, swapped].
 */
export const splitPageOut = (chosen: number, compressibleShare: number, cacheRoom: number): readonly [number, number] => {
  const c = Math.max(0, Math.min(chosen * compressibleShare, cacheRoom))
  return [c, Math.max(0, chosen - c)]
}

export interface GrantClient {
  readonly shares: number
  /** Pages allocated now (P, MiB). */
  readonly pages: number
  /** Active pages (A, MiB). */
  readonly active: number
  /** MiB that can be given back to the client (its balloon, its swapped and compressed pages). */
  readonly room: number
}

/**
 * The reverse of idleTaxReclaim, for memory handed back when pressure is gone: MiB to give each
 * client so that `amount` MiB are given in all, highest rho first (the clients that value a page
 * most: many shares, few idle pages), never more than a client's room. Pages given back count as
 * idle (the active estimate has not seen them yet).
 */
export const idleTaxGrant = (clients: ReadonlyArray<GrantClient>, amount: number, tax: number): Float64Array => {
  const n = clients.length
  const out = new Float64Array(n)
  if (!(amount > 0) || n === 0) return out
  const k = idlePageCost(tax)
  const pages = clients.map((c) => Math.max(0, c.pages))
  const active = clients.map((c, v) => Math.min(Math.max(c.active, 0), pages[v]))
  const room = clients.map((c) => Math.max(0, c.room))
  const total = room.reduce((a, b) => a + b, 0)
  if (amount >= total) return Float64Array.from(room)
  // Client v's allocation when every receiver is raised to cost-per-share y.
  const raised = (v: number, y: number): number => Math.min(pages[v] + room[v], Math.max(pages[v], pagesAtCost(y * Math.max(0, clients[v].shares), active[v], k)))
  const given = (y: number): number => {
    let s = 0
    for (let v = 0; v < n; v++) s += raised(v, y) - pages[v]
    return s
  }
  // given(y) rises from 0 to `total`; find given(y) = amount. Each client's raised(v, y) kinks where
  // it starts to receive, at its active pages, and where its room is full.
  const kinks: number[] = []
  for (let v = 0; v < n; v++) {
    const s = Math.max(0, clients[v].shares)
    if (!(s > 0) || !(room[v] > 0)) continue
    kinks.push(costOf(pages[v], active[v], k) / s, active[v] / s, costOf(pages[v] + room[v], active[v], k) / s)
  }
  const lo = levelAt(kinks, given, amount)
  for (let v = 0; v < n; v++) out[v] = raised(v, lo) - pages[v]
  let rest = amount - out.reduce((a, b) => a + b, 0)
  for (let v = 0; v < n && rest > 0; v++) {
    const more = Math.min(rest, room[v] - out[v])
    if (more > 0 && out[v] > 0) {
      out[v] += more
      rest -= more
    }
  }
  return out
}

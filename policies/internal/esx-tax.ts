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
 * This module computes that limit exactly, so the result does not depend on a quantum: what the
 * clients move in all is piecewise linear in the common level y = c / S, with kinks where a client
 * reaches a bound or its active pages; the level lies between the two kinks around the amount (the
 * highest kink where the sum falls short of it and the lowest where it does not), and is interpolated
 * there.
 *
 * Speed (this runs at every control step for every VM of an ESX host: 500 VMs, 5 steps a tick): the
 * clients are columns of one buffer (a WaterFill, built once and used for several amounts), and the
 * bracket is found without sorting the kinks, which cost more than all the sums: kinks are probed
 * next to a guess (a level given as a hint, such as the last step's, then the secant through the last
 * two probes) while that closes in fast, then near the median of the kinks left. Every probe sums the
 * clients in client order, as a binary search over the sorted kinks would; that sum is non-decreasing
 * in y in floating point too, so the bracket, whatever the probes, and the result are the same to the
 * bit. A client whose term is 0 all over the bracket left is skipped (adding 0 changes no sum).
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

export interface GrantClient {
  readonly shares: number
  /** Pages allocated now (P, MiB). */
  readonly pages: number
  /** Active pages (A, MiB). */
  readonly active: number
  /** MiB that can be given back to the client (its balloon, its swapped and compressed pages). */
  readonly room: number
}

/** k = 1 / (1 - tau), the cost of an idle page in active pages. */
export const idlePageCost = (tax: number): number => 1 / (1 - Math.min(Math.max(tax, 0), 0.999999))

/** The cost c(P) of holding P pages of which A are active. */
const costOf = (pages: number, active: number, k: number): number => Math.min(pages, active) + k * Math.max(0, pages - active)

/** The allocation whose cost is y (inverse of costOf in P). */
const pagesAtCost = (y: number, active: number, k: number): number => (y <= active ? y : active + (y - active) / k)

/**
 * One water-filling, prepared once for any amount: the clients that can move (in client order) as
 * columns, and the kinks of the sum. A client's allocation at level y is pagesAtCost(y S, A, k) held
 * within [lo, hi]: reclaim, [floor, P] (it gives hi - allocation); grant, [P, P + room] (it gets
 * allocation - lo). Holds its own scratch for the search (so one fill serves one search at a time).
 */
export interface WaterFill extends FillColumns {
  /** Clients that can move. */
  readonly m: number
  /** Sum of `most`, in client order. */
  readonly total: number
  /** The lowest and the highest kink. */
  readonly lowest: number
  readonly highest: number
}

/** The columns of a water-filling, shared by a fill and its draft. */
interface FillColumns {
  /** true: memory given back (idleTaxGrant); false: reclaimed (idleTaxReclaim). */
  readonly giving: boolean
  /** Clients in all (the length of a result). */
  readonly n: number
  readonly k: number
  /** Index of each client that can move, ascending. */
  readonly index: Int32Array
  readonly shares: Float64Array
  readonly active: Float64Array
  readonly lo: Float64Array
  readonly hi: Float64Array
  /** The most the client can move (reclaim: P - floor; grant: room). */
  readonly most: Float64Array
  /** The finite, non-negative kinks of the sum (reordered by each search; room for 3n). */
  readonly kinks: Float64Array
  /** Search scratch: two lists of movers, a sample of kinks. */
  readonly live: Int32Array
  readonly next: Int32Array
  readonly sample: Float64Array
}

/** A WaterFill being built (its columns, filled in): add clients in ascending index, then finishFill. */
export interface FillDraft extends FillColumns {
  m: number
  nk: number
  total: number
  lowest: number
  highest: number
}

const SAMPLE = 15

/** Rounds of secant guesses (two probes each) before probing near the median instead. */
const LOCAL_ROUNDS = 4

const draftOf = (giving: boolean, n: number, tax: number): FillDraft => {
  // One buffer: five columns of movers, 3n kinks and the sample (Float64), then three index lists.
  const f64 = 8 * n + SAMPLE
  const buffer = new ArrayBuffer(8 * f64 + 4 * 3 * n)
  const column = (i: number, length = n): Float64Array => new Float64Array(buffer, 8 * i * n, length)
  const indices = (i: number): Int32Array => new Int32Array(buffer, 8 * f64 + 4 * i * n, n)
  return {
    giving,
    n,
    k: idlePageCost(tax),
    index: indices(0),
    shares: column(0),
    active: column(1),
    lo: column(2),
    hi: column(3),
    most: column(4),
    kinks: column(5, 3 * n),
    live: indices(1),
    next: indices(2),
    sample: new Float64Array(buffer, 8 * 8 * n, SAMPLE),
    m: 0,
    nk: 0,
    total: 0,
    lowest: Infinity,
    highest: -Infinity,
  }
}

/** A reclaim from up to n clients (those not added have nothing). */
export const reclaimDraft = (n: number, tax: number): FillDraft => draftOf(false, n, tax)

/** A grant to up to n clients (those not added get nothing). */
export const grantDraft = (n: number, tax: number): FillDraft => draftOf(true, n, tax)

/** Records kink y if it is a level (finite, not negative). */
const addKink = (d: FillDraft, y: number): void => {
  if (!(Number.isFinite(y) && y >= 0)) return
  d.kinks[d.nk++] = y
  d.lowest = Math.min(d.lowest, y)
  d.highest = Math.max(d.highest, y)
}

/** Records a mover's columns. */
const addMover = (d: FillDraft, v: number, s: number, a: number, lo: number, hi: number, most: number): void => {
  const m = d.m
  d.index[m] = v
  d.shares[m] = s
  d.active[m] = a
  d.lo[m] = lo
  d.hi[m] = hi
  d.most[m] = most
  d.m = m + 1
}

/** Adds client v (ascending) to a reclaim: shares, pages, active pages, floor (MiB), as in TaxClient. */
export const addReclaimClient = (d: FillDraft, v: number, shares: number, pages: number, active: number, floor: number): void => {
  const k = d.k
  const s = Math.max(0, shares)
  const p = Math.max(0, pages)
  const a = Math.min(Math.max(active, 0), p)
  const fl = Math.min(Math.max(floor, 0), p)
  // Each client's kept allocation kinks where it reaches its floor, its active pages, and all its
  // pages (clients that cannot give have kinks too: the bracket is over all of them).
  if (s > 0) {
    addKink(d, costOf(fl, a, k) / s)
    addKink(d, a / s)
    addKink(d, costOf(p, a, k) / s)
  }
  const most = p - fl
  d.total += most
  if (most > 0) addMover(d, v, s, a, fl, p, most)
}

/** Adds client v (ascending) to a grant: shares, pages, active pages, room (MiB), as in GrantClient. */
export const addGrantClient = (d: FillDraft, v: number, shares: number, pages: number, active: number, room: number): void => {
  const r = Math.max(0, room)
  d.total += r
  if (!(r > 0)) return // a client without room gets nothing: no term, no kinks
  const k = d.k
  const s = Math.max(0, shares)
  const p = Math.max(0, pages)
  const a = Math.min(Math.max(active, 0), p)
  // Each client's raised allocation kinks where it starts to receive, at its active pages, and
  // where its room is full.
  if (s > 0) {
    addKink(d, costOf(p, a, k) / s)
    addKink(d, a / s)
    addKink(d, costOf(p + r, a, k) / s)
  }
  addMover(d, v, s, a, p, p + r, r)
}

/** The fill drafted (it shares the draft's columns: add nothing after). */
export const finishFill = (d: FillDraft): WaterFill => ({
  giving: d.giving,
  n: d.n,
  k: d.k,
  m: d.m,
  index: d.index,
  shares: d.shares,
  active: d.active,
  lo: d.lo,
  hi: d.hi,
  most: d.most,
  total: d.total,
  kinks: d.kinks.subarray(0, d.nk),
  lowest: d.lowest,
  highest: d.highest,
  live: d.live,
  next: d.next,
  sample: d.sample,
})

/**
 * What a mover moves at level y: grant, its allocation raised into [lo, hi] less lo (0 below its
 * kinks, rising with y); reclaim, hi less its allocation held in [lo, hi] (falling with y to 0).
 * Monotone in y in floating point too (a composition of monotone roundings).
 */
const movedAt = (giving: boolean, y: number, shares: number, active: number, lo: number, hi: number, k: number): number => {
  const x = pagesAtCost(y * shares, active, k)
  return giving ? Math.min(hi, Math.max(lo, x)) - lo : hi - Math.max(lo, Math.min(hi, x))
}

/** Moves, in place, the first `count` values of ys strictly inside (lo, hi) to the front (the others
 *  stay behind them, so the array keeps all its values); returns how many are inside. */
const keepInside = (ys: Float64Array, count: number, lo: number, hi: number): number => {
  let c = 0
  for (let i = 0; i < count; i++) {
    const y = ys[i]
    if (y > lo && y < hi) {
      ys[i] = ys[c]
      ys[c++] = y
    }
  }
  return c
}

/** The median of the first `count` (> 0) values of ys, by quickselect (reorders them). */
const medianOf = (ys: Float64Array, count: number): number => {
  const want = count >> 1
  let left = 0
  let right = count - 1
  while (left < right) {
    const pivot = ys[(left + right) >> 1]
    let i = left
    let j = right
    while (i <= j) {
      while (ys[i] < pivot) i++
      while (ys[j] > pivot) j--
      if (i <= j) {
        const t = ys[i]
        ys[i] = ys[j]
        ys[j] = t
        i++
        j--
      }
    }
    if (want <= j) right = j
    else if (want >= i) left = i
    else break
  }
  return ys[want]
}

/** A kink near the median of the first `count` (> 0) of ys: the median of a spread sample of them. */
const pivotOf = (ys: Float64Array, count: number, sample: Float64Array): number => {
  const size = sample.length
  if (count <= size) return medianOf(ys, count)
  const stride = count / size
  for (let i = 0; i < size; i++) sample[i] = ys[Math.floor((i + 0.5) * stride)]
  return medianOf(sample, size)
}

/**
 * The water level at which the clients move `amount` MiB in all, searched from near `near` if that is
 * a level (a hint: the result does not depend on it). NaN when no level is needed: nothing to move, or
 * everything (fillAt then moves nothing, or all it can).
 *
 * The signed sum (given, or minus taken) is bracketed between yLo, the highest kink where it is below
 * the target, and yHi, the lowest where it is not; the level is interpolated between them (the sum is
 * exact between kinks). Below all kinks: the lowest; above: the highest. The bracket starts at
 * (-inf, inf) and closes on probed kinks; a mover whose term is 0 at the end of the bracket it is
 * monotone towards (grant: yHi; reclaim: yLo) is 0 all over the bracket and is dropped.
 */
export const waterLevel = (f: WaterFill, amount: number, near = NaN): number => {
  if (!(amount > 0) || f.n === 0 || amount >= f.total) return NaN
  const target = f.giving ? amount : -amount
  const ys = f.kinks
  let count = ys.length
  if (count === 0) return 0
  const { m, sample, giving, shares, active, lo, hi, k } = f
  // Movers that may be non-zero inside the bracket: live[0, nLive); a probe writes those non-zero at
  // it into next[0, nNext), which become live if the probe closes the bracket on the dropping side.
  let live = f.live
  let next = f.next
  for (let j = 0; j < m; j++) live[j] = j
  let nLive = m
  let yLo = -Infinity
  let fLo = NaN
  let yHi = Infinity
  let fHi = NaN
  // The last two probes (for the secant guess).
  let y1 = NaN
  let f1 = NaN
  let y2 = NaN
  let f2 = NaN
  let guess = near
  let round = 0
  while (count > 0) {
    // Probe two neighbouring kinks next to the guess while guessing (so the secant through them is
    // the slope of one piece of the sum): the nearest below it, then the next one on the side the
    // sum says; else one kink near the median.
    let first = NaN
    let up = NaN // second probe if the first falls short of the target
    let down = NaN // second probe if it does not
    if (Number.isFinite(guess)) {
      let b1 = -Infinity
      let b2 = -Infinity
      let a1 = Infinity
      let a2 = Infinity
      for (let i = 0; i < count; i++) {
        const y = ys[i]
        if (y <= guess) {
          if (y > b1) {
            b2 = b1
            b1 = y
          } else if (y < b1 && y > b2) b2 = y
        } else if (y < a1) {
          a2 = a1
          a1 = y
        } else if (y > a1 && y < a2) a2 = y
      }
      first = b1 > -Infinity ? b1 : a1
      up = b1 > -Infinity ? a1 : a2
      down = b1 > -Infinity ? b2 : NaN
    } else first = pivotOf(ys, count, sample)
    let short = false
    for (let r = 0; r < 2; r++) {
      const y = r === 0 ? first : short ? up : down
      if (!(y > yLo && y < yHi)) continue // none, or outside what the first probe left
      let sum = 0
      let nNext = 0
      for (let i = 0; i < nLive; i++) {
        const j = live[i]
        const moved = movedAt(giving, y, shares[j], active[j], lo[j], hi[j], k)
        sum += moved
        if (moved !== 0) next[nNext++] = j
      }
      const fy = giving ? sum : -sum
      short = fy < target
      if (short) {
        yLo = y
        fLo = fy
      } else {
        yHi = y
        fHi = fy
      }
      if (short !== giving) {
        const t = live
        live = next
        next = t
        nLive = nNext
      }
      y1 = y2
      f1 = f2
      y2 = y
      f2 = fy
    }
    count = keepInside(ys, count, yLo, yHi)
    // Guess again by the secant through the last two probes (the sum is nearly linear over a few
    // kinks), for a few rounds; then the median.
    const secant = y2 + ((target - f2) * (y2 - y1)) / (f2 - f1)
    guess = Number.isFinite(guess) && ++round < LOCAL_ROUNDS && Number.isFinite(secant) ? secant : NaN
  }
  if (yHi === Infinity) return f.highest
  if (yLo === -Infinity) return f.lowest
  return fHi > fLo ? yLo + ((target - fLo) / (fHi - fLo)) * (yHi - yLo) : yHi
}

/**
 * MiB each client moves at level y (waterLevel) so that `amount` MiB move in all: reclaim, taken
 * lowest rho first, never below a floor; grant, given highest rho first, never beyond the room. If the
 * clients cannot move `amount`, each moves all it can.
 */
export const fillAt = (f: WaterFill, amount: number, y: number): Float64Array => {
  const out = new Float64Array(f.n)
  if (!(amount > 0) || f.n === 0) return out
  const { index, most, m, giving, shares, active, lo, hi, k } = f
  if (amount >= f.total) {
    for (let j = 0; j < m; j++) out[index[j]] = most[j]
    return out
  }
  let sum = 0
  for (let j = 0; j < m; j++) {
    const moved = movedAt(giving, y, shares[j], active[j], lo[j], hi[j], k)
    out[index[j]] = moved
    sum += moved
  }
  // Interpolation leaves the sum short of `amount` by a hair: the rest to the clients already moving.
  let rest = amount - sum
  for (let j = 0; j < m && rest > 0; j++) {
    const v = index[j]
    const more = Math.min(rest, most[j] - out[v])
    if (more > 0 && out[v] > 0) {
      out[v] += more
      rest -= more
    }
  }
  return out
}

/** MiB each client moves so that `amount` MiB move in all (fillAt at waterLevel). */
export const waterFill = (f: WaterFill, amount: number, near = NaN): Float64Array => fillAt(f, amount, waterLevel(f, amount, near))

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
  const d = reclaimDraft(clients.length, tax)
  clients.forEach((c, v) => addReclaimClient(d, v, c.shares, c.pages, c.active, c.floor))
  return waterFill(finishFill(d), amount)
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

/**
 * The reverse of idleTaxReclaim, for memory handed back when pressure is gone: MiB to give each
 * client so that `amount` MiB are given in all, highest rho first (the clients that value a page
 * most: many shares, few idle pages), never more than a client's room. Pages given back count as
 * idle (the active estimate has not seen them yet).
 */
export const idleTaxGrant = (clients: ReadonlyArray<GrantClient>, amount: number, tax: number): Float64Array => {
  const d = grantDraft(clients.length, tax)
  clients.forEach((c, v) => addGrantClient(d, v, c.shares, c.pages, c.active, c.room))
  return waterFill(finishFill(d), amount)
}

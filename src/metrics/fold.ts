/**
 * Folding the account stream into a RunPartial.
 *
 * The hot path is a Folder created fresh per run (or per piece of a run): `start()` makes a private
 * mutable accumulator, `add(acc, account)` folds one TickAccount into it with plain loops over the
 * typed arrays (no per-VM allocation), `finish(acc)` hands over an immutable RunPartial. The
 * accumulator copies what it keeps, so the replay may reuse the account's arrays (account.ts).
 *
 * A piece of a run is a span of ticks (the accounts given to one folder) and/or a group of VMs
 * (`vmIndices`); pieces concatenate with RunPartialMonoid (partial.ts).
 *
 * Per running VM-tick (seconds s = account.seconds):
 *   unavailable = guestPaging + hostSwapHit + compressedHit + blocked
 *   satisfied   = max(0, demand - unavailable)
 *   pressure    = 100 x demand / assigned, capped at PRESSURE_CAP (demand > 0 = assigned gives the cap,
 *                 0 = demand = assigned gives 0); "pressure over 100" is tested as demand > assigned,
 *                 which is the same thing without the rounding of a division.
 *   slowdown    = account slowdown, counted as 1 if below 1 or NaN.
 */
import type { RunHeader, TickAccount } from '../engine/account.js'
import { VmStatus } from '../engine/account.js'
import { SLOWDOWN_BUCKETS, slowdownBucket } from './histogram.js'
import {
  HEAT_COUNT,
  HOST_SUM_FIELDS,
  type HostSumField,
  type RunPartial,
  VM_RAN,
  VM_REFUSED,
  VM_STAT_COUNT,
  allocSeries,
  concatAllPartials,
  vmStatIndex,
} from './partial.js'

/** A reducer with a private mutable accumulator and a pure public face. */
export interface Folder<Acc, Out> {
  readonly start: () => Acc
  readonly add: (acc: Acc, account: TickAccount) => void
  readonly finish: (acc: Acc) => Out
}

export interface FoldOptions {
  /** Indices (into header.vmIds and the account's columns) of the VMs this piece covers; default all. */
  readonly vmIndices?: ReadonlyArray<number>
  /** Ticks per heatmap bucket (rounded up to a power of two); default heatmapBucketTicks(header.ticks). */
  readonly heatmapBucketTicks?: number
}

export const MAX_HEATMAP_BUCKETS = 200
/** Pressure values above this (a VM with almost nothing assigned) are recorded as this, in heatmaps. */
export const PRESSURE_CAP = 10_000

const pow2AtLeast = (x: number): number => {
  let p = 1
  while (p < x) p *= 2
  return p
}

/**
 * Ticks per heatmap bucket for a run of `ticks` ticks: the smallest power of two giving at most
 * MAX_HEATMAP_BUCKETS buckets (8640 five-minute ticks -> 64 ticks = 5h20 per bucket, 135 buckets).
 * Powers of two make grids of pieces folded with different widths merge exactly.
 */
export const heatmapBucketTicks = (ticks: number): number => pow2AtLeast(Math.ceil(Math.max(1, ticks) / MAX_HEATMAP_BUCKETS))

/** The private accumulator of a run folder. */
export interface RunAcc {
  readonly _brand: 'RunAcc'
}

interface Acc extends RunAcc {
  n: number
  cap: number
  lastTick: number
  tick: Float64Array
  time: Float64Array
  seconds: Float64Array
  physical: Float64Array
  reserve: Float64Array
  free: Float64Array
  state: Uint8Array
  sums: Float64Array[] // in HOST_SUM_FIELDS order
  flags: Uint8Array
  stats: Float64Array
  hist: Float64Array
  buckets: number
  cells: Float64Array
}

const grow = <T extends Float64Array | Uint8Array>(a: T, cap: number): T => {
  const b = new (a.constructor as new (n: number) => T)(cap)
  b.set(a)
  return b
}

const S = vmStatIndex
const H = Object.fromEntries(HOST_SUM_FIELDS.map((f, i) => [f, i])) as { [K in HostSumField]: number }

/** A folder for one piece of a run. Accounts must come in strictly ascending tick order. */
export const runFolder = (header: RunHeader, options: FoldOptions = {}): Folder<RunAcc, RunPartial> => {
  const idx: ReadonlyArray<number> = options.vmIndices ?? header.vmIds.map((_, i) => i)
  const ids = idx.map((i) => header.vmIds[i])
  const nv = idx.length
  const bt = pow2AtLeast(Math.max(1, options.heatmapBucketTicks ?? heatmapBucketTicks(header.ticks)))
  const idxArr = Int32Array.from(idx)

  const start = (): RunAcc => {
    const cap = Math.max(16, Math.min(header.ticks, 1 << 20))
    const buckets = Math.max(1, Math.ceil(header.ticks / bt))
    const acc: Acc = {
      _brand: 'RunAcc',
      n: 0,
      cap,
      lastTick: -Infinity,
      tick: new Float64Array(cap),
      time: new Float64Array(cap),
      seconds: new Float64Array(cap),
      physical: new Float64Array(cap),
      reserve: new Float64Array(cap),
      free: new Float64Array(cap),
      state: new Uint8Array(cap),
      sums: HOST_SUM_FIELDS.map(() => new Float64Array(cap)),
      flags: new Uint8Array(nv),
      stats: new Float64Array(nv * VM_STAT_COUNT),
      hist: new Float64Array(nv * SLOWDOWN_BUCKETS),
      buckets,
      cells: new Float64Array(nv * buckets * HEAT_COUNT),
    }
    return acc
  }

  const growSeries = (acc: Acc): void => {
    const cap = acc.cap * 2
    acc.tick = grow(acc.tick, cap)
    acc.time = grow(acc.time, cap)
    acc.seconds = grow(acc.seconds, cap)
    acc.physical = grow(acc.physical, cap)
    acc.reserve = grow(acc.reserve, cap)
    acc.free = grow(acc.free, cap)
    acc.state = grow(acc.state, cap)
    acc.sums = acc.sums.map((s) => grow(s, cap))
    acc.cap = cap
  }

  const growBuckets = (acc: Acc, buckets: number): void => {
    const cells = new Float64Array(nv * buckets * HEAT_COUNT)
    for (let v = 0; v < nv; v++)
      cells.set(
        acc.cells.subarray(v * acc.buckets * HEAT_COUNT, (v + 1) * acc.buckets * HEAT_COUNT),
        v * buckets * HEAT_COUNT,
      )
    acc.cells = cells
    acc.buckets = buckets
  }

  const add = (pub: RunAcc, a: TickAccount): void => {
    const acc = pub as Acc
    if (!(a.tick > acc.lastTick))
      throw new RangeError(`metrics fold: tick ${a.tick} after tick ${acc.lastTick} (ticks must ascend)`)
    acc.lastTick = a.tick
    if (acc.n === acc.cap) growSeries(acc)
    const row = acc.n++
    acc.tick[row] = a.tick
    acc.time[row] = a.time
    acc.seconds[row] = a.seconds
    acc.physical[row] = a.host.physical
    acc.reserve[row] = a.host.reserve
    acc.free[row] = a.host.free
    acc.state[row] = a.host.state

    const bucket = Math.floor(a.tick / bt)
    if (bucket >= acc.buckets) growBuckets(acc, Math.max(bucket + 1, acc.buckets * 2))
    const buckets = acc.buckets

    const sec = a.seconds
    const st = a.status
    const {
      configured,
      demand,
      touched,
      assigned,
      resident,
      overhead,
      shared,
      ballooned,
      compressed,
      compressedStore,
      swapped,
      swapOut,
      guestPaging,
      hostSwapHit,
      compressedHit,
      blocked,
      slowdown,
    } = a.vm
    const { flags, stats, hist, cells } = acc

    let nRun = 0
    let sConf = 0
    let sDem = 0
    let sTouch = 0
    let sAssig = 0
    let sRes = 0
    let sWs = 0
    let sIdle = 0
    let sCStore = 0
    let sOver = 0
    let sShared = 0
    let sBall = 0
    let sComp = 0
    let sSwapped = 0
    let sSwapOut = 0
    let sGp = 0
    let sHs = 0
    let sCh = 0
    let sBl = 0
    let nPress = 0

    for (let j = 0; j < nv; j++) {
      const v = idxArr[j]
      const status = st[v]
      const r = resident[v]
      const cs = compressedStore[v]
      const sh = shared[v]
      const ba = ballooned[v]
      const co = compressed[v]
      const sw = swapped[v]
      const so = swapOut[v]
      sRes += r
      sCStore += cs
      sOver += overhead[v]
      sShared += sh
      sBall += ba
      sComp += co
      sSwapped += sw
      sSwapOut += so
      if (status !== VmStatus.running) {
        sIdle += r - cs
        if (status === VmStatus.refused) flags[j] |= VM_REFUSED
        continue
      }
      flags[j] |= VM_RAN
      const c = configured[v]
      const d = demand[v]
      const as = assigned[v]
      const gp = guestPaging[v]
      const hs = hostSwapHit[v]
      const ch = compressedHit[v]
      const bl = blocked[v]
      const sat = Math.max(0, d - (gp + hs + ch + bl))
      const priv = r - cs
      const ws = Math.min(priv, sat)
      nRun++
      sConf += c
      sDem += d
      sTouch += touched[v]
      sAssig += as
      sWs += ws
      sIdle += priv - ws
      sGp += gp
      sHs += hs
      sCh += ch
      sBl += bl
      const over = d > as
      if (over) nPress++
      let p = as > 0 ? (100 * d) / as : d > 0 ? PRESSURE_CAP : 0
      if (p > PRESSURE_CAP) p = PRESSURE_CAP
      const sd0 = slowdown[v]
      const sd = sd0 >= 1 ? sd0 : 1

      const o = j * VM_STAT_COUNT
      stats[o + S.runSeconds] += sec
      stats[o + S.demandMiBs] += d * sec
      stats[o + S.satisfiedMiBs] += sat * sec
      stats[o + S.configuredMiBs] += c * sec
      stats[o + S.residentMiBs] += r * sec
      stats[o + S.guestPagingMiBs] += gp * sec
      stats[o + S.hostSwapHitMiBs] += hs * sec
      stats[o + S.compressedHitMiBs] += ch * sec
      stats[o + S.blockedMiBs] += bl * sec
      stats[o + S.sharedMiBs] += sh * sec
      stats[o + S.balloonedMiBs] += ba * sec
      stats[o + S.compressedMiBs] += co * sec
      stats[o + S.swappedMiBs] += sw * sec
      stats[o + S.swapOutMiB] += so
      if (over) stats[o + S.pressureOverSeconds] += sec
      stats[o + S.slowdownSeconds] += sd * sec
      if (d > stats[o + S.peakDemand]) stats[o + S.peakDemand] = d
      if (c > stats[o + S.peakConfigured]) stats[o + S.peakConfigured] = c
      if (r > stats[o + S.peakResident]) stats[o + S.peakResident] = r
      if (sd > stats[o + S.slowdownMax]) stats[o + S.slowdownMax] = sd

      hist[j * SLOWDOWN_BUCKETS + slowdownBucket(sd)] += sec

      const h = (j * buckets + bucket) * HEAT_COUNT
      cells[h] += sec // runSeconds
      cells[h + 1] += p * sec // pressureSum
      if (p > cells[h + 2]) cells[h + 2] = p // pressureMax
      cells[h + 3] += sd * sec // slowdownSum
      if (sd > cells[h + 4]) cells[h + 4] = sd // slowdownMax
    }

    const sums = acc.sums
    sums[H.runningVms][row] = nRun
    sums[H.configured][row] = sConf
    sums[H.demand][row] = sDem
    sums[H.touched][row] = sTouch
    sums[H.assigned][row] = sAssig
    sums[H.resident][row] = sRes
    sums[H.residentWorkingSet][row] = sWs
    sums[H.residentIdle][row] = sIdle
    sums[H.compressedStore][row] = sCStore
    sums[H.overhead][row] = sOver
    sums[H.shared][row] = sShared
    sums[H.ballooned][row] = sBall
    sums[H.compressed][row] = sComp
    sums[H.swapped][row] = sSwapped
    sums[H.swapOut][row] = sSwapOut
    sums[H.guestPaging][row] = sGp
    sums[H.hostSwapHit][row] = sHs
    sums[H.compressedHit][row] = sCh
    sums[H.blocked][row] = sBl
    sums[H.pressureOver100Vms][row] = nPress
  }

  const finish = (pub: RunAcc): RunPartial => {
    const acc = pub as Acc
    const n = acc.n
    const series = allocSeries(n)
    series.tick.set(acc.tick.subarray(0, n))
    series.time.set(acc.time.subarray(0, n))
    series.seconds.set(acc.seconds.subarray(0, n))
    series.physical.set(acc.physical.subarray(0, n))
    series.reserve.set(acc.reserve.subarray(0, n))
    series.free.set(acc.free.subarray(0, n))
    series.state.set(acc.state.subarray(0, n))
    HOST_SUM_FIELDS.forEach((f, i) => series.sums[f].set(acc.sums[i].subarray(0, n)))
    // Trim the grid to the buckets actually reached (so pieces of one run agree on their shape).
    const used = n === 0 ? 0 : Math.floor(acc.lastTick / bt) + 1
    const cells = new Float64Array(nv * used * HEAT_COUNT)
    for (let v = 0; v < nv; v++)
      cells.set(
        acc.cells.subarray(v * acc.buckets * HEAT_COUNT, (v * acc.buckets + used) * HEAT_COUNT),
        v * used * HEAT_COUNT,
      )
    return {
      series,
      vms: { ids, flags: acc.flags.slice(), stats: acc.stats.slice(), hist: acc.hist.slice() },
      heat: { bucketTicks: bt, buckets: used, cells },
    }
  }

  return { start, add, finish }
}

/** Fold a sequence of accounts (one piece of a run) into a partial. */
export const foldAccounts = (
  header: RunHeader,
  accounts: Iterable<TickAccount>,
  options: FoldOptions = {},
): RunPartial => {
  const f = runFolder(header, options)
  const acc = f.start()
  for (const a of accounts) f.add(acc, a)
  return f.finish(acc)
}

/**
 * The partial of ONE tick: the pure "addition" an account makes to a run. Folding a run is, by
 * definition, concatenating these (the folder is the fast way to do it).
 */
export const partialOfTick = (header: RunHeader, account: TickAccount, options: FoldOptions = {}): RunPartial =>
  foldAccounts(header, [account], options)

/** Slow reference fold: concatenation of per-tick partials (for tests and checks). */
export const foldByConcat = (header: RunHeader, accounts: Iterable<TickAccount>, options: FoldOptions = {}): RunPartial =>
  concatAllPartials(Array.from(accounts, (a) => partialOfTick(header, a, options)))

/**
 * An AccountSink for the replay plus a way to read the result:
 *   const s = partialSink(header); replay(input, s.sink); const partial = s.result()
 * The header is known before the replay starts: `headerOf(input)` in engine/replay.ts.
 */
export const partialSink = (
  header: RunHeader,
  options: FoldOptions = {},
): { readonly sink: (account: TickAccount) => void; readonly result: () => RunPartial } => {
  const f = runFolder(header, options)
  const acc = f.start()
  return { sink: (a) => f.add(acc, a), result: () => f.finish(acc) }
}

/**
 * Like partialSink, for a caller that only gets the RunHeader when the replay returns: the sink
 * folds VMs by index and `result(header)` names them with header.vmIds. `ticks` is the run's tick
 * count as far as the caller knows it (it only sets the heatmap width: pass the full run's count
 * for every piece of one run).
 */
export const deferredPartialSink = (
  ticks: number,
  options: FoldOptions = {},
): { readonly sink: (account: TickAccount) => void; readonly result: (header: RunHeader) => RunPartial } => {
  let folder: Folder<RunAcc, RunPartial> | undefined
  let acc: RunAcc | undefined
  let vmCount = 0
  return {
    sink: (a) => {
      if (folder === undefined) {
        vmCount = a.status.length
        const provisional = {
          policy: '',
          params: undefined,
          traceName: '',
          host: { physical: 0, reserve: 0, vmOverhead: 0 },
          vmIds: Array.from({ length: vmCount }, (_, i) => String(i)),
          start: 0,
          step: 0,
          ticks,
          hasStates: false,
        } satisfies RunHeader
        folder = runFolder(provisional, {
          ...options,
          heatmapBucketTicks: options.heatmapBucketTicks ?? heatmapBucketTicks(ticks),
        })
        acc = folder.start()
      }
      folder.add(acc as RunAcc, a)
    },
    result: (header) => {
      if (folder === undefined || acc === undefined)
        return foldAccounts(header, [], { ...options, heatmapBucketTicks: options.heatmapBucketTicks ?? heatmapBucketTicks(ticks) })
      const p = folder.finish(acc)
      const idx = options.vmIndices ?? Array.from({ length: vmCount }, (_, i) => i)
      return { ...p, vms: { ...p.vms, ids: idx.map((i) => header.vmIds[i]) } }
    },
  }
}

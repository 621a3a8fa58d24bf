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
 *   short       = unavailable > max(SHORT_MIB, SHORT_SHARE x demand): more than 1% of the working set
 *                 is not resident, whatever the cause (guest paging, host swap, compression,
 *                 blocked). 1% so that a VM with a few MiB of cold working set compressed (a fault
 *                 of microseconds) is not counted as short beside one that thrashes; 1 KiB absorbs
 *                 rounding in the world's arithmetic.
 * Per VM-tick with status refused: refusedSeconds += s, peakConfigured includes its configured size
 * (a refused VM shows what it asked for, not 0).
 */
import type { RunHeader, TickAccount } from '../engine/account.js'
import { VmStatus } from '../engine/account.js'
import { SLOWDOWN_BUCKETS, SLOWDOWN_EDGES, slowdownBucket } from './histogram.js'
import {
  HEAT_COUNT,
  HOST_SUM_FIELDS,
  type HostSumField,
  type RunPartial,
  VM_RAN,
  VM_REFUSED,
  VM_STATS,
  VM_STAT_COUNT,
  allocSeries,
  concatAllPartials,
} from './partial.js'

// The fold writes a VM's stats at literal offsets (constants the JIT folds): fail at load, not in
// the figures, if VM_STATS changes.
const STATS_AS_WRITTEN =
  'runSeconds,demandMiBs,satisfiedMiBs,configuredMiBs,residentMiBs,guestPagingMiBs,hostSwapHitMiBs,' +
  'compressedHitMiBs,blockedMiBs,sharedMiBs,balloonedMiBs,compressedMiBs,swappedMiBs,swapOutMiB,' +
  'pressureOverSeconds,slowdownSeconds,shortSeconds,refusedSeconds,peakDemand,peakConfigured,peakResident,slowdownMax'
if (VM_STATS.join(',') !== STATS_AS_WRITTEN) throw new Error('metrics fold: VM_STATS changed; update the offsets in fold.ts')

if (VmStatus.running !== 1 || VmStatus.refused !== 2) throw new Error('metrics fold: VmStatus changed; update fold.ts')
/** Unavailable working set (MiB) above which a running VM counts as short of memory: 1 KiB, and
 *  SHORT_SHARE of its working set. */
export const SHORT_MIB = 1 / 1024
export const SHORT_SHARE = 0.01
if ((SHORT_SHARE as number) !== 0.01) throw new Error('metrics fold: SHORT_SHARE changed; update the literal in fold.ts')
if ((SHORT_MIB as number) !== 0.0009765625) throw new Error('metrics fold: SHORT_MIB changed; update the literal in fold.ts')
/** Upper edge of slowdown bucket 0: below it (most VM-ticks: slowdown 1) the bucket needs no log. */
const EDGE1 = SLOWDOWN_EDGES[1]

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
// The fold's loop spells it as a literal.
if ((PRESSURE_CAP as number) !== 10_000) throw new Error('metrics fold: PRESSURE_CAP changed; update the literal in fold.ts')

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
  /** Slowdown histogram bucket 0 per VM (most VM-ticks land there: a small array stays in cache). */
  hist0: Float64Array
  /** The other buckets, allocated at the first VM-tick that needs one (bucket 0 entries stay 0). */
  hist: Float64Array | undefined
  /** Per tick scratch: the VMs (and their slowdown) whose bucket is not 0. */
  slowJ: Int32Array
  slowSd: Float64Array
  buckets: number
  /** The heat grid BUCKET-major, cells[(b x nv + v) x HEAT_COUNT + m] (finish transposes it). */
  cells: Float64Array
}

const grow = <T extends Float64Array | Uint8Array>(a: T, cap: number): T => {
  const b = new (a.constructor as new (n: number) => T)(cap)
  b.set(a)
  return b
}

const H = Object.fromEntries(HOST_SUM_FIELDS.map((f, i) => [f, i])) as { [K in HostSumField]: number }

/** A folder for one piece of a run. Accounts must come in strictly ascending tick order. */
export const runFolder = (header: RunHeader, options: FoldOptions = {}): Folder<RunAcc, RunPartial> => {
  const idx: ReadonlyArray<number> = options.vmIndices ?? header.vmIds.map((_, i) => i)
  const ids = idx.map((i) => header.vmIds[i])
  const nv = idx.length
  const bt = pow2AtLeast(Math.max(1, options.heatmapBucketTicks ?? heatmapBucketTicks(header.ticks)))
  const idxArr = Int32Array.from(idx)
  const all = options.vmIndices === undefined // then idx[j] = j: skip the indirection

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
      hist0: new Float64Array(nv),
      hist: undefined,
      slowJ: new Int32Array(nv),
      slowSd: new Float64Array(nv),
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
    cells.set(acc.cells)
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
    const { flags, stats, hist0, cells, slowJ, slowSd } = acc
    let nSlow = 0
    // Constants as locals: module bindings are context loads (and checks) on every use in the loop.
    const edge1 = EDGE1
    const ran = VM_RAN
    const refused = VM_REFUSED
    const nStat = VM_STAT_COUNT
    const nHeat = HEAT_COUNT
    // This tick's bucket of the grid (bucket-major, so a tick's cells are one contiguous slab).
    const slab = bucket * nv * HEAT_COUNT

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
    let sTU = 0
    let nShort = 0

    for (let j = 0; j < nv; j++) {
      const v = all ? j : idxArr[j]
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
      if (status !== 1) {
        // 1 = VmStatus.running, 2 = refused (literals: checked at load)
        sIdle += r - cs
        if (status === 2) {
          flags[j] |= refused
          const o = j * nStat
          stats[o + 17] += sec // refusedSeconds
          const c = configured[v]
          if (c > stats[o + 19]) stats[o + 19] = c // peakConfigured
        }
        continue
      }
      flags[j] |= ran
      const c = configured[v]
      const d = demand[v]
      const as = assigned[v]
      const gp = guestPaging[v]
      const hs = hostSwapHit[v]
      const ch = compressedHit[v]
      const bl = blocked[v]
      const unavail = gp + hs + ch + bl
      const sat = Math.max(0, d - unavail)
      // SHORT_MIB and SHORT_SHARE as literals (checked at load).
      const short = unavail > 0.0009765625 && unavail > 0.01 * d
      if (short) nShort++
      const priv = r - cs
      const ws = Math.min(priv, sat)
      nRun++
      sConf += c
      sDem += d
      const t = touched[v]
      sTouch += t
      sTU += t - sh
      sAssig += as
      sWs += ws
      sIdle += priv - ws
      sGp += gp
      sHs += hs
      sCh += ch
      sBl += bl
      const over = d > as
      if (over) nPress++
      // PRESSURE_CAP as a literal: a constant from a binding makes p a tagged (boxed) number.
      let p = as > 0 ? (100 * d) / as : d > 0 ? 10_000 : 0
      if (p > 10_000) p = 10_000
      const sd0 = slowdown[v]
      const sd = sd0 >= 1 ? sd0 : 1
      const sdSec = sd * sec

      // Literal offsets in VM_STATS order (checked at load, below the imports).
      const o = j * nStat
      stats[o] += sec // runSeconds
      stats[o + 1] += d * sec // demandMiBs
      stats[o + 2] += sat * sec // satisfiedMiBs
      stats[o + 3] += c * sec // configuredMiBs
      stats[o + 4] += r * sec // residentMiBs
      stats[o + 5] += gp * sec // guestPagingMiBs
      stats[o + 6] += hs * sec // hostSwapHitMiBs
      stats[o + 7] += ch * sec // compressedHitMiBs
      stats[o + 8] += bl * sec // blockedMiBs
      stats[o + 9] += sh * sec // sharedMiBs
      stats[o + 10] += ba * sec // balloonedMiBs
      stats[o + 11] += co * sec // compressedMiBs
      stats[o + 12] += sw * sec // swappedMiBs
      stats[o + 13] += so // swapOutMiB
      if (over) stats[o + 14] += sec // pressureOverSeconds
      stats[o + 15] += sdSec // slowdownSeconds
      if (short) stats[o + 16] += sec // shortSeconds
      if (d > stats[o + 18]) stats[o + 18] = d // peakDemand
      if (c > stats[o + 19]) stats[o + 19] = c // peakConfigured
      if (r > stats[o + 20]) stats[o + 20] = r // peakResident
      if (sd > stats[o + 21]) stats[o + 21] = sd // slowdownMax

      // Most VM-ticks have no slowdown: bucket 0 without the log, in a small array of its own.
      if (sd < edge1) hist0[j] += sec
      else {
        slowJ[nSlow] = j
        slowSd[nSlow++] = sd
      }

      const h = slab + j * nHeat
      cells[h] += sec // runSeconds
      cells[h + 1] += p * sec // pressureSum
      if (p > cells[h + 2]) cells[h + 2] = p // pressureMax
      cells[h + 3] += sdSec // slowdownSum
      if (sd > cells[h + 4]) cells[h + 4] = sd // slowdownMax
    }

    // Slowdown buckets above 0 after the loop (a call and a lazy allocation would slow the loop
    // for all); each cell still gets its additions in tick order.
    if (nSlow > 0) {
      const hist = acc.hist ?? (acc.hist = new Float64Array(nv * SLOWDOWN_BUCKETS))
      for (let i = 0; i < nSlow; i++) hist[slowJ[i] * SLOWDOWN_BUCKETS + slowdownBucket(slowSd[i])] += sec
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
    sums[H.touchedUnshared][row] = sTU
    sums[H.shortVms][row] = nShort
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
    const src = acc.cells
    for (let b = 0; b < used; b++)
      for (let v = 0; v < nv; v++) {
        const from = (b * nv + v) * HEAT_COUNT
        const to = (v * used + b) * HEAT_COUNT
        for (let m = 0; m < HEAT_COUNT; m++) cells[to + m] = src[from + m]
      }
    const hist = acc.hist === undefined ? new Float64Array(nv * SLOWDOWN_BUCKETS) : acc.hist.slice()
    for (let v = 0; v < nv; v++) hist[v * SLOWDOWN_BUCKETS] = acc.hist0[v]
    return {
      series,
      vms: { ids, flags: acc.flags.slice(), stats: acc.stats.slice(), hist },
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

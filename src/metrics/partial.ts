/**
 * RunPartial: the mergeable summary of part of a run, a span of ticks or a group of VMs (or both),
 * and its Monoid. Folding a whole run, or folding pieces split by time or by VM group and
 * concatenating them, gives the same RunMetrics (same figures up to float-addition order; exactly
 * the same when the account's numbers are dyadic, e.g. whole KiB in MiB, and seconds are integers).
 *
 * What is kept, and why it merges:
 *  - `series`: a per-tick host series keyed by ABSOLUTE tick. Sums over VMs (configured, demand,
 *    resident, ...) merge by adding rows of the same tick (a VM-group split sees the same ticks);
 *    rows of different ticks are interleaved (a time split). Host fields (physical, reserve, free,
 *    state, time, seconds) are the host's, the same for every VM group: on a tick both sides have,
 *    the left side's are kept (so state time is not double-counted). Peaks of sums across VMs and
 *    state shares are computed from it at the end.
 *  - `vms`: per-VM integrals and peaks keyed by VM id (merged by adding / taking the max), flags
 *    (ran at least once, refused at least once: merged by OR) and a per-VM slowdown histogram
 *    (histogram.ts; merged by adding). The run's slowdown histogram is the sum over VMs.
 *  - `heat`: a per-VM x time-bucket grid for heatmaps. Bucket b covers absolute ticks
 *    [b x bucketTicks, (b+1) x bucketTicks); bucketTicks is a power of two, so grids of different
 *    widths merge exactly by coarsening the finer one (see heatmapBucketTicks in fold.ts).
 *
 * Immutability: a RunPartial and its typed arrays are never mutated once built (the folder hands
 * over fresh arrays; concat always allocates). Treat them as read-only.
 *
 * Units: MiB, seconds, MiB x s ("MiBs"); conversions to GiB / GiBh happen in finish.ts.
 */
import type { Monoid } from 'fp-ts/lib/Monoid.js'
import { SLOWDOWN_BUCKETS } from './histogram.js'

/** Per-tick sums over the VMs of a partial (all MiB except the two counts). */
export const HOST_SUM_FIELDS = [
  /** Number of running VMs. */
  'runningVms',
  /** Running VMs: configured memory. */
  'configured',
  /** Running VMs: demand (working set). */
  'demand',
  /** Running VMs: touched memory. */
  'touched',
  /** Running VMs: assigned memory. */
  'assigned',
  /** All VMs: resident (includes the compressed store). */
  'resident',
  /** Running VMs: min(resident - compressedStore, max(0, demand - unavailable)), where
   *  unavailable = guestPaging + hostSwapHit + compressedHit + blocked: the part of the available
   *  working set that private resident pages can hold (assumes the working set sits in private pages
   *  before shared ones, so it is an upper estimate when shared pages hold working set). */
  'residentWorkingSet',
  /** All VMs: (resident - compressedStore) - residentWorkingSet: private resident pages outside the
   *  working set (idle touched pages, page cache). */
  'residentIdle',
  /** All VMs: host memory the compressed pages occupy (part of resident). */
  'compressedStore',
  /** All VMs: hypervisor overhead. */
  'overhead',
  /** All VMs: touched pages backed by another copy (what page sharing saved). */
  'shared',
  /** All VMs: pinned by balloon drivers. */
  'ballooned',
  /** All VMs: touched pages held compressed, at their uncompressed size. */
  'compressed',
  /** All VMs: touched pages in host swap. */
  'swapped',
  /** All VMs: MiB written to host swap during the tick. */
  'swapOut',
  /** Running VMs: working set unavailable because the guest pages inside itself. */
  'guestPaging',
  /** Running VMs: working set unavailable because it is in host swap. */
  'hostSwapHit',
  /** Running VMs: working set unavailable because it is compressed. */
  'compressedHit',
  /** Running VMs: working set unavailable because allocation was blocked. */
  'blocked',
  /** Number of running VMs with pressure above 100 (demand > assigned). */
  'pressureOver100Vms',
  /** Running VMs: touched - shared, what the VMs hold privately (in host memory, compressed or
   *  swapped): over-commitment is this above physical (DOMAIN.md section 1). */
  'touchedUnshared',
  /** Number of running VMs short of memory: unavailable working set (guestPaging + hostSwapHit +
   *  compressedHit + blocked) above SHORT_MIB and 1% of the working set (fold.ts). */
  'shortVms',
] as const
export type HostSumField = (typeof HOST_SUM_FIELDS)[number]

/** The per-tick host series of a partial; row i is absolute tick `tick[i]`, ticks strictly ascending. */
export interface HostSeries {
  readonly length: number
  readonly tick: Float64Array
  /** Unix seconds at the start of the tick. */
  readonly time: Float64Array
  /** Seconds in the tick. */
  readonly seconds: Float64Array
  readonly physical: Float64Array
  readonly reserve: Float64Array
  readonly free: Float64Array
  /** Index into HOST_STATES. */
  readonly state: Uint8Array
  readonly sums: { readonly [K in HostSumField]: Float64Array }
}

/**
 * Per-VM statistics, all over the ticks where the VM was running (except refusedSeconds and
 * peakConfigured, which also cover the ticks it was refused). The first VM_SUM_COUNT are
 * integrals / sums (merged by adding), the rest peaks (merged by max).
 */
export const VM_STATS = [
  'runSeconds', // seconds running
  'demandMiBs', // integral of demand
  'satisfiedMiBs', // integral of max(0, demand - unavailable)
  'configuredMiBs', // integral of configured
  'residentMiBs', // integral of resident
  'guestPagingMiBs',
  'hostSwapHitMiBs',
  'compressedHitMiBs',
  'blockedMiBs',
  'sharedMiBs',
  'balloonedMiBs',
  'compressedMiBs',
  'swappedMiBs',
  'swapOutMiB', // sum of swapOut (MiB, not an integral)
  'pressureOverSeconds', // seconds with pressure > 100 (demand > assigned)
  'slowdownSeconds', // integral of slowdown (for a time-weighted mean)
  'shortSeconds', // seconds short of memory (unavailable working set above SHORT_MIB and 1% of it, fold.ts)
  'refusedSeconds', // seconds with status refused (wanted to run, was not admitted)
  // peaks:
  'peakDemand',
  'peakConfigured', // over the ticks running or refused: what the VM was configured with when it wanted to run
  'peakResident',
  'slowdownMax',
] as const
export type VmStat = (typeof VM_STATS)[number]
export const VM_SUM_COUNT = 18
export const VM_STAT_COUNT = VM_STATS.length
export const vmStatIndex: { readonly [K in VmStat]: number } = Object.fromEntries(
  VM_STATS.map((k, i) => [k, i]),
) as { [K in VmStat]: number }

/** Flag bits in VmTable.flags. */
export const VM_RAN = 1
export const VM_REFUSED = 2

export interface VmTable {
  /** VM ids, in first-seen order (left-biased union on concat). */
  readonly ids: ReadonlyArray<string>
  /** VM_RAN | VM_REFUSED bits, per VM. */
  readonly flags: Uint8Array
  /** ids.length x VM_STAT_COUNT, row-major (row = VM). */
  readonly stats: Float64Array
  /** ids.length x SLOWDOWN_BUCKETS seconds, row-major (histogram.ts). */
  readonly hist: Float64Array
}

/** Measures of a heatmap cell (one VM, one time bucket), all over running ticks. */
export const HEAT_MEASURES = ['runSeconds', 'pressureSum', 'pressureMax', 'slowdownSum', 'slowdownMax'] as const
export type HeatMeasure = (typeof HEAT_MEASURES)[number]
export const HEAT_COUNT = HEAT_MEASURES.length
/** Which heat measures merge by max (the others by adding). */
const HEAT_IS_MAX: ReadonlyArray<boolean> = HEAT_MEASURES.map((m) => m.endsWith('Max'))

/**
 * Heatmap grid over the partial's VMs (same order as VmTable.ids):
 * cells[(v x buckets + b) x HEAT_COUNT + m]. pressureSum / slowdownSum are integrals over seconds
 * (divide by runSeconds for the time-weighted mean while running).
 */
export interface HeatGrid {
  /** Ticks per bucket (a power of two); 0 in the empty partial. */
  readonly bucketTicks: number
  readonly buckets: number
  readonly cells: Float64Array
}

export interface RunPartial {
  readonly series: HostSeries
  readonly vms: VmTable
  readonly heat: HeatGrid
}

// ---------------------------------------------------------------------------------------------

const emptySums = (n: number): { [K in HostSumField]: Float64Array } =>
  Object.fromEntries(HOST_SUM_FIELDS.map((f) => [f, new Float64Array(n)])) as { [K in HostSumField]: Float64Array }

export const allocSeries = (n: number): HostSeries & { readonly sums: { [K in HostSumField]: Float64Array } } => ({
  length: n,
  tick: new Float64Array(n),
  time: new Float64Array(n),
  seconds: new Float64Array(n),
  physical: new Float64Array(n),
  reserve: new Float64Array(n),
  free: new Float64Array(n),
  state: new Uint8Array(n),
  sums: emptySums(n),
})

export const emptyPartial: RunPartial = {
  series: allocSeries(0),
  vms: { ids: [], flags: new Uint8Array(0), stats: new Float64Array(0), hist: new Float64Array(0) },
  heat: { bucketTicks: 0, buckets: 0, cells: new Float64Array(0) },
}

const copyHostRow = (dst: HostSeries, i: number, src: HostSeries, j: number): void => {
  dst.tick[i] = src.tick[j]
  dst.time[i] = src.time[j]
  dst.seconds[i] = src.seconds[j]
  dst.physical[i] = src.physical[j]
  dst.reserve[i] = src.reserve[j]
  dst.free[i] = src.free[j]
  dst.state[i] = src.state[j]
}

const concatSeries = (a: HostSeries, b: HostSeries): HostSeries => {
  // Count the union of ticks.
  let n = 0
  for (let i = 0, j = 0; i < a.length || j < b.length; n++) {
    if (j >= b.length || (i < a.length && a.tick[i] < b.tick[j])) i++
    else if (i >= a.length || b.tick[j] < a.tick[i]) j++
    else (i++, j++)
  }
  const out = allocSeries(n)
  const rows: Array<[number, number, number]> = [] // (out row, a row or -1, b row or -1)
  for (let i = 0, j = 0, k = 0; k < n; k++) {
    if (j >= b.length || (i < a.length && a.tick[i] < b.tick[j])) rows.push([k, i++, -1])
    else if (i >= a.length || b.tick[j] < a.tick[i]) rows.push([k, -1, j++])
    else rows.push([k, i++, j++])
  }
  for (const [k, i, j] of rows) {
    if (i >= 0) copyHostRow(out, k, a, i) // on a common tick the left side's host fields win
    else copyHostRow(out, k, b, j)
  }
  for (const f of HOST_SUM_FIELDS) {
    const o = out.sums[f]
    const x = a.sums[f]
    const y = b.sums[f]
    for (const [k, i, j] of rows) o[k] = i >= 0 ? (j >= 0 ? x[i] + y[j] : x[i]) : y[j]
  }
  return out
}

/** Bucket count of a grid re-expressed at a coarser width `to` (a multiple of `from`). */
const coarsenedBuckets = (buckets: number, from: number, to: number): number =>
  buckets === 0 ? 0 : Math.floor(((buckets - 1) * from) / to) + 1

/**
 * Add grid `g` (rows mapped to output VM rows by `map`) into `cells` laid out at width `bt` with
 * `buckets` buckets.
 */
const addGrid = (
  cells: Float64Array,
  buckets: number,
  bt: number,
  g: HeatGrid,
  map: ReadonlyArray<number>,
): void => {
  if (g.buckets === 0) return
  const factor = bt / g.bucketTicks
  for (let v = 0; v < map.length; v++) {
    const ov = map[v]
    for (let b = 0; b < g.buckets; b++) {
      const src = (v * g.buckets + b) * HEAT_COUNT
      const dst = (ov * buckets + Math.floor(b / factor)) * HEAT_COUNT
      for (let m = 0; m < HEAT_COUNT; m++) {
        const x = g.cells[src + m]
        cells[dst + m] = HEAT_IS_MAX[m] ? Math.max(cells[dst + m], x) : cells[dst + m] + x
      }
    }
  }
}

const sameIds = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Concatenate two partials (associative; emptyPartial is the identity). */
export const concatPartial = (a: RunPartial, b: RunPartial): RunPartial => {
  // VM union, left-biased order (associative).
  let ids: ReadonlyArray<string>
  let mapB: ReadonlyArray<number>
  const mapA = a.vms.ids.map((_, i) => i)
  if (sameIds(a.vms.ids, b.vms.ids)) {
    ids = a.vms.ids
    mapB = mapA
  } else {
    const index = new Map<string, number>()
    const all: string[] = []
    for (const id of a.vms.ids) {
      index.set(id, all.length)
      all.push(id)
    }
    mapB = b.vms.ids.map((id) => {
      const k = index.get(id)
      if (k !== undefined) return k
      index.set(id, all.length)
      all.push(id)
      return all.length - 1
    })
    ids = all
  }
  const nv = ids.length

  const flags = new Uint8Array(nv)
  const stats = new Float64Array(nv * VM_STAT_COUNT)
  const hist = new Float64Array(nv * SLOWDOWN_BUCKETS)
  flags.set(a.vms.flags)
  stats.set(a.vms.stats)
  hist.set(a.vms.hist)
  const hb = SLOWDOWN_BUCKETS
  for (let v = 0; v < mapB.length; v++) {
    const o = mapB[v]
    flags[o] |= b.vms.flags[v]
    const so = o * VM_STAT_COUNT
    const sv = v * VM_STAT_COUNT
    for (let c = 0; c < VM_SUM_COUNT; c++) stats[so + c] += b.vms.stats[sv + c]
    for (let c = VM_SUM_COUNT; c < VM_STAT_COUNT; c++) stats[so + c] = Math.max(stats[so + c], b.vms.stats[sv + c])
    const ho = o * hb
    const hv = v * hb
    for (let k = 0; k < hb; k++) hist[ho + k] += b.vms.hist[hv + k]
  }

  // Heat grid at the coarser width.
  const bt = Math.max(a.heat.bucketTicks, b.heat.bucketTicks)
  const buckets =
    bt === 0
      ? 0
      : Math.max(
          coarsenedBuckets(a.heat.buckets, a.heat.bucketTicks, bt),
          coarsenedBuckets(b.heat.buckets, b.heat.bucketTicks, bt),
        )
  const cells = new Float64Array(nv * buckets * HEAT_COUNT)
  addGrid(cells, buckets, bt, a.heat, mapA)
  addGrid(cells, buckets, bt, b.heat, mapB)

  return {
    series: concatSeries(a.series, b.series),
    vms: { ids, flags, stats, hist },
    heat: { bucketTicks: bt, buckets, cells },
  }
}

/** The Monoid of run partials: concat merges spans of time and groups of VMs alike. */
export const RunPartialMonoid: Monoid<RunPartial> = { concat: concatPartial, empty: emptyPartial }

/** Concatenate any number of partials, left to right. */
export const concatAllPartials = (parts: ReadonlyArray<RunPartial>): RunPartial =>
  parts.reduce(concatPartial, emptyPartial)

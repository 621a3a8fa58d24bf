/**
 * From rows as read to the columnar Trace: sort, de-duplicate, find the common grid, snap samples to
 * it, and repair what real traces get wrong, counting every repair by kind (see REPAIR_KINDS).
 *
 * Order matters and is fixed: (1) sort (outOfOrderTimestamp, counted while reading), (2) drop repeated
 * timestamps, keeping the first, (3) snap to the grid, the later of two samples on one tick winning
 * (tickCollision), (4) per kept sample: all-zero row = off; zero capacity held from the last good one
 * (before any, the first good one); usage clamped to capacity; capacity changes counted, (5) gaps
 * between samples: held up to maxGap seconds of missing ticks, off beyond, (6) lifetimes.
 */
import * as E from 'fp-ts/lib/Either.js'
import { type ImportReport, type RepairKind, type VmImportReport, emptyRepairCounts, recordedCounts, REPAIR_KINDS } from '../import-report.js'
import type { Trace, VmTrace } from '../trace.js'
import { type TraceError, traceError } from '../errors.js'
import { type FileSpan, isoTime, type OptionalColumn, type VmRows } from './read-file.js'
import { grouped, type ImportLimits, raiseHint } from '../limits.js'

const OPTIONAL: ReadonlyArray<OptionalColumn> = ['touched', 'diskRead', 'diskWrite']
/** How a column is named in messages (the canonical names; a mapped file's own names are on its rows). */
const OPTIONAL_NAME: Readonly<Record<OptionalColumn, string>> = { touched: 'touched', diskRead: 'disk_read', diskWrite: 'disk_write' }
const OPTIONAL_WHAT: Readonly<Record<OptionalColumn, string>> = {
  touched: 'touched memory',
  diskRead: 'disk read throughput',
  diskWrite: 'disk write throughput',
}

/** Step used when no VM has two samples to measure it from (Bitbrains' and vCenter's 5 minutes). */
export const FALLBACK_STEP = 300

interface Sorted {
  readonly rows: VmRows
  readonly time: Float64Array
  readonly demand: Float64Array
  readonly configured: Float64Array
  readonly touched: Float64Array | undefined
  readonly diskRead: Float64Array | undefined
  readonly diskWrite: Float64Array | undefined
  readonly repeated: number
}

/** Stable sort by time (only when rows came out of order), then drop repeated timestamps, keeping the first. */
const sortAndDedupe = (rows: VmRows): Sorted => {
  const n = rows.time.length
  const t0 = rows.time.view()
  let order: Uint32Array | undefined
  if (rows.outOfOrder > 0) {
    order = new Uint32Array(n)
    for (let i = 0; i < n; i++) order[i] = i
    order.sort((a, b) => t0[a] - t0[b] || a - b)
  }
  const d0 = rows.demand.view()
  const c0 = rows.configured.view()
  const u0 = rows.touched?.view()
  const r0 = rows.diskRead?.view()
  const w0 = rows.diskWrite?.view()
  if (order === undefined) {
    // In order (the usual case): no repeated timestamp means nothing to drop, and the rows as read are
    // the sorted rows; views, not copies, so the import holds one copy of its rows.
    let repeats = false
    for (let i = 1; i < n && !repeats; i++) repeats = t0[i] === t0[i - 1]
    if (!repeats) return { rows, time: t0, demand: d0, configured: c0, touched: u0, diskRead: r0, diskWrite: w0, repeated: 0 }
  }
  const time = new Float64Array(n)
  const demand = new Float64Array(n)
  const configured = new Float64Array(n)
  const touched = u0 === undefined ? undefined : new Float64Array(n)
  const diskRead = r0 === undefined ? undefined : new Float64Array(n)
  const diskWrite = w0 === undefined ? undefined : new Float64Array(n)
  let m = 0
  let repeated = 0
  for (let j = 0; j < n; j++) {
    const i = order === undefined ? j : order[j]
    if (m > 0 && t0[i] === time[m - 1]) {
      repeated++
      continue
    }
    time[m] = t0[i]
    demand[m] = d0[i]
    configured[m] = c0[i]
    if (touched !== undefined) touched[m] = u0![i]
    if (diskRead !== undefined) diskRead[m] = r0![i]
    if (diskWrite !== undefined) diskWrite[m] = w0![i]
    m++
  }
  return {
    rows,
    time: time.subarray(0, m),
    demand: demand.subarray(0, m),
    configured: configured.subarray(0, m),
    touched: touched?.subarray(0, m),
    diskRead: diskRead?.subarray(0, m),
    diskWrite: diskWrite?.subarray(0, m),
    repeated,
  }
}

/** (Lower) median of the intervals between consecutive distinct samples of every VM, pooled. */
export const medianInterval = (vms: ReadonlyArray<{ readonly time: Float64Array }>): number | undefined => {
  let total = 0
  for (const v of vms) total += Math.max(0, v.time.length - 1)
  if (total === 0) return undefined
  const intervals = new Float64Array(total)
  let k = 0
  for (const v of vms) for (let i = 1; i < v.time.length; i++) intervals[k++] = v.time[i] - v.time[i - 1]
  // the lower median: an actual interval, never the average of a typical one and a gap
  return kthSmallest(intervals, (total - 1) >> 1)
}

/**
 * The k-th smallest value (0-based) of xs, reordering xs: Hoare's selection, linear on average where
 * a full sort of a fleet-month's 4 million intervals took a noticeable part of the import. Values
 * equal to the pivot are split between the sides, so runs of one interval (the usual case) stay fast.
 */
const kthSmallest = (xs: Float64Array, k: number): number => {
  let lo = 0
  let hi = xs.length - 1
  while (lo < hi) {
    const pivot = xs[(lo + hi) >>> 1]
    let i = lo
    let j = hi
    while (i <= j) {
      while (xs[i] < pivot) i++
      while (xs[j] > pivot) j--
      if (i <= j) {
        const t = xs[i]
        xs[i] = xs[j]
        xs[j] = t
        i++
        j--
      }
    }
    if (k <= j) hi = j
    else if (k >= i) lo = i
    else return xs[k]
  }
  return xs[k]
}

interface Grid {
  readonly start: number
  readonly step: number
  readonly ticks: number
}

/** One VM on the grid, with its repairs. */
const placeVm = (s: Sorted, grid: Grid, maxGapSeconds: number): E.Either<TraceError, { vm: VmTrace; report: VmImportReport }> => {
  const repairs = emptyRepairCounts()
  repairs.outOfOrderTimestamp = s.rows.outOfOrder
  repairs.repeatedTimestamp = s.repeated
  repairs.repeatedHeader = s.rows.repeatedHeader
  const { start, step, ticks } = grid
  const n = s.time.length
  // An optional column is recorded on every row of a VM or on none (touched is then modelled
  // downstream; disk throughput is then unknown): a column on some rows only is a defect of the file.
  const recordedOf = (key: OptionalColumn): E.Either<TraceError, Float64Array | undefined> => {
    const col = s[key]
    let recorded = 0
    if (col !== undefined) for (let i = 0; i < n; i++) if (!Number.isNaN(col[i])) recorded++
    if (recorded > 0 && recorded < n)
      return E.left(
        traceError(s.rows.source, undefined, OPTIONAL_NAME[key], `${OPTIONAL_WHAT[key]} on every row of VM "${s.rows.id}" or on none`, `it on ${recorded} of ${n} rows`),
      )
    return E.right(recorded > 0 ? col : undefined)
  }
  const recorded: Array<Float64Array | undefined> = []
  for (const key of OPTIONAL) {
    const r = recordedOf(key)
    if (E.isLeft(r)) return r
    recorded.push(r.right)
  }
  const [sTouched, sRead, sWrite] = recorded

  // (3) snap; keep[j] = index of the sample kept at the j-th occupied tick
  const keep = new Int32Array(n)
  const tickOf = new Int32Array(n)
  let m = 0
  for (let i = 0; i < n; i++) {
    const tick = Math.round((s.time[i] - start) / step)
    if (m > 0 && tickOf[m - 1] === tick) {
      repairs.tickCollision++
      keep[m - 1] = i // the later sample wins
    } else {
      keep[m] = i
      tickOf[m] = tick
      m++
    }
  }

  // (4) values per kept sample
  const isOff = (i: number): boolean =>
    s.demand[i] === 0 && s.configured[i] === 0 && (sTouched === undefined || sTouched[i] === 0)
  let firstGood = NaN
  for (let j = 0; j < m && Number.isNaN(firstGood); j++) {
    const i = keep[j]
    if (!isOff(i) && s.configured[i] > 0) firstGood = s.configured[i]
  }
  const demand = new Float32Array(ticks)
  const configured = new Float32Array(ticks)
  const touched = sTouched === undefined ? undefined : new Float32Array(ticks)
  const diskRead = sRead === undefined ? undefined : new Float32Array(ticks)
  const diskWrite = sWrite === undefined ? undefined : new Float32Array(ticks)
  const on = new Uint8Array(ticks)
  let lastGood = firstGood
  let prevTick = -1
  for (let j = 0; j < m; j++) {
    const i = keep[j]
    const tick = tickOf[j]
    // (5) the gap before this sample, after a running one: held, or off when longer than maxGap
    if (prevTick >= 0 && on[prevTick] === 1) {
      const missing = tick - prevTick - 1
      if (missing > 0) {
        if (missing * step <= maxGapSeconds) {
          demand.fill(demand[prevTick], prevTick + 1, tick)
          configured.fill(configured[prevTick], prevTick + 1, tick)
          touched?.fill(touched[prevTick], prevTick + 1, tick)
          diskRead?.fill(diskRead[prevTick], prevTick + 1, tick)
          diskWrite?.fill(diskWrite[prevTick], prevTick + 1, tick)
          on.fill(1, prevTick + 1, tick)
          repairs.gapHeld += missing
        } else repairs.gapOff += missing
      }
    }
    prevTick = tick
    if (isOff(i)) {
      repairs.allZeroRow++
      continue
    }
    let cap = s.configured[i]
    if (cap === 0) {
      if (Number.isNaN(lastGood))
        return E.left(
          traceError(s.rows.source, undefined, undefined, `a row with a non-zero configured capacity for VM "${s.rows.id}"`, 'none in any of its rows'),
        )
      repairs.zeroCapacity++
      cap = lastGood
    } else {
      if (cap !== lastGood) repairs.capacityChange++
      lastGood = cap
    }
    let use = s.demand[i]
    if (use > cap) {
      repairs.usageAboveCapacity++
      use = cap
    }
    demand[tick] = use
    configured[tick] = cap
    if (touched !== undefined) touched[tick] = sTouched![i]
    if (diskRead !== undefined) diskRead[tick] = sRead![i]
    if (diskWrite !== undefined) diskWrite[tick] = sWrite![i]
    on[tick] = 1
  }

  // (6) lifetime
  let firstTick = 0
  while (firstTick < ticks && on[firstTick] === 0) firstTick++
  let endTick = ticks
  while (endTick > firstTick && on[endTick - 1] === 0) endTick--
  if (firstTick === ticks) firstTick = endTick = 0
  else {
    if (firstTick > 0) repairs.lateStart = 1
    if (endTick < ticks) repairs.earlyStop = 1
  }

  return E.right({
    vm: { id: s.rows.id, image: s.rows.image, os: s.rows.os, demand, configured, touched, diskRead, diskWrite, on, firstTick, endTick },
    report: {
      id: s.rows.id,
      source: s.rows.source,
      rows: s.rows.rows,
      firstTime: n > 0 ? s.time[0] : NaN,
      lastTime: n > 0 ? s.time[n - 1] : NaN,
      repairs,
    },
  })
}

export interface GridInput {
  readonly name: string
  readonly format: ImportReport['format']
  readonly vms: ReadonlyArray<VmRows>
  readonly rows: number
  readonly repeatedHeader: number
  readonly notes: ReadonlyArray<string>
  readonly maxGapSeconds: number
  readonly limits: ImportLimits
}

/**
 * The row that stretches a grid past a limit: the earliest or the latest row of the trace, whichever
 * lies farther from the median time of all rows, since one stray row is the usual cause (a year
 * typed wrong, a clock reset). Only on this error path are all times gathered.
 */
const stretchingRow = (vms: ReadonlyArray<VmRows>): { span: FileSpan; line: number; time: number } | undefined => {
  const spans = vms.flatMap((v) => v.spans)
  if (spans.length === 0) return undefined
  let lo = spans[0]
  let hi = spans[0]
  for (const s of spans) {
    if (s.minTime < lo.minTime) lo = s
    if (s.maxTime > hi.maxTime) hi = s
  }
  let total = 0
  for (const v of vms) total += v.time.length
  const all = new Float64Array(total)
  let k = 0
  for (const v of vms) {
    all.set(v.time.view(), k)
    k += v.time.length
  }
  const median = kthSmallest(all, total >> 1)
  return median - lo.minTime > hi.maxTime - median
    ? { span: lo, line: lo.minLine, time: lo.minTime }
    : { span: hi, line: hi.maxLine, time: hi.maxTime }
}

const tooLong = (input: GridInput, ticks: number, step: number): TraceError | undefined => {
  const { maxTicks, maxVmTicks } = input.limits
  const vmTicks = ticks * input.vms.length
  if (ticks <= maxTicks && vmTicks <= maxVmTicks) return undefined
  const row = stretchingRow(input.vms)
  const expected =
    ticks > maxTicks
      ? `times spanning at most ${grouped(maxTicks)} ticks of ${step} s ${raiseHint('maxTicks')}`
      : `at most ${grouped(maxVmTicks)} VM-ticks (VMs x ticks) ${raiseHint('maxVmTicks')}`
  const found = `${row === undefined ? '' : `${row.time} (${isoTime(row.time)}), which `}stretches the grid to ${grouped(ticks)} ticks${ticks > maxTicks ? '' : ` for ${grouped(input.vms.length)} VMs`}`
  return row === undefined
    ? traceError(input.name, undefined, undefined, expected, found)
    : traceError(row.span.file, row.line, row.span.column, expected, found)
}

/** Assemble the Trace and its ImportReport. */
export const toTrace = (input: GridInput): E.Either<ReadonlyArray<TraceError>, Trace> => {
  const sorted = input.vms.map(sortAndDedupe)
  const median = medianInterval(sorted)
  const step = median === undefined ? FALLBACK_STEP : Math.max(1, Math.round(median))
  let first = Infinity
  let last = -Infinity
  for (const s of sorted)
    if (s.time.length > 0) {
      first = Math.min(first, s.time[0])
      last = Math.max(last, s.time[s.time.length - 1])
    }
  const grid: Grid = { start: first, step, ticks: Math.round((last - first) / step) + 1 }
  const long = tooLong(input, grid.ticks, step)
  if (long !== undefined) return E.left([long])
  const errors: TraceError[] = []
  const vms: VmTrace[] = []
  const perVm: VmImportReport[] = []
  for (const s of sorted) {
    const placed = placeVm(s, grid, input.maxGapSeconds)
    if (E.isLeft(placed)) errors.push(placed.left)
    else {
      vms.push(placed.right.vm)
      perVm.push(placed.right.report)
    }
  }
  if (errors.length > 0) return E.left(errors)
  const repairs = emptyRepairCounts()
  for (const r of perVm) for (const k of REPAIR_KINDS) repairs[k] += r.repairs[k]
  // A repeated header in a multi-VM file belongs to no VM: it counts in the total only.
  repairs.repeatedHeader = input.repeatedHeader
  const report: ImportReport = {
    format: input.format,
    source: input.name,
    vms: vms.length,
    firstTime: first,
    lastTime: last,
    step,
    ticks: grid.ticks,
    rows: input.rows,
    maxGapSeconds: input.maxGapSeconds,
    repairs,
    perVm,
    recorded: recordedCounts(vms),
    notes: input.notes,
  }
  return E.right({ name: input.name, start: first, step, ticks: grid.ticks, vms, report })
}

export type { RepairKind }

/**
 * Vega-Lite chart specs of a report: pure functions of ReportInput, data inlined as values.
 *
 * Every spec sets config.font to DejaVu Sans (the font the headless renderer has) and uses fixed
 * sizes and UTC time scales, so that rendering is the same on every machine. Long series are
 * downsampled first (downsample.ts): at most `maxPoints` points per series.
 * Times in the data are milliseconds (what Vega's temporal scales read), converted from the
 * input's Unix seconds.
 *
 * Reading aids, on every chart: axis titles on every panel; a tooltip on every mark a reader can
 * point at (time series through points or invisible per-bucket bands, as one path per series
 * would answer with its first datum); runs told apart by colour AND dash (and point shape), so a
 * line drawn over another of equal values leaves it visible. Time axes a single spike must not set
 * (host memory, shortfall) stop at clipTop's bound, and their title says so (see clipTop).
 */
import type { Config, TopLevelSpec } from 'vega-lite'
import type { HeatmapCell, HostSeriesRow, ReportInput } from './model.js'
import { chooseBucketSeconds, DEFAULT_MAX_POINTS, describeSeconds, downsampleByTime } from './downsample.js'
import { formatNumber, resolveRuns, runColours, runDashes, runShapes, type ResolvedRun } from './prepare.js'

export const CHART_FONT = 'DejaVu Sans'
export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json'

export interface ChartOptions {
  /** Most points per time series (default 500). */
  readonly maxPoints?: number
  /** Most time buckets in the heatmap (default 200). */
  readonly maxHeatmapBuckets?: number
  /** Most VMs in the heatmap: those with the highest mean value in any run (default 30). */
  readonly maxHeatmapVms?: number
  /** Width of one panel, pixels (default 640). */
  readonly width?: number
}

export type ChartId = 'host-memory' | 'shortfall' | 'heatmap' | 'key-metrics' | 'slowdown-distribution'

export interface Chart {
  /** File stem and HTML id. */
  readonly id: ChartId
  /** Heading in the report. */
  readonly title: string
  /** One or two sentences: what the chart shows and how it was aggregated. */
  readonly caption: string
  readonly spec: TopLevelSpec
}

/** aria off: Vega's generated descriptions format times in the local time zone (and double the SVG's size);
 *  the data is in the page's tables. */
const config = (): Config => ({
  font: CHART_FONT,
  aria: false,
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 10, titleFontSize: 11 },
  legend: { labelFontSize: 10, titleFontSize: 11, labelLimit: 220 },
  header: { labelFontSize: 11, labelLimit: 300 },
  title: { fontSize: 13, anchor: 'start', subtitleFontSize: 10 },
})

const ms = (unixSeconds: number): number => Math.round(unixSeconds * 1000)

/** Values are rounded (4 decimals: 0.1 MiB for GiB) to keep the inlined data small. */
const round = (x: number, d: number): number => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : x)

/** Span of all times in the input (host series and heatmap), seconds. */
const spanSeconds = (input: ReportInput): number => {
  let lo = Infinity
  let hi = -Infinity
  for (const r of input.runs) {
    for (const row of r.hostSeries) if (Number.isFinite(row.time)) (lo = Math.min(lo, row.time)), (hi = Math.max(hi, row.time))
    for (const c of r.heatmap) if (Number.isFinite(c.bucketStart)) (lo = Math.min(lo, c.bucketStart)), (hi = Math.max(hi, c.bucketStart))
  }
  return hi > lo ? hi - lo : 0
}

/** A UTC time axis: dates and hours for traces up to four days, dates alone beyond. */
const timeX = (input: ReportInput) =>
  ({
    field: 't',
    type: 'temporal',
    scale: { type: 'utc' },
    title: 'time (UTC)',
    axis: { format: spanSeconds(input) <= 4 * 86400 ? '%d %b %H:%M' : '%d %b', labelOverlap: true },
  }) as const

/** A calculate transform: the time as UTC text for tooltips (Vega's utcFormat: the same in any time zone). */
const utcText = { calculate: "utcFormat(datum.t, '%Y-%m-%d %H:%M')", as: 'time' } as const
const TIME_TOOLTIP = { field: 'time', type: 'nominal', title: 'time (UTC)' } as const

/** Fraction of the plotted values an axis must hold (clipTop). */
export const CLIP_QUANTILE = 0.995
/** Clip only when the peak is more than this times the bound. */
export const CLIP_RATIO = 1.5

/**
 * The top of an axis that one spike does not set: with `bound` = max(floor, the CLIP_QUANTILE
 * quantile of the values, or the second-highest value if that is lower: in a short series the
 * quantile is the spike itself), the axis stops at 1.1 x bound (rounded up to two significant figures)
 * when the peak is above CLIP_RATIO x bound, so 99.5 % of the plotted values are drawn in full and
 * the few above run off the top. No clipping (top undefined) when the bound is 0 (nothing but the
 * spike to show) or the peak is near the bound. Deterministic; non-finite values are ignored.
 */
export const clipTop = (
  values: ReadonlyArray<number>,
  floor = 0,
): { readonly top: number | undefined; readonly peak: number } => {
  const xs = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (xs.length === 0) return { top: undefined, peak: 0 }
  const peak = xs[xs.length - 1]
  const q = xs[Math.max(0, Math.min(xs.length - 2, Math.ceil(CLIP_QUANTILE * xs.length) - 1))]
  const bound = Math.max(floor, q)
  if (!(bound > 0) || peak <= CLIP_RATIO * bound) return { top: undefined, peak }
  const raw = 1.1 * bound
  const mag = 10 ** (Math.floor(Math.log10(raw)) - 1)
  return { top: Number((Math.ceil(raw / mag) * mag).toPrecision(12)), peak }
}

/** An axis title that says where the axis was clipped and how high the peak went. */
const clippedTitle = (title: string, clip: { top: number | undefined; peak: number }, unit: string): string =>
  clip.top === undefined ? title : `${title} (axis clipped at ${formatNumber(clip.top, 1)} ${unit}; peak ${formatNumber(clip.peak, 1)} ${unit})`

/** Seconds between a run's successive samples (its bucket width, or its step when every tick is shown). */
const sampleWidth = (bucketSeconds: number, times: ReadonlyArray<number>): number => {
  if (bucketSeconds > 0) return bucketSeconds
  let step = Infinity
  for (let i = 1; i < times.length; i++) if (times[i] > times[i - 1]) step = Math.min(step, times[i] - times[i - 1])
  return Number.isFinite(step) ? step : 3600
}

/** Components of the host-memory stack, bottom to top, with their legend labels and colours.
 *  Resident working set + resident idle + free = physical - reserve (the host's usable memory);
 *  above it, guest memory the host does not hold privately (shared, ballooned, compressed, swapped). */
export const HOST_COMPONENTS: ReadonlyArray<readonly [keyof HostSeriesRow & string, string, string]> = [
  ['residentWorkingSet', 'Resident working set', '#1f5f99'],
  ['residentIdle', 'Resident idle', '#8fb7dd'],
  ['free', 'Free', '#e3e3e3'],
  ['sharedAway', 'Shared away (saved)', '#59a14f'],
  ['ballooned', 'Ballooned', '#edc948'],
  ['compressed', 'Compressed', '#f28e2b'],
  ['swapped', 'Swapped', '#e15759'],
]

const HOST_FIELDS = HOST_COMPONENTS.map(([f]) => f) as Array<
  'residentWorkingSet' | 'residentIdle' | 'free' | 'sharedAway' | 'ballooned' | 'compressed' | 'swapped'
>

const bucketNote = (bucketSeconds: number): string =>
  bucketSeconds === 0 ? 'every tick shown' : `means over ${describeSeconds(bucketSeconds)} buckets (UTC)`

/**
 * Host memory over time, one stacked-area panel per run, with the host's capacity for VMs
 * (physical - reserve) as a dashed rule: the stack's resident and free parts add up to it, and
 * everything drawn above it is guest memory the host does not hold (shared, ballooned, compressed,
 * swapped). Pointing anywhere in a panel shows that bucket's figures.
 */
export const hostMemorySpec = (input: ReportInput, options: ChartOptions = {}): Chart => {
  const runs = resolveRuns(input)
  const maxPoints = options.maxPoints ?? DEFAULT_MAX_POINTS
  const values: Array<Record<string, string | number>> = []
  const widths = new Set<number>()
  const spans = new Set<number>()
  const tops: number[] = []
  for (const r of runs) {
    const d = downsampleByTime(r.run.hostSeries as ReadonlyArray<HostSeriesRow>, HOST_FIELDS, maxPoints)
    widths.add(d.bucketSeconds)
    spans.add(sampleWidth(d.bucketSeconds, d.buckets.map((b) => b.time)))
    for (const b of d.buckets) {
      const row: Record<string, string | number> = { run: r.label, t: ms(b.time) }
      let top = 0
      for (const f of HOST_FIELDS) {
        row[f] = round(b.mean[f], 4)
        if (Number.isFinite(b.mean[f])) top += b.mean[f]
      }
      tops.push(top)
      values.push(row)
    }
  }
  // one sample width for all runs (the usual case): the band's end is computed in the spec, not stored
  const span = spans.size === 1 ? [...spans][0] : undefined
  if (span === undefined) {
    const byRun = new Map(runs.map((r) => [r.label, r]))
    for (const v of values) {
      const r = byRun.get(v.run as string) as ResolvedRun
      const d = downsampleByTime(r.run.hostSeries as ReadonlyArray<HostSeriesRow>, [], maxPoints)
      v.t2 = (v.t as number) + ms(sampleWidth(d.bucketSeconds, d.buckets.map((b) => b.time)))
    }
  }
  const usable = input.host.physicalGiB - input.host.reserveGiB
  const capacityText = `host capacity for VMs: ${formatNumber(usable, 1)} GiB (${formatNumber(input.host.physicalGiB, 1)} physical - ${formatNumber(input.host.reserveGiB, 1)} reserve)`
  // the capacity rule always in view, whatever the clipping
  const clip = clipTop(tops, usable * 1.05)
  const yTitle = clippedTitle('GiB', clip, 'GiB')
  const caption =
    `Where memory was, per run: resident working set + resident idle + free = usable host memory ` +
    `(${round(usable, 1)} GiB of ${round(input.host.physicalGiB, 1)} GiB physical), marked by the dashed rule; above it, guest memory ` +
    `held by sharing, balloons, compression or swap. ${capitalise(widthsNote(widths))}.` +
    (clip.top === undefined ? '' : ` The axis stops at ${formatNumber(clip.top, 1)} GiB (the stack peaked at ${formatNumber(clip.peak, 1)} GiB).`) +
    ' Point at a panel for the figures of a bucket.'
  const width = options.width ?? 640
  const y = {
    field: 'gib',
    type: 'quantitative',
    stack: 'zero',
    title: yTitle,
    ...(clip.top === undefined ? {} : { scale: { domain: [0, clip.top] } }),
  } as const
  const tooltip: Array<{ field: string; type: 'nominal' | 'quantitative'; title?: string; format?: string }> = [
    { field: 'run', type: 'nominal' },
    { ...TIME_TOOLTIP },
    ...HOST_COMPONENTS.map(([f, l]) => ({ field: f, type: 'quantitative' as const, title: `${l}, GiB`, format: ',.1f' })),
  ]
  return {
    id: 'host-memory',
    title: 'Host memory over time',
    caption,
    spec: {
      $schema: VEGA_LITE_SCHEMA,
      config: config(),
      title: { text: 'Host memory over time', subtitle: `${widthsNote(widths)}; dashed: ${capacityText}` },
      data: { values },
      facet: { row: { field: 'run', type: 'nominal', sort: runs.map((r) => r.label), title: null } },
      spec: {
        width,
        height: 150,
        layer: [
          {
            // wide rows (one per bucket) keep the data small; folded into one row per component here
            transform: [
              { fold: [...HOST_FIELDS], as: ['key', 'gib'] },
              { calculate: `indexof(${JSON.stringify(HOST_FIELDS)}, datum.key)`, as: 'order' },
              { calculate: `${JSON.stringify(HOST_COMPONENTS.map(([, l]) => l))}[datum.order]`, as: 'component' },
            ],
            mark: { type: 'area', interpolate: 'step-after', clip: true },
            encoding: {
              x: timeX(input),
              y,
              color: {
                field: 'component',
                type: 'nominal',
                title: null,
                scale: { domain: HOST_COMPONENTS.map(([, l]) => l), range: HOST_COMPONENTS.map(([, , c]) => c) },
                sort: HOST_COMPONENTS.map(([, l]) => l),
              },
              order: { field: 'order', type: 'quantitative' },
            },
          },
          {
            // the capacity rule, one per panel
            transform: [{ aggregate: [{ op: 'count', as: 'samples' }], groupby: ['run'] }, { calculate: JSON.stringify(capacityText), as: 'capacity' }],
            mark: { type: 'rule', color: '#111', strokeDash: [6, 3], strokeWidth: 1.5 },
            encoding: {
              y: { datum: round(usable, 4), type: 'quantitative' },
              tooltip: [{ field: 'capacity', type: 'nominal', title: 'host' }],
            },
          },
          {
            // invisible bands, one per bucket, that answer a pointer anywhere in the panel
            transform: [utcText, ...(span === undefined ? [] : [{ calculate: `datum.t + ${ms(span)}`, as: 't2' }])],
            mark: { type: 'rect', opacity: 0 },
            encoding: { x: timeX(input), x2: { field: 't2' }, tooltip },
          },
        ],
      },
      resolve: { scale: { y: 'shared' } },
    },
  }
}

const widthsNote = (widths: Set<number>): string => {
  const ws = [...widths].sort((a, b) => a - b)
  if (ws.length === 0) return 'no samples'
  if (ws.length === 1) return bucketNote(ws[0])
  return ws.map(bucketNote).join('; ')
}

const SHORTFALL_FIELDS = ['shortfallGuestPaging', 'shortfallHostSwap', 'shortfallCompressed', 'shortfallBlocked'] as const

/**
 * Working-set shortfall (all causes) over time: one line per run (bucket mean, its own dash and
 * point shape) with a band up to the bucket max; the axis stops where clipTop says (a boot spike
 * does not set it). Points carry the tooltips.
 */
export const shortfallSpec = (input: ReportInput, options: ChartOptions = {}): Chart => {
  const runs = resolveRuns(input)
  const maxPoints = options.maxPoints ?? DEFAULT_MAX_POINTS
  const values: Array<Record<string, string | number>> = []
  const widths = new Set<number>()
  const plotted: number[] = []
  for (const r of runs) {
    const totals = r.run.hostSeries.map((row) => ({
      time: row.time,
      total: SHORTFALL_FIELDS.reduce((s, f) => s + (Number.isFinite(row[f]) ? row[f] : 0), 0),
    }))
    const d = downsampleByTime(totals, ['total'], maxPoints)
    widths.add(d.bucketSeconds)
    for (const b of d.buckets) {
      values.push({ run: r.label, t: ms(b.time), mean: round(b.mean.total, 4), max: round(b.max.total, 4) })
      plotted.push(b.max.total) // the band's top: at least the line's value
    }
  }
  const labels = runs.map((r) => r.label)
  const clip = clipTop(plotted)
  const yTitle = clippedTitle('shortfall, GiB', clip, 'GiB')
  const yScale = clip.top === undefined ? {} : { scale: { domain: [0, clip.top] } }
  const colour = {
    field: 'run',
    type: 'nominal',
    title: 'run',
    scale: { domain: labels, range: runColours(labels) },
    legend: { symbolType: 'stroke', symbolOpacity: 1, symbolStrokeWidth: 2 },
  } as const
  const dash = { field: 'run', type: 'nominal', title: 'run', scale: { domain: labels, range: runDashes(labels) } } as const
  return {
    id: 'shortfall',
    title: 'Working-set shortfall over time',
    caption:
      'Working set the VMs wanted but could not use (guest paging + host swap + compressed + blocked), GiB, summed ' +
      `over VMs. ${capitalise(widthsNote(widths))}; the shaded band reaches each bucket's maximum.` +
      (clip.top === undefined
        ? ''
        : ` The axis stops at ${formatNumber(clip.top, 1)} GiB, above 99.5 % of the plotted values; the peak, ${formatNumber(clip.peak, 1)} GiB, runs off the top.`) +
      ' Runs differ in colour, dash and point shape, so equal lines stay visible.',
    spec: {
      $schema: VEGA_LITE_SCHEMA,
      config: config(),
      title: { text: 'Working-set shortfall over time', subtitle: widthsNote(widths) },
      data: { values },
      transform: [utcText],
      width: options.width ?? 640,
      height: 220,
      encoding: {
        x: timeX(input),
        color: colour,
      },
      layer: [
        {
          mark: { type: 'area', opacity: 0.18, interpolate: 'step-after', clip: true },
          encoding: {
            y: { field: 'mean', type: 'quantitative', title: yTitle, ...yScale },
            y2: { field: 'max' },
          },
        },
        {
          mark: { type: 'line', strokeWidth: 1.5, interpolate: 'step-after', clip: true },
          encoding: { y: { field: 'mean', type: 'quantitative', title: yTitle, ...yScale }, strokeDash: dash },
        },
        {
          mark: { type: 'point', filled: true, size: 14, clip: true },
          encoding: {
            y: { field: 'mean', type: 'quantitative', title: yTitle, ...yScale },
            shape: { field: 'run', type: 'nominal', title: 'run', scale: { domain: labels, range: runShapes(labels) } },
            tooltip: [
              { field: 'run', type: 'nominal' },
              TIME_TOOLTIP,
              { field: 'mean', type: 'quantitative', title: 'shortfall, GiB (bucket mean)', format: ',.2f' },
              { field: 'max', type: 'quantitative', title: 'shortfall, GiB (bucket max)', format: ',.2f' },
            ],
          },
        },
      ],
    },
  }
}

/** Re-bucket heatmap cells so that at most maxBuckets distinct bucket starts remain (means). */
export const rebucketHeatmap = (
  cells: ReadonlyArray<HeatmapCell>,
  maxBuckets: number,
): { readonly bucketSeconds: number; readonly cells: ReadonlyArray<HeatmapCell> } => {
  const valid = cells.filter((c) => Number.isFinite(c.bucketStart) && Number.isFinite(c.value))
  const starts = [...new Set(valid.map((c) => c.bucketStart))].sort((a, b) => a - b)
  if (starts.length === 0) return { bucketSeconds: 0, cells: [] }
  let step = Infinity
  for (let i = 1; i < starts.length; i++) step = Math.min(step, starts[i] - starts[i - 1])
  if (starts.length <= maxBuckets) return { bucketSeconds: Number.isFinite(step) ? step : 3600, cells: valid }
  const width = chooseBucketSeconds(starts[0], starts[starts.length - 1], maxBuckets)
  const acc = new Map<string, { vm: string; start: number; sum: number; n: number }>()
  for (const c of valid) {
    const start = Math.floor(c.bucketStart / width) * width
    const key = `${start}\u0000${c.vm}`
    const a = acc.get(key)
    if (a === undefined) acc.set(key, { vm: c.vm, start, sum: c.value, n: 1 })
    else {
      a.sum += c.value
      a.n += 1
    }
  }
  const out = [...acc.values()]
    .sort((a, b) => a.start - b.start || (a.vm < b.vm ? -1 : a.vm > b.vm ? 1 : 0))
    .map((a) => ({ vm: a.vm, bucketStart: a.start, value: a.sum / a.n }))
  return { bucketSeconds: width, cells: out }
}

/** The VMs shown in the heatmap: highest mean cell value in any run first, then by name. */
export const heatmapVms = (runs: ReadonlyArray<ResolvedRun>, limit: number): { shown: string[]; total: number } => {
  const score = new Map<string, number>()
  for (const r of runs) {
    const sums = new Map<string, { s: number; n: number }>()
    for (const c of r.run.heatmap) {
      if (!Number.isFinite(c.value)) continue
      const a = sums.get(c.vm) ?? { s: 0, n: 0 }
      a.s += c.value
      a.n += 1
      sums.set(c.vm, a)
    }
    for (const [vm, a] of sums) score.set(vm, Math.max(score.get(vm) ?? -Infinity, a.s / a.n))
  }
  const ranked = [...score.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  return { shown: ranked.slice(0, Math.max(0, limit)).map(([vm]) => vm), total: ranked.length }
}

/** Per-VM heatmap of slowdown (or pressure) over time: VMs on y, time buckets on x, one panel per run. */
export const heatmapSpec = (input: ReportInput, options: ChartOptions = {}): Chart => {
  const runs = resolveRuns(input)
  const measure = input.heatmapMeasure ?? 'slowdown'
  const { shown, total } = heatmapVms(runs, options.maxHeatmapVms ?? 30)
  const keep = new Set(shown)
  const perRun = runs.map((r) => ({ r, ...rebucketHeatmap(r.run.heatmap, options.maxHeatmapBuckets ?? 200) }))
  const widths = new Set(perRun.filter((p) => p.cells.length > 0).map((p) => p.bucketSeconds))
  // one bucket width for all runs (the usual case): the bucket end is computed in the spec, not stored
  const sharedWidth = widths.size <= 1 ? ([...widths][0] ?? 3600) : undefined
  const values: Array<Record<string, string | number>> = []
  for (const { r, bucketSeconds, cells } of perRun)
    for (const c of cells)
      if (keep.has(c.vm))
        values.push(
          sharedWidth === undefined
            ? { run: r.label, vm: c.vm, t: ms(c.bucketStart), t2: ms(c.bucketStart + bucketSeconds), value: round(c.value, 4) }
            : { run: r.label, vm: c.vm, t: ms(c.bucketStart), value: round(c.value, 4) },
        )
  const measureTitle = measure === 'slowdown' ? 'slowdown (x)' : 'pressure (%)'
  const which =
    shown.length < total
      ? `the ${shown.length} VMs (of ${total}) with the highest mean ${measure} in any run`
      : `all ${total} VMs, highest mean ${measure} first`
  const ws = [...widths].filter((w) => w > 0).sort((a, b) => a - b)
  const bucketText = ws.length === 0 ? 'no buckets' : `${ws.map(describeSeconds).join(', ')} buckets`
  return {
    id: 'heatmap',
    title: `Per-VM ${measure} over time`,
    caption:
      `Mean ${measure === 'slowdown' ? 'slowdown factor (1 = none)' : 'memory pressure (demand / assigned x 100)'} ` +
      `of each VM while running, per time bucket (${bucketText}); blank where the VM was not running. Shows ${which}.`,
    spec: {
      $schema: VEGA_LITE_SCHEMA,
      config: config(),
      title: { text: `Per-VM ${measure} over time`, subtitle: `${which}; ${bucketText}` },
      data: { values },
      transform: [utcText, ...(sharedWidth === undefined ? [] : [{ calculate: `datum.t + ${ms(sharedWidth)}`, as: 't2' }])],
      facet: { row: { field: 'run', type: 'nominal', sort: runs.map((r) => r.label), title: null } },
      spec: {
        width: options.width ?? 640,
        height: { step: 10 },
        mark: { type: 'rect' },
        encoding: {
          x: timeX(input),
          x2: { field: 't2' },
          y: { field: 'vm', type: 'nominal', sort: shown, title: 'VM', axis: { labelFontSize: 8, labelLimit: 160 } },
          color: {
            field: 'value',
            type: 'quantitative',
            title: measureTitle,
            scale:
              measure === 'slowdown'
                ? { scheme: 'orangered', zero: false }
                : { scheme: 'redyellowblue', reverse: true, domainMid: 100 },
          },
          tooltip: [
            { field: 'run', type: 'nominal' },
            { field: 'vm', type: 'nominal', title: 'VM' },
            { ...TIME_TOOLTIP, title: 'bucket start (UTC)' },
            { field: 'value', type: 'quantitative', title: measureTitle, format: ',.3f' },
          ],
        },
      },
      resolve: { scale: { color: 'shared' } },
    },
  }
}

/** The figures shown as bars, in order: [RunMetrics key, panel title with its unit, factor to that unit]. */
export const KEY_METRICS: ReadonlyArray<readonly [string, string, number]> = [
  ['shortOfMemoryShare', 'VM-time short of memory, %', 100],
  ['vmsRefused', 'VMs refused', 1],
  ['slowdownP99', 'Slowdown p99, x', 1],
  ['hostSwapOutGiB', 'Host swap-out, GiB', 1],
  ['shortfallGiBh', 'Shortfall, GiBh', 1],
  ['hostSwapGiBh', 'In host swap, GiBh', 1],
  ['peakResidentGiB', 'Peak resident, GiB', 1],
  ['overCommitRatio', 'Over-commit ratio, x', 1],
]

/** Key metrics side by side: one small bar chart per figure (its own scale and axis title), one bar per run. */
export const keyMetricsSpec = (input: ReportInput, options: ChartOptions = {}): Chart => {
  const runs = resolveRuns(input)
  const labels = runs.map((r) => r.label)
  const values: Array<Record<string, string | number | null>> = []
  for (const [key, title, factor] of KEY_METRICS)
    for (const r of runs) {
      const v = (r.metrics as unknown as Record<string, unknown>)[key]
      values.push({ metric: title, run: r.label, value: typeof v === 'number' && Number.isFinite(v) ? v * factor : null })
    }
  const panel = Math.max(80, Math.floor(((options.width ?? 640) - 60) / 4))
  return {
    id: 'key-metrics',
    title: 'Key metrics',
    caption:
      'Key figures of each run side by side (each panel has its own scale). Lower is better. ' +
      'Short of memory, slowdown, swap and shortfall are over each policy\u2019s admitted VMs: read them with the VMs refused.',
    spec: {
      $schema: VEGA_LITE_SCHEMA,
      config: config(),
      title: { text: 'Key metrics', subtitle: 'each panel on its own scale' },
      data: { values },
      columns: 4,
      concat: KEY_METRICS.map(([, title]) => ({
        width: panel,
        height: 120,
        transform: [{ filter: { field: 'metric', equal: title } }],
        mark: { type: 'bar' },
        encoding: {
          x: { field: 'run', type: 'nominal', sort: labels, title: 'run', axis: { labels: false, ticks: false } },
          y: { field: 'value', type: 'quantitative', title },
          color: { field: 'run', type: 'nominal', title: 'run', sort: labels, scale: { domain: labels, range: runColours(labels) } },
          tooltip: [
            { field: 'run', type: 'nominal' },
            { field: 'metric', type: 'nominal' },
            { field: 'value', type: 'quantitative', format: ',.3~f' },
          ],
        },
      })),
      resolve: { scale: { y: 'independent' } },
    },
  }
}

/**
 * Points of the tail distribution of slowdown over running VM-time, from histogram buckets: at each
 * non-empty bucket's lower bound x, the share of VM-time whose slowdown was at least x. Shares are
 * in (0, 1]; the first point (the lowest bucket) is 1. The open last bucket is included (at its lower bound).
 */
export const slowdownTail = (
  buckets: ReadonlyArray<{ lower: number; upper: number | null; vmHours: number }>,
): Array<{ slowdown: number; share: number }> => {
  const weight = (b: { vmHours: number }): number => (Number.isFinite(b.vmHours) && b.vmHours > 0 ? b.vmHours : 0)
  const sorted = [...buckets].filter((b) => Number.isFinite(b.lower) && weight(b) > 0).sort((a, b) => a.lower - b.lower)
  const total = sorted.reduce((s, b) => s + weight(b), 0)
  if (total <= 0) return []
  const points: Array<{ slowdown: number; share: number }> = []
  let before = 0
  for (const b of sorted) {
    points.push({ slowdown: b.lower, share: Math.min(1, (total - before) / total) })
    before += weight(b)
  }
  return points
}

/** The distribution of slowdown across running VM-time: one tail line per run, both axes log. */
export const slowdownDistributionSpec = (input: ReportInput, options: ChartOptions = {}): Chart => {
  const runs = resolveRuns(input)
  const labels = runs.map((r) => r.label)
  const values: Array<Record<string, string | number>> = []
  for (const r of runs)
    for (const p of slowdownTail(r.run.slowdownHistogram)) values.push({ run: r.label, slowdown: p.slowdown, share: p.share })
  return {
    id: 'slowdown-distribution',
    title: 'Distribution of slowdown',
    caption:
      'Share of running VM-time whose slowdown factor was at least x (a tail distribution from the histogram ' +
      "buckets; points at the buckets' lower bounds; both axes log). A line that falls sooner and lower is better.",
    spec: {
      $schema: VEGA_LITE_SCHEMA,
      config: config(),
      title: { text: 'Distribution of slowdown over VM-time', subtitle: 'share of running VM-time slowed by at least x' },
      data: { values },
      width: options.width ?? 640,
      height: 220,
      mark: { type: 'line', point: { size: 18, filled: true }, strokeWidth: 1.5, interpolate: 'step-after' },
      encoding: {
        x: { field: 'slowdown', type: 'quantitative', scale: { type: 'log', nice: false }, title: 'slowdown factor x (log scale)' },
        y: {
          field: 'share',
          type: 'quantitative',
          scale: { type: 'log' },
          title: 'share of VM-time at or above x',
          axis: { format: '.2~p', tickCount: 6 },
        },
        color: { field: 'run', type: 'nominal', title: 'run', sort: labels, scale: { domain: labels, range: runColours(labels) } },
        // dash and shape too: two runs with the same tail draw one line over the other
        strokeDash: { field: 'run', type: 'nominal', title: 'run', sort: labels, scale: { domain: labels, range: runDashes(labels) } },
        shape: { field: 'run', type: 'nominal', title: 'run', sort: labels, scale: { domain: labels, range: runShapes(labels) } },
        tooltip: [
          { field: 'run', type: 'nominal' },
          { field: 'slowdown', type: 'quantitative', format: '.3~f', title: 'slowdown at least' },
          { field: 'share', type: 'quantitative', format: '.3~p', title: 'share of VM-time' },
        ],
      },
    },
  }
}

/** All charts of a report, in display order. */
export const reportCharts = (input: ReportInput, options: ChartOptions = {}): ReadonlyArray<Chart> => [
  keyMetricsSpec(input, options),
  hostMemorySpec(input, options),
  shortfallSpec(input, options),
  heatmapSpec(input, options),
  slowdownDistributionSpec(input, options),
]

const capitalise = (s: string): string => (s.length === 0 ? s : s[0].toUpperCase() + s.slice(1))

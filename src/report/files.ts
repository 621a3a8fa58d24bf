/**
 * The report on disk: index.html, summary.md, metrics.json, the series CSVs given in the input,
 * and for each chart its .vl.json (Vega-Lite spec) and .svg, and its .png when asked (`png`: the
 * PNGs cost about as much to draw as the SVGs; summary.md links the PNGs then, else the SVGs).
 *
 * buildReportFiles renders everything in memory first; writeReportFiles then writes it into a
 * temporary sibling folder and renames that into place, so a failed run never leaves a folder that
 * looks complete. It replaces only an empty folder or a report memreplay wrote, unchanged (its
 * manifest, .memreplay-report.json: see write-folder.ts); anything else is refused.
 */
import { METRICS_SCHEMA_VERSION } from '../metrics/run-metrics.js'
import { reportCharts, type ChartOptions } from './charts.js'
import { renderHtml, type HtmlOptions } from './html.js'
import { renderMarkdown } from './markdown.js'
import type { ReportInput } from './model.js'
import { resolveRuns } from './prepare.js'
import { renderCharts, type ChartThread } from './render.js'
import { writeFolderAtomically } from './write-folder.js'

export interface ReportOptions extends ChartOptions, HtmlOptions {
  /** Write each chart as PNG too (default false: SVG only). */
  readonly png?: boolean
  /** PNG zoom (default 2). */
  readonly pngScale?: number
  /** Where to draw the SVGs (default: this thread): see startChartThread. */
  readonly chartThread?: ChartThread
}

/** The files of a report: name -> content, in the order they are listed. */
export type ReportFiles = ReadonlyMap<string, string | Buffer>

/** metrics.json: what a later tool (or a diff between two reports) reads. */
export const metricsJson = (input: ReportInput): unknown => {
  const ir = input.importReport
  return {
    schemaVersion: METRICS_SCHEMA_VERSION,
    title: input.title,
    traceName: input.traceName,
    host: input.host,
    importReport: {
      format: ir.format,
      source: ir.source,
      vms: ir.vms,
      firstTime: ir.firstTime,
      lastTime: ir.lastTime,
      step: ir.step,
      ticks: ir.ticks,
      rows: ir.rows,
      maxGapSeconds: ir.maxGapSeconds,
      repairs: ir.repairs,
    },
    slowdownModel: input.slowdownModel,
    worldModel: input.worldModel,
    runs: resolveRuns(input).map((r) => ({
      label: r.label,
      params: r.params,
      ...(r.error === undefined ? {} : { error: r.error }),
      metrics: r.metrics,
    })),
    notes: input.notes,
  }
}

/**
 * A spec as JSON for people and the Vega editor: two-space indent, but the inlined data one record
 * per line (a month of data would otherwise take hundreds of thousands of lines).
 */
export const specJson = (spec: unknown): string => {
  const s = spec as { data?: { values?: unknown } }
  if (s === null || typeof s !== 'object' || !Array.isArray(s.data?.values)) return `${JSON.stringify(spec, null, 2)}\n`
  const text = JSON.stringify({ ...s, data: { ...s.data, values: '\u0000values\u0000' } }, null, 2)
  const values = s.data.values as unknown[]
  const body = values.length === 0 ? '[]' : `[\n${values.map((v) => `      ${JSON.stringify(v)}`).join(',\n')}\n    ]`
  return `${text.replace(JSON.stringify('\u0000values\u0000'), () => body)}\n`
}

/** A plain file name: letters, digits, '.', '-', '_', not starting with '.' (no hidden files, no '..'). */
const SAFE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/

/** `name` made unique among `taken`: "host.csv" -> "host-2.csv", "host-3.csv" ... */
const uniqueName = (name: string, taken: ReadonlyMap<string, unknown>): string => {
  if (!taken.has(name)) return name
  const dot = name.lastIndexOf('.')
  const stem = dot > 0 ? name.slice(0, dot) : name
  const ext = dot > 0 ? name.slice(dot) : ''
  let i = 2
  while (taken.has(`${stem}-${i}${ext}`)) i++
  return `${stem}-${i}${ext}`
}

/**
 * Render every file of the report in memory (no disk writes). Throws on a CSV file name that is not
 * a plain file name; a CSV whose name is already taken (by a report file or another CSV) is written
 * as name-2.csv, name-3.csv ...
 */
export const buildReportFiles = async (input: ReportInput, options: ReportOptions = {}): Promise<ReportFiles> => {
  const charts = reportCharts(input, options)
  const png = options.png === true
  // Asked for first: on a chart thread they are drawn while this thread writes the other files.
  const drawing = renderCharts(
    charts.map((c) => c.spec),
    { png, scale: options.pngScale ?? 2, ...(options.chartThread === undefined ? {} : { thread: options.chartThread }) },
  )
  drawing.catch(() => undefined) // awaited below; not an unhandled rejection if what follows throws first
  const files = new Map<string, string | Buffer>()
  files.set('index.html', renderHtml(input, charts, options))
  files.set('summary.md', renderMarkdown(input, charts, { png }))
  files.set('metrics.json', `${JSON.stringify(metricsJson(input), null, 2)}\n`)
  // Read (so built, for a comparison: comparison.ts) while the charts are drawn; listed after them.
  const seriesCsv = input.seriesCsv ?? []
  const drawn = await drawing
  charts.forEach((c, i) => {
    files.set(`${c.id}.vl.json`, specJson(c.spec))
    files.set(`${c.id}.svg`, drawn[i].svg)
    const p = drawn[i].png
    if (p !== undefined) files.set(`${c.id}.png`, p)
  })
  for (const s of seriesCsv) {
    if (!SAFE_NAME.test(s.fileName))
      throw new Error(`series CSV file name "${s.fileName}" is not a plain file name (letters, digits, '.', '-', '_'; not starting with '.')`)
    files.set(uniqueName(s.fileName, files), s.csv)
  }
  return files
}

export interface WrittenReport {
  /** The report folder (absolute). */
  readonly dir: string
  /** File names written, in order. */
  readonly files: ReadonlyArray<string>
}

/**
 * Write the report into `dir` (created, or replaced as a whole if memreplay wrote it). Everything is
 * rendered first, then written to a temporary sibling `.<name>.tmp-*` and renamed into place.
 * `label` names the target in a refusal (e.g. "--out reports/x").
 */
export const writeReportFiles = async (dir: string, input: ReportInput, options: ReportOptions = {}, label: string = dir): Promise<WrittenReport> => {
  const files = await buildReportFiles(input, options)
  return { dir: await writeFolderAtomically(dir, files, label), files: [...files.keys()] }
}

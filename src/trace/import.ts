/**
 * Import a trace: a Bitbrains GWA-T-12 folder or file, a canonical CSV, or any CSV through a column
 * map. Format is detected by the header unless given. The result is the columnar Trace with its
 * ImportReport, or the structural errors found (never thrown).
 */
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import type { ColumnMap } from './column-map.js'
import { type TraceError, traceError } from './errors.js'
import type { Trace } from './trace.js'
import { toTrace } from './internal/grid.js'
import type { FileFormat } from './internal/header.js'
import { newReadState, readFile } from './internal/read-file.js'

export { formatImportReport } from './report-text.js'
export { type TraceError, formatTraceError, formatTraceErrors } from './errors.js'
export type { ColumnMap } from './column-map.js'

export type TraceFormat = FileFormat

export interface ImportOptions {
  readonly format?: TraceFormat
  readonly map?: ColumnMap
  /** Longest run of missing samples held at the last value, seconds; longer runs count as off. */
  readonly maxGapSeconds?: number
  /** Stop collecting structural errors after this many. */
  readonly maxErrors?: number
  /** Field separator; detected from the header (",", ";", tab, or Bitbrains' ";"+tab) when absent. */
  readonly separator?: string
}

/** An hour: Bitbrains' own gaps run to an hour of missing samples, and a VM silent for longer is more likely off. */
export const DEFAULT_MAX_GAP_SECONDS = 3600
export const DEFAULT_MAX_ERRORS = 20

const TRACE_FILE = /\.csv(\.gz)?$/i

/** File names in natural order ("5", "10", "122"), so VM order is what a person expects. */
const natural = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true })

/** The files of a trace path: the file itself, or the .csv / .csv.gz files of a folder. */
const traceFiles = async (path: string): Promise<E.Either<TraceError, ReadonlyArray<string>>> => {
  try {
    const info = await stat(path)
    if (!info.isDirectory()) return E.right([path])
    const names = (await readdir(path)).filter((n) => TRACE_FILE.test(n)).sort(natural)
    return names.length === 0
      ? E.left(traceError(path, undefined, undefined, 'a folder with .csv or .csv.gz files', 'none'))
      : E.right(names.map((n) => join(path, n)))
  } catch (err) {
    return E.left(traceError(path, undefined, undefined, 'a trace file or folder', `nothing readable there (${(err as Error).message})`))
  }
}

export const importTrace = async (
  path: string,
  options: ImportOptions = {},
): Promise<E.Either<ReadonlyArray<TraceError>, Trace>> => {
  const maxGapSeconds = options.maxGapSeconds ?? DEFAULT_MAX_GAP_SECONDS
  const maxErrors = Math.max(1, options.maxErrors ?? DEFAULT_MAX_ERRORS)
  if (!(maxGapSeconds >= 0) || !Number.isFinite(maxGapSeconds))
    return E.left([traceError('options', undefined, 'maxGapSeconds', 'a non-negative number of seconds', String(maxGapSeconds))])
  if (options.separator === '')
    return E.left([traceError('options', undefined, 'separator', 'a separator such as "," ";" or tab', 'an empty string')])
  const files = await traceFiles(path)
  if (E.isLeft(files)) return E.left([files.left])
  const state = newReadState(maxErrors)
  for (const file of files.right) {
    await readFile(file, file, options, state)
    if (state.errors.length >= maxErrors) break
  }
  if (state.errors.length > 0) return E.left(state.errors)
  if (state.formats.size > 1)
    return E.left([traceError(path, undefined, undefined, 'files of one format', [...state.formats].join(' and '))])
  return toTrace({
    name: path,
    format: [...state.formats][0] ?? options.format ?? 'mapped',
    vms: [...state.vms.values()],
    rows: state.rows,
    repeatedHeader: state.repeatedHeader,
    notes: state.notes,
    maxGapSeconds,
  })
}

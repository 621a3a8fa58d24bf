/**
 * Import a trace: a Bitbrains GWA-T-12 folder or file, a canonical CSV, or any CSV through a column
 * map. Format is detected by the header unless given. The result is the columnar Trace with its
 * ImportReport, or the structural errors found (never thrown).
 */
import { readdir, stat } from 'node:fs/promises'
import type { Stats } from 'node:fs'
import { join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import type { ColumnMap } from './column-map.js'
import { type TraceError, traceError } from './errors.js'
import type { Trace } from './trace.js'
import { toTrace } from './internal/grid.js'
import type { FileFormat } from './internal/header.js'
import { isoTime, newReadState, readFile, type VmRows } from './internal/read-file.js'
import { DEFAULT_LIMITS, type ImportLimits, LIMIT_ENV } from './limits.js'

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
  /** Raise (or lower) the limits of limits.ts; otherwise the MEMREPLAY_MAX_* environment, else the defaults. */
  readonly limits?: Partial<ImportLimits>
}

/**
 * The limits of an import: the options', else the environment's (MEMREPLAY_MAX_TICKS, ...), else the
 * defaults. A value that is not a whole number of at least 1 is kept as given and refused by importTrace.
 */
export const importLimits = (options: ImportOptions = {}, env: NodeJS.ProcessEnv = process.env): ImportLimits => {
  const pick = (k: keyof ImportLimits): number => {
    const given = options.limits?.[k]
    if (given !== undefined) return given
    const text = env[LIMIT_ENV[k]]
    return text === undefined || text.trim() === '' ? DEFAULT_LIMITS[k] : Number(text)
  }
  return { maxTicks: pick('maxTicks'), maxVmTicks: pick('maxVmTicks'), maxRows: pick('maxRows'), maxFileBytes: pick('maxFileBytes') }
}

/** An hour: Bitbrains' own gaps run to an hour of missing samples, and a VM silent for longer is more likely off. */
export const DEFAULT_MAX_GAP_SECONDS = 3600
export const DEFAULT_MAX_ERRORS = 20

const TRACE_FILE = /\.csv(\.gz)?$/i

/** File names in natural order ("5", "10", "122"), so VM order is what a person expects. */
const natural = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true })

/** What a path is, for a message about something that is not a regular file. */
const kindOf = (info: Stats): string =>
  info.isFIFO()
    ? 'a FIFO (named pipe)'
    : info.isSocket()
      ? 'a socket'
      : info.isCharacterDevice() || info.isBlockDevice()
        ? 'a device'
        : info.isDirectory()
          ? 'a folder'
          : 'not a regular file'

const UTF8 = new TextDecoder('utf-8', { fatal: true })

/** A file name's bytes for a message: printable ASCII as is, anything else as \xNN. */
const escapeBytes = (name: Buffer): string =>
  [...name].map((b) => (b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('')

/**
 * The files of a trace path: the file itself, or the .csv / .csv.gz files of a folder. Only regular
 * files (symlinks followed): opening a FIFO blocks until someone writes to it and a device may never
 * end, so either is refused by name, before it is opened. A file name that is not UTF-8 is refused too:
 * Node decodes it with U+FFFD for the bad bytes, so "vm\xff.csv" and "vm\xfe.csv" would both become
 * one VM (and the decoded name opens neither file). Refusing, not escaping: an escaped id would match
 * nothing the user wrote in a fleet spec, and renaming the file is a one-line fix.
 */
const traceFiles = async (path: string): Promise<E.Either<ReadonlyArray<TraceError>, ReadonlyArray<string>>> => {
  try {
    const info = await stat(path)
    if (!info.isDirectory()) {
      return info.isFile()
        ? E.right([path])
        : E.left([traceError(path, undefined, undefined, 'a trace file or folder', `${kindOf(info)}: memreplay reads regular files only`)])
    }
    const errors: TraceError[] = []
    const names: string[] = []
    for (const raw of await readdir(path, { encoding: 'buffer' })) {
      let name: string
      try {
        name = UTF8.decode(raw)
      } catch {
        if (TRACE_FILE.test(raw.toString('latin1')))
          errors.push(traceError(join(path, escapeBytes(raw)), undefined, undefined, 'a file name in UTF-8 (it names the VM)', 'bytes that are not UTF-8: rename the file'))
        continue
      }
      if (TRACE_FILE.test(name)) names.push(name)
    }
    names.sort(natural)
    for (const n of names) {
      const s = await stat(join(path, n)).catch(() => undefined)
      if (s === undefined) errors.push(traceError(join(path, n), undefined, undefined, 'a readable file', 'a dangling link or a file removed while listed'))
      else if (!s.isFile()) errors.push(traceError(join(path, n), undefined, undefined, 'a regular file', `${kindOf(s)}: memreplay reads regular files only, so as never to wait on a pipe or device`))
    }
    if (errors.length > 0) return E.left(errors)
    return names.length === 0
      ? E.left([traceError(path, undefined, undefined, 'a folder with .csv or .csv.gz files', 'none')])
      : E.right(names.map((n) => join(path, n)))
  } catch (err) {
    return E.left([traceError(path, undefined, undefined, 'a trace file or folder', `nothing readable there (${(err as Error).message})`)])
  }
}

/**
 * A VM whose rows come from two files is one VM split over files by time (monthly exports, say) when
 * the files' times do not overlap; when they do (the same VM twice, or "5.csv" next to "5.csv.gz"),
 * which rows are right cannot be known, and it is an error naming both files.
 */
const splitConflicts = (vms: Iterable<VmRows>): ReadonlyArray<TraceError> => {
  const errors: TraceError[] = []
  for (const vm of vms) {
    const spans = [...vm.spans].sort((a, b) => a.minTime - b.minTime)
    for (let i = 1; i < spans.length; i++) {
      const a = spans[i - 1]
      const b = spans[i]
      if (b.minTime <= a.maxTime)
        errors.push(
          traceError(
            b.file,
            b.minLine,
            undefined,
            `each VM's rows in one file (or in files of separate times)`,
            `VM ${JSON.stringify(vm.id)} both here and in ${a.file} (lines ${a.minLine}-${a.maxLine}), over the same time (${isoTime(b.minTime)} to ${isoTime(Math.min(a.maxTime, b.maxTime))})`,
          ),
        )
    }
  }
  return errors
}

const checkLimits = (limits: ImportLimits): ReadonlyArray<TraceError> =>
  (Object.keys(limits) as Array<keyof ImportLimits>).flatMap((k) =>
    Number.isInteger(limits[k]) && limits[k] >= 1
      ? []
      : [traceError('options', undefined, `${k} (${LIMIT_ENV[k]})`, 'a whole number of at least 1', String(limits[k]))],
  )

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
  const limits = importLimits(options)
  const badLimits = checkLimits(limits)
  if (badLimits.length > 0) return E.left(badLimits)
  const files = await traceFiles(path)
  if (E.isLeft(files)) return E.left(files.left.slice(0, maxErrors))
  const state = newReadState(maxErrors, limits)
  for (const file of files.right) {
    await readFile(file, file, options, state)
    if (state.errors.length >= maxErrors) break
  }
  if (state.errors.length > 0) return E.left(state.errors)
  const conflicts = splitConflicts(state.vms.values())
  if (conflicts.length > 0) return E.left(conflicts.slice(0, maxErrors))
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
    limits,
  })
}

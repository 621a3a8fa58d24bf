/**
 * What a file's first line tells us: its separator, its format, and where each mapped column is.
 */
import * as E from 'fp-ts/lib/Either.js'
import { bitbrainsColumnMap, isBitbrainsHeader } from '../bitbrains.js'
import { canonicalColumnMap, isCanonicalHeader } from '../canonical.js'
import { type ColumnMap, mappedColumns } from '../column-map.js'
import { type TraceError, quote, traceError } from '../errors.js'

export type FileFormat = 'bitbrains' | 'canonical' | 'mapped'

/** Candidate separators; Bitbrains' ";" + tab is tried first because it contains two of the others. */
const CANDIDATES = [';\t', ',', ';', '\t'] as const

const count = (s: string, sep: string): number => s.split(sep).length - 1

export const separatorName = (sep: string): string =>
  sep === '\t' ? 'tab' : sep === ';\t' ? '";" and a tab' : JSON.stringify(sep)

/** The first line of a head of text (BOM and CR stripped). */
export const firstLine = (head: string): string => {
  const s = head.charCodeAt(0) === 0xfeff ? head.slice(1) : head
  const nl = s.indexOf('\n')
  return (nl < 0 ? s : s.slice(0, nl)).replace(/\r$/, '')
}

/**
 * The separator of a header line: ";"+tab when every ";" is followed by a tab (Bitbrains), otherwise
 * the most frequent of "," ";" and tab. Undefined when none occurs (a one-column file is no trace).
 */
export const detectSeparator = (header: string): string | undefined => {
  const semis = count(header, ';')
  if (semis > 0 && count(header, ';\t') === semis) return ';\t'
  let best: string | undefined
  let bestCount = 0
  for (const sep of CANDIDATES.slice(1)) {
    const n = count(header, sep)
    if (n > bestCount) {
      best = sep
      bestCount = n
    }
  }
  return best
}

/** Check a separator the user chose against the header; a wrong one leaves a single column. */
export const checkSeparator = (
  file: string,
  header: string,
  sep: string,
): E.Either<TraceError, string> => {
  if (count(header, sep) > 0) return E.right(sep)
  const seen = detectSeparator(header)
  return E.left(
    traceError(
      file,
      1,
      undefined,
      `a header with columns separated by ${separatorName(sep)}`,
      seen === undefined ? `a single column ${quote(header)}` : `columns separated by ${separatorName(seen)}`,
    ),
  )
}

export interface Layout {
  readonly format: FileFormat
  readonly map: ColumnMap
  /** The header's column names, trimmed (a repeated header is recognised by them). */
  readonly names: ReadonlyArray<string>
  readonly time: number
  readonly demand: number
  readonly configured: number
  readonly touched: number
  readonly vm: number
  readonly image: number
  readonly os: number
  readonly diskRead: number
  readonly diskWrite: number
}

/** Decide the format from the header (or the caller's choice) and find each mapped column. */
export const resolveLayout = (
  file: string,
  names: ReadonlyArray<string>,
  options: { readonly format?: FileFormat; readonly map?: ColumnMap },
): E.Either<ReadonlyArray<TraceError>, Layout> => {
  const chosen: FileFormat | undefined =
    options.format ?? (options.map !== undefined ? 'mapped' : isBitbrainsHeader(names) ? 'bitbrains' : isCanonicalHeader(names) ? 'canonical' : undefined)
  if (chosen === undefined)
    return E.left([
      traceError(
        file,
        1,
        undefined,
        'a Bitbrains header ("Timestamp [ms]", "Memory usage [KB]", ...) or a canonical one (time,vm,demand_mib,configured_mib), or a --map for other CSVs',
        `columns ${names.slice(0, 8).map(quote).join(', ')}${names.length > 8 ? ', …' : ''}`,
      ),
    ])
  if (chosen === 'mapped' && options.map === undefined)
    return E.left([traceError(file, undefined, undefined, 'a column map (--map) for format "mapped"', 'none')])
  const map = chosen === 'bitbrains' ? bitbrainsColumnMap(names) : chosen === 'canonical' ? canonicalColumnMap(names) : options.map!
  const errors: TraceError[] = []
  const index = new Map<string, number>()
  for (const [field, column] of mappedColumns(map)) {
    const i = names.indexOf(column)
    if (i < 0)
      errors.push(
        traceError(
          file,
          1,
          column,
          `a column named ${quote(column)} (for ${field}) in the header`,
          names.length === 1 ? `a single column ${quote(names[0])} (is the separator right?)` : `columns ${names.map(quote).join(', ')}`,
        ),
      )
    index.set(field, i)
  }
  if (errors.length > 0) return E.left(errors)
  const at = (k: string): number => index.get(k) ?? -1
  return E.right({
    format: chosen,
    map,
    names,
    time: at('time'),
    demand: at('demand'),
    configured: at('configured'),
    touched: at('touched'),
    vm: at('vm'),
    image: at('image'),
    os: at('os'),
    diskRead: at('disk_read'),
    diskWrite: at('disk_write'),
  })
}

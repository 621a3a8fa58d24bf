/**
 * Structural defects of a trace file: never repaired, always reported with where they are, what was
 * expected and what was found, so that a person can open the file at that line and see it.
 */
import type * as t from 'io-ts'

export interface TraceError {
  /** The file as the user named it (or as found inside the folder they named). */
  readonly file: string
  /** 1-based line in the (decompressed) text, when the defect has one. */
  readonly line: number | undefined
  /** The column's name from the header, when the defect is in one field. */
  readonly column: string | undefined
  readonly expected: string
  /** What was there, ready to print (values already quoted). */
  readonly found: string
}

export const traceError = (
  file: string,
  line: number | undefined,
  column: string | undefined,
  expected: string,
  found: string,
): TraceError => ({ file, line, column, expected, found })

/** A value for a message: quoted, and cut short so that a binary or huge field cannot flood the terminal. */
export const quote = (value: string): string => {
  const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value
  return JSON.stringify(shown)
}

/** `traces/x.csv line 17, column "Memory usage [KB]": expected a non-negative number, found "abc"` */
export const formatTraceError = (e: TraceError): string => {
  const where = [
    e.file,
    e.line === undefined ? '' : ` line ${e.line}`,
    e.column === undefined ? '' : `, column ${JSON.stringify(e.column)}`,
  ].join('')
  return `${where}: expected ${e.expected}, found ${e.found}`
}

export const formatTraceErrors = (errors: ReadonlyArray<TraceError>, maxErrors?: number): string =>
  errors.map(formatTraceError).join('\n') +
  (maxErrors !== undefined && errors.length >= maxErrors ? `\n(stopped after ${maxErrors} errors)` : '')

/**
 * io-ts errors as TraceErrors in plain words, one per top-level field. A union reports every member it
 * tried, deep inside; a person wants one sentence per wrong field, so each error is lifted to the field
 * it belongs to, and codecs carry readable names to say what was expected.
 */
export const fromIoTsErrors = (file: string, errors: t.Errors): ReadonlyArray<TraceError> => {
  const byField = new Map<string, TraceError>()
  for (const err of errors) {
    const field = err.context[1]
    const key = field?.key ?? ''
    if (byField.has(key)) continue
    const expected = field?.type.name ?? err.context[0]?.type.name ?? 'a value'
    const actual = field === undefined ? err.value : field.actual
    const found = actual === undefined ? 'nothing (the field is missing)' : describeJson(actual)
    byField.set(key, traceError(file, undefined, field === undefined ? undefined : key, expected, found))
  }
  return [...byField.values()]
}

const describeJson = (v: unknown): string => {
  const s = JSON.stringify(v)
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 60)}…` : s
}

/**
 * A column map says which columns of someone else's CSV (vCenter, SCOM, Prometheus exports) hold
 * memreplay's fields, and in what units:
 *
 *     time=ts:ms, vm=name, demand=mem_used_kb:KiB, configured=mem_total:GiB
 *
 * or the same as JSON (a small file given to --map). Column names with `,` `:` or `=` are quoted: "a:b".
 */
import * as E from 'fp-ts/lib/Either.js'
import * as t from 'io-ts'
import { unitToMiB, UNITS } from '../units.js'
import { type TraceError, fromIoTsErrors, quote, traceError } from './errors.js'

/** `auto`: a number is Unix seconds, text is read as ISO-8601 (UTC unless it names an offset). */
export const TIME_UNITS = ['s', 'ms', 'us', 'ns', 'iso', 'auto'] as const
export type TimeUnit = (typeof TIME_UNITS)[number]

export interface TimeField {
  readonly column: string
  readonly unit: TimeUnit
}
export interface SizeField {
  readonly column: string
  /** A unit that units.ts knows (KiB, MiB, GiB, KB, B, ...). */
  readonly unit: string
}
export interface TextField {
  readonly column: string
}
/** A throughput column: `unit` is a size unit per second ("KiB" or "KiB/s" mean KiB/s). */
export interface RateField {
  readonly column: string
  /** A size unit that units.ts knows, meaning that much per second. */
  readonly unit: string
}

export interface ColumnMap {
  readonly time: TimeField
  /** Without it, each file is one VM named after the file (as Bitbrains is). */
  readonly vm?: TextField
  readonly demand: SizeField
  readonly configured: SizeField
  readonly touched?: SizeField
  readonly image?: TextField
  readonly os?: TextField
  /** Disk read / write throughput (per second); named as the user writes them in a map. */
  readonly disk_read?: RateField
  readonly disk_write?: RateField
}

export const MAP_KEYS = ['time', 'vm', 'demand', 'configured', 'touched', 'image', 'os', 'disk_read', 'disk_write'] as const
type MapKey = (typeof MAP_KEYS)[number]
const SIZE_KEYS: ReadonlyArray<MapKey> = ['demand', 'configured', 'touched']
const TEXT_KEYS: ReadonlyArray<MapKey> = ['vm', 'image', 'os']
const RATE_KEYS: ReadonlyArray<MapKey> = ['disk_read', 'disk_write']

/**
 * MiB per unit, for a unit that units.ts knows; undefined otherwise. units.ts looks units up in a plain
 * object, so "constructor" or "__proto__" would find Object.prototype's members: only numbers count.
 */
export const sizeUnitToMiB = (unit: string): number | undefined => {
  const m: unknown = unitToMiB(unit)
  return typeof m === 'number' ? m : undefined
}

/**
 * MiB/s per unit of a throughput column: a size unit, per second, written "KiB", "KiB/s" or "KBps"
 * (vCenter's spelling). Undefined for anything else (per minute is not a unit exports use).
 */
export const rateUnitToMiB = (unit: string): number | undefined => {
  const u = unit.trim()
  const m = /^(.*?)(?:\/s|\/sec|ps)$/i.exec(u)
  return sizeUnitToMiB(m === null ? u : m[1])
}

/** The columns a map reads, with the names used in messages. */
export const mappedColumns = (map: ColumnMap): ReadonlyArray<readonly [MapKey, string]> =>
  MAP_KEYS.flatMap((k) => {
    const f = map[k]
    return f === undefined ? [] : [[k, f.column] as const]
  })

/** Split on `sep` outside double quotes. */
const splitOutsideQuotes = (s: string, sep: string): string[] => {
  const parts: string[] = []
  let cur = ''
  let quoted = false
  for (const ch of s) {
    if (ch === '"') quoted = !quoted
    if (ch === sep && !quoted) {
      parts.push(cur)
      cur = ''
    } else cur += ch
  }
  parts.push(cur)
  return parts
}

const unquote = (s: string): string => {
  const v = s.trim()
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v
}

/** One field spec, "column" or "column:unit", checked against what that field may carry. */
const fieldSpec = (
  source: string,
  key: MapKey,
  spec: string,
): E.Either<TraceError, { column: string; unit: string | undefined }> => {
  const parts = splitOutsideQuotes(spec, ':')
  if (parts.length > 2)
    return E.left(traceError(source, undefined, key, 'column or column:unit (quote names that hold ":")', quote(spec)))
  const column = unquote(parts[0])
  const unit = parts.length === 2 ? parts[1].trim() : undefined
  if (column === '') return E.left(traceError(source, undefined, key, 'a column name', quote(spec)))
  if (unit === undefined) return E.right({ column, unit })
  if (key === 'time' && !(TIME_UNITS as ReadonlyArray<string>).includes(unit))
    return E.left(traceError(source, undefined, key, `a time unit (${TIME_UNITS.join(', ')})`, quote(unit)))
  if (SIZE_KEYS.includes(key) && sizeUnitToMiB(unit) === undefined)
    return E.left(traceError(source, undefined, key, `a size unit (${UNITS.join(', ')})`, quote(unit)))
  if (RATE_KEYS.includes(key) && rateUnitToMiB(unit) === undefined)
    return E.left(traceError(source, undefined, key, `a size unit per second (${UNITS.map((u) => `${u}/s`).join(', ')})`, quote(unit)))
  if (TEXT_KEYS.includes(key)) return E.left(traceError(source, undefined, key, 'a column without a unit', quote(spec)))
  return E.right({ column, unit })
}

/** Assemble a map from field specs, checking that time, demand and configured are there. */
const fromSpecs = (
  source: string,
  specs: ReadonlyArray<readonly [string, { column: string; unit: string | undefined }]>,
): E.Either<ReadonlyArray<TraceError>, ColumnMap> => {
  const errors: TraceError[] = []
  const got = new Map(specs)
  for (const k of ['time', 'demand', 'configured'] as const)
    if (!got.has(k)) errors.push(traceError(source, undefined, k, `a mapping for "${k}" (e.g. ${k}=column)`, 'none'))
  if (errors.length > 0) return E.left(errors)
  const size = (k: MapKey): SizeField | undefined => {
    const f = got.get(k)
    return f === undefined ? undefined : { column: f.column, unit: f.unit ?? 'MiB' }
  }
  const text = (k: MapKey): TextField | undefined => {
    const f = got.get(k)
    return f === undefined ? undefined : { column: f.column }
  }
  const time = got.get('time')!
  const optional = {
    vm: text('vm'),
    touched: size('touched'),
    image: text('image'),
    os: text('os'),
    // MiB/s unless a unit is given, as sizes are MiB
    disk_read: size('disk_read'),
    disk_write: size('disk_write'),
  }
  return E.right({
    time: { column: time.column, unit: (time.unit ?? 'auto') as TimeUnit },
    demand: size('demand')!,
    configured: size('configured')!,
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
  })
}

/** Parse `time=ts:ms, vm=name, demand=mem_used_kb:KiB, configured=mem_total:GiB`. */
export const parseColumnMap = (text: string, source = '--map'): E.Either<ReadonlyArray<TraceError>, ColumnMap> => {
  const errors: TraceError[] = []
  const specs: Array<readonly [string, { column: string; unit: string | undefined }]> = []
  for (const part of splitOutsideQuotes(text, ',')) {
    if (part.trim() === '') continue
    const eq = part.indexOf('=')
    if (eq < 0) {
      errors.push(traceError(source, undefined, undefined, 'field=column pairs such as "demand=mem_used:KiB"', quote(part.trim())))
      continue
    }
    const key = part.slice(0, eq).trim()
    if (!(MAP_KEYS as ReadonlyArray<string>).includes(key)) {
      errors.push(traceError(source, undefined, undefined, `a field among ${MAP_KEYS.join(', ')}`, quote(key)))
      continue
    }
    if (specs.some(([k]) => k === key)) {
      errors.push(traceError(source, undefined, key, 'each field mapped once', `"${key}" mapped twice`))
      continue
    }
    const spec = fieldSpec(source, key as MapKey, part.slice(eq + 1))
    if (E.isLeft(spec)) errors.push(spec.left)
    else specs.push([key, spec.right])
  }
  return errors.length > 0 ? E.left(errors) : fromSpecs(source, specs)
}

const FieldJson = t.union(
  [t.string, t.intersection([t.type({ column: t.string }), t.partial({ unit: t.string })])],
  'a column name ("mem_used" or "mem_used:KiB") or an object {"column": "mem_used", "unit": "KiB"}',
)
const OptionalFieldJson = t.union([FieldJson, t.undefined], FieldJson.name)

/** The JSON form of a column map (and, optionally, the separator of the files it maps). */
export const ColumnMapJson = t.type(
  {
    time: FieldJson,
    demand: FieldJson,
    configured: FieldJson,
    vm: OptionalFieldJson,
    touched: OptionalFieldJson,
    image: OptionalFieldJson,
    os: OptionalFieldJson,
    disk_read: OptionalFieldJson,
    disk_write: OptionalFieldJson,
    separator: t.union([t.string, t.undefined], 'a separator such as "," ";" or "\\t"'),
  },
  'an object with "time", "demand" and "configured" (and optionally "vm", "touched", "image", "os", "disk_read", "disk_write", "separator")',
)
export type ColumnMapJson = t.TypeOf<typeof ColumnMapJson>

export interface MapFile {
  readonly map: ColumnMap
  readonly separator: string | undefined
}

/** Decode a parsed JSON map file; io-ts errors become sentences naming the field. */
export const decodeColumnMapJson = (json: unknown, source: string): E.Either<ReadonlyArray<TraceError>, MapFile> => {
  if (typeof json === 'object' && json !== null && !Array.isArray(json)) {
    const unknown = Object.keys(json).filter((k) => !(MAP_KEYS as ReadonlyArray<string>).includes(k) && k !== 'separator')
    if (unknown.length > 0)
      return E.left(
        unknown.map((k) => traceError(source, undefined, undefined, `a field among ${MAP_KEYS.join(', ')}, separator`, quote(k))),
      )
  }
  const decoded = ColumnMapJson.decode(json)
  if (E.isLeft(decoded)) return E.left(fromIoTsErrors(source, decoded.left))
  const errors: TraceError[] = []
  const specs: Array<readonly [string, { column: string; unit: string | undefined }]> = []
  for (const key of MAP_KEYS) {
    const v = decoded.right[key]
    if (v === undefined) continue
    const spec =
      typeof v === 'string'
        ? fieldSpec(source, key, v)
        : fieldSpec(source, key, v.unit === undefined ? `"${v.column}"` : `"${v.column}":${v.unit}`)
    if (E.isLeft(spec)) errors.push(spec.left)
    else specs.push([key, spec.right])
  }
  if (errors.length > 0) return E.left(errors)
  return E.map((map: ColumnMap) => ({ map, separator: decoded.right.separator }))(fromSpecs(source, specs))
}

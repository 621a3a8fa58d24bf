/**
 * A Trace as an Apache Arrow IPC file (the "file" format: "ARROW1" magic at both ends, a footer
 * indexing the record batches), and back, with every check that keeps a bad entry from being trusted.
 *
 * Layout: one record batch per VM, `ticks` rows each, columns
 *   demand float32, configured float32, on uint8 [, touched float32] [, disk_read float32]
 *   [, disk_write float32]
 * (each optional column there when any VM has it, 0s for a VM without it; disk in MiB/s)
 * so that on load each VM's columns are views into the file's bytes (no copy, no per-value work).
 * Schema metadata (readable by any Arrow tool):
 *   memreplay.cache   JSON: format name and version, the entry's key, the source files (stat and
 *                     SHA-256 of each, cache-key.ts), the trace's
 *                     scalars, per-VM id / image / os / firstTick / endTick / which optional columns
 *                     it has (touched, diskRead, diskWrite), and a CRC-32 of the column bytes (Arrow
 *                     itself checks structure, not values; a CRC-32 finds any burst of flipped bits
 *                     up to 32 long and all but 1 in 4 billion others, at twice SHA-256's speed)
 *   memreplay.report  JSON: the ImportReport (non-finite numbers encoded as {"$nonFinite": "NaN"})
 *   memreplay.sha256  SHA-256 of the two JSON texts above: metadata edited in place (a step, a VM id,
 *                     a source's hash) is refused like a flipped bit in a column, and as the column
 *                     checksum is inside memreplay.cache, this one checksum covers the whole entry.
 * Written with apache-arrow (loaded on the first write: a cached load never needs it), read with
 * arrow-read.ts.
 */
import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import { crc32 } from 'node:zlib'
import type * as Arrow from 'apache-arrow'
import * as E from 'fp-ts/lib/Either.js'
import { ArrowReadError, readArrowFile, type ArrowFile } from './arrow-read.js'
import type { ImportReport } from '../import-report.js'
import type { OsFamily, Trace, VmTrace } from '../trace.js'
import { CACHE_FORMAT_VERSION, type SourceEntry } from './cache-key.js'

export const CACHE_FORMAT_NAME = 'memreplay-trace-cache'
const META = 'memreplay.cache'
const REPORT = 'memreplay.report'
const CHECKSUM = 'memreplay.sha256'

// apache-arrow is required (its CommonJS build, synchronously) on the first write only.
let arrowModule: typeof Arrow | undefined
const arrow = (): typeof Arrow => (arrowModule ??= createRequire(import.meta.url)('apache-arrow') as typeof Arrow)

interface VmMeta {
  readonly id: string
  readonly image: string | null
  readonly os: OsFamily | null
  readonly firstTick: number
  readonly endTick: number
  readonly touched: boolean
  readonly diskRead: boolean
  readonly diskWrite: boolean
}

/** Optional columns: the VmTrace field, and its Arrow column name, in column order. */
const OPTIONAL = [
  ['touched', 'touched'],
  ['diskRead', 'disk_read'],
  ['diskWrite', 'disk_write'],
] as const
const BASE = ['demand', 'configured', 'on'] as const

export interface CacheMeta {
  readonly format: typeof CACHE_FORMAT_NAME
  readonly version: number
  readonly key: string
  readonly sources: ReadonlyArray<SourceEntry>
  readonly name: string
  readonly start: number
  readonly step: number
  readonly ticks: number
  readonly columns: ReadonlyArray<string>
  readonly vms: ReadonlyArray<VmMeta>
  readonly columnsCrc32: number
}

/** What an entry must match to be trusted (its sources are checked by the caller, against the files). */
export interface Expected {
  readonly key: string
}

/** What an entry is written with. */
export interface EntryInput extends Expected {
  readonly sources: ReadonlyArray<SourceEntry>
}

export interface Decoded {
  readonly trace: Trace
  readonly sources: ReadonlyArray<SourceEntry>
}

const checksum = (metaText: string, reportText: string): string =>
  createHash('sha256').update(metaText).update('\u0000').update(reportText).digest('hex')

/** JSON that keeps NaN and the infinities (JSON.stringify would make them null). */
const replacer = (_k: string, v: unknown): unknown =>
  typeof v === 'number' && !Number.isFinite(v) ? { $nonFinite: String(v) } : v
const reviver = (_k: string, v: unknown): unknown =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as { $nonFinite?: unknown }).$nonFinite === 'string'
    ? Number((v as { $nonFinite: string }).$nonFinite)
    : v

const bytesOf = (a: Float32Array | Uint8Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength)

/** CRC-32 of every column's values, VM by VM, in column order (read in place: no copy). */
const columnsCrc = (columns: ReadonlyArray<ReadonlyArray<Float32Array | Uint8Array>>): number => {
  let crc = 0
  for (const vm of columns) for (const c of vm) crc = crc32(bytesOf(c), crc)
  return crc
}

type OptionalKey = (typeof OPTIONAL)[number][0]

const columnsOf = (vm: VmTrace, present: ReadonlyArray<OptionalKey>, zeros: Float32Array): ReadonlyArray<Float32Array | Uint8Array> => [
  vm.demand,
  vm.configured,
  vm.on,
  ...present.map((k) => vm[k] ?? zeros),
]

/** Encode a trace (with its report) as an Arrow IPC file. */
export const encodeTrace = (trace: Trace, expected: EntryInput): Uint8Array => {
  const { Field, Float32, makeData, RecordBatch, Schema, Struct, Table, tableToIPC, Uint8 } = arrow()
  const present = OPTIONAL.filter(([k]) => trace.vms.some((v) => v[k] !== undefined))
  const names = [...BASE, ...present.map(([, n]) => n)]
  const types = names.map((n) => (n === 'on' ? new Uint8() : new Float32()))
  const fields = names.map((n, i) => new Field(n, types[i], false))
  const zeros = new Float32Array(trace.ticks)
  const columns = trace.vms.map((vm) => columnsOf(vm, present.map(([k]) => k), zeros))
  const meta: CacheMeta = {
    format: CACHE_FORMAT_NAME,
    version: CACHE_FORMAT_VERSION,
    key: expected.key,
    sources: expected.sources,
    name: trace.name,
    start: trace.start,
    step: trace.step,
    ticks: trace.ticks,
    columns: names,
    vms: trace.vms.map((v) => ({
      id: v.id,
      image: v.image ?? null,
      os: v.os ?? null,
      firstTick: v.firstTick,
      endTick: v.endTick,
      touched: v.touched !== undefined,
      diskRead: v.diskRead !== undefined,
      diskWrite: v.diskWrite !== undefined,
    })),
    columnsCrc32: columnsCrc(columns),
  }
  const metaText = JSON.stringify(meta, replacer)
  const reportText = JSON.stringify(trace.report, replacer)
  const schema = new Schema(
    fields,
    new Map([
      [META, metaText],
      [REPORT, reportText],
      [CHECKSUM, checksum(metaText, reportText)],
    ]),
  )
  const batches = columns.map((cols) => {
    const children = cols.map((c, i) => makeData({ type: types[i], length: trace.ticks, nullCount: 0, data: c } as never) as Arrow.Data)
    return new RecordBatch(schema, makeData({ type: new Struct(fields), length: trace.ticks, nullCount: 0, children }))
  })
  return tableToIPC(new Table(schema, batches), 'file')
}

/**
 * Decode an entry, or say why it cannot be trusted: 'corrupt: ...' (bad magic, truncated, unreadable,
 * inconsistent) or 'stale: ...' (another format version, key or source).
 */
export const decodeTrace = (input: Uint8Array, expected: Expected): E.Either<string, Decoded> => {
  // Columns are viewed in place: their offsets must be aligned to the element size.
  const bytes = input.byteOffset % 8 === 0 ? input : new Uint8Array(input)
  let file: ArrowFile
  try {
    file = readArrowFile(bytes)
  } catch (err) {
    return E.left(err instanceof ArrowReadError ? `corrupt: ${err.message}` : `corrupt: unreadable Arrow data (${(err as Error).message})`)
  }
  const metaText = file.metadata.get(META)
  const reportText = file.metadata.get(REPORT)
  if (metaText === undefined || reportText === undefined) return E.left('corrupt: no memreplay metadata')
  if (file.metadata.get(CHECKSUM) !== checksum(metaText, reportText)) return E.left('corrupt: metadata does not match its checksum')
  let meta: CacheMeta
  let report: ImportReport
  try {
    meta = JSON.parse(metaText, reviver) as CacheMeta
    report = JSON.parse(reportText, reviver) as ImportReport
  } catch (err) {
    return E.left(`corrupt: metadata is not JSON (${(err as Error).message})`)
  }
  if (meta.format !== CACHE_FORMAT_NAME) return E.left(`corrupt: not a memreplay trace cache (${String(meta.format)})`)
  if (meta.version !== CACHE_FORMAT_VERSION) return E.left(`stale: cache format version ${meta.version}, expected ${CACHE_FORMAT_VERSION}`)
  if (meta.key !== expected.key) return E.left('stale: written for another path or other import options')
  if (!Array.isArray(meta.sources)) return E.left('corrupt: no source files listed')
  const { ticks } = meta
  const names = meta.columns
  // the base columns, then the optional ones that are there, in their fixed order
  const wantNames = Array.isArray(names) ? [...BASE, ...OPTIONAL.map(([, n]) => n).filter((n) => names.includes(n))] : []
  if (!Number.isInteger(ticks) || ticks < 0 || !Array.isArray(meta.vms) || !Array.isArray(names) || names.join() !== wantNames.join())
    return E.left('corrupt: inconsistent metadata')
  if (file.fields.map((f) => f.name).join() !== names.join() || file.fields.some((f, c) => f.type !== (names[c] === 'on' ? 'uint8' : 'float32')))
    return E.left('corrupt: columns differ from the metadata')
  if (file.batches.length !== meta.vms.length) return E.left(`corrupt: ${file.batches.length} record batches for ${meta.vms.length} VMs`)
  if (report.ticks !== ticks || report.vms !== meta.vms.length || report.perVm?.length !== meta.vms.length)
    return E.left('corrupt: the import report does not match the columns')
  for (let i = 0; i < file.batches.length; i++)
    if (file.batches[i].length !== ticks) return E.left(`corrupt: VM ${i} has ${file.batches[i].length} ticks, expected ${ticks}`)
  const columns = file.batches.map((b) => b.columns)
  if (columnsCrc(columns) !== meta.columnsCrc32) return E.left('corrupt: column bytes do not match their checksum')
  const columnOf = (i: number, name: string): Float32Array | undefined => {
    const c = names.indexOf(name)
    return c < 0 ? undefined : (columns[i][c] as Float32Array)
  }
  for (const v of meta.vms)
    if (
      !(Number.isInteger(v.firstTick) && Number.isInteger(v.endTick) && v.firstTick >= 0 && v.firstTick <= v.endTick && v.endTick <= ticks) ||
      OPTIONAL.some(([k, n]) => v[k] === true && !names.includes(n))
    )
      return E.left(`corrupt: VM ${v.id} has an impossible lifetime or optional column`)
  const vms: VmTrace[] = meta.vms.map((m, i) => {
    const [demand, configured, on] = columns[i] as [Float32Array, Float32Array, Uint8Array]
    return {
      id: m.id,
      image: m.image ?? undefined,
      os: m.os ?? undefined,
      demand,
      configured,
      touched: m.touched ? columnOf(i, 'touched') : undefined,
      diskRead: m.diskRead ? columnOf(i, 'disk_read') : undefined,
      diskWrite: m.diskWrite ? columnOf(i, 'disk_write') : undefined,
      on,
      firstTick: m.firstTick,
      endTick: m.endTick,
    }
  })
  return E.right({ trace: { name: meta.name, start: meta.start, step: meta.step, ticks, vms, report }, sources: meta.sources })
}

/**
 * memreplay's canonical trace CSV (documented in traces/README.md):
 *
 *     time,vm,demand_mib,configured_mib[,touched_mib][,image][,os][,disk_read_mibps][,disk_write_mibps]
 *
 * One row per VM per sample, time in Unix seconds, sizes in MiB, disk throughput in MiB/s, os
 * `windows` or `linux`.
 * This module knows the format (header, column map) and writes it; reading goes through import.ts.
 */
import { createWriteStream } from 'node:fs'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import type { Trace, VmTrace } from './trace.js'
import type { ColumnMap } from './column-map.js'

export const CANONICAL_REQUIRED = ['time', 'vm', 'demand_mib', 'configured_mib'] as const
export const CANONICAL_OPTIONAL = ['touched_mib', 'image', 'os', 'disk_read_mibps', 'disk_write_mibps'] as const
/** Disk read / write throughput, MiB per second (1 MiB = 1024 KiB), the sample's average. */
export const CANONICAL_DISK_READ = 'disk_read_mibps'
export const CANONICAL_DISK_WRITE = 'disk_write_mibps'

/**
 * True when a header (already split into names) is canonical: columns in any order, recognised by a
 * size column so that a file missing another required column gets an error naming it.
 */
export const isCanonicalHeader = (names: ReadonlyArray<string>): boolean =>
  names.includes('demand_mib') || names.includes('configured_mib')

/** The canonical format as a column map, so one reader serves canonical and mapped files. */
export const canonicalColumnMap = (names: ReadonlyArray<string>): ColumnMap => ({
  time: { column: 'time', unit: 's' },
  vm: { column: 'vm' },
  demand: { column: 'demand_mib', unit: 'MiB' },
  configured: { column: 'configured_mib', unit: 'MiB' },
  ...(names.includes('touched_mib') ? { touched: { column: 'touched_mib', unit: 'MiB' } } : {}),
  ...(names.includes('image') ? { image: { column: 'image' } } : {}),
  ...(names.includes('os') ? { os: { column: 'os' } } : {}),
  ...(names.includes(CANONICAL_DISK_READ) ? { disk_read: { column: CANONICAL_DISK_READ, unit: 'MiB' } } : {}),
  ...(names.includes(CANONICAL_DISK_WRITE) ? { disk_write: { column: CANONICAL_DISK_WRITE, unit: 'MiB' } } : {}),
})

/**
 * Shortest decimal that reads back as the same float32: the columns are Float32Array, so printing
 * the float64 widening ("123.45600128173828") would be noise, and fewer digits would not round-trip.
 */
export const float32String = (v: number): string => {
  if (Number.isInteger(v)) return String(v)
  const f = Math.fround(v)
  for (let p = 1; p < 10; p++) {
    const s = String(Number(v.toPrecision(p)))
    if (Math.fround(Number(s)) === f) return s
  }
  return String(v)
}

/** Quote a CSV text field only when it needs it. */
const csvText = (s: string | undefined): string =>
  s === undefined ? '' : /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s

/**
 * The canonical CSV of a trace, line by line (header first, no line ends).
 *
 * Rows are time-major, and every VM has a row at every tick: a tick where it is off is a row of zeros
 * (which reads back as "VM off"). Writing the off ticks too keeps the grid recoverable (the importer
 * takes the step from the median sample interval and the start from the earliest sample) and keeps a
 * gap from ever holding a stopped VM's last value.
 */
export function* canonicalRows(trace: Trace): Iterable<string> {
  const hasTouched = trace.vms.some((vm) => vm.touched !== undefined)
  const hasImage = trace.vms.some((vm) => vm.image !== undefined)
  const hasOs = trace.vms.some((vm) => vm.os !== undefined)
  const hasRead = trace.vms.some((vm) => vm.diskRead !== undefined)
  const hasWrite = trace.vms.some((vm) => vm.diskWrite !== undefined)
  yield [
    ...CANONICAL_REQUIRED,
    ...(hasTouched ? ['touched_mib'] : []),
    ...(hasImage ? ['image'] : []),
    ...(hasOs ? ['os'] : []),
    ...(hasRead ? [CANONICAL_DISK_READ] : []),
    ...(hasWrite ? [CANONICAL_DISK_WRITE] : []),
  ].join(',')
  // empty for a VM whose column is not recorded, 0 where off
  const optional = (on: boolean, col: Float32Array | undefined, t: number): string =>
    `,${col === undefined ? '' : on ? float32String(col[t]) : '0'}`
  const ids = trace.vms.map((vm) => csvText(vm.id))
  const tails = trace.vms.map(
    (vm) => `${hasImage ? `,${csvText(vm.image)}` : ''}${hasOs ? `,${vm.os ?? ''}` : ''}`,
  )
  for (let t = 0; t < trace.ticks; t++) {
    const time = trace.start + t * trace.step
    for (let i = 0; i < trace.vms.length; i++) {
      const vm: VmTrace = trace.vms[i]
      const on = vm.on[t] === 1
      const demand = on ? float32String(vm.demand[t]) : '0'
      const configured = on ? float32String(vm.configured[t]) : '0'
      const touched = hasTouched ? optional(on, vm.touched, t) : ''
      const read = hasRead ? optional(on, vm.diskRead, t) : ''
      const write = hasWrite ? optional(on, vm.diskWrite, t) : ''
      yield `${time},${ids[i]},${demand},${configured}${touched}${tails[i]}${read}${write}`
    }
  }
}

/** Lines batched into ~64 KiB chunks: one write per line would dominate the cost. */
function* chunks(lines: Iterable<string>): Iterable<string> {
  let buf = ''
  for (const line of lines) {
    buf += line + '\n'
    if (buf.length >= 65536) {
      yield buf
      buf = ''
    }
  }
  if (buf.length > 0) yield buf
}

/** Write a trace as canonical CSV (gzipped when the path ends in .gz), streaming: never one big string. */
export const writeCanonicalCsv = async (trace: Trace, path: string): Promise<void> => {
  const source = Readable.from(chunks(canonicalRows(trace)))
  const sink = createWriteStream(path)
  if (path.endsWith('.gz')) await pipeline(source, createGzip(), sink)
  else await pipeline(source, sink)
}

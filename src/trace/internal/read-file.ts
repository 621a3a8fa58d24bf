/**
 * Stream one trace file into per-VM columns: file -> (gunzip) -> csv-parse -> typed arrays.
 *
 * Never holds the file as text: csv-parse runs in streaming mode and every record is consumed in its
 * on_record callback (which returns null, so no record is ever buffered). Structural defects become
 * TraceErrors in `state.errors`; reading stops once `maxErrors` are collected.
 */
import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import { finished } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'
import { csvOptions, RecordParser } from './csv-split.js'
import * as E from 'fp-ts/lib/Either.js'
import type { ColumnMap } from '../column-map.js'
import { type TraceError, quote, traceError } from '../errors.js'
import type { OsFamily } from '../trace.js'
import { vmIdFromFile } from '../bitbrains.js'
import { GrowableF64 } from './growable.js'
import { type FileFormat, type Layout, checkSeparator, detectSeparator, firstLine, resolveLayout, separatorName } from './header.js'
import { describeTimeUnit, nonNegative, osFamily, timeSeconds } from './values.js'
import { rateUnitToMiB, sizeUnitToMiB } from '../column-map.js'

/** The columns a VM may or may not have (NaN on a row without one; per VM "all rows or none", grid.ts). */
export type OptionalColumn = 'touched' | 'diskRead' | 'diskWrite'

/**
 * Append an optional column's value for the row just pushed (`present`: the file has the column). A
 * VM whose earlier rows came from a file without it gets NaN for them, so rows stay aligned.
 */
const pushOptional = (vm: VmRows, key: OptionalColumn, present: boolean, value: number): void => {
  let col = vm[key]
  if (present) {
    if (col === undefined) {
      col = new GrowableF64()
      for (let i = 1; i < vm.time.length; i++) col.push(NaN)
      vm[key] = col
    }
    col.push(value)
  } else if (col !== undefined) col.push(NaN)
}

/** The rows of one VM as read, in file order (sorting and repairs come later, in grid.ts). */
export interface VmRows {
  readonly id: string
  readonly source: string
  readonly time: GrowableF64
  /** MiB. */
  readonly demand: GrowableF64
  readonly configured: GrowableF64
  touched: GrowableF64 | undefined
  /** MiB/s. */
  diskRead: GrowableF64 | undefined
  diskWrite: GrowableF64 | undefined
  image: string | undefined
  os: OsFamily | undefined
  /** The os field as last read for this VM: a row repeating it is not parsed again. */
  osText: string | undefined
  rows: number
  /** Rows whose time is earlier than the row before them (of the same VM). */
  outOfOrder: number
  repeatedHeader: number
  lastTime: number
}

/** What an import accumulates over its files. */
export interface ReadState {
  readonly vms: Map<string, VmRows>
  readonly errors: TraceError[]
  readonly maxErrors: number
  /** Named accounts of what was skipped ("x.csv line 120: repeated header skipped"). */
  readonly notes: string[]
  formats: Set<FileFormat>
  rows: number
  repeatedHeader: number
}

export interface ReadOptions {
  readonly format?: FileFormat
  readonly map?: ColumnMap
  readonly separator?: string
}

export const newReadState = (maxErrors: number): ReadState => ({
  vms: new Map(),
  errors: [],
  maxErrors,
  notes: [],
  formats: new Set(),
  rows: 0,
  repeatedHeader: 0,
})

const full = (state: ReadState): boolean => state.errors.length >= state.maxErrors

const vmRows = (id: string, source: string): VmRows => ({
  id,
  source,
  time: new GrowableF64(),
  demand: new GrowableF64(),
  configured: new GrowableF64(),
  touched: undefined,
  diskRead: undefined,
  diskWrite: undefined,
  image: undefined,
  os: undefined,
  osText: undefined,
  rows: 0,
  outOfOrder: 0,
  repeatedHeader: 0,
  lastTime: -Infinity,
})

const GZIP_MAGIC_0 = 0x1f
const GZIP_MAGIC_1 = 0x8b

/** The first bytes of a file (to tell gzip by its magic number, whatever the name says). */
const headBytes = async (path: string): Promise<Buffer> => {
  const fh = await open(path, 'r')
  try {
    const buf = Buffer.alloc(2)
    const { bytesRead } = await fh.read(buf, 0, 2, 0)
    return buf.subarray(0, bytesRead)
  } finally {
    await fh.close()
  }
}

/** A zlib failure in words: truncated (cut short) or corrupt. */
const gzipError = (file: string, line: number, err: NodeJS.ErrnoException): TraceError =>
  err.code === 'Z_BUF_ERROR' || /unexpected end/i.test(err.message)
    ? traceError(file, line, undefined, 'a complete gzip stream', `the gzip data cut short after line ${line - 1} (truncated gzip)`)
    : traceError(file, line, undefined, 'valid gzip data', `corrupt gzip data (${err.message})`)

/** Number of "\n" in buf[0, end). */
const newlines = (buf: Buffer, end: number): number => {
  let n = 0
  let i = buf.indexOf(10)
  while (i >= 0 && i < end) {
    n++
    i = buf.indexOf(10, i + 1)
  }
  return n
}

/**
 * Read one file into `state`. `display` is how messages name it. Resolves when the file is read or
 * given up on; never rejects for a defect of the file (those are TraceErrors).
 */
export const readFile = async (path: string, display: string, options: ReadOptions, state: ReadState): Promise<void> => {
  const fileVmId = vmIdFromFile(display.split(/[\\/]/).pop() ?? display)
  const errorsBefore = state.errors.length
  const fail = (e: TraceError): void => {
    if (!full(state)) state.errors.push(e)
  }

  let magic: Buffer
  try {
    magic = await headBytes(path)
  } catch (err) {
    fail(traceError(display, undefined, undefined, 'a readable file', (err as Error).message))
    return
  }
  if (magic.length === 0) {
    fail(traceError(display, 1, undefined, 'a header line', 'an empty file'))
    return
  }
  const gzipped = magic.length === 2 && magic[0] === GZIP_MAGIC_0 && magic[1] === GZIP_MAGIC_1
  const raw = createReadStream(path, { highWaterMark: 1 << 16 })
  const source: Readable = gzipped || /\.gz$/i.test(path) ? raw.pipe(createGunzip()) : raw
  if (source !== raw) raw.on('error', (err) => source.destroy(err))

  let layout: Layout | undefined
  let headerLine = ''
  let dataRows = 0
  let stopped = false
  let parser: RecordParser | undefined
  let demandMul = 1
  let configuredMul = 1
  let touchedMul = 1
  let readMul = 1
  let writeMul = 1
  let fieldCount = 0
  let current: VmRows | undefined // the VM of the previous row: consecutive rows are usually the same VM

  const stop = (): void => {
    stopped = true
  }

  const onHeader = (record: string[]): void => {
    const names = record.map((n) => n.trim())
    const resolved = resolveLayout(display, names, options)
    if (E.isLeft(resolved)) {
      resolved.left.forEach(fail)
      stop()
      return
    }
    layout = resolved.right
    state.formats.add(layout.format)
    fieldCount = names.length
    demandMul = sizeUnitToMiB(layout.map.demand.unit) ?? 1
    configuredMul = sizeUnitToMiB(layout.map.configured.unit) ?? 1
    touchedMul = layout.map.touched === undefined ? 1 : (sizeUnitToMiB(layout.map.touched.unit) ?? 1)
    readMul = layout.map.disk_read === undefined ? 1 : (rateUnitToMiB(layout.map.disk_read.unit) ?? 1)
    writeMul = layout.map.disk_write === undefined ? 1 : (rateUnitToMiB(layout.map.disk_write.unit) ?? 1)
    if (layout.vm < 0) {
      current = state.vms.get(fileVmId)
      if (current === undefined) {
        current = vmRows(fileVmId, display)
        state.vms.set(fileVmId, current)
      }
    }
  }

  const isRepeatedHeader = (record: string[]): boolean => {
    const names = layout!.names
    for (let i = 0; i < names.length; i++) if (record[i].trim() !== names[i]) return false
    return true
  }

  /** The hot loop: one record, numbers parsed straight into the VM's columns. */
  const onRow = (record: string[], line: number): void => {
    const L = layout!
    if (record.length === 1 && record[0].trim() === '') return // a blank line (perhaps a lone "\r")
    if (record.length !== fieldCount) {
      const hint =
        record.length === 1 && fieldCount > 1 ? ' (a single field: is the separator right?)' : record.length < fieldCount ? ' (a truncated row?)' : ''
      fail(traceError(display, line, undefined, `${fieldCount} fields, as in the header`, `${record.length}${hint}`))
      return
    }
    const timeText = record[L.time]
    const time = timeSeconds(timeText, L.map.time.unit)
    if (Number.isNaN(time)) {
      if (isRepeatedHeader(record)) {
        state.repeatedHeader++
        if (L.vm < 0) current!.repeatedHeader++
        state.notes.push(`${display} line ${line}: a repeated header line, skipped`)
        return
      }
      fail(traceError(display, line, L.map.time.column, describeTimeUnit(L.map.time.unit), quote(timeText)))
      return
    }
    const demand = nonNegative(record[L.demand])
    if (Number.isNaN(demand)) {
      fail(traceError(display, line, L.map.demand.column, 'a non-negative number', quote(record[L.demand])))
      return
    }
    const configured = nonNegative(record[L.configured])
    if (Number.isNaN(configured)) {
      fail(traceError(display, line, L.map.configured.column, 'a non-negative number', quote(record[L.configured])))
      return
    }
    // optional columns: empty means not recorded for this VM (NaN, checked per VM in grid.ts)
    let touched = NaN
    if (L.touched >= 0) {
      const text = record[L.touched]
      touched = nonNegative(text)
      if (Number.isNaN(touched) && text.trim() !== '') {
        fail(traceError(display, line, L.map.touched!.column, 'a non-negative number', quote(text)))
        return
      }
    }
    let diskRead = NaN
    if (L.diskRead >= 0) {
      const text = record[L.diskRead]
      diskRead = nonNegative(text)
      if (Number.isNaN(diskRead) && text.trim() !== '') {
        fail(traceError(display, line, L.map.disk_read!.column, 'a non-negative throughput', quote(text)))
        return
      }
    }
    let diskWrite = NaN
    if (L.diskWrite >= 0) {
      const text = record[L.diskWrite]
      diskWrite = nonNegative(text)
      if (Number.isNaN(diskWrite) && text.trim() !== '') {
        fail(traceError(display, line, L.map.disk_write!.column, 'a non-negative throughput', quote(text)))
        return
      }
    }
    let vm = current!
    if (L.vm >= 0) {
      const id = record[L.vm].trim()
      if (id === '') {
        fail(traceError(display, line, L.map.vm!.column, 'a VM name', 'an empty field'))
        return
      }
      if (current === undefined || current.id !== id) {
        current = state.vms.get(id)
        if (current === undefined) {
          current = vmRows(id, display)
          state.vms.set(id, current)
        }
      }
      vm = current
    }
    if (L.os >= 0 && record[L.os] !== vm.osText) {
      const os = osFamily(record[L.os])
      if (os === null) {
        fail(traceError(display, line, L.map.os!.column, '"windows", "linux" or nothing', quote(record[L.os])))
        return
      }
      if (vm.os === undefined) vm.os = os
      vm.osText = record[L.os]
    }
    if (L.image >= 0 && vm.image === undefined) {
      const image = record[L.image].trim()
      if (image !== '') vm.image = image
    }
    if (time < vm.lastTime) vm.outOfOrder++
    vm.lastTime = time
    vm.time.push(time)
    vm.demand.push(demand * demandMul)
    vm.configured.push(configured * configuredMul)
    pushOptional(vm, 'touched', L.touched >= 0, touched * touchedMul)
    pushOptional(vm, 'diskRead', L.diskRead >= 0, diskRead * readMul)
    pushOptional(vm, 'diskWrite', L.diskWrite >= 0, diskWrite * writeMul)
    vm.rows++
    dataRows++
  }

  const ensureParser = (head: Buffer): RecordParser | undefined => {
    const text = head.toString('utf8')
    const header = firstLine(text)
    headerLine = header
    const crlf = /^[^\n]*\r\n/.test(text)
    let sep: string | undefined
    if (options.separator !== undefined) {
      const checked = checkSeparator(display, header, options.separator)
      if (E.isLeft(checked)) {
        fail(checked.left)
        return undefined
      }
      sep = checked.right
    } else sep = detectSeparator(header)
    // No separator at all: parse as one column; the header check then explains what is missing.
    // Records come straight from csv-parse (csv-split.ts), with its line count as of the record's end.
    const p: RecordParser = new RecordParser(csvOptions(sep ?? ',', crlf), (record) => {
      if (stopped) return
      if (layout === undefined) onHeader(record)
      else onRow(record, p.info.lines)
      if (full(state)) stop()
    })
    return p
  }

  const lineNow = (): number => parser?.info.lines ?? 1
  let parseError: Error | undefined
  let head: Buffer[] = []
  let headLength = 0
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (stopped) break
      const nul = chunk.indexOf(0)
      if (nul >= 0) {
        fail(traceError(display, lineNow() + newlines(chunk, nul), undefined, 'text', 'binary data (a NUL byte): not a CSV file'))
        stopped = true
        break
      }
      if (parser === undefined) {
        // Hold chunks until the header line is whole: its separator decides how the rest parses.
        head.push(chunk)
        headLength += chunk.length
        if (chunk.indexOf(10) < 0 && headLength < 1 << 20) continue
        const joined = Buffer.concat(head)
        head = []
        parser = ensureParser(joined)
        if (parser === undefined) {
          stopped = true
          break
        }
        parser.on('error', (err) => {
          parseError = err
          stopped = true
        })
        parser.write(joined)
      } else parser.write(chunk)
      if (parseError !== undefined) break
    }
    if (!stopped && parser === undefined && headLength > 0) {
      // A file shorter than one chunk with no line end: the whole of it is the header.
      parser = ensureParser(Buffer.concat(head))
      if (parser !== undefined) {
        parser.on('error', (err) => {
          parseError = err
        })
        parser.write(Buffer.concat(head))
      }
    }
    if (parser !== undefined && !stopped) {
      const p = parser
      p.resume()
      p.end()
      await finished(p).catch(() => undefined) // a parse error is already in parseError
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    if ((typeof e.code === 'string' && e.code.startsWith('Z_')) || /header check|unexpected end of file/i.test(e.message))
      fail(gzipError(display, lineNow(), e))
    else fail(traceError(display, undefined, undefined, 'a readable file', e.message))
  } finally {
    source.destroy()
    raw.destroy()
  }
  if (parseError !== undefined) {
    const pe = parseError as Error & { lines?: number }
    fail(traceError(display, pe.lines ?? lineNow(), undefined, 'well-formed CSV', pe.message))
  }
  if (state.errors.length > errorsBefore || full(state)) return
  if (layout === undefined) {
    fail(
      headerLine.trim() === ''
        ? traceError(display, 1, undefined, 'a header line', 'an empty file')
        : traceError(display, 1, undefined, 'a header line', quote(headerLine)),
    )
    return
  }
  if (dataRows === 0) fail(traceError(display, 2, undefined, 'data rows after the header', 'none (a header only)'))
  state.rows += dataRows
}

export { separatorName }

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
import {
  type ImportLimits,
  grouped,
  MAX_RECORD_CHARS,
  MAX_SIZE_MIB,
  MAX_THROUGHPUT_MIBPS,
  MAX_TIME_SECONDS,
  raiseHint,
} from '../limits.js'

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

/**
 * The rows of one VM from one file: which file, where (lines) and when (times). A VM whose rows come
 * from two files is refused when the files overlap in time (import.ts), and the rows that stretch the
 * grid are named by these (grid.ts).
 */
export interface FileSpan {
  readonly file: string
  /** The file's time column, for messages. */
  readonly column: string
  minTime: number
  minLine: number
  maxTime: number
  maxLine: number
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
  /** The files its rows came from, in reading order (one, for all but a VM split over files by time). */
  readonly spans: FileSpan[]
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
  readonly limits: ImportLimits
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

export const newReadState = (maxErrors: number, limits: ImportLimits): ReadState => ({
  vms: new Map(),
  errors: [],
  maxErrors,
  limits,
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
  spans: [],
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

/** Unix seconds as a date for messages ("2013-08-01T00:00:00Z"), or the number where no date is. */
export const isoTime = (seconds: number): string =>
  Number.isFinite(seconds) && Math.abs(seconds) < 8.64e12 ? new Date(seconds * 1000).toISOString().replace('.000Z', 'Z') : String(seconds)

/**
 * A time at or after MAX_TIME_SECONDS in words, with the likely slip: a Unix time in milliseconds (or
 * finer) read as seconds. `hint` says how to read it right in this format.
 */
const futureTime = (time: number, hint: string): string => {
  const scale = time / 1e3 < MAX_TIME_SECONDS ? 'milliseconds' : time / 1e6 < MAX_TIME_SECONDS ? 'microseconds' : time / 1e9 < MAX_TIME_SECONDS ? 'nanoseconds' : undefined
  return scale === undefined ? `a time after the year 2200` : `a time after the year 2200: it looks like Unix ${scale}${hint}`
}

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

  /** A size field that is no number, or more than any VM has. */
  const sizeError = (line: number, column: string, text: string, mib: number): TraceError =>
    Number.isNaN(mib)
      ? traceError(display, line, column, 'a non-negative number', quote(text))
      : traceError(display, line, column, `a size of at most ${MAX_SIZE_MIB / 2 ** 20} TiB (the largest VM)`, `${quote(text)} (${(mib / 2 ** 20).toPrecision(3)} TiB: is the unit right?)`)
  const rateError = (line: number, column: string, text: string, mibps: number): TraceError =>
    Number.isNaN(mibps)
      ? traceError(display, line, column, 'a non-negative throughput', quote(text))
      : traceError(display, line, column, `a throughput of at most ${MAX_THROUGHPUT_MIBPS / 2 ** 20} TiB/s`, `${quote(text)} (${(mibps / 2 ** 20).toPrecision(3)} TiB/s: is the unit right?)`)

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
  let timeHint = ''
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
    timeHint =
      layout.format === 'canonical'
        ? ' (canonical times are Unix seconds: divide by 1000)'
        : layout.format === 'mapped'
          ? ` (give the column its unit, e.g. time=${layout.map.time.column}:ms)`
          : ''
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
    if (time >= MAX_TIME_SECONDS) {
      // an ISO date is what it says: only a number can be in the wrong unit
      const numeric = L.map.time.unit !== 'iso' && !Number.isNaN(nonNegative(timeText))
      fail(
        traceError(
          display,
          line,
          L.map.time.column,
          `${describeTimeUnit(L.map.time.unit)} before 2200`,
          `${quote(timeText)}, ${numeric ? futureTime(time, timeHint) : 'a time after the year 2200'}`,
        ),
      )
      return
    }
    const demand = nonNegative(record[L.demand]) * demandMul
    if (!(demand <= MAX_SIZE_MIB)) {
      fail(sizeError(line, L.map.demand.column, record[L.demand], demand))
      return
    }
    const configured = nonNegative(record[L.configured]) * configuredMul
    if (!(configured <= MAX_SIZE_MIB)) {
      fail(sizeError(line, L.map.configured.column, record[L.configured], configured))
      return
    }
    // optional columns: empty means not recorded for this VM (NaN, checked per VM in grid.ts)
    let touched = NaN
    if (L.touched >= 0) {
      const text = record[L.touched]
      touched = nonNegative(text) * touchedMul
      if (touched > MAX_SIZE_MIB || (Number.isNaN(touched) && text.trim() !== '')) {
        fail(sizeError(line, L.map.touched!.column, text, touched))
        return
      }
    }
    let diskRead = NaN
    if (L.diskRead >= 0) {
      const text = record[L.diskRead]
      diskRead = nonNegative(text) * readMul
      if (diskRead > MAX_THROUGHPUT_MIBPS || (Number.isNaN(diskRead) && text.trim() !== '')) {
        fail(rateError(line, L.map.disk_read!.column, text, diskRead))
        return
      }
    }
    let diskWrite = NaN
    if (L.diskWrite >= 0) {
      const text = record[L.diskWrite]
      diskWrite = nonNegative(text) * writeMul
      if (diskWrite > MAX_THROUGHPUT_MIBPS || (Number.isNaN(diskWrite) && text.trim() !== '')) {
        fail(rateError(line, L.map.disk_write!.column, text, diskWrite))
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
          // The text is decoded as UTF-8 with U+FFFD for bytes that are not: "vm\xff" and "vm\xfe" would
          // be one VM. Refused rather than escaped: the raw bytes are gone by now, and a name that matches
          // nothing the user sees elsewhere is worse than converting the file once.
          if (id.includes('\ufffd')) {
            fail(
              traceError(display, line, L.map.vm!.column, 'a VM name in UTF-8', `${quote(id)} (bytes that are not UTF-8: convert the file, e.g. iconv -f latin1 -t utf-8)`),
            )
            return
          }
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
    if (state.rows + dataRows >= state.limits.maxRows) {
      fail(
        traceError(display, line, undefined, `at most ${grouped(state.limits.maxRows)} data rows in a trace ${raiseHint('maxRows')}`, 'more'),
      )
      stop()
      return
    }
    let span = vm.spans.length === 0 ? undefined : vm.spans[vm.spans.length - 1]
    if (span === undefined || span.file !== display) {
      span = { file: display, column: L.map.time.column, minTime: time, minLine: line, maxTime: time, maxLine: line }
      vm.spans.push(span)
    } else if (time < span.minTime) {
      span.minTime = time
      span.minLine = line
    } else if (time > span.maxTime) {
      span.maxTime = time
      span.maxLine = line
    }
    if (time < vm.lastTime) vm.outOfOrder++
    vm.lastTime = time
    vm.time.push(time)
    vm.demand.push(demand)
    vm.configured.push(configured)
    pushOptional(vm, 'touched', L.touched >= 0, touched)
    pushOptional(vm, 'diskRead', L.diskRead >= 0, diskRead)
    pushOptional(vm, 'diskWrite', L.diskWrite >= 0, diskWrite)
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
  let textBytes = 0
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (stopped) break
      textBytes += chunk.length
      if (textBytes > state.limits.maxFileBytes) {
        fail(
          traceError(
            display,
            lineNow(),
            undefined,
            `at most ${grouped(state.limits.maxFileBytes)} bytes of text per file ${raiseHint('maxFileBytes')}`,
            gzipped ? 'more after gunzip (a gzip bomb?)' : 'more',
          ),
        )
        stopped = true
        break
      }
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
    const pe = parseError as Error & { lines?: number; code?: string }
    fail(
      pe.code === 'CSV_MAX_RECORD_SIZE'
        ? traceError(display, pe.lines ?? lineNow(), undefined, `a line of at most ${grouped(MAX_RECORD_CHARS)} characters`, 'a longer one (an endless line, or a quote never closed)')
        : traceError(display, pe.lines ?? lineNow(), undefined, 'well-formed CSV', pe.message),
    )
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

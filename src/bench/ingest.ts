/**
 * Ingest: memreplay's import (no cache) next to a bare csv-parse pass over the same bytes, in pairs,
 * so that each ratio compares two passes made moments apart on a noisy machine.
 *
 * The bare pass is the importer's own pipeline with nothing done per record: the same read stream
 * (64 KiB chunks), the same gunzip for .gz files, the same csv-parse Parser and options
 * (internal/csv-split.ts), records handed to a function that only counts them. It splits the text
 * into fields (csv-parse makes a string of every field) and nothing else.
 */
import { createReadStream } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import * as path from 'node:path'
import type { Readable } from 'node:stream'
import { finished } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'
import * as E from 'fp-ts/lib/Either.js'
import { importTrace } from '../trace/import.js'
import { csvOptions, RecordParser } from '../trace/internal/csv-split.js'
import { detectSeparator, firstLine } from '../trace/internal/header.js'
import { MB, median, sig, timed } from './stats.js'

export interface Bytes {
  readonly files: number
  /** Bytes on disk (compressed for .gz). */
  readonly fileBytes: number
  /** Text bytes after gunzip. */
  readonly textBytes: number
  /** Records split, header lines included. */
  readonly records: number
}

export interface IngestFigures {
  readonly source: string
  readonly files: number
  readonly fileMB: number
  readonly textMB: number
  readonly rows: number
  readonly vms: number
  readonly repeats: number
  readonly bareSeconds: number
  readonly importSeconds: number
  readonly bareMBps: number
  readonly importMBps: number
  readonly bareRowsPerSec: number
  readonly importRowsPerSec: number
  /** Median over the pairs of (bare seconds / import seconds): 1 = the import costs no more than splitting. */
  readonly ratio: number
  readonly ratios: ReadonlyArray<number>
}

const traceFiles = async (p: string): Promise<ReadonlyArray<string>> =>
  (await stat(p)).isDirectory()
    ? (await readdir(p)).filter((n) => /\.csv(\.gz)?$/i.test(n)).sort().map((n) => path.join(p, n))
    : [p]

/** Split one file into fields with csv-parse, as the importer does, keeping nothing. */
const splitFile = async (file: string): Promise<{ textBytes: number; records: number; fileBytes: number }> => {
  const raw = createReadStream(file, { highWaterMark: 1 << 16 })
  const source: Readable = /\.gz$/i.test(file) ? raw.pipe(createGunzip()) : raw
  let parser: RecordParser | undefined
  let records = 0
  let textBytes = 0
  for await (const chunk of source as AsyncIterable<Buffer>) {
    textBytes += chunk.length
    if (parser === undefined) {
      const text = chunk.toString('utf8', 0, Math.min(chunk.length, 1 << 16))
      parser = new RecordParser(csvOptions(detectSeparator(firstLine(text)) ?? ',', /^[^\n]*\r\n/.test(text)), () => {
        records++
      })
    }
    parser.write(chunk)
  }
  if (parser !== undefined) {
    parser.resume()
    parser.end()
    await finished(parser)
  }
  return { textBytes, records, fileBytes: (await stat(file)).size }
}

export const barePass = async (p: string): Promise<Bytes> => {
  const files = await traceFiles(p)
  let fileBytes = 0
  let textBytes = 0
  let records = 0
  for (const f of files) {
    const r = await splitFile(f)
    fileBytes += r.fileBytes
    textBytes += r.textBytes
    records += r.records
  }
  return { files: files.length, fileBytes, textBytes, records }
}

export const measureIngest = async (source: string, repeats: number, log: (s: string) => void): Promise<IngestFigures> => {
  const bare: number[] = []
  const imp: number[] = []
  const ratios: number[] = []
  let bytes: Bytes | undefined
  let rows = 0
  let vms = 0
  for (let i = 0; i < repeats; i++) {
    const b = await timed(() => barePass(source))
    bytes = b.value
    const r = await timed(() => importTrace(source))
    if (E.isLeft(r.value)) throw new Error(`bench: cannot import ${source}: ${JSON.stringify(r.value.left[0])}`)
    rows = r.value.right.report.rows
    vms = r.value.right.vms.length
    bare.push(b.seconds)
    imp.push(r.seconds)
    ratios.push(b.seconds / r.seconds)
    log(`  ingest ${path.basename(source)} ${i + 1}/${repeats}: split ${b.seconds.toFixed(2)} s, import ${r.seconds.toFixed(2)} s`)
  }
  const bs = median(bare)
  const is = median(imp)
  const text = bytes!.textBytes / MB
  return {
    source,
    files: bytes!.files,
    fileMB: sig(bytes!.fileBytes / MB),
    textMB: sig(text),
    rows,
    vms,
    repeats,
    bareSeconds: sig(bs),
    importSeconds: sig(is),
    bareMBps: sig(text / bs),
    importMBps: sig(text / is),
    bareRowsPerSec: sig(rows / bs),
    importRowsPerSec: sig(rows / is),
    ratio: sig(median(ratios)),
    ratios: ratios.map((x) => sig(x)),
  }
}

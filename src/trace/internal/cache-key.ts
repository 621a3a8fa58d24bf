/**
 * What a cached trace is keyed by (see ../cache.ts).
 *
 * - The entry's name: a hash of the cache format version, the path as given and as resolved (the
 *   trace's name and its report's sources are that path) and the import options that change what is
 *   read. One entry per (path, options): a rebuilt entry replaces the stale one in place.
 * - The source digest, stored inside the entry and checked on every load: SHA-256 over the name,
 *   size and bytes of every file of the source (the file itself, or every regular file of the
 *   folder, in name order; a superset of the .csv / .csv.gz files the importer reads, so no file it
 *   reads can change unseen). The digest is of content, never of times: touching a file does not
 *   invalidate, and changing a byte always does.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'

/** Bump when the entry's layout or the importer's output changes meaning. */
export const CACHE_FORMAT_VERSION = 2 // 2: disk read / write columns

/** The import options that decide what a successful import gives (maxErrors does not: only successes are cached). */
export interface KeyedOptions {
  readonly format: string | null
  readonly map: unknown
  readonly maxGapSeconds: number
  readonly separator: string | null
}

export interface EntryKey {
  /** The keyed inputs as canonical JSON (stored in the entry and compared on load). */
  readonly text: string
  /** File name of the entry in the cache folder. */
  readonly file: string
}

export const entryKey = (path: string, options: KeyedOptions): EntryKey => {
  const text = JSON.stringify({ version: CACHE_FORMAT_VERSION, path, resolved: resolve(path), options })
  return { text, file: `${createHash('sha256').update(text).digest('hex').slice(0, 40)}.arrow` }
}

export interface SourceFile {
  readonly name: string
  readonly size: number
}

export interface SourceDigest {
  readonly digest: string
  readonly files: ReadonlyArray<SourceFile>
  /** Bytes hashed. */
  readonly bytes: number
}

const hashFile = (path: string, into: ReturnType<typeof createHash>): Promise<number> =>
  new Promise((done, fail) => {
    let n = 0
    createReadStream(path, { highWaterMark: 1 << 20 })
      .on('data', (chunk) => {
        n += chunk.length
        into.update(chunk as Buffer)
      })
      .on('error', fail)
      .on('end', () => done(n))
  })

/** The digest of a trace source (a file or a folder); rejects when it cannot be read. */
export const sourceDigest = async (path: string): Promise<SourceDigest> => {
  const info = await stat(path)
  let entries: ReadonlyArray<{ name: string; path: string }>
  if (info.isDirectory()) {
    const names = (await readdir(path, { withFileTypes: true }))
      .filter((d) => d.isFile())
      .map((d) => d.name)
      .sort()
    entries = names.map((name) => ({ name, path: join(path, name) }))
  } else entries = [{ name: '', path }]
  const hash = createHash('sha256')
  const files: SourceFile[] = []
  let bytes = 0
  for (const e of entries) {
    hash.update(`\u0000${e.name}\u0000`)
    const size = await hashFile(e.path, hash)
    hash.update(`\u0000${size}`)
    files.push({ name: e.name, size })
    bytes += size
  }
  return { digest: hash.digest('hex'), files, bytes }
}

/**
 * The trace cache: a parsed trace kept on disk as an Apache Arrow IPC file, so that a second run over
 * the same trace loads its columns instead of parsing its text again.
 *
 * Where: `.cache/traces/` under the repository root, or the folder in MEMREPLAY_CACHE_DIR.
 * Off: `--no-cache` on the commands that read traces, or MEMREPLAY_NO_CACHE=1.
 *
 * Keyed by content (internal/cache-key.ts): an entry is found by (cache format version, path, import
 * options) and trusted only when every source file is the one it was written for: a file whose stat
 * (size, mtime, ctime, inode; of the target, for a symlink) is as stored is taken as unchanged
 * without being read, and a file whose stat changed is hashed and must have the stored SHA-256.
 * Checked on every load (internal/cache-arrow.ts, read by internal/arrow-read.ts): Arrow magic at
 * both ends (a truncated file), every offset inside the file, a SHA-256 of the whole entry's metadata
 * (which holds the column checksum), the format name and version, the key, one record batch per VM
 * with columns of exactly `ticks` values, the report's counts against the columns, and a CRC-32 of
 * the column bytes. An entry that fails any check is rebuilt from the source, never trusted. Only
 * successful imports are cached; a failed import is parsed again (and reports its errors) each time.
 * Entries are written atomically (a temporary file renamed into place), so a reader never sees half
 * an entry, and two processes writing one entry at once both leave a whole one. The folder is kept
 * to the newest MAX_ENTRIES entries and MAX_BYTES (a hit counts as use), oldest removed first.
 */
import { mkdir, readdir, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises'
import { join, sep } from 'node:path'
import { projectPath } from '../runtime.js'
import * as E from 'fp-ts/lib/Either.js'
import { DEFAULT_MAX_GAP_SECONDS, importTrace, importLimits, type ImportOptions, type TraceError } from './import.js'
import type { Trace } from './trace.js'
import { checkSources, entryKey, hashSources, sameSources, statSources, type SourceStat } from './internal/cache-key.js'
import { decodeTrace, encodeTrace } from './internal/cache-arrow.js'

export { CACHE_FORMAT_VERSION } from './internal/cache-key.js'

/** `.cache/traces` under the project folder (found by its package.json, from src/ or the build). */
export const DEFAULT_CACHE_DIR = projectPath('.cache', 'traces') + sep

export interface CacheOptions {
  /** False: parse, neither read nor write the cache. Default: on unless MEMREPLAY_NO_CACHE=1. */
  readonly enabled?: boolean
  /** Default: MEMREPLAY_CACHE_DIR, else DEFAULT_CACHE_DIR. */
  readonly dir?: string
}

export type CacheStatus =
  /** `rehashed`: source files whose stat had changed, hashed and found the same (0 on most hits: nothing read). */
  | { readonly kind: 'hit'; readonly file: string; readonly rehashed: number }
  /** No entry yet: parsed, and written (unless writing failed: `written` false, `reason` says why). */
  | { readonly kind: 'miss'; readonly file: string; readonly written: boolean; readonly reason?: string }
  /** An entry that could not be trusted (stale or corrupt): parsed and rewritten. */
  | { readonly kind: 'rebuilt'; readonly file: string; readonly reason: string; readonly written: boolean }
  /** Cache off, the source unreadable (the import reports it), or the import failed (nothing cached). */
  | { readonly kind: 'off' | 'bypassed'; readonly reason?: string }

export interface CachedImport {
  readonly result: E.Either<ReadonlyArray<TraceError>, Trace>
  readonly cache: CacheStatus
}

export const cacheEnabled = (o: CacheOptions = {}): boolean => o.enabled ?? process.env.MEMREPLAY_NO_CACHE !== '1'

export const cacheDir = (o: CacheOptions = {}): string => o.dir ?? (process.env.MEMREPLAY_CACHE_DIR || DEFAULT_CACHE_DIR)

/** Entries kept in the cache folder, at most (the least recently used go first). */
export const MAX_ENTRIES = 64
/** Bytes kept in the cache folder, at most (a 500-VM month is about 40 MB). */
export const MAX_BYTES = 4 * 2 ** 30

/** Remove the least recently used entries beyond MAX_ENTRIES / MAX_BYTES (best effort: another process may race us). */
const prune = async (dir: string, keep: string): Promise<void> => {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.arrow'))
  if (names.length <= 1) return
  const infos = await Promise.all(
    names.map(async (n) => {
      const s = await stat(join(dir, n)).catch(() => undefined)
      return { file: join(dir, n), size: s?.size ?? 0, used: s?.mtimeMs ?? 0 }
    }),
  )
  infos.sort((a, b) => b.used - a.used)
  let bytes = 0
  for (let i = 0; i < infos.length; i++) {
    bytes += infos[i].size
    if (infos[i].file !== keep && (i >= MAX_ENTRIES || bytes > MAX_BYTES)) await unlink(infos[i].file).catch(() => undefined)
  }
}

/** Write bytes to `file` atomically: a temporary file beside it, renamed into place. */
const writeAtomically = async (file: string, bytes: Uint8Array): Promise<void> => {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  try {
    await writeFile(tmp, bytes)
    await rename(tmp, file)
  } catch (err) {
    await unlink(tmp).catch(() => undefined)
    throw err
  }
}

/** importTrace, through the cache, saying what the cache did. */
export const importTraceWithCache = async (path: string, options: ImportOptions = {}, cache: CacheOptions = {}): Promise<CachedImport> => {
  if (!cacheEnabled(cache)) return { result: await importTrace(path, options), cache: { kind: 'off' } }
  const key = entryKey(path, {
    format: options.format ?? null,
    map: options.map ?? null,
    maxGapSeconds: options.maxGapSeconds ?? DEFAULT_MAX_GAP_SECONDS,
    separator: options.separator ?? null,
    limits: importLimits(options),
  })
  let before: ReadonlyArray<SourceStat>
  try {
    before = await statSources(path)
  } catch (err) {
    return { result: await importTrace(path, options), cache: { kind: 'bypassed', reason: (err as Error).message } }
  }
  const dir = cacheDir(cache)
  const file = join(dir, key.file)
  let distrust: string | undefined
  try {
    const bytes = await readFile(file)
    const decoded = decodeTrace(bytes, { key: key.text })
    if (E.isRight(decoded)) {
      const check = await checkSources(decoded.right.sources, before)
      if (check.kind === 'same') {
        const trace = decoded.right.trace
        // Touched but the same bytes: store the new stats, so the next load reads nothing again.
        if (check.rehashed > 0) await writeAtomically(file, encodeTrace(trace, { key: key.text, sources: check.sources })).catch(() => undefined)
        else {
          const now = new Date()
          await utimes(file, now, now).catch(() => undefined) // recently used: pruned last
        }
        return { result: E.right(trace), cache: { kind: 'hit', file, rehashed: check.rehashed } }
      }
      distrust = check.reason
    } else distrust = decoded.left
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'ENOENT') distrust = `unreadable: ${(err as Error).message}`
  }
  const result = await importTrace(path, options)
  if (E.isLeft(result)) return { result, cache: { kind: 'bypassed', reason: 'the import failed: nothing cached' } }
  let written = true
  let writeError: string | undefined
  try {
    const sources = await hashSources(before)
    // A file changed while it was read: what was parsed may be neither version; cache nothing.
    if (!sameSources(before, await statSources(path))) throw new Error('the source changed while it was read')
    await mkdir(dir, { recursive: true })
    await writeAtomically(file, encodeTrace(result.right, { key: key.text, sources }))
    await prune(dir, file).catch(() => undefined)
  } catch (err) {
    written = false
    writeError = `not written: ${(err as Error).message}`
  }
  return {
    result,
    cache:
      distrust === undefined
        ? { kind: 'miss', file, written, ...(writeError === undefined ? {} : { reason: writeError }) }
        : { kind: 'rebuilt', file, written, reason: writeError === undefined ? distrust : `${distrust}; ${writeError}` },
  }
}

/** importTrace through the cache: same arguments, same result (the cache is invisible but for speed). */
export const importTraceCached = async (
  path: string,
  options: ImportOptions = {},
  cache: CacheOptions = {},
): Promise<E.Either<ReadonlyArray<TraceError>, Trace>> => (await importTraceWithCache(path, options, cache)).result

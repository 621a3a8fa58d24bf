/**
 * What a cached trace is keyed by (see ../cache.ts).
 *
 * - The entry's name: a hash of the cache format version, the path as given and as resolved (the
 *   trace's name and its report's sources are that path) and the import options that change what is
 *   read. One entry per (path, options): a rebuilt entry replaces the stale one in place.
 * - The sources, stored inside the entry and checked on every load: every file of the source (the
 *   file itself, or every regular file of the folder, in name order; a superset of the .csv / .csv.gz
 *   files the importer reads, so no file it reads can change unseen), each with what stat says of it
 *   (size, mtime, ctime, inode, device) and the SHA-256 of its bytes. A file whose stat is as stored
 *   is not read again (hashing a fleet-month of sources was most of a cached load); a file whose stat
 *   changed is hashed, and the entry holds only if every hash still matches. A symlink is keyed by its
 *   target: the target's real path and the target's stat, so a changed target or a link pointed
 *   elsewhere is seen even when the link itself is untouched.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readdir, realpath, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'

/** Bump when the entry's layout or the importer's output changes meaning. */
export const CACHE_FORMAT_VERSION = 4 // 2: disk read / write columns; 3: sources keyed by stat, whole-entry checksum; 4: column CRC-32

/** The import options that decide what a successful import gives (maxErrors does not: only successes are cached). */
export interface KeyedOptions {
  readonly format: string | null
  readonly map: unknown
  readonly maxGapSeconds: number
  readonly separator: string | null
  /** Limits change what succeeds (a trace over a limit is an error): a looser limit is another entry. */
  readonly limits: unknown
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

/** One source file as stat sees it (of the target, for a symlink). Times and ids as decimal strings (bigint stat). */
export interface SourceStat {
  /** The name inside the folder ("" for a source that is a single file). */
  readonly name: string
  /** 'other': a FIFO, socket, device or folder in a trace folder (not hashed, never opened; its arrival still invalidates). */
  readonly kind: 'file' | 'other'
  /** The real path (symlinks resolved). */
  readonly real: string
  readonly size: number
  readonly mtimeNs: string
  readonly ctimeNs: string
  readonly ino: string
  readonly dev: string
}

/** A source file as stored in an entry: its stat when it was hashed, and the hash. */
export interface SourceEntry extends SourceStat {
  readonly sha256: string
}

/**
 * The files of a trace source with their stats (following symlinks); rejects when the source cannot
 * be read or is not a regular file or folder (a FIFO would block whoever opened it).
 */
export const statSources = async (path: string): Promise<ReadonlyArray<SourceStat>> => {
  const info = await stat(path)
  if (info.isDirectory()) {
    const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    // An entry that is not a link is where the folder really is: one realpath for the folder, not one per file.
    const folder = await realpath(path)
    // a name that cannot be stat'ed (a dangling link, a race with a delete) is left out
    const stats = await Promise.all(
      entries.map((e) => statOne(e.name, join(path, e.name), e.isSymbolicLink() ? undefined : join(folder, e.name)).catch(() => undefined)),
    )
    return stats.filter((s): s is SourceStat => s !== undefined)
  }
  const one = await statOne('', path)
  if (one.kind !== 'file') throw new Error(`${path} is not a regular file or folder`)
  return [one]
}

/** `real`: the file's real path when known (not a link, in a resolved folder), else found with realpath. */
const statOne = async (name: string, path: string, real?: string): Promise<SourceStat> => {
  const s = await stat(path, { bigint: true })
  if (!s.isFile()) return { name, kind: 'other', real: '', size: -1, mtimeNs: '', ctimeNs: '', ino: String(s.ino), dev: String(s.dev) }
  return {
    name,
    kind: 'file',
    real: real ?? (await realpath(path)),
    size: Number(s.size),
    mtimeNs: String(s.mtimeNs),
    ctimeNs: String(s.ctimeNs),
    ino: String(s.ino),
    dev: String(s.dev),
  }
}

const sameStat = (a: SourceStat, b: SourceStat): boolean =>
  a.name === b.name && a.kind === b.kind && a.real === b.real && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.ino === b.ino && a.dev === b.dev

/** SHA-256 of a file's bytes, read in 1 MiB chunks. */
export const hashFile = (path: string): Promise<string> =>
  new Promise((done, fail) => {
    const h = createHash('sha256')
    createReadStream(path, { highWaterMark: 1 << 20 })
      .on('data', (chunk) => h.update(chunk as Buffer))
      .on('error', fail)
      .on('end', () => done(h.digest('hex')))
  })

/** Hash every source (for a new entry). */
export const hashSources = (sources: ReadonlyArray<SourceStat>): Promise<ReadonlyArray<SourceEntry>> =>
  Promise.all(sources.map(async (s) => ({ ...s, sha256: s.kind === 'file' ? await hashFile(s.real) : '' })))

export type SourceCheck =
  /** Every file as stored: `sources` is what to keep (unchanged, or rehashed with the same content). */
  | { readonly kind: 'same'; readonly sources: ReadonlyArray<SourceEntry>; readonly rehashed: number }
  | { readonly kind: 'changed'; readonly reason: string }

/**
 * Compare what an entry stored with the sources now: files added, removed or renamed are a change;
 * a file whose stat differs is hashed, and only a different hash is a change.
 */
export const checkSources = async (stored: ReadonlyArray<SourceEntry>, now: ReadonlyArray<SourceStat>): Promise<SourceCheck> => {
  if (stored.length !== now.length || stored.some((s, i) => s.name !== now[i].name))
    return { kind: 'changed', reason: 'stale: files were added to or removed from the source' }
  const kept: SourceEntry[] = []
  let rehashed = 0
  for (let i = 0; i < now.length; i++) {
    if (sameStat(stored[i], now[i])) {
      kept.push(stored[i])
      continue
    }
    if (now[i].kind !== 'file' || stored[i].kind !== 'file')
      return { kind: 'changed', reason: `stale: ${now[i].name} is no longer what it was (a file, or not)` }
    rehashed++
    const sha256 = await hashFile(now[i].real)
    if (sha256 !== stored[i].sha256)
      return { kind: 'changed', reason: `stale: the source files changed (content hash of ${now[i].name || now[i].real} differs)` }
    kept.push({ ...now[i], sha256 })
  }
  return { kind: 'same', sources: kept, rehashed }
}

/** True when two stat lists are the same (no file changed between two looks). */
export const sameSources = (a: ReadonlyArray<SourceStat>, b: ReadonlyArray<SourceStat>): boolean =>
  a.length === b.length && a.every((s, i) => sameStat(s, b[i]))

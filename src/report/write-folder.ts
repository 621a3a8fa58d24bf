/**
 * Write a folder of files atomically: everything into a temporary sibling `.<name>.tmp-*`, then a
 * rename into place, so a failed run never leaves a folder that looks complete. File names may hold
 * '/' for subfolders (created as needed); a name that is absolute or climbs out with '..' is refused.
 *
 * Nothing the user has is ever destroyed: every folder written here carries a manifest
 * (`.memreplay-report.json`: each file's SHA-256), and an existing target is replaced only if it is
 * empty or is such a folder holding nothing but the files its manifest lists, unchanged. Anything
 * else (a file, a link, a folder of the user's, a report the user added to or edited) is refused with
 * a sentence before anything is written. Replacing renames the old report away, the new one in, and
 * deletes the old one (if the second rename fails the old folder is put back).
 */
import { createHash, randomBytes } from 'node:crypto'
import { lstatSync, readdirSync, readFileSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import * as E from 'fp-ts/lib/Either.js'

/** The mark of a folder memreplay wrote. Starts with '.', so no report file can take its name. */
export const MANIFEST = '.memreplay-report.json'

/** A refusal or failure to write the output, as a sentence for people. */
export class OutputError extends Error {}

const sha256 = (content: string | Buffer | Uint8Array): string => createHash('sha256').update(content).digest('hex')

/** The manifest's text for these files (deterministic: same files, same bytes). */
export const manifestText = (files: ReadonlyMap<string, string | Buffer>): string =>
  `${JSON.stringify({ writtenBy: 'memreplay', manifestVersion: 1, files: Object.fromEntries([...files].map(([name, content]) => [name, sha256(content)])) }, null, 2)}\n`

/** Every entry below `dir` as 'a/b' paths: regular files, and anything else (links, FIFOs) as itself. */
const walk = (dir: string, prefix = ''): ReadonlyArray<{ readonly name: string; readonly file: boolean }> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const name = prefix === '' ? d.name : `${prefix}/${d.name}`
    if (d.isDirectory()) {
      const inner = walk(path.join(dir, d.name), name)
      return inner.length === 0 ? [{ name: `${name}/`, file: false }] : inner
    }
    return [{ name, file: d.isFile() }]
  })

const listed = (names: ReadonlyArray<string>): string => {
  const shown = names.slice(0, 4).map((n) => `"${n}"`).join(', ')
  return names.length > 4 ? `${shown} and ${names.length - 4} more` : shown
}

export type Replaceable = 'absent' | 'empty' | 'report'

/**
 * May `target` be replaced by a report? 'absent' or 'empty' or 'report' (a folder memreplay wrote,
 * holding only the files its manifest lists, unchanged); otherwise a sentence starting with `label`
 * that says what was found and what to do.
 */
export const replaceable = (target: string, label: string = target): E.Either<string, Replaceable> => {
  let st
  try {
    st = lstatSync(target)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return E.right('absent')
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return E.left(`${label}: part of the path is a file, not a folder; nothing was written`)
    return E.left(`${label}: cannot look at it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); nothing was written`)
  }
  const other = 'choose a new or empty folder, or move it away yourself'
  if (st.isSymbolicLink()) return E.left(`${label} is a symbolic link; memreplay replaces only a report folder it wrote, never a link or what it points to: ${other}`)
  if (!st.isDirectory()) return E.left(`${label} is ${st.isFile() ? 'a file' : 'not a folder'}; memreplay writes a report folder and never replaces a file: ${other}`)
  let entries: ReadonlyArray<{ readonly name: string; readonly file: boolean }>
  try {
    entries = walk(target)
  } catch (err) {
    return E.left(`${label}: cannot read the folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); nothing was written`)
  }
  if (entries.length === 0) return E.right('empty')
  let manifest: unknown
  try {
    manifest = JSON.parse(readFileSync(path.join(target, MANIFEST), 'utf8'))
  } catch {
    manifest = undefined
  }
  const m = manifest as { writtenBy?: unknown; files?: unknown } | undefined
  if (m === undefined || m === null || typeof m !== 'object' || m.writtenBy !== 'memreplay' || typeof m.files !== 'object' || m.files === null || Array.isArray(m.files))
    return E.left(
      `${label} is a folder memreplay did not write (no ${MANIFEST}; it holds ${listed(entries.map((e) => e.name))}); memreplay replaces only its own report folders: ${other}`,
    )
  const hashes = new Map(Object.entries(m.files as Record<string, unknown>))
  const extra = entries.filter((e) => e.name !== MANIFEST && (!e.file || !hashes.has(e.name))).map((e) => e.name)
  if (extra.length > 0)
    return E.left(`${label} is a memreplay report, but holds files memreplay did not write there: ${listed(extra)}; move them out, or choose another folder`)
  const changed = entries
    .filter((e) => e.name !== MANIFEST && hashes.get(e.name) !== sha256(readFileSync(path.join(target, ...e.name.split('/')))))
    .map((e) => e.name)
  if (changed.length > 0)
    return E.left(`${label} is a memreplay report, but ${listed(changed)} changed since memreplay wrote ${changed.length === 1 ? 'it' : 'them'}; move ${changed.length === 1 ? 'it' : 'them'} out, or choose another folder`)
  return E.right('report')
}

const code = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code

/** A failed rename as a sentence: what happened to the target, and that nothing of the user's was lost. */
const renameFailure = (label: string, err: unknown): OutputError => {
  const c = code(err)
  if (c === 'EBUSY') return new OutputError(`${label} is in use or a mount point, so memreplay cannot replace it; give a folder inside it instead (nothing was written)`)
  if (c === 'ENOENT' || c === 'ENOTEMPTY' || c === 'EEXIST')
    return new OutputError(`${label} was changed by another process (another memreplay run?) while this run wrote its report; this run's report was not written, nothing was removed: run again`)
  return new OutputError(`${label}: cannot write the report there (${c ?? (err as Error).message}); nothing was removed`)
}

/**
 * Write `files` (plus the manifest) into `dir`, created or replaced as a whole (see the header for
 * what may be replaced). `label` names the target in sentences (e.g. `--out reports/x`).
 */
export const writeFolderAtomically = async (dir: string, files: ReadonlyMap<string, string | Buffer>, label: string = dir): Promise<string> => {
  for (const name of files.keys()) {
    const parts = name.split('/')
    if (name === '' || name === MANIFEST || path.isAbsolute(name) || parts.some((p) => p === '' || p === '.' || p === '..'))
      throw new Error(`writeFolderAtomically: "${name}" is not a relative file name inside the folder`)
  }
  const target = path.resolve(dir)
  const parent = path.dirname(target)
  const base = path.basename(target)
  if (parent === target || base === '') throw new OutputError(`${label} is the root of the file system; memreplay writes a report folder, never over /: choose a new folder`)
  const before = replaceable(target, label)
  if (E.isLeft(before)) throw new OutputError(before.left)
  const all = new Map(files)
  all.set(MANIFEST, manifestText(files))
  try {
    await mkdir(parent, { recursive: true })
  } catch (err) {
    throw new OutputError(`${label}: cannot create its parent folder ${parent} (${code(err) ?? (err as Error).message})`)
  }
  const tmp = await mkdtemp(path.join(parent, `.${base}.tmp-`))
  try {
    await chmod(tmp, 0o755) // mkdtemp makes it 0700; an output folder is for reading
    for (const [name, content] of all) {
      const file = path.join(tmp, ...name.split('/'))
      await mkdir(path.dirname(file), { recursive: true })
      await writeFile(file, content)
    }
  } catch (e) {
    await rm(tmp, { recursive: true, force: true })
    throw e
  }
  // Renaming a folder onto an absent or empty one is atomic; a report is renamed away first. The
  // check is repeated just before, since another run may have written the target meanwhile.
  for (let attempt = 0; ; attempt++) {
    const now = replaceable(target, label)
    if (E.isLeft(now)) {
      await rm(tmp, { recursive: true, force: true })
      throw new OutputError(now.left)
    }
    if (now.right !== 'report') {
      try {
        await rename(tmp, target)
        return target
      } catch (err) {
        // Another writer got there between the check and the rename: look again, once.
        if (attempt === 0 && (code(err) === 'ENOTEMPTY' || code(err) === 'EEXIST')) continue
        await rm(tmp, { recursive: true, force: true })
        throw renameFailure(label, err)
      }
    }
    const old = path.join(parent, `.${base}.old-${randomBytes(6).toString('hex')}`)
    try {
      await rename(target, old)
    } catch (err) {
      if (attempt === 0 && code(err) === 'ENOENT') continue // another writer moved it away: look again
      await rm(tmp, { recursive: true, force: true })
      throw renameFailure(label, err)
    }
    try {
      await rename(tmp, target)
    } catch (err) {
      await rename(old, target).catch(() => undefined)
      await rm(tmp, { recursive: true, force: true })
      throw renameFailure(label, err)
    }
    // The old folder was checked to hold only memreplay's own files, unchanged.
    await rm(old, { recursive: true, force: true })
    return target
  }
}

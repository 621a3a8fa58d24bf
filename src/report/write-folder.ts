/**
 * Write a folder of files atomically: everything into a temporary sibling `.<name>.tmp-*`, then a
 * rename into place, so a failed run never leaves a folder that looks complete. If the target exists
 * it is renamed away, the new folder renamed in, and the old one deleted (if the second rename fails
 * the old folder is put back). File names may hold '/' for subfolders (created as needed); a name
 * that is absolute or climbs out with '..' is refused.
 */
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'

export const writeFolderAtomically = async (dir: string, files: ReadonlyMap<string, string | Buffer>): Promise<string> => {
  for (const name of files.keys()) {
    const parts = name.split('/')
    if (name === '' || path.isAbsolute(name) || parts.some((p) => p === '' || p === '.' || p === '..'))
      throw new Error(`writeFolderAtomically: "${name}" is not a relative file name inside the folder`)
  }
  const target = path.resolve(dir)
  const parent = path.dirname(target)
  const base = path.basename(target)
  await mkdir(parent, { recursive: true })
  const tmp = await mkdtemp(path.join(parent, `.${base}.tmp-`))
  try {
    await chmod(tmp, 0o755) // mkdtemp makes it 0700; an output folder is for reading
    for (const [name, content] of files) {
      const file = path.join(tmp, ...name.split('/'))
      await mkdir(path.dirname(file), { recursive: true })
      await writeFile(file, content)
    }
  } catch (e) {
    await rm(tmp, { recursive: true, force: true })
    throw e
  }
  if (!existsSync(target)) {
    try {
      await rename(tmp, target)
    } catch (e) {
      await rm(tmp, { recursive: true, force: true })
      throw e
    }
    return target
  }
  const old = path.join(parent, `.${base}.old-${randomBytes(6).toString('hex')}`)
  try {
    await rename(target, old)
  } catch (e) {
    await rm(tmp, { recursive: true, force: true })
    throw e
  }
  try {
    await rename(tmp, target)
  } catch (e) {
    await rename(old, target).catch(() => undefined)
    await rm(tmp, { recursive: true, force: true })
    throw e
  }
  await rm(old, { recursive: true, force: true })
  return target
}

/**
 * A policy as named on the command line (`--policy my-policy`, `check-policy my-policy`): a bare name
 * that is not built in stands for policies/<name>.ts (or .js), the file `new-policy` writes, looked
 * for in the working directory's policies/ and then the repository's. Anything else is left as given,
 * for load-policy.ts to load or to refuse with the list of built-in names.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { PROJECT_ROOT } from '../runtime.js'

const repoRoot = PROJECT_ROOT

/** A bare policy name: letters, digits and dashes, no path separator or extension. */
const BARE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/

/** The module a bare name stands for, as a path (relative to the working directory where it can be), or the input unchanged. */
export const resolvePolicyRef = (
  nameOrPath: string,
  isBuiltIn: (name: string) => boolean,
  exists: (file: string) => boolean = fs.existsSync,
  cwd: string = process.cwd(),
): string => {
  if (isBuiltIn(nameOrPath) || !BARE_NAME.test(nameOrPath)) return nameOrPath
  const dirs = [...new Set([path.join(cwd, 'policies'), path.join(repoRoot, 'policies')])]
  for (const dir of dirs)
    for (const ext of ['.ts', '.js']) {
      const file = path.join(dir, `${nameOrPath}${ext}`)
      if (exists(file)) {
        const rel = path.relative(cwd, file)
        return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel.split(path.sep).join('/')
      }
    }
  return nameOrPath
}

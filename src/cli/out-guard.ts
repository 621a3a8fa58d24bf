/**
 * The check every command makes of its output path before any replay starts: nothing the user has
 * is ever destroyed. A report may replace only an empty folder or one memreplay wrote (its manifest,
 * report/write-folder.ts), and never an input: not the trace or a folder holding it, not a policy,
 * spec, experiment or shard given, nor a folder holding one; not the working folder or a parent of
 * it; not the root. (A report inside a trace folder is harmless: the importer reads no subfolders.)
 */
import { existsSync, realpathSync } from 'node:fs'
import path from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { replaceable } from '../report/write-folder.js'
import { InputError } from './inputs.js'

/** An input path as the user gave it, and what it is (for the sentence). */
export interface NamedInput {
  readonly what: string
  readonly path: string
}

/** The real path of `p`, through any links, for the part that exists; the rest appended. */
export const realPath = (p: string): string => {
  const abs = path.resolve(p)
  try {
    return realpathSync(abs)
  } catch {
    const parent = path.dirname(abs)
    return parent === abs ? abs : path.join(realPath(parent), path.basename(abs))
  }
}

/** Is `inner` `outer` or inside it? */
export const within = (inner: string, outer: string): boolean => {
  const rel = path.relative(outer, inner)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}

/** Either the sentence refusing `out` (named `label`, e.g. "--out reports/x"), or nothing. */
export const checkOut = (
  label: string,
  out: string,
  inputs: ReadonlyArray<NamedInput>,
  cwd: string = process.cwd(),
): E.Either<string, void> => {
  const target = realPath(out)
  if (path.dirname(target) === target) return E.left(`${label} is the root of the file system; memreplay never writes a report over /: choose a new folder`)
  const here = realPath(cwd)
  if (within(here, target))
    return E.left(`${label} is ${here === target ? 'the working folder' : `a parent of the working folder (${here})`}; memreplay never replaces the folder you work in: choose a new folder, e.g. --out reports/x`)
  for (const input of inputs) {
    const p = realPath(input.path)
    if (within(p, target))
      return E.left(
        `${label} ${p === target ? 'is' : 'holds'} the ${input.what} (${input.path}); memreplay never writes its output over an input: choose another folder`,
      )
  }
  const r = replaceable(out, label)
  return E.isLeft(r) ? r : E.right(undefined)
}

/** The inputs among these that exist on disk (an inline JSON or a size is not a path). */
export const existingInputs = (candidates: ReadonlyArray<{ readonly what: string; readonly path: string | undefined }>): ReadonlyArray<NamedInput> =>
  candidates.filter((c): c is NamedInput => c.path !== undefined && !c.path.trim().startsWith('{') && existsSync(c.path))

/** checkOut for a command: the refusal is an InputError (a sentence, exit 1), before any replay. */
export const guardOut = (out: string, inputs: ReadonlyArray<{ readonly what: string; readonly path: string | undefined }>, option = '--out'): void => {
  const r = checkOut(`${option} ${out}`, out, existingInputs(inputs))
  if (E.isLeft(r)) throw new InputError([r.left])
}

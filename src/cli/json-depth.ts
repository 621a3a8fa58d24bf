/**
 * How deeply a JSON text nests, counted without parsing (no recursion, so no stack to exhaust):
 * parsers and decoders recurse, and a file nested a hundred thousand levels deep ends them with
 * "Maximum call stack size exceeded", which names nothing. Every JSON input is checked first.
 */
import { readFileSync, statSync } from 'node:fs'
import { InputError } from './inputs.js'

/** Deepest nesting no memreplay input comes near (specs nest four or five levels). */
export const MAX_JSON_DEPTH = 64

/** The deepest nesting of [ and { outside strings. */
export const jsonDepth = (text: string): number => {
  let depth = 0
  let max = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth)
    else if (c === 0x5d || c === 0x7d) depth--
  }
  return max
}

/** A sentence if `text` (from `source`) nests deeper than memreplay reads. */
export const depthProblem = (source: string, text: string): string | undefined => {
  const d = jsonDepth(text)
  return d > MAX_JSON_DEPTH ? `${source}: JSON nested ${d} levels deep; memreplay reads at most ${MAX_JSON_DEPTH} levels (is this the right file?)` : undefined
}

/**
 * Check JSON inputs before anything reads them: `arg` is inline JSON (starts with '{' or '[') or a
 * path; a path that is not a readable regular file is left to the reader (which says so).
 */
export const guardJsonDepth = (inputs: ReadonlyArray<{ readonly option: string; readonly arg: string | undefined }>): void => {
  const problems: string[] = []
  for (const { option, arg } of inputs) {
    if (arg === undefined) continue
    const inline = /^\s*[[{]/.test(arg)
    let text: string
    try {
      if (!inline && !statSync(arg).isFile()) continue
      text = inline ? arg : readFileSync(arg, 'utf8')
    } catch {
      continue
    }
    const p = depthProblem(inline ? option : `${option} ${arg}`, text)
    if (p !== undefined) problems.push(p)
  }
  if (problems.length > 0) throw new InputError(problems)
}

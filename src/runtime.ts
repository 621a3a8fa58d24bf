/**
 * Where the program runs from. The CLI runs as compiled JavaScript (dist/, an esbuild bundle built at
 * `npm install` by the `prepare` script, or by `npm run build`): tsx's loader cost about 1.7 CPU-s per
 * command. Tests and the tools still import src/ as TypeScript (vitest, tsx), so the same code must
 * find the project, its workers and its children from either place. Nothing here depends on the depth
 * of the file it is bundled into: the project root is found by its package.json.
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))

/** True when this code is the compiled bundle (dist/), false when it runs as TypeScript (src/). */
export const COMPILED = !import.meta.url.endsWith('.ts')

const findRoot = (from: string): string => {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json')
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'memreplay') return dir
    if (path.dirname(dir) === dir) throw new Error(`memreplay: cannot find the project folder (a package.json named memreplay) above ${from}`)
  }
}

/** The checkout: package.json, src/, policies/, traces/ (the sample), dist/ (the build). */
export const PROJECT_ROOT = findRoot(here)

/** A path inside the checkout. */
export const projectPath = (...parts: ReadonlyArray<string>): string => path.join(PROJECT_ROOT, ...parts)

/**
 * A program file by its place under src/ without extension ('cli/main', 'cli/workers/scenario-worker'):
 * the compiled file when running compiled, the TypeScript one otherwise (then it needs tsx).
 */
export const programFile = (rel: string): string => (COMPILED ? projectPath('dist', `${rel}.js`) : projectPath('src', `${rel}.ts`))

/** `node` arguments that run a program file (`programFile`) in a fresh process, as the user's command would. */
export const nodeArgs = (rel: string): ReadonlyArray<string> => (COMPILED ? [programFile(rel)] : ['--import', 'tsx', programFile(rel)])

/**
 * A worker thread's entry. Compiled: the bundled worker itself. As TypeScript: a small .mjs that
 * registers tsx in the thread first (Node 20 worker threads do not inherit the parent's loader).
 */
const TSX_ENTRIES = { 'scenario-worker': 'entry.mjs', 'policy-worker': 'policy-entry.mjs', 'compare-worker': 'compare-entry.mjs', 'plan-worker': 'plan-entry.mjs' } as const

export const workerEntry = (name: keyof typeof TSX_ENTRIES): string =>
  COMPILED ? projectPath('dist', 'cli', 'workers', `${name}.js`) : projectPath('src', 'cli', 'workers', TSX_ENTRIES[name])

let tsxRegistered: Promise<void> | undefined

/**
 * Import a user's module (a policy). Compiled, tsx is registered first, once, and only here: a user's
 * module may be TypeScript, or JavaScript importing the project's TypeScript (`../src/engine/...`),
 * and nobody else pays for the loader.
 */
export const importUserModule = async (file: string): Promise<unknown> => {
  if (COMPILED) await (tsxRegistered ??= import('tsx/esm/api').then((m) => void m.register()))
  return import(pathToFileURL(file).href)
}

/**
 * The first source file of the build that is newer than the build, if any: a developer who edited
 * src/ or a built-in policy and forgot `npm run build` is told, rather than silently running
 * yesterday's code. The build's own list of inputs (esbuild's metafile) says which files count, so a
 * user's policy module beside the built-in ones does not. About 150 stats: a few milliseconds.
 */
export const staleSource = (): string | undefined => {
  if (!COMPILED) return undefined
  const meta = projectPath('dist', 'meta.json')
  if (!existsSync(meta)) return undefined
  const built = statSync(meta).mtimeMs
  const inputs = Object.keys((JSON.parse(readFileSync(meta, 'utf8')) as { inputs?: Record<string, unknown> }).inputs ?? {})
  for (const rel of inputs) {
    if (rel.startsWith('node_modules/')) continue
    const p = projectPath(rel)
    if (!existsSync(p) || statSync(p).mtimeMs > built) return rel
  }
  return undefined
}

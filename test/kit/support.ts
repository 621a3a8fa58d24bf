/** Helpers for the kit's end-to-end tests: a temporary copy of the repository, and running commands in it. */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const SHARED_TRACE = path.resolve(REPO, '..', 'shared', 'traces', 'bitbrains-rnd-2013-08')

export interface Copy {
  /** The copy's root (a "main" beside a "shared" link, as in CI, so ../shared/... resolves). */
  readonly root: string
  readonly remove: () => void
}

/**
 * A throwaway copy of the repository's sources (src, policies, traces, configs) and its build (dist) with node_modules
 * linked, so that following the README writes nothing into the real checkout.
 */
export const repoCopy = (): Copy => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'memreplay-kit-'))
  const root = path.join(base, 'main')
  fs.mkdirSync(root)
  for (const d of ['src', 'policies', 'traces', 'dist', 'test/support']) fs.cpSync(path.join(REPO, d), path.join(root, d), { recursive: true })
  for (const f of ['package.json', 'tsconfig.json', 'vitest.config.ts']) fs.copyFileSync(path.join(REPO, f), path.join(root, f))
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(root, 'node_modules'), 'dir')
  const shared = path.resolve(REPO, '..', 'shared')
  if (fs.existsSync(shared)) fs.symlinkSync(shared, path.join(base, 'shared'), 'dir')
  return { root, remove: () => fs.rmSync(base, { recursive: true, force: true }) }
}

export interface Ran {
  readonly code: number
  readonly out: string
}

/** Run a shell command line in `cwd`; stdout and stderr together. */
export const sh = (line: string, cwd: string): Ran => {
  const r = spawnSync('sh', ['-c', `${line} 2>&1`], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', CI: '1' }, maxBuffer: 64 << 20 })
  return { code: r.status ?? -1, out: r.stdout ?? '' }
}

/** The fenced block of `lang` that follows a README heading. */
export const blockAfter = (readme: string, heading: string, lang: string): string => {
  const at = readme.indexOf(heading)
  if (at < 0) throw new Error(`README has no "${heading}"`)
  const m = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(readme.slice(at))
  if (!m) throw new Error(`README has no ${lang} block after "${heading}"`)
  return m[1]
}

// The build: the CLI, its worker threads and the bench's child programs bundled into dist/ as
// JavaScript (esbuild), so a command starts without a TypeScript loader (tsx cost about 1.7 CPU-s a
// command). Runs at `npm install` (the `prepare` script) and as `npm run build`. With --if-stale it
// builds only when a source file is newer than the build: every npm script and the tests start with
// that (a few ms when up to date), so an edit to src/ is never silently ignored. Types are checked by
// `npm run typecheck` / `npm test`, not here. Packages stay in node_modules (not bundled).
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'

const root = path.resolve(import.meta.dirname, '..')
const out = path.join(root, 'dist')

// Entry points, by their place under src/ (runtime.ts's programFile names them the same way).
const ENTRIES = ['cli/main', 'cli/bench', 'cli/fingerprint', 'cli/workers/scenario-worker', 'cli/workers/policy-worker', 'cli/workers/compare-worker', 'cli/workers/plan-worker', 'bench/compare-child', 'bench/sweep-child', 'bench/ingest-child']

/** True when dist/ holds a build newer than every file it was built from (and this script). */
const upToDate = () => {
  const meta = path.join(out, 'meta.json')
  if (!existsSync(meta)) return false
  const built = statSync(meta).mtimeMs
  const inputs = [...Object.keys(JSON.parse(readFileSync(meta, 'utf8')).inputs ?? {}), 'src/build.mjs']
  return inputs.every((rel) => rel.startsWith('node_modules/') || (existsSync(path.join(root, rel)) && statSync(path.join(root, rel)).mtimeMs <= built))
}

if (process.argv.includes('--if-stale') && upToDate()) process.exit(0)

// Built beside dist/ and swapped in whole, so a command started meanwhile never sees half a build.
const tmp = path.join(root, `dist.tmp-${process.pid}`)
rmSync(tmp, { recursive: true, force: true })
const { build } = await import('esbuild') // only when building: an up-to-date check stays a few ms
const r = await build({
  absWorkingDir: root,
  entryPoints: ENTRIES.map((e) => `src/${e}.ts`),
  outbase: 'src',
  outdir: tmp,
  bundle: true,
  splitting: true, // commands load lazily (main.ts): each command's code is its own chunk
  chunkNames: 'chunks/[name]-[hash]',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked', // NODE_OPTIONS=--enable-source-maps maps a stack trace back to src/
  metafile: true,
  logLevel: 'warning',
})
// The list of inputs lets the CLI tell a developer that src/ changed since the build (src/runtime.ts).
writeFileSync(path.join(tmp, 'meta.json'), JSON.stringify({ inputs: Object.fromEntries(Object.keys(r.metafile.inputs).sort().map((k) => [k, {}])) }) + '\n')
const old = path.join(root, `dist.old-${process.pid}`)
if (existsSync(out)) renameSync(out, old)
try {
  renameSync(tmp, out)
} catch (err) {
  // Another build swapped its dist/ in between our two renames: theirs stands, ours goes.
  if (!existsSync(out)) throw err
  rmSync(tmp, { recursive: true, force: true })
}
rmSync(old, { recursive: true, force: true })

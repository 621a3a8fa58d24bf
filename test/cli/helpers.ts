/**
 * Running memreplay as a user does (a child process, any working folder), and fingerprints of what
 * the user has, to show it untouched.
 */
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'

export const ROOT = path.resolve(import.meta.dirname, '../..')
/** The CLI as npm's scripts run it: the build (vitest's globalSetup brings it up to date). */
export const MAIN = path.join(ROOT, 'dist/cli/main.js')

export interface CliResult {
  readonly code: number | null
  readonly out: string
  readonly err: string
}

/** `memreplay <args>` in `cwd` (default the checkout), no trace cache. */
export const memreplay = (args: ReadonlyArray<string>, cwd: string = ROOT, env: Record<string, string> = {}): Promise<CliResult> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd, env: { ...process.env, MEMREPLAY_NO_CACHE: '1', ...env } })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    child.on('close', (code) => resolve({ code, out, err }))
  })

/** A SHA-256 over every name, kind and content under `p` (a file or a folder). */
export const treeHash = (p: string): string => {
  const h = createHash('sha256')
  const visit = (q: string, rel: string): void => {
    const st = lstatSync(q)
    if (st.isSymbolicLink()) h.update(`L ${rel} ${readlinkSync(q)}\n`)
    else if (st.isDirectory()) {
      h.update(`D ${rel}\n`)
      for (const n of readdirSync(q).sort()) visit(path.join(q, n), `${rel}/${n}`)
    } else h.update(`F ${rel}\n`).update(readFileSync(q))
  }
  visit(p, '.')
  return h.digest('hex')
}

/** A small canonical CSV trace (3 VMs, 12 ticks of 5 minutes); VM names as given. */
export const writeTinyTrace = (file: string, names: ReadonlyArray<string> = ['a', 'b', 'c']): string => {
  mkdirSync(path.dirname(file), { recursive: true })
  const rows = ['time,vm,demand_mib,configured_mib']
  for (let t = 0; t < 12; t++) for (const [i, n] of names.entries()) rows.push(`${1375315200 + t * 300},${/[",\n]/.test(n) ? `"${n.replace(/"/g, '""')}"` : n},${512 + 64 * i + 16 * t},2048`)
  writeFileSync(file, rows.join('\n') + '\n')
  return file
}

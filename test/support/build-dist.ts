/**
 * vitest globalSetup: the tests run the CLI as users do, from the build in dist/ (package.json's
 * scripts); build it first if src/ changed since (about a second; nothing when up to date).
 */
import { execFileSync } from 'node:child_process'
import path from 'node:path'

export default function setup(): void {
  const root = path.resolve(import.meta.dirname, '../..')
  execFileSync(process.execPath, [path.join(root, 'src/build.mjs'), '--if-stale'], { cwd: root, stdio: 'inherit' })
}

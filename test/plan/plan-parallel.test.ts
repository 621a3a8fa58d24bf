/**
 * `plan` searches its built-in policies side by side on worker threads (src/cli/pool.ts,
 * plan-worker.ts): the report folder and the recommendation are the serial run's, byte for byte.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { memreplay, treeHash } from '../cli/helpers.js'

const tmp = mkdtempSync(path.join(tmpdir(), 'memreplay-plan-parallel-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

describe('plan --workers', () => {
  it('writes the same plan on two threads as on one (the bundled sample, two policies)', async () => {
    const args = (w: string) => ['plan', '--trace', 'traces/sample/sample.csv', '--host', '32GiB', '--policies', 'dynamic-memory,kvm-mom', '--quiet', '--workers', w, '--out', path.join(tmp, `w${w}`)]
    const [one, two] = await Promise.all(['1', '2'].map((w) => memreplay(args(w))))
    expect(one.code).toBe(0)
    expect(two.code).toBe(0)
    expect(treeHash(path.join(tmp, 'w2'))).toBe(treeHash(path.join(tmp, 'w1')))
    expect(two.out.replace(/w2/g, 'w1')).toBe(one.out)
    expect(one.out).toMatch(/dynamic-memory: 2 hosts/)
  }, 90_000)
})

/**
 * A sweep runs a user's policy module on worker threads within the limits: a scenario whose policy
 * loops forever or allocates without end stops alone, its result saying why; the others complete.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { memreplay, ROOT, writeTinyTrace } from './helpers.js'

const tmp = mkdtempSync(path.join(tmpdir(), 'memreplay-sweep-confine-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

describe('sweep with misbehaving user policies', () => {
  it('the endless and the hoarding scenarios stop, named with their limit; static completes', async () => {
    writeTinyTrace(path.join(tmp, 'trace.csv'))
    const x = path.join(tmp, 'x.json')
    const module = (n: string) => path.join(ROOT, 'test/cli/policies', `${n}.ts`)
    writeFileSync(x, JSON.stringify({ traces: ['trace.csv'], hostSizes: ['8GiB'], hostCounts: [1], policies: ['static', module('endless'), module('hog')] }))
    const out = path.join(tmp, 'out')
    const r = await memreplay(['sweep', x, '--workers', '1', '--policy-timeout', '4', '--policy-memory', '64', '--out', out])
    expect(r.code).toBe(0)
    expect(r.err).not.toMatch(/\n\s+at /)
    const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as { scenarios: Array<{ policy: string; error: string | null }> }
    const rows = results.scenarios
    expect(rows.map((x) => x.policy)).toEqual(['static', 'endless', 'hog'])
    expect(rows[0].error).toBeNull()
    expect(rows[1].error).toMatch(/policy "endless" \(.*endless\.ts\): stopped after the time limit of 4 s \(raise it with --policy-timeout <seconds>\)/)
    expect(rows[2].error).toMatch(/policy "hog" \(.*hog\.ts\): stopped: it exceeded its memory budget of 64 MiB/)
    expect(readFileSync(path.join(out, 'results.csv'), 'utf8')).toMatch(/stopped after the time limit of 4 s/)
  })
})

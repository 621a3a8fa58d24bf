/**
 * `plan --policy <module>`: a user's module plans on its own worker thread under --policy-timeout
 * (its whole search) and --policy-memory, as compare and sweep confine it. A module that never ends
 * or eats memory fails its own plan, with a sentence; the built-in policies' plans are still written.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { memreplay } from './helpers.js'

const tmp = mkdtempSync(path.join(tmpdir(), 'memreplay-plan-confine-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

// The sample week on 256 GiB hosts: every VM fits a host, so each policy's search replays.
const plan = (name: string, out: string, ...more: string[]) =>
  memreplay(['plan', '--trace', 'traces/sample/sample.csv', '--host', '256GiB', '--policies', 'static', '--policy', `test/cli/policies/${name}.ts`, '--out', out, '--quiet', ...more])

const planJson = (out: string) => JSON.parse(readFileSync(path.join(out, 'plan.json'), 'utf8')) as { plans: Array<{ policy: string; hostsTotal: number | null; failed?: string }> }

describe('plan confines a --policy module', () => {
  it('a module that behaves plans on its thread as the built-in it copies does', async () => {
    const out = path.join(tmp, 'copy')
    const r = await plan('static-copy', out)
    expect(r.code, r.err).toBe(0)
    const plans = planJson(out).plans
    const [ours, copy] = [plans.find((p) => p.policy === 'static'), plans.find((p) => p.policy === 'static-copy')]
    expect(copy?.failed).toBeUndefined()
    expect(copy?.hostsTotal).toBe(ours?.hostsTotal)
  })

  it('an endless step is stopped at --policy-timeout; static is still planned and written; exit 1', async () => {
    const out = path.join(tmp, 'endless')
    const t0 = Date.now()
    const r = await plan('endless', out, '--policy-timeout', '3')
    expect(r.code).toBe(1)
    expect(Date.now() - t0).toBeLessThan(60_000)
    expect(r.out).toContain('policy module test/cli/policies/endless.ts: stopped after the time limit of 3 s (raise it with --policy-timeout <seconds>)')
    const plans = planJson(out).plans
    expect(plans.find((p) => p.policy === 'static')?.failed).toBeUndefined()
    expect(plans.find((p) => p.policy === 'endless')?.failed).toMatch(/time limit of 3 s/)
  })

  it('a step that hoards memory is stopped at --policy-memory', async () => {
    const out = path.join(tmp, 'hog')
    const r = await plan('hog', out, '--policy-memory', '128')
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/policy module test\/cli\/policies\/hog\.ts: stopped: it exceeded its memory budget of 128 MiB/)
  })
})

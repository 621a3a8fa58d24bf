/**
 * The plan command as users run it (a child process) on small synthetic fleets: a VM larger than
 * the host is named, with its size, in the terminal, summary.md and plan.json, and the plan ends at
 * once; Ctrl-C writes what is done, marked partial; progress lines when stderr is not a terminal.
 */
import { describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { memreplay, ROOT } from '../cli/helpers.js'

const T0 = 1375315200

/** A canonical CSV: `vms` of (id, configured MiB, demand at tick t). */
const writeTrace = (file: string, ticks: number, vms: ReadonlyArray<{ id: string; configured: number; demand: (t: number) => number }>): string => {
  const rows = ['time,vm,demand_mib,configured_mib']
  for (let t = 0; t < ticks; t++) for (const v of vms) rows.push(`${T0 + t * 300},${v.id},${Math.round(v.demand(t))},${v.configured}`)
  writeFileSync(file, rows.join('\n') + '\n')
  return file
}

const GiB = 1024

describe('plan: a VM that fits no host', () => {
  it('names the VM, its size and the host capacity in the terminal, summary.md and plan.json; static ends before any replay', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'memreplay-plan-huge-'))
    const trace = writeTrace(path.join(dir, 'fleet.csv'), 48, [
      ...Array.from({ length: 6 }, (_, i) => ({ id: `web-${i}`, configured: 8 * GiB, demand: (t: number) => 2 * GiB + ((t * 37 + i * 11) % 17) * 64 })),
      { id: 'huge-db', configured: 511.5 * GiB, demand: (t: number) => 64 * GiB + (t % 5) * GiB },
    ])
    const out = path.join(dir, 'report')
    const r = await memreplay(['plan', '--trace', trace, '--host', '256GiB', '--policies', 'static,dynamic-memory', '--out', out])
    expect(r.code).toBe(0)
    const named = /VM huge-db needs 511\.5[0-9]* GiB \(its static size plus overhead\) but a 256 GiB host admits at most 254 GiB/
    expect(r.out).toMatch(/policy static: no answer: cannot be met: 1 VM fits no host/)
    expect(r.out).toMatch(named)
    expect(r.out.match(/huge-db needs/g)?.length).toBeLessThanOrEqual(3) // said, not repeated per host count
    const md = readFileSync(path.join(out, 'summary.md'), 'utf8')
    expect(md).toMatch(/## Verdict/)
    expect(md).toMatch(named)
    expect(readFileSync(path.join(out, 'index.html'), 'utf8')).toMatch(/<h2>Verdict<\/h2><ul><li>policy static: no answer: cannot be met: 1 VM fits no host [^<]*VM huge-db needs 511\.5/)
    const plan = JSON.parse(readFileSync(path.join(out, 'plan.json'), 'utf8'))
    const st = plan.plans.find((p: { policy: string }) => p.policy === 'static')
    expect(st.met).toBe(false)
    expect(st.scan).toEqual([]) // ended at once: nothing tried
    expect(st.work.replays).toBe(0)
    expect(st.cannotMeet.vms).toEqual([expect.objectContaining({ vm: 'huge-db', needMiB: 511.5 * GiB + 64, capacityMiB: 254 * GiB })])
    expect(st.notMetVms).toEqual(['huge-db'])
    expect(st.notMetBecause).toMatch(named)
    expect(readFileSync(path.join(out, 'rightsizing.csv'), 'utf8')).toMatch(/^huge-db,523776,/m)
    expect(plan.rightsizing).toMatchObject({ percentile: 99, file: 'rightsizing.csv' })
    // Progress: a line per replay on stderr when it is not a terminal.
    expect(r.err).toMatch(/^plan: replay 1 \(of about \d+\): dynamic-memory on \d+ hosts?: /m)
    const quiet = await memreplay(['plan', '--trace', trace, '--host', '256GiB', '--policies', 'static', '--out', path.join(dir, 'q'), '--quiet'])
    expect(quiet.err).toBe('')
  }, 120_000)
})

describe('plan: interrupted', () => {
  it('Ctrl-C writes the policies finished and what the one under way found, marked partial (exit 130)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'memreplay-plan-int-'))
    const trace = writeTrace(
      path.join(dir, 'fleet.csv'),
      2000,
      Array.from({ length: 24 }, (_, i) => ({ id: `vm-${i}`, configured: 16 * GiB, demand: (t: number) => 4 * GiB + ((t * (i + 3)) % 97) * 80 })),
    )
    const out = path.join(dir, 'report')
    const child = spawn(process.execPath, ['dist/cli/main.js', 'plan', '--trace', trace, '--host', '64GiB', '--policies', 'static,overcommit,kvm-mom', '--out', out], {
      cwd: ROOT,
      env: { ...process.env, MEMREPLAY_NO_CACHE: '1' },
    })
    let err = ''
    let stdout = ''
    let sent = false
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => {
      err += d
      // Static has settled: interrupt during overcommit's search.
      if (!sent && /policy static:/.test(err)) {
        sent = true
        child.kill('SIGINT')
      }
    })
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    expect(sent).toBe(true)
    expect(code).toBe(130)
    expect(err).toMatch(/interrupted: writing what is done/)
    expect(stdout).toMatch(/^PARTIAL: interrupted/m)
    const plan = JSON.parse(readFileSync(path.join(out, 'plan.json'), 'utf8'))
    expect(plan.partial).toMatch(/^interrupted/)
    const st = plan.plans.find((p: { policy: string }) => p.policy === 'static')
    expect(st.met).toBe(true)
    expect(st.partial).toBeUndefined()
    const unfinished = [...plan.plans.filter((p: { partial?: string }) => p.partial !== undefined).map((p: { policy: string }) => p.policy), ...plan.notPlanned]
    expect(unfinished).toContain('kvm-mom')
    expect(readFileSync(path.join(out, 'summary.md'), 'utf8')).toMatch(/PARTIAL: interrupted/)
  }, 180_000)
})

describe('plan: host sizes and cost', () => {
  it('--host-sizes with --minimise cost recommends the cheapest size per policy, with a cost column; --minimise cost needs prices', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'memreplay-plan-cost-'))
    const trace = writeTrace(path.join(dir, 'fleet.csv'), 24, Array.from({ length: 6 }, (_, i) => ({ id: `web-${i}`, configured: 8 * GiB, demand: (t: number) => 2 * GiB + ((t + i) % 7) * 64 })))
    const out = path.join(dir, 'report')
    const cost = '{"currency":"EUR","perHost":1000,"perGiB":10,"licence":{"default":500,"kvm-mom":0}}'
    const r = await memreplay(['plan', '--trace', trace, '--host', '64GiB', '--host-sizes', '16GiB,32GiB,64GiB', '--policies', 'static', '--cost', cost, '--minimise', 'cost', '--out', out, '--quiet'])
    expect(r.err).toBe('')
    expect(r.code).toBe(0)
    const plan = JSON.parse(readFileSync(path.join(out, 'plan.json'), 'utf8'))
    const st = plan.plans[0]
    // 16 GiB hosts hold one 8 GiB VM (6 hosts), 32 GiB three (2), 64 GiB all six (1): 1 x (1000 + 640 + 500) is the cheapest.
    expect(st).toMatchObject({ hostGiB: 64, hostsTotal: 1, cost: { total: 2140, eachHost: 2140, memory: 640, licence: 500 } })
    expect(r.out).toMatch(/^policy static: 1 host of 64 GiB \(\+0 for HA\) = 1; growth x1; headroom 0%; cost EUR 2,140 \(1 x 2,140\)$/m)
    expect(r.out).toMatch(/host sizes compared \(cheapest chosen\): 16 GiB: 6 hosts, cost EUR 9,960 \(6 x 1,660\); 32 GiB: 2 hosts, cost EUR 3,640 \(2 x 1,820\); 64 GiB: 1 host, cost EUR 2,140 \(1 x 2,140\) \(chosen\)/)
    expect(readFileSync(path.join(out, 'summary.md'), 'utf8')).toMatch(/## Cost[\s\S]*\| static \| 1 \| 64 \| 2,140 \| 640 \| 500 \| 2,140 \|/)
    const bad = await memreplay(['plan', '--trace', trace, '--host', '64GiB', '--minimise', 'cost', '--out', path.join(dir, 'bad')])
    expect(bad.code).toBe(1)
    expect(bad.err).toContain('--minimise cost needs prices: give --cost')
  }, 120_000)
})

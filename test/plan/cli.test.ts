/** The plan command on the real Bitbrains trace (CI has ../shared/traces), spawned as users run it. */
import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

const REPO = path.resolve(__dirname, '../..')
const TRACE = '../shared/traces/bitbrains-rnd-2013-08'
const cli = (args: ReadonlyArray<string>) =>
  spawnSync(process.execPath, ['dist/cli/main.js', ...args], { cwd: REPO, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } })

describe('memreplay plan (real trace)', () => {
  it('prints hosts needed and density per policy and writes the capacity report', () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'memreplay-plan-')), 'report')
    const r = cli(['plan', '--trace', TRACE, '--host', '256GiB', '--policies', 'static,dynamic-memory', '--out', out, '--quiet'])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/hosts needed\s+VMs per host\s+configured GiB per physical GiB/)
    expect(r.stdout).toMatch(/^static\s+3\s+12\s+0\.78/m)
    expect(r.stdout).toMatch(/^dynamic-memory\s+\d+\s/m)
    expect(r.stdout).toMatch(/share of VM-time with pressure > 100 <= 0\.001/) // the service level is printed
    for (const f of ['index.html', 'summary.md', 'plan.json', 'violations.svg', 'violations.png', 'density-risk.svg', 'density-risk.png'])
      expect(existsSync(path.join(out, f))).toBe(true)
    const plan = JSON.parse(readFileSync(path.join(out, 'plan.json'), 'utf8'))
    expect(plan.sla).toEqual({ maxVmsRefused: 0, maxPressureOver100Share: 0.001, maxSlowdownP99: 1.1, maxHostSwapOutGiB: 0 })
    expect(plan.constraints).toEqual({ spareHosts: 0, growth: 1, headroom: 0 })
    expect(r.stdout).toMatch(/^policy static: 3 hosts \(\+0 for HA\) = 3; growth x1; headroom 0%$/m)
    const st = plan.plans.find((p: { policy: string }) => p.policy === 'static')
    expect(st).toMatchObject({ hostsNeeded: 3, vmsPerHost: 12, placement: 'ffd', met: true })
    expect(st.configuredPerPhysical).toBeCloseTo(0.783, 3)
    expect(st.margin).toMatchObject({ term: expect.any(String), bound: expect.any(Number) })
    // Placement alone rules out 2 hosts (no replay); 3 is replayed and meets.
    expect(st.scan.map((r: { hosts: number; meets: boolean; replayed: boolean }) => [r.hosts, r.meets, r.replayed])).toEqual([[2, false, false], [3, true, true]])
    expect(st.scan[0].violations[0].text).toMatch(/^placement refuses 13 VMs > 0 \(not replayed\): /)
    const dm = plan.plans.find((p: { policy: string }) => p.policy === 'dynamic-memory')
    expect(dm.placement).toBe('spread')
    expect(dm.hostsNeeded).toBeGreaterThanOrEqual(1)
    const html = readFileSync(path.join(out, 'index.html'), 'utf8')
    expect(html).toContain('<svg') // each chart's static SVG, shown until the inlined vega draws it
    expect(html).toContain('content="default-src \'none\';') // nothing may leave the page
    // No URL in the page's own markup (the inlined vega builds name their home pages in strings).
    expect(html.replace(/<script data-lib=[\s\S]*?<\/script>/g, '')).not.toMatch(/https?:\/\/(?!www\.w3\.org)/)
  })

  it('N+1, growth and headroom from the spec are in the verdict line', () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'memreplay-plan-')), 'report')
    const r = cli(['plan', '--trace', TRACE, '--host', '256GiB', '--policies', 'static', '--out', out, '--quiet', '--sla', '{"spareHosts":1,"growth":1.2,"headroom":0.1}'])
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^policy static: (\d+) hosts \(\+1 for HA\) = (\d+); growth x1\.2; headroom 10%$/m)
    const [, n, m] = /^policy static: (\d+) hosts \(\+1 for HA\) = (\d+)/m.exec(r.stdout) as RegExpExecArray
    expect(Number(m)).toBe(Number(n) + 1)
    expect(Number(n)).toBeGreaterThanOrEqual(3) // more memory per VM and less per host than the plain plan's 3
  })

  it('refuses bad constraints with sentences', () => {
    const r = cli(['plan', '--trace', TRACE, '--host', '256GiB', '--sla', '{"spareHosts":-1,"growth":0}'])
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('--sla: spareHosts: expected a whole number of spare hosts >= 0')
    expect(r.stderr).toContain('--sla: growth: expected a growth factor above 0')
    const h = cli(['plan', '--trace', TRACE, '--host', '256GiB', '--headroom', '2'])
    expect(h.stderr).toContain('constraint options: headroom: expected a share of host memory to keep free in 0..0.95')
  })

  it('refuses a bad service level with a sentence before any replay', () => {
    const r = cli(['plan', '--trace', TRACE, '--host', '256GiB', '--sla', '{"maxSlowdownP99": 0.5}'])
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('--sla: maxSlowdownP99: expected a slowdown factor >= 1')
  })
})

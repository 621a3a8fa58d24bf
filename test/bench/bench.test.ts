/**
 * The benchmark is not a test of speed: this only checks that `npm run bench -- --quick` runs and
 * writes its JSON with the headline keys (whatever the figures are on this machine).
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

describe('npm run bench -- --quick', () => {
  it('runs and writes bench.json with ingestRatio, replayRatio per policy, cacheSpeedup, cacheSpeedupFolder, compareStaticCachedSeconds, sweepSpeedup, peakRssMiB', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'memreplay-bench-'))
    const stdout = execFileSync('npm', ['run', '--silent', 'bench', '--', '--quick', '--out', out], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 })
    expect(stdout).toMatch(/ingest/)
    const json = JSON.parse(readFileSync(path.join(out, 'bench.json'), 'utf8')) as Record<string, unknown>
    for (const k of ['ingestRatio', 'cacheSpeedup', 'sweepSpeedup', 'peakRssMiB']) expect(typeof json[k], k).toBe('number')
    const replayRatio = json.replayRatio as Record<string, number>
    expect(Object.keys(replayRatio).sort()).toEqual(['dynamic-memory', 'kvm-mom', 'overcommit', 'static'])
    for (const v of Object.values(replayRatio)) expect(v).toBeGreaterThan(0)
    // per control step too (issue 14): overcommit acts 5 times a 300 s tick (ESX's 60 s), the others once
    const replayStepRatio = json.replayStepRatio as Record<string, number>
    expect(Object.keys(replayStepRatio).sort()).toEqual(Object.keys(replayRatio).sort())
    const steps = (json.replay as { policies: Record<string, { controlStepsPerTick: number; stepRatio: number; ratio: number }> }).policies
    expect(Object.fromEntries(Object.entries(steps).map(([k, p]) => [k, p.controlStepsPerTick]))).toEqual({ static: 1, 'dynamic-memory': 1, overcommit: 5, 'kvm-mom': 1 })
    for (const p of Object.values(steps)) expect(p.stepRatio).toBeCloseTo(p.ratio * p.controlStepsPerTick, 2)
    const machine = json.machine as Record<string, unknown>
    expect(machine.cpus).toBeGreaterThan(0)
    expect(machine.node).toBe(process.version)
    expect(json.mode).toBe('quick')
    for (const k of ['ingest', 'cache', 'replay', 'compare', 'compareStatic', 'sweep']) expect(json[k], k).toBeTypeOf('object')
    // the fair figures (issue 17): static on a host that admits every VM, beside the bench host's
    const replay = json.replay as { vms: number; admitted: Record<string, number>; staticAdmitAll: { ratio: number; admitted: number } }
    expect(replay.staticAdmitAll.ratio).toBeGreaterThan(0)
    expect(replay.staticAdmitAll.admitted).toBeGreaterThan(replay.admitted.static)
    expect(replay.staticAdmitAll.admitted).toBeLessThanOrEqual(replay.vms)
    // compare --policies static on the cached month, end to end; the cache on the real-format folder when the sample is there
    expect(json.compareStaticCachedSeconds).toBeGreaterThan(0)
    if (json.cacheFolder === null) expect(json.cacheSpeedupFolder).toBeNull()
    else expect(json.cacheSpeedupFolder).toBeGreaterThan(0)
    expect(stdout).toMatch(/compare --policies static, cached/)
    // issue 14: the comparison on its threads beside --workers 1, and the scaling table
    expect(json.compareParallelRatio).toBeGreaterThan(0)
    const scaling = json.scaling as { sizes: number[]; rows: Array<{ vms: number; policy: string; usPerVmTick: number; rssBytesPerVmTick: number }>; largestVmsWithin8GiB: Record<string, number | null> }
    expect(scaling.rows.length).toBe(scaling.sizes.length * 4)
    for (const r of scaling.rows) expect(r.usPerVmTick > 0 && r.rssBytesPerVmTick > 0, `${r.policy} ${r.vms}`).toBe(true)
    expect(Object.keys(scaling.largestVmsWithin8GiB).sort()).toEqual(['dynamic-memory', 'kvm-mom', 'overcommit', 'static'])
    expect(stdout).toMatch(/scaling: compare --policies <one>/)
  }, 300_000)
})

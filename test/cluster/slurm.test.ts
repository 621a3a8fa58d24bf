/**
 * A sweep on a real one-node Slurm cluster: test/cluster/slurm-up.sh installs (if missing) and starts
 * munged, slurmctld and slurmd on this machine; `sweep --emit slurm` writes the array job; `sbatch
 * --wait` runs its 4 tasks (two at a time on two cores), the last of which merges; the merged folder
 * must equal the serial sweep's byte for byte, and each shard hold the scenarios the cost split deals
 * it. Skipped only where Slurm cannot be installed (not root, or no apt-get where it is missing); under CI (CI or
 * MEMREPLAY_CI set, as .ci/run does) it fails instead, so it never silently stops running.
 */
import { describe, expect, it, beforeAll } from 'vitest'
import { execFile, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { memreplay, ROOT } from '../cli/helpers.js'
import { snapshot } from '../support/tree.js'

const UP = path.join(ROOT, 'test/cluster/slurm-up.sh')
const IN_CI = Boolean(process.env.CI || process.env.MEMREPLAY_CI)
const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0
// slurm-up.sh needs root to start the daemons, and apt-get where Slurm is not installed yet.
const INSTALLABLE = process.getuid?.() === 0 && (has('sbatch') || has('apt-get'))


describe.skipIf(!INSTALLABLE && !IN_CI)('a sweep on a one-node Slurm cluster', () => {
  let slurmConf = ''
  beforeAll(async () => {
    const r = await new Promise<{ code: number; out: string; err: string }>((resolve) =>
      execFile('bash', [UP], { timeout: 280_000 }, (e, out, err) => resolve({ code: e === null ? 0 : typeof e.code === 'number' ? e.code : 1, out, err })),
    )
    if (r.code === 3) throw new Error(`Slurm cannot be installed or started here (root and apt-get needed)${IN_CI ? ', and this is CI (CI or MEMREPLAY_CI): .ci/run installs slurm-wlm and munge' : ''}\n${r.err}`)
    if (r.code !== 0) throw new Error(`test/cluster/slurm-up.sh failed (${r.code}):\n${r.err}`)
    const m = /export SLURM_CONF=(\S+)/.exec(r.out)
    if (m === null) throw new Error(`test/cluster/slurm-up.sh printed no SLURM_CONF:\n${r.out}`)
    slurmConf = m[1]
  }, 300_000)

  it('the emitted array job (4 tasks) merges to the serial sweep, byte for byte', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'memreplay-cluster-'))
    const exp = path.join(dir, 'exp.json')
    // 2 host counts x (static, dynamic-memory x 2 buffers, overcommit) = 8 scenarios on the sample week
    writeFileSync(
      exp,
      JSON.stringify({
        traces: [path.join(ROOT, 'traces/sample/sample.csv')],
        fleet: path.join(ROOT, 'traces/sample/fleet.json'),
        hostSizes: ['96GiB'],
        hostCounts: [2, 3],
        hostReserve: '2GiB',
        policies: ['static', 'dynamic-memory', 'overcommit'],
        vmSettings: { buffer: [10, 20] },
      }),
    )
    const serial = path.join(dir, 'serial')
    const t0 = performance.now()
    const s = await memreplay(['sweep', exp, '--workers', '1', '--out', serial])
    const serialSeconds = (performance.now() - t0) / 1000
    expect(s.code, s.err).toBe(0)

    const job = path.join(dir, 'sweep.sbatch')
    const merged = path.join(dir, 'merged')
    const e = await memreplay(['sweep', exp, '--emit', 'slurm', '--shards', '4', '--out', merged, '--emit-file', job])
    expect(e.code, e.err).toBe(0)
    const script = readFileSync(job, 'utf8')
    expect(script).toContain('#SBATCH --array=0-3\n')
    expect(script).toContain(`#SBATCH --chdir=${ROOT}\n`)
    expect(script).toContain('npm run --silent sweep -- "$@"')
    expect(script).toContain(`memreplay_sweep ${exp} --shard auto --shard-count "$N"`)

    // sbatch --wait polls (every few seconds); the merged folder's arrival is timed here, finer.
    const t1 = performance.now()
    let mergedSeconds = Number.NaN
    const poll = setInterval(() => {
      if (Number.isNaN(mergedSeconds) && existsSync(path.join(merged, 'results.json'))) mergedSeconds = (performance.now() - t1) / 1000
    }, 50)
    const sb = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn('sbatch', ['--wait', job], { env: { ...process.env, SLURM_CONF: slurmConf, MEMREPLAY_NO_CACHE: '1' } })
      let out = ''
      let err = ''
      child.stdout.on('data', (d) => (out += d))
      child.stderr.on('data', (d) => (err += d))
      child.on('close', (code) => resolve({ code, out, err }))
    })
    clearInterval(poll)
    const waitSeconds = (performance.now() - t1) / 1000
    const shards = `${merged}-shards`
    const logs = existsSync(shards) ? readdirSync(shards).filter((f) => f.endsWith('.log')).map((f) => `--- ${f}\n${readFileSync(path.join(shards, f), 'utf8')}`).join('\n') : ''
    expect(sb.code, `${sb.out}${sb.err}\n${logs}`).toBe(0)

    expect(snapshot(merged)).toEqual(snapshot(serial))
    // The cost split, worked by hand: overcommit acts every 60 s on 5-minute ticks (cost 5), the
    // others once a tick (1). Heaviest first: s003 -> 1, s007 -> 2; the six 1s alternate over 3, 4.
    const ids = (k: number): ReadonlyArray<string> => readdirSync(path.join(shards, `shard-${k}-of-4`, 'scenarios')).sort()
    expect([1, 2, 3, 4].map(ids)).toEqual([['s003'], ['s007'], ['s000', 's002', 's005'], ['s001', 's004', 's006']])
    for (const k of [1, 2, 3, 4]) expect(JSON.parse(readFileSync(path.join(shards, `shard-${k}-of-4`, 'results.json'), 'utf8')).shard).toEqual({ k, n: 4 })
    // The figure for the README: wall clock of the serial sweep and of the array job on this machine.
    console.log(
      `slurm: serial sweep (1 process, 1 worker) ${serialSeconds.toFixed(1)} s; array job of 4 tasks (1 CPU each, 2 cores): submit to merged ${mergedSeconds.toFixed(1)} s, sbatch --wait returned after ${waitSeconds.toFixed(1)} s`,
    )
  }, 120_000)
})

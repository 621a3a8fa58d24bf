/**
 * Sweeps on batch engines, without one: `--shard auto` from each engine's environment, the split
 * balanced by cost (hand-worked and as properties), merge refusing a set with a shard missing, given
 * twice or foreign, and the Kubernetes Indexed Job as emitted. The Slurm run is slurm.test.ts.
 */
import { describe, expect, it, beforeAll } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import fc from 'fast-check'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { balanceShards, scenarioCost, shardFromEnv, shardOutDir } from '../../src/plan/shard.js'
import { shardSetProblems } from '../../src/plan/sweep.js'
import { runSweep, emitSweep } from '../../src/cli/sweep.js'
import { runMerge } from '../../src/cli/merge.js'
import { writeTinyTrace, ROOT } from '../cli/helpers.js'
import { k8sJob, shellQuote } from '../../src/cluster/emit.js'

const left = <A>(e: E.Either<ReadonlyArray<string>, A>): string => (E.isLeft(e) ? e.left.join('\n') : `right: ${JSON.stringify(e.right)}`)

describe('--shard auto reads the batch engine', () => {
  it('Slurm: the task id relative to MIN, over COUNT (or MAX - MIN + 1), in STEPs', () => {
    expect(shardFromEnv({ SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '3' })).toEqual(E.right({ k: 1, n: 4, source: 'SLURM_ARRAY_TASK_ID' }))
    expect(shardFromEnv({ SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '4' })).toEqual(E.right({ k: 4, n: 4, source: 'SLURM_ARRAY_TASK_ID' }))
    // --array=1-4: MIN 1, no COUNT (older Slurm): 4 - 1 + 1 = 4 shards, id 2 is the second
    expect(shardFromEnv({ SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '4' })).toEqual(E.right({ k: 2, n: 4, source: 'SLURM_ARRAY_TASK_ID' }))
    // --array=10-16:3 is 10, 13, 16: three shards; 16 is the third
    expect(shardFromEnv({ SLURM_ARRAY_TASK_ID: '16', SLURM_ARRAY_TASK_MIN: '10', SLURM_ARRAY_TASK_MAX: '16', SLURM_ARRAY_TASK_STEP: '3', SLURM_ARRAY_TASK_COUNT: '3' })).toEqual(
      E.right({ k: 3, n: 3, source: 'SLURM_ARRAY_TASK_ID' }),
    )
    // given a count, the index is the shard's from 0: `sbatch --array=2` re-runs shard 3 of 4 alone
    expect(shardFromEnv({ SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_COUNT: '1', SLURM_ARRAY_TASK_MIN: '2', SLURM_ARRAY_TASK_MAX: '2' }, '4')).toEqual(E.right({ k: 3, n: 4, source: 'SLURM_ARRAY_TASK_ID' }))
    expect(left(shardFromEnv({ SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '1' }, '4'))).toBe('SLURM_ARRAY_TASK_ID: expected an index below the shard count 4, found 4')
    // --array=1,5,9 cannot number shards 1..3
    expect(left(shardFromEnv({ SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '9', SLURM_ARRAY_TASK_COUNT: '3' }))).toMatch(/^--shard auto: a sparse Slurm array .*submit --array=0-2, or give --shard-count N/)
  })

  it('Kubernetes and AWS Batch: a 0-based index, the count from --shard-count or MEMREPLAY_SHARD_COUNT', () => {
    expect(shardFromEnv({ JOB_COMPLETION_INDEX: '0' }, '4')).toEqual(E.right({ k: 1, n: 4, source: 'JOB_COMPLETION_INDEX' }))
    expect(shardFromEnv({ JOB_COMPLETION_INDEX: '3', MEMREPLAY_SHARD_COUNT: '4' })).toEqual(E.right({ k: 4, n: 4, source: 'JOB_COMPLETION_INDEX' }))
    expect(shardFromEnv({ AWS_BATCH_JOB_ARRAY_INDEX: '7', MEMREPLAY_SHARD_COUNT: '8' })).toEqual(E.right({ k: 8, n: 8, source: 'AWS_BATCH_JOB_ARRAY_INDEX' }))
    expect(left(shardFromEnv({ JOB_COMPLETION_INDEX: '2' }))).toMatch(/^--shard auto: JOB_COMPLETION_INDEX gives this shard's index but not the count: give --shard-count N or set MEMREPLAY_SHARD_COUNT$/)
    expect(left(shardFromEnv({ AWS_BATCH_JOB_ARRAY_INDEX: '4' }, '4'))).toBe('AWS_BATCH_JOB_ARRAY_INDEX: expected an index below the shard count 4, found 4')
  })

  it('bad or missing variables are sentences naming them, expected vs found', () => {
    expect(left(shardFromEnv({}))).toBe(
      '--shard auto: no array index in the environment: expected SLURM_ARRAY_TASK_ID (a Slurm job array), JOB_COMPLETION_INDEX (a Kubernetes Indexed Job), AWS_BATCH_JOB_ARRAY_INDEX (an AWS Batch array job); outside a batch engine give --shard k/N',
    )
    expect(left(shardFromEnv({ SLURM_ARRAY_TASK_ID: 'two', SLURM_ARRAY_TASK_COUNT: '4' }))).toBe('SLURM_ARRAY_TASK_ID: expected a whole number >= 0, found "two"')
    expect(left(shardFromEnv({ SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '-4' }))).toBe('SLURM_ARRAY_TASK_COUNT: expected a whole number >= 0, found "-4"')
    expect(left(shardFromEnv({ JOB_COMPLETION_INDEX: '1', MEMREPLAY_SHARD_COUNT: '4.5' }))).toBe('MEMREPLAY_SHARD_COUNT: expected a whole number >= 0, found "4.5"')
    expect(left(shardFromEnv({ JOB_COMPLETION_INDEX: '1' }, 'x'))).toBe('--shard-count: expected a whole number >= 1, found "x"')
    expect(left(shardFromEnv({ SLURM_ARRAY_TASK_ID: '1', JOB_COMPLETION_INDEX: '1' }))).toMatch(/SLURM_ARRAY_TASK_ID and JOB_COMPLETION_INDEX are both set/)
  })

  it('--out takes {k} and {n}', () => {
    expect(shardOutDir('/shared/x/shard-{k}-of-{n}', { k: 2, n: 4 })).toBe('/shared/x/shard-2-of-4')
  })
})

describe('shards balanced by estimated cost', () => {
  it('cost = control steps per tick x VMs x ticks', () => {
    // ESX-like (60 s) on 5-minute ticks: 5 steps; a policy without a control loop: 1
    expect(scenarioCost(60, { step: 300, ticks: 2016, vmCount: 24 })).toBe(5 * 24 * 2016)
    expect(scenarioCost(undefined, { step: 300, ticks: 2016, vmCount: 24 })).toBe(24 * 2016)
    expect(scenarioCost(600, { step: 300, ticks: 10, vmCount: 3 })).toBe(30)
  })

  it('deals heaviest first to the least-loaded shard (hand-worked)', () => {
    // Round robin (index mod 2) would give shard 1 scenarios 0, 2, 4 = 11 and shard 2 only 3.
    // LPT: 0 (5) -> 1, 2 (5) -> 2, then the 1s alternate from shard 1: 1, 3 | 4, 5 -> loads 7 and 7.
    expect(balanceShards([5, 1, 5, 1, 1, 1], 2)).toEqual([1, 1, 2, 2, 1, 2])
    // 2 overcommit (5 each) among 8 scenarios on 4 shards: each alone, the six 1s split 3 and 3
    expect(balanceShards([1, 1, 1, 5, 1, 1, 1, 5], 4)).toEqual([3, 4, 3, 1, 4, 3, 4, 2])
  })

  it('a partition, deterministic, within total/n + the largest cost of every shard', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 1e9 }), { minLength: 0, maxLength: 60 }), fc.integer({ min: 1, max: 12 }), (costs, n) => {
        const plan = balanceShards(costs, n)
        expect(plan).toEqual(balanceShards([...costs], n))
        expect(plan.every((k) => Number.isInteger(k) && k >= 1 && k <= n)).toBe(true)
        const load = Array.from({ length: n }, (_, j) => costs.reduce((s, c, i) => (plan[i] === j + 1 ? s + c : s), 0))
        const total = costs.reduce((a, b) => a + b, 0)
        const biggest = Math.max(0, ...costs)
        for (const l of load) expect(l).toBeLessThanOrEqual(total / n + biggest)
        // never worse than dealing by count (round robin) on the heaviest shard
        const rr = Array.from({ length: n }, (_, j) => costs.reduce((s, c, i) => (i % n === j ? s + c : s), 0))
        expect(Math.max(0, ...load)).toBeLessThanOrEqual(Math.max(0, ...rr) + biggest)
      }),
    )
  })
})

describe('merge refuses a bad shard set, naming which', () => {
  let dir: string
  let exp: string
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'memreplay-shardset-'))
    const trace = writeTinyTrace(path.join(dir, 'tiny.csv'))
    exp = path.join(dir, 'exp.json')
    // 2 host counts x 4 policies = 8 scenarios
    writeFileSync(exp, JSON.stringify({ traces: [trace], hostSizes: ['8GiB'], hostCounts: [1, 2], policies: ['static', 'dynamic-memory', 'overcommit', 'kvm-mom'] }))
    await runSweep(exp, { out: path.join(dir, 'whole'), workers: '1', quiet: true })
    for (const k of [1, 2, 3]) await runSweep(exp, { out: path.join(dir, 'shards', 'shard-{k}-of-{n}'), shard: `${k}/3`, workers: '1', quiet: true })
    await runSweep(exp, { out: path.join(dir, 'other', 'shard-{k}-of-{n}'), shard: '1/2', workers: '1', quiet: true })
    const exp2 = path.join(dir, 'exp2.json')
    writeFileSync(exp2, JSON.stringify({ traces: [trace], hostSizes: ['16GiB'], hostCounts: [1, 2], policies: ['static', 'dynamic-memory', 'overcommit', 'kvm-mom'] }))
    await runSweep(exp2, { out: path.join(dir, 'exp2', 'shard-{k}-of-{n}'), shard: '2/3', workers: '1', quiet: true })
  })
  const s = (k: number) => path.join(dir, 'shards', `shard-${k}-of-3`)

  it('merges the full set to the whole sweep', async () => {
    await runMerge([s(2), s(3), s(1)], path.join(dir, 'merged'))
    expect(readFileSync(path.join(dir, 'merged', 'results.json'), 'utf8')).toBe(readFileSync(path.join(dir, 'whole', 'results.json'), 'utf8'))
  })

  it('missing, duplicated, foreign', async () => {
    await expect(runMerge([s(1), s(3)], path.join(dir, 'm1'))).rejects.toThrow('merge: shard 2 of 3 is missing')
    await expect(runMerge([s(1), s(2), s(3), s(2)], path.join(dir, 'm2'))).rejects.toThrow(`merge: shard 2 of 3 is given 2 times: ${s(2)}, ${s(2)}`)
    const foreign = path.join(dir, 'other', 'shard-1-of-2')
    await expect(runMerge([s(1), s(2), s(3), foreign], path.join(dir, 'm3'))).rejects.toThrow(`${foreign}: shard 1 of 2, from another split than the others (of 3)`)
    const elsewhere = path.join(dir, 'exp2', 'shard-2-of-3')
    await expect(runMerge([s(1), elsewhere, s(3)], path.join(dir, 'm5'))).rejects.toThrow(`${elsewhere}: comes from a different experiment than ${s(1)}`)
    await expect(runMerge([s(1), s(2), s(3), path.join(dir, 'whole')], path.join(dir, 'm4'))).rejects.toThrow(/whole: not a shard \(a whole sweep's output/)
  })

  it('a shard number that is not one is named', () => {
    expect(shardSetProblems([{ source: 'a', shard: { k: 1, n: 2 } }, { source: 'b', shard: { k: 2, n: 2 } }])).toEqual([])
    expect(shardSetProblems([{ source: 'a' }, { source: 'b' }])).toEqual([])
  })
})

describe('--emit: the job files', () => {
  it('completions = shards, the index wired to --shard auto, outputs on the shared volume', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'memreplay-k8s-'))
    const file = path.join(dir, 'job.json')
    const { out } = await emitSweep(path.join(ROOT, 'examples/sweep-buffer.json'), { emit: 'k8s', shards: '3', cpusPerTask: '2', emitFile: file, image: 'registry.example/memreplay:1' })
    expect(out).toMatch(/^10 scenarios in 3 shards/)
    const job = JSON.parse(readFileSync(file, 'utf8'))
    expect(job).toMatchObject({ apiVersion: 'batch/v1', kind: 'Job', spec: { completionMode: 'Indexed', completions: 3, parallelism: 3 } })
    const pod = job.spec.template.spec
    expect(pod.restartPolicy).toBe('Never')
    const [c] = pod.containers
    expect(c.image).toBe('registry.example/memreplay:1')
    expect(c.env).toContainEqual({ name: 'MEMREPLAY_SHARD_COUNT', value: '3' })
    const script: string = c.command[c.command.length - 1]
    expect(c.command.slice(0, 2)).toEqual(['/bin/sh', '-c'])
    // the sweep: the experiment as the image holds it, --shard auto (JOB_COMPLETION_INDEX), into the volume
    expect(script).toContain('memreplay_sweep examples/sweep-buffer.json --shard auto --shard-count "$N" --workers 2 --out "$SHARDS/shard-{k}-of-{n}"')
    expect(script).toContain('SHARDS=/shared/sweep-sweep-buffer-shards\n')
    expect(script).toContain('OUT=/shared/sweep-sweep-buffer\n')
    expect(script).toContain('N=3\n')
    expect(script).toMatch(/memreplay_merge "\$@" --out "\$OUT"$/)
    const mount = c.volumeMounts.find((m: { name: string }) => m.name === 'shared')
    expect(mount.mountPath).toBe('/shared')
    expect(pod.volumes).toContainEqual({ name: 'shared', persistentVolumeClaim: { claimName: 'memreplay-shared' } })
    expect(c.resources.requests.cpu).toBe('2')
    // the image is the Dockerfile's: the checkout at the pod's working folder, installed with npm ci
    expect(c.workingDir).toBe('/app')
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8')
    expect(dockerfile).toMatch(/^WORKDIR \/app$/m)
    expect(dockerfile).toMatch(/^RUN npm ci /m)
    // emitting again replaces memreplay's own file; a file of the user's is never replaced
    await emitSweep(path.join(ROOT, 'examples/sweep-buffer.json'), { emit: 'k8s', emitFile: file })
    writeFileSync(path.join(dir, 'mine.json'), '{"mine": true}\n')
    await expect(emitSweep(path.join(ROOT, 'examples/sweep-buffer.json'), { emit: 'k8s', emitFile: path.join(dir, 'mine.json') })).rejects.toThrow(/a file of yours is there/)
    expect(readFileSync(path.join(dir, 'mine.json'), 'utf8')).toBe('{"mine": true}\n')
    await expect(emitSweep(path.join(ROOT, 'examples/sweep-buffer.json'), { emit: 'k8s', emitFile: file, out: '/data/x' })).rejects.toThrow(/--out must be on the shared volume, under \/shared\//)
    await expect(emitSweep(path.join(ROOT, 'examples/sweep-buffer.json'), { emit: 'k8s', emitFile: file, shards: '11' })).rejects.toThrow(/11 shards for 10 scenarios/)
  })

  it("the pod's script runs under a POSIX sh: three indices, the last merges, the merge is the whole sweep", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'memreplay-pods-'))
    const exp = path.join(dir, 'exp.json')
    // 2 host counts x 4 policies = 8 scenarios of a tiny trace: the CLI's start-up is most of the time
    writeFileSync(exp, JSON.stringify({ traces: [writeTinyTrace(path.join(dir, 'tiny.csv'))], hostSizes: ['8GiB'], hostCounts: [1, 2], policies: ['static', 'dynamic-memory', 'overcommit', 'kvm-mom'] }))
    // The Job as emitted, with a temporary folder for the volume (the pod's /app is the checkout).
    const job = k8sJob({ stem: 'exp', experiment: exp, scenarioCount: 8, shards: 3, cpusPerTask: 1, out: `${dir}/out`, shardsDir: `${dir}/out-shards`, sweepArgs: [], image: 'x', claim: 'y' })
    if (!job.ok) throw new Error(job.errors.join('\n'))
    const script: string = (job.job as { spec: { template: { spec: { containers: Array<{ command: string[] }> } } } }).spec.template.spec.containers[0].command[2]
    const sh = existsSync('/bin/dash') ? '/bin/dash' : '/bin/sh'
    for (const i of [2, 0, 1]) {
      const r = spawnSync(sh, ['-c', script], { cwd: ROOT, env: { ...process.env, JOB_COMPLETION_INDEX: String(i), MEMREPLAY_SHARD_COUNT: '3', MEMREPLAY_NO_CACHE: '1' }, encoding: 'utf8' })
      expect(r.status, r.stderr).toBe(0)
      expect(r.stdout).toContain(`(shard ${i + 1}/3)`)
      // index 1 (shard 2) runs last here: it finds every folder and merges
      expect(r.stdout.includes('Merged 3 shard folders'), r.stdout).toBe(i === 1)
    }
    await runSweep(exp, { out: path.join(dir, 'serial'), workers: '1', quiet: true })
    for (const f of ['results.json', 'results.csv', 'index.html']) expect(readFileSync(path.join(dir, 'out', f), 'utf8'), f).toBe(readFileSync(path.join(dir, 'serial', f), 'utf8'))
  })

  it('--emit slurm: an array of N tasks from this checkout; refuses a shards folder holding an earlier run', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'memreplay-sbatch-'))
    const out = path.join(dir, 'merged')
    const file = path.join(dir, 'job.sbatch')
    await emitSweep(path.join(ROOT, 'examples/sweep-buffer.json'), { emit: 'slurm', shards: '5', out, emitFile: file })
    const script = readFileSync(file, 'utf8')
    expect(script.startsWith('#!/bin/bash\n')).toBe(true)
    for (const line of ['#SBATCH --array=0-4', '#SBATCH --cpus-per-task=1', `#SBATCH --chdir=${ROOT}`, `#SBATCH --output=${out}-shards/slurm-%A_%a.log`, `SHARDS=${out}-shards`, 'N=5'])
      expect(script.split('\n')).toContain(line)
    expect(script).toContain(`memreplay_sweep ${path.join(ROOT, 'examples/sweep-buffer.json')} --shard auto --shard-count "$N" --workers "\${SLURM_CPUS_PER_TASK:-1}" --out "$SHARDS/shard-{k}-of-{n}"`)
    const r = spawnSync('bash', ['-n', file])
    expect(r.status, String(r.stderr)).toBe(0)
    mkdirSync(path.join(`${out}-shards`, 'shard-1-of-5'))
    await expect(emitSweep(path.join(ROOT, 'examples/sweep-buffer.json'), { emit: 'slurm', out, emitFile: file })).rejects.toThrow(/holds shard folders of an earlier run \(shard-1-of-5\)/)
    await expect(emitSweep(path.join(ROOT, 'examples/sweep-buffer.json'), { emit: 'slurm', shard: '1/2', emitFile: file })).rejects.toThrow(/leave --shard out/)
    await expect(emitSweep(path.join(ROOT, 'examples/sweep-buffer.json'), { emit: 'pbs' })).rejects.toThrow('--emit: expected slurm or k8s, found "pbs"')
  })

  it('shell words are quoted', () => {
    expect(shellQuote('/a/b-c_d.json')).toBe('/a/b-c_d.json')
    expect(shellQuote("it's $HOME")).toBe(`'it'\\''s $HOME'`)
  })
})

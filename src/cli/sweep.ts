/**
 * `memreplay sweep <experiment.json>`: every scenario of an experiment (plan/experiment.ts), in
 * parallel on worker threads (piscina), or a deterministic shard of them (--shard k/N); writes
 * results.csv, results.json, the report index.html (report/sweep-page.ts) and one folder per
 * scenario, atomically. Results are identical whatever the number of workers (same function,
 * results ordered by scenario index, JSON-normalized).
 * Everything the scenarios need is checked before the first one runs.
 */
import * as path from 'node:path'
import * as os from 'node:os'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { workerEntry } from '../runtime.js'
import * as E from 'fp-ts/lib/Either.js'
import type { Command } from 'commander'
import { Piscina } from 'piscina'
import { InputError } from './inputs.js'
import { progressBar } from './progress.js'
import { expandExperiment, parseExperimentText, parseShard, type Experiment, type Scenario, type Shard } from '../plan/experiment.js'
import { scenarioCost, shardByCost, shardFromEnv, shardOutDir } from '../plan/shard.js'
import { k8sJob, slurmScript, type EmitPlan } from '../cluster/emit.js'
import { PROJECT_ROOT } from '../runtime.js'
import type { ScenarioResult } from '../plan/sweep.js'
import { sweepReportFiles } from '../report/sweep-page.js'
import { writeFolderAtomically } from '../report/write-folder.js'
import { decodeFleetSpec } from '../spec/fleet.js'
import { policyParams } from '../engine/validate-policy.js'
import { parseSize } from '../units.js'
import { fleetJson, loadPolicyCached, loadTraceCached, policyRef, resolveRef, runTask, type WorkerTask } from './workers/scenario-worker.js'
import { DEFAULT_LIMITS, readPolicyLimits, remotePolicy, runInWorker, type PolicyLimits, type PolicyMeta } from './confine.js'
import { probeModule } from './user-policies.js'
import { depthProblem, guardJsonDepth } from './json-depth.js'
import type { ScenarioTask } from './workers/policy-worker.js'
import { headerOf } from '../engine/replay.js'
import { finishRun, partialSink } from '../metrics/index.js'
import { combinations } from '../plan/experiment.js'
import { guardOut } from './out-guard.js'

export interface SweepFlags {
  readonly out?: string
  readonly workers?: string
  readonly shard?: string
  /** With --shard auto where the engine gives no count (Kubernetes, AWS Batch). */
  readonly shardCount?: string
  /** Write a batch job for the sweep instead of running it. */
  readonly emit?: string
  readonly emitFile?: string
  /** Shards of an emitted job. */
  readonly shards?: string
  readonly cpusPerTask?: string
  readonly image?: string
  readonly claim?: string
  readonly cache?: boolean
  /** Policy modules of the user's, added to the experiment's policies (paths from the working folder). */
  readonly policy?: ReadonlyArray<string>
  /** Tests: force the progress bar off. */
  readonly quiet?: boolean
  readonly policyTimeout?: string
  readonly policyMemory?: string
}

export const WORKER_ENTRY = workerEntry('scenario-worker')

export const readExperiment = (file: string): Experiment => {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new InputError([`cannot read experiment "${file}": ${(err as Error).message}`])
  }
  const deep = depthProblem(file, text)
  if (deep !== undefined) throw new InputError([deep])
  const x = parseExperimentText(text, file)
  if (E.isLeft(x)) throw new InputError(x.left)
  return x.right
}

/** A policy reference that names a module (a path), not a built-in policy. */
const isModuleRef = (ref: string): boolean => /[./\\]/.test(ref)

/** What the main process knows of each user module of an experiment (they load only on workers). */
export type ModuleMetas = ReadonlyMap<string, PolicyMeta>

/**
 * Check everything the scenarios need, short of importing the traces. User modules are loaded and
 * their params decoded on a worker (confine.ts); their descriptions are returned.
 */
export const checkExperiment = async (x: Experiment, baseDir: string, limits: PolicyLimits = DEFAULT_LIMITS): Promise<ModuleMetas> => {
  const metas = new Map<string, PolicyMeta>()
  const errors: string[] = []
  for (const t of x.traces) if (!existsSync(resolveRef(baseDir, t))) errors.push(`trace "${t}": no such file or folder (relative paths are read from the experiment file's folder, ${baseDir})`)
  for (const s of x.hostSizes) {
    const mib = parseSize(s)
    if (E.isRight(mib) && x.hostReserveMiB >= mib.right) errors.push(`hostReserve must be below every host size, and ${s} is not above it`)
  }
  for (const ref of x.policies) {
    if (isModuleRef(ref)) {
      const file = policyRef(baseDir, ref)
      const decode = async (combos: ReadonlyArray<Readonly<Record<string, unknown>>>) => probeModule(file, { list: combos }, limits)
      let combos = combinations(x.params[ref] ?? {})
      let probe = await decode(combos)
      if (E.isRight(probe) && x.params[ref] === undefined && x.params[probe.right.meta.name] !== undefined) {
        combos = combinations(x.params[probe.right.meta.name])
        probe = await decode(combos)
      }
      if (E.isLeft(probe)) errors.push(...probe.left)
      else {
        metas.set(ref, probe.right.meta)
        probe.right.decoded.forEach((d, i) => {
          if (!d.ok) errors.push(...d.errors.map((e) => `${e} (in ${JSON.stringify(combos[i])})`))
        })
      }
      continue
    }
    try {
      const policy = await loadPolicyCached(policyRef(baseDir, ref))
      const axes = x.params[ref] ?? x.params[policy.name] ?? {}
      for (const combo of combinations(axes)) {
        const d = policyParams(policy, combo)
        if (E.isLeft(d)) errors.push(...d.left.map((e) => `${e} (in ${JSON.stringify(combo)})`))
      }
    } catch (err) {
      errors.push(...(err as Error).message.split('\n'))
    }
  }
  for (const combo of combinations(x.vmSettings)) {
    try {
      const { json, source } = fleetJson(x, baseDir, combo)
      const d = decodeFleetSpec(json, source)
      if (E.isLeft(d)) errors.push(...d.left)
    } catch (err) {
      errors.push(...(err as Error).message.split('\n'))
    }
  }
  if (errors.length > 0) throw new InputError([...new Set(errors)])
  return metas
}

/**
 * A scenario's relative cost, to hand the longest to the pool first (longest-processing-time order:
 * otherwise a slow scenario taken last keeps one worker busy while the others idle): its policy's
 * control steps per 5-minute tick (ESX-like policies act every 60 s, five times the work).
 */
export const scenarioWeight = async (t: WorkerTask, metas: ModuleMetas = new Map()): Promise<number> => {
  const policy = metas.get(t.scenario.policy) ?? (await loadPolicyCached(policyRef(t.baseDir, t.scenario.policy)))
  return policy.controlSeconds !== undefined && policy.controlSeconds > 0 ? Math.max(1, 300 / policy.controlSeconds) : 1
}

/** Bytes a trace takes on disk, gzip counted ten-fold: a rough bound on what a worker holds of it. */
const traceBytes = (file: string): number => {
  try {
    const st = statSync(file)
    const size = (f: string, n: number) => (f.endsWith('.gz') ? 10 * n : n)
    if (!st.isDirectory()) return size(file, st.size)
    return readdirSync(file).reduce((s, f) => {
      const q = path.join(file, f)
      const e = statSync(q)
      return s + (e.isFile() ? size(q, e.size) : 0)
    }, 0)
  } catch {
    return 0
  }
}

/** The result of a scenario whose worker failed (time, memory, exit, crash): stopped at once, the sentence as its error. */
const stoppedScenario = async (t: WorkerTask, meta: PolicyMeta, error: string): Promise<ScenarioResult> => {
  const { experiment: x, baseDir, scenario: sc } = t
  const trace = await loadTraceCached(resolveRef(baseDir, sc.trace))
  const size = parseSize(sc.hostSize)
  const host = { physicalMiB: E.isRight(size) ? size.right : 0, reserveMiB: x.hostReserveMiB, vmOverheadMiB: x.vmOverheadMiB }
  const policy = remotePolicy(meta, sc.policy)
  const header = headerOf({ trace, host, vms: [], policy, params: sc.params, seed: sc.seed })
  const metrics = finishRun(header, partialSink(header).result(), error)
  const result: ScenarioResult = {
    scenario: sc,
    policyName: meta.name,
    fullParams: sc.params,
    placement: 'none',
    placementRefused: 0,
    vmsPerHost: [],
    meets: false,
    violations: [error],
    worstUse: null,
    bindingFigure: null,
    metrics,
  }
  return JSON.parse(JSON.stringify(result)) as ScenarioResult
}

/**
 * Scenarios whose policy is a user's module: each on a fresh worker thread within the limits,
 * `workers` at a time. One that fails stops alone (its result says why); the others complete.
 */
const runConfinedTasks = async (
  tasks: ReadonlyArray<{ readonly index: number; readonly task: WorkerTask }>,
  workers: number,
  metas: ModuleMetas,
  limits: PolicyLimits,
  onDone: () => void,
): Promise<ReadonlyArray<readonly [number, ScenarioResult]>> => {
  const out: Array<readonly [number, ScenarioResult]> = []
  let next = 0
  const lane = async (): Promise<void> => {
    while (next < tasks.length) {
      const { index, task } = tasks[next++]
      const ref = task.scenario.policy
      const meta = metas.get(ref) as PolicyMeta
      // Workers side by side share the process's memory: each one's watch allows for the others.
      const traceMiB = (2 * traceBytes(resolveRef(task.baseDir, task.scenario.trace))) / (1024 * 1024)
      const extra = traceMiB + (Math.min(workers, tasks.length) - 1) * (limits.memoryMiB + traceMiB)
      const o = await runInWorker<ScenarioResult>({ kind: 'scenario', task } satisfies ScenarioTask, `scenario ${task.scenario.id}: policy "${meta.name}" (${ref})`, limits, extra)
      out.push([index, o.ok ? o.value : await stoppedScenario(task, meta, o.error)])
      onDone()
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(workers, tasks.length)) }, lane))
  return out
}

/** Run tasks serially in this process or on a piscina pool, heaviest first; results in task order. */
export const runTasks = async (
  all: ReadonlyArray<WorkerTask>,
  workers: number,
  onDone: () => void,
  metas: ModuleMetas = new Map(),
  limits: PolicyLimits = DEFAULT_LIMITS,
): Promise<ReadonlyArray<ScenarioResult>> => {
  // User modules' scenarios run confined; built-in policies' as before (serial here, or the pool).
  const confined = all.map((task, index) => ({ index, task })).filter((t) => metas.has(t.task.scenario.policy))
  if (confined.length > 0) {
    const trusted = all.map((task, index) => ({ index, task })).filter((t) => !metas.has(t.task.scenario.policy))
    const a = await runTasks(trusted.map((t) => t.task), workers, onDone)
    const b = await runConfinedTasks(confined, workers, metas, limits, onDone)
    const out = new Array<ScenarioResult>(all.length)
    trusted.forEach((t, i) => (out[t.index] = a[i]))
    for (const [i, r] of b) out[i] = r
    return out
  }
  const tasks = all
  if (tasks.length === 0) return []
  if (workers <= 1) {
    const out: ScenarioResult[] = []
    for (const t of tasks) {
      out.push(await runTask(t))
      onDone()
    }
    return out
  }
  // stricterFIFO: by default piscina sends a task it cannot hand to a busy pool to the back of its
  // queue, one per dispatch, which scrambles the heaviest-first order below.
  const pool = new Piscina({ filename: WORKER_ENTRY, minThreads: workers, maxThreads: workers, idleTimeout: 1000, stricterFIFO: true })
  try {
    // Work grows with the trace too (VMs x ticks): its size on disk stands for it, so a long trace's
    // scenario is not left for last behind short ones of the same policy.
    const bytes = new Map<string, number>()
    const size = (t: WorkerTask): number => {
      const file = resolveRef(t.baseDir, t.scenario.trace)
      if (!bytes.has(file)) bytes.set(file, Math.max(1, traceBytes(file)))
      return bytes.get(file) as number
    }
    const weights = await Promise.all(tasks.map(async (t) => (await scenarioWeight(t)) * size(t)))
    // Stable: equal weights keep the experiment's order.
    const order = tasks.map((_, i) => i).sort((a, b) => weights[b] - weights[a] || a - b)
    const out = new Array<ScenarioResult>(tasks.length)
    await Promise.all(
      order.map(async (i) => {
        out[i] = (await pool.run(tasks[i])) as ScenarioResult
        onDone()
      }),
    )
    return out
  } finally {
    await pool.destroy()
  }
}

/** `--shard k/N` or `--shard auto` (the batch engine's environment); undefined without --shard. */
const readShardFlag = (flags: SweepFlags): Shard | undefined => {
  if (flags.shard === undefined) {
    if (flags.shardCount !== undefined) throw new InputError(['--shard-count: only with --shard auto'])
    return undefined
  }
  if (flags.shard.trim() === 'auto') {
    const s = shardFromEnv(process.env, flags.shardCount)
    if (E.isLeft(s)) throw new InputError(s.left)
    return { k: s.right.k, n: s.right.n }
  }
  if (flags.shardCount !== undefined) throw new InputError(['--shard-count: only with --shard auto (--shard k/N names the count)'])
  const s = parseShard(flags.shard)
  if (E.isLeft(s)) throw new InputError([`${s.left} or auto`])
  return s.right
}

/**
 * Each scenario's estimated cost (plan/shard.ts): its policy's control steps per tick x the VMs x
 * ticks of its trace. Traces are read here (once per process, cached), so only when sharding.
 */
const scenarioCosts = async (baseDir: string, scenarios: ReadonlyArray<Scenario>, metas: ModuleMetas): Promise<ReadonlyArray<number>> => {
  const traces = new Map<string, { step: number; ticks: number; vmCount: number }>()
  for (const ref of new Set(scenarios.map((s) => s.trace))) {
    const t = await loadTraceCached(resolveRef(baseDir, ref))
    traces.set(ref, { step: t.step, ticks: t.ticks, vmCount: t.vms.length })
  }
  const control = new Map<string, number | undefined>()
  for (const ref of new Set(scenarios.map((s) => s.policy)))
    control.set(ref, metas.get(ref)?.controlSeconds ?? (metas.has(ref) ? undefined : (await loadPolicyCached(policyRef(baseDir, ref))).controlSeconds))
  return scenarios.map((s) => scenarioCost(control.get(s.policy), traces.get(s.trace) as { step: number; ticks: number; vmCount: number }))
}

export const runSweep = async (experimentFile: string, flags: SweepFlags): Promise<{ out: string; dir: string; results: ReadonlyArray<ScenarioResult> }> => {
  const read = readExperiment(experimentFile)
  // --policy modules join the experiment's policy axis; absolute, so they resolve from here.
  const x = flags.policy?.length ? { ...read, policies: [...read.policies, ...flags.policy.map((p) => path.resolve(p))] } : read
  const baseDir = path.dirname(path.resolve(experimentFile))
  const emitOnly = (['emitFile', 'shards', 'cpusPerTask', 'image', 'claim'] as const).filter((k) => flags[k] !== undefined)
  if (emitOnly.length > 0) throw new InputError([`${emitOnly.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')}: only with --emit slurm|k8s`])
  const shard = readShardFlag(flags)
  const all = expandExperiment(x)
  const limits = readPolicyLimits(flags)
  const stem = path.basename(experimentFile).replace(/\.json$/i, '')
  const outDir = flags.out === undefined ? path.join('reports', `sweep-${stem}${shard === undefined ? '' : `-shard-${shard.k}-of-${shard.n}`}`) : shard === undefined ? flags.out : shardOutDir(flags.out, shard)
  if (x.fleet !== null) guardJsonDepth([{ option: 'fleet', arg: resolveRef(baseDir, x.fleet) }])
  guardOut(outDir, [
    { what: 'experiment', path: experimentFile },
    ...x.traces.map((t) => ({ what: 'trace', path: resolveRef(baseDir, t) })),
    ...(x.fleet === null ? [] : [{ what: 'fleet spec', path: resolveRef(baseDir, x.fleet) }]),
    ...x.policies.filter((p) => /[./\\]/.test(p)).map((p) => ({ what: 'policy module', path: policyRef(baseDir, p) })),
  ])
  const metas = await checkExperiment(x, baseDir, limits)
  const mine = shard === undefined ? all : shardByCost(all, await scenarioCosts(baseDir, all, metas), shard)
  const requested = flags.workers === undefined ? Math.max(1, Math.min(os.availableParallelism(), mine.length)) : Number(flags.workers)
  if (!Number.isInteger(requested) || requested < 1) throw new InputError([`--workers: expected a whole number >= 1, found "${flags.workers}"`])
  // More threads than the machine has CPUs only adds memory and contention.
  const workers = Math.min(requested, os.availableParallelism())
  const bar = progressBar('sweep', mine.length, flags.quiet ? false : undefined)
  const results = await runTasks(mine.map((scenario) => ({ experiment: x, baseDir, scenario })), workers, () => bar.tick(), metas, limits)
  bar.stop()
  const dir = await writeFolderAtomically(outDir, sweepReportFiles(x, all.length, results, shard), `--out ${outDir}`)
  const met = results.filter((r) => r.meets).length
  const lines = [
    `${mine.length} of ${all.length} scenarios run${shard === undefined ? '' : ` (shard ${shard.k}/${shard.n})`} on ${Math.min(workers, mine.length)} worker${workers === 1 ? '' : 's'}; ${met} meet the service level.`,
    ...results.map((r) => `  ${r.scenario.id}  ${r.policyName}  ${r.scenario.hostSize} x${r.scenario.hosts}  ${JSON.stringify(r.scenario.params)} ${JSON.stringify(r.scenario.vmSettings)} seed ${r.scenario.seed}: ${r.meets ? 'meets' : r.violations.join('; ')}`),
    '',
    `Results: ${path.join(outDir, 'results.csv')}`,
    `Report: ${path.join(outDir, 'index.html')}`,
  ]
  return { out: lines.join('\n'), dir, results }
}

/** A whole number >= 1 from a flag, or a sentence naming it. */
const wholeFlag = (name: string, v: string | undefined, fallback: number): number => {
  if (v === undefined) return fallback
  const n = Number(v)
  if (!/^\s*\d+\s*$/.test(v) || !Number.isInteger(n) || n < 1) throw new InputError([`${name}: expected a whole number >= 1, found "${v}"`])
  return n
}

/** Write a job file atomically; a file there is replaced only if memreplay emitted it (it says so). */
const writeJobFile = (file: string, text: string): void => {
  if (existsSync(file)) {
    let have = ''
    try {
      have = readFileSync(file, 'utf8')
    } catch (err) {
      throw new InputError([`--emit-file ${file}: exists and cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); nothing was written`])
    }
    if (!emittedByUs(have)) throw new InputError([`--emit-file ${file}: a file of yours is there (not one memreplay emitted); nothing was written: choose another --emit-file`])
  }
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true })
  const tmp = `${file}.tmp-${process.pid}`
  writeFileSync(tmp, text, { flag: 'wx', mode: text.startsWith('#!') ? 0o755 : 0o644 })
  renameSync(tmp, file)
}

/** A job file memreplay emitted (so emitting again may replace it): the script's own line, or the Job's annotation. */
const emittedByUs = (text: string): boolean => {
  if (/^# Written by `memreplay sweep --emit slurm`/m.test(text)) return true
  try {
    const j = JSON.parse(text) as { metadata?: { annotations?: Record<string, unknown> } }
    return j.metadata?.annotations?.['memreplay/emitted-by'] === 'memreplay sweep --emit k8s'
  } catch {
    return false
  }
}

/**
 * `sweep <experiment> --emit slurm|k8s`: check the experiment as a run would, then write the job
 * (cluster/emit.ts) instead of running it. Slurm: absolute paths (a shared filesystem), the CLI
 * from this checkout. Kubernetes: paths as the pod sees them (the image's /app, the volume's /shared).
 */
export const emitSweep = async (experimentFile: string, flags: SweepFlags): Promise<{ out: string; file: string }> => {
  const engine = flags.emit
  if (engine !== 'slurm' && engine !== 'k8s') throw new InputError([`--emit: expected slurm or k8s, found "${engine}"`])
  if (flags.shard !== undefined) throw new InputError(['--emit: every task of the job picks its own shard (--shard auto); leave --shard out'])
  const read = readExperiment(experimentFile)
  const x = flags.policy?.length ? { ...read, policies: [...read.policies, ...flags.policy.map((p) => path.resolve(p))] } : read
  const baseDir = path.dirname(path.resolve(experimentFile))
  await checkExperiment(x, baseDir, readPolicyLimits(flags))
  const count = expandExperiment(x).length
  const shards = wholeFlag('--shards', flags.shards, Math.min(count, 4))
  if (shards > count) throw new InputError([`--shards: ${shards} shards for ${count} scenarios would leave some empty: give at most ${count}`])
  const cpusPerTask = wholeFlag('--cpus-per-task', flags.cpusPerTask, 1)
  const stem = path.basename(experimentFile).replace(/\.json$/i, '')
  const passOn = [
    ...(flags.policyTimeout === undefined ? [] : ['--policy-timeout', flags.policyTimeout]),
    ...(flags.policyMemory === undefined ? [] : ['--policy-memory', flags.policyMemory]),
    ...(flags.cache === false ? ['--no-cache'] : []),
  ]
  const file = flags.emitFile ?? path.join('reports', `sweep-${stem}.${engine === 'slurm' ? 'sbatch' : 'k8s.json'}`)
  let text: string
  let note: string
  if (engine === 'slurm') {
    const out = path.resolve(flags.out ?? path.join('reports', `sweep-${stem}`))
    const plan: EmitPlan = {
      stem,
      experiment: path.resolve(experimentFile),
      scenarioCount: count,
      shards,
      cpusPerTask,
      out,
      shardsDir: `${out}-shards`,
      sweepArgs: [...(flags.policy ?? []).flatMap((p) => ['--policy', path.resolve(p)]), ...passOn],
    }
    guardOut(out, [{ what: 'experiment', path: experimentFile }])
    const r = slurmScript({ ...plan, projectDir: PROJECT_ROOT })
    if (!r.ok) throw new InputError(r.errors)
    text = r.text
    // Shards of an earlier run there would be merged by the first task to find them all.
    const earlier = existsSync(plan.shardsDir) ? readdirSync(plan.shardsDir).filter((f) => /^shard-\d+-of-\d+$/.test(f)) : []
    if (earlier.length > 0) throw new InputError([`--out ${out}: ${plan.shardsDir} holds shard folders of an earlier run (${earlier.slice(0, 3).join(', ')}${earlier.length > 3 ? ', ...' : ''}); choose another --out, or move them away`])
    // Slurm opens each task's log before the script runs: its folder must exist.
    mkdirSync(plan.shardsDir, { recursive: true })
    note = `Submit it: sbatch ${file} (sbatch --wait to block until the merge is done). Shards: ${plan.shardsDir}; merged: ${out}`
  } else {
    // The pod sees the checkout at /app (Dockerfile) and the shared volume at /shared.
    const inPod = (p: string, what: string): string => {
      const rel = path.relative(PROJECT_ROOT, path.resolve(p))
      if (rel.startsWith('..') || path.isAbsolute(rel)) throw new InputError([`--emit k8s: the ${what} ${p} is outside the project, so not in the image: copy it (and what it reads) into the project before building the image`])
      return rel.split(path.sep).join('/')
    }
    const out = flags.out ?? `/shared/sweep-${stem}`
    if (!out.startsWith('/shared/')) throw new InputError([`--emit k8s: --out must be on the shared volume, under /shared/ (found "${out}")`])
    const plan: EmitPlan = {
      stem,
      experiment: inPod(experimentFile, 'experiment'),
      scenarioCount: count,
      shards,
      cpusPerTask,
      out,
      shardsDir: `${out}-shards`,
      sweepArgs: [...(flags.policy ?? []).flatMap((p) => ['--policy', inPod(p, 'policy module')]), ...passOn],
    }
    const r = k8sJob({ ...plan, image: flags.image ?? 'memreplay:latest', claim: flags.claim ?? 'memreplay-shared' })
    if (!r.ok) throw new InputError(r.errors)
    text = `${JSON.stringify(r.job, null, 2)}\n`
    note = `Apply it: kubectl apply -f ${file} (the image ${flags.image ?? 'memreplay:latest'} built from the Dockerfile; the claim ${flags.claim ?? 'memreplay-shared'} ReadWriteMany). Merged: ${out}`
  }
  writeJobFile(file, text)
  return { out: `${count} scenarios in ${shards} shards, balanced by estimated cost.\nJob: ${file}\n${note}`, file }
}

export const registerSweep = (program: Command): void => {
  program
    .command('sweep')
    .description('run every combination of an experiment file (traces x host sizes x host counts x policies x params x VM settings x seeds)')
    .argument('<experiment>', 'experiment JSON (see examples/sweep-buffer.json)')
    .option('--out <dir>', 'output folder (default reports/sweep-<experiment name>)')
    .option('--workers <n>', 'worker threads (default and at most: the CPUs, at most one per scenario; 1 = serial in this process, except --policy modules, always on workers)')
    .option('--shard <k/N|auto>', 'run only shard k of N (scenarios dealt by estimated cost, the same split everywhere); auto: from the batch engine (SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX); combine shards with merge. --out may hold {k} and {n}')
    .option('--shard-count <N>', 'with --shard auto where the engine gives only an index (Kubernetes, AWS Batch; also MEMREPLAY_SHARD_COUNT)')
    .option('--emit <slurm|k8s>', 'write a batch job that runs the sweep in shards and merges them (an sbatch script, or a Kubernetes Indexed Job as JSON), instead of running it')
    .option('--emit-file <file>', 'where --emit writes the job (default reports/sweep-<experiment>.sbatch or .k8s.json)')
    .option('--shards <N>', 'with --emit: array tasks / completions (default the scenario count, at most 4)')
    .option('--cpus-per-task <n>', 'with --emit: CPUs (and workers) per task (default 1)')
    .option('--image <ref>', 'with --emit k8s: the container image (default memreplay:latest, built from the Dockerfile)')
    .option('--claim <name>', 'with --emit k8s: the PersistentVolumeClaim for outputs, mounted at /shared (default memreplay-shared)')
    .option('--policy <module>', 'a policy module of your own (.ts or .js), added to the experiment\'s policies; repeatable', (v: string, acc: string[] = []) => [...acc, v])
    .option('--policy-timeout <seconds>', `wall-clock limit for each scenario of a --policy module (default ${DEFAULT_LIMITS.timeoutSeconds}; also MEMREPLAY_POLICY_TIMEOUT)`)
    .option('--policy-memory <MiB>', `heap limit for each scenario of a --policy module (default ${DEFAULT_LIMITS.memoryMiB}; also MEMREPLAY_POLICY_MEMORY)`)
    .option('--no-cache', 'parse the trace, neither reading nor writing the trace cache (.cache/traces; also MEMREPLAY_NO_CACHE=1)')
    .action(async (file: string, flags: SweepFlags) => {
      if (flags.cache === false) process.env.MEMREPLAY_NO_CACHE = '1' // workers inherit it
      const { out } = flags.emit === undefined ? await runSweep(file, flags) : await emitSweep(file, flags)
      process.stdout.write(out + '\n')
    })
}

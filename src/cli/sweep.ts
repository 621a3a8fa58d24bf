/**
 * `memreplay sweep <experiment.json>`: every scenario of an experiment (plan/experiment.ts), in
 * parallel on worker threads (piscina), or a deterministic shard of them (--shard k/N); writes
 * results.csv, results.json and one folder per scenario, atomically. Results are identical whatever
 * the number of workers (same function, results ordered by scenario index, JSON-normalized).
 * Everything the scenarios need is checked before the first one runs.
 */
import * as path from 'node:path'
import * as os from 'node:os'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import * as E from 'fp-ts/lib/Either.js'
import type { Command } from 'commander'
import { Piscina } from 'piscina'
import { InputError } from './inputs.js'
import { progressBar } from './progress.js'
import { expandExperiment, parseExperimentText, parseShard, shardOf, type Experiment, type Shard } from '../plan/experiment.js'
import { sweepFiles, type ScenarioResult } from '../plan/sweep.js'
import { writeFolderAtomically } from '../report/write-folder.js'
import { decodeFleetSpec } from '../spec/fleet.js'
import { policyParams } from '../engine/validate-policy.js'
import { parseSize } from '../units.js'
import { fleetJson, loadPolicyCached, policyRef, resolveRef, runTask, type WorkerTask } from './workers/scenario-worker.js'
import { combinations } from '../plan/experiment.js'
import { guardOut } from './out-guard.js'

export interface SweepFlags {
  readonly out?: string
  readonly workers?: string
  readonly shard?: string
  readonly cache?: boolean
  /** Policy modules of the user's, added to the experiment's policies (paths from the working folder). */
  readonly policy?: ReadonlyArray<string>
  /** Tests: force the progress bar off. */
  readonly quiet?: boolean
}

export const WORKER_ENTRY = fileURLToPath(new URL('./workers/entry.mjs', import.meta.url))

export const readExperiment = (file: string): Experiment => {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new InputError([`cannot read experiment "${file}": ${(err as Error).message}`])
  }
  const x = parseExperimentText(text, file)
  if (E.isLeft(x)) throw new InputError(x.left)
  return x.right
}

/** Check everything the scenarios need, short of importing the traces. */
export const checkExperiment = async (x: Experiment, baseDir: string): Promise<void> => {
  const errors: string[] = []
  for (const t of x.traces) if (!existsSync(resolveRef(baseDir, t))) errors.push(`trace "${t}": no such file or folder (relative paths are read from the experiment file's folder, ${baseDir})`)
  for (const s of x.hostSizes) {
    const mib = parseSize(s)
    if (E.isRight(mib) && x.hostReserveMiB >= mib.right) errors.push(`hostReserve must be below every host size, and ${s} is not above it`)
  }
  for (const ref of x.policies) {
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
}

/**
 * A scenario's relative cost, to hand the longest to the pool first (longest-processing-time order:
 * otherwise a slow scenario taken last keeps one worker busy while the others idle): its policy's
 * control steps per 5-minute tick (ESX-like policies act every 60 s, five times the work).
 */
export const scenarioWeight = async (t: WorkerTask): Promise<number> => {
  const policy = await loadPolicyCached(policyRef(t.baseDir, t.scenario.policy))
  return policy.controlSeconds !== undefined && policy.controlSeconds > 0 ? Math.max(1, 300 / policy.controlSeconds) : 1
}

/** Run tasks serially in this process or on a piscina pool, heaviest first; results in task order. */
export const runTasks = async (tasks: ReadonlyArray<WorkerTask>, workers: number, onDone: () => void): Promise<ReadonlyArray<ScenarioResult>> => {
  if (workers <= 1) {
    const out: ScenarioResult[] = []
    for (const t of tasks) {
      out.push(await runTask(t))
      onDone()
    }
    return out
  }
  const pool = new Piscina({ filename: WORKER_ENTRY, minThreads: workers, maxThreads: workers, idleTimeout: 1000 })
  try {
    const weights = await Promise.all(tasks.map(scenarioWeight))
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

export const runSweep = async (experimentFile: string, flags: SweepFlags): Promise<{ out: string; dir: string; results: ReadonlyArray<ScenarioResult> }> => {
  const read = readExperiment(experimentFile)
  // --policy modules join the experiment's policy axis; absolute, so they resolve from here.
  const x = flags.policy?.length ? { ...read, policies: [...read.policies, ...flags.policy.map((p) => path.resolve(p))] } : read
  const baseDir = path.dirname(path.resolve(experimentFile))
  let shard: Shard | undefined
  if (flags.shard !== undefined) {
    const s = parseShard(flags.shard)
    if (E.isLeft(s)) throw new InputError([s.left])
    shard = s.right
  }
  const all = expandExperiment(x)
  const mine = shard === undefined ? all : shardOf(all, shard)
  const workers =
    flags.workers === undefined ? Math.max(1, Math.min(os.availableParallelism(), mine.length)) : Number(flags.workers)
  if (!Number.isInteger(workers) || workers < 1) throw new InputError([`--workers: expected a whole number >= 1, found "${flags.workers}"`])
  const stem = path.basename(experimentFile).replace(/\.json$/i, '')
  const outDir = flags.out ?? path.join('reports', `sweep-${stem}${shard === undefined ? '' : `-shard-${shard.k}-of-${shard.n}`}`)
  guardOut(outDir, [
    { what: 'experiment', path: experimentFile },
    ...x.traces.map((t) => ({ what: 'trace', path: resolveRef(baseDir, t) })),
    ...(x.fleet === null ? [] : [{ what: 'fleet spec', path: resolveRef(baseDir, x.fleet) }]),
    ...x.policies.filter((p) => /[./\\]/.test(p)).map((p) => ({ what: 'policy module', path: policyRef(baseDir, p) })),
  ])
  await checkExperiment(x, baseDir)
  const bar = progressBar('sweep', mine.length, flags.quiet ? false : undefined)
  const results = await runTasks(mine.map((scenario) => ({ experiment: x, baseDir, scenario })), workers, () => bar.tick())
  bar.stop()
  const dir = await writeFolderAtomically(outDir, sweepFiles(x, all.length, results, shard), `--out ${outDir}`)
  const met = results.filter((r) => r.meets).length
  const lines = [
    `${mine.length} of ${all.length} scenarios run${shard === undefined ? '' : ` (shard ${shard.k}/${shard.n})`} on ${Math.min(workers, mine.length)} worker${workers === 1 ? '' : 's'}; ${met} meet the service level.`,
    ...results.map((r) => `  ${r.scenario.id}  ${r.policyName}  ${r.scenario.hostSize} x${r.scenario.hosts}  ${JSON.stringify(r.scenario.params)} ${JSON.stringify(r.scenario.vmSettings)} seed ${r.scenario.seed}: ${r.meets ? 'meets' : r.violations.join('; ')}`),
    '',
    `Results: ${path.join(outDir, 'results.csv')}`,
  ]
  return { out: lines.join('\n'), dir, results }
}

export const registerSweep = (program: Command): void => {
  program
    .command('sweep')
    .description('run every combination of an experiment file (traces x host sizes x host counts x policies x params x VM settings x seeds)')
    .argument('<experiment>', 'experiment JSON (see examples/sweep-buffer.json)')
    .option('--out <dir>', 'output folder (default reports/sweep-<experiment name>)')
    .option('--workers <n>', 'worker threads (default: CPUs, at most one per scenario; 1 = serial in this process)')
    .option('--shard <k/N>', 'run only scenarios whose index mod N is k-1; combine shards with merge')
    .option('--policy <module>', 'a policy module of your own (.ts or .js), added to the experiment\'s policies; repeatable', (v: string, acc: string[] = []) => [...acc, v])
    .option('--no-cache', 'parse the trace, neither reading nor writing the trace cache (.cache/traces; also MEMREPLAY_NO_CACHE=1)')
    .action(async (file: string, flags: SweepFlags) => {
      if (flags.cache === false) process.env.MEMREPLAY_NO_CACHE = '1' // workers inherit it
      const { out } = await runSweep(file, flags)
      process.stdout.write(out + '\n')
    })
}

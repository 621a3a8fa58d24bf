/**
 * `memreplay compare`: replay one trace against several policies on one host and write the report
 * folder (index.html, summary.md, metrics.json, series CSVs, charts). `--sample` runs the bundled
 * synthetic fleet (what `npm start` does).
 */
import * as path from 'node:path'
import type { Command } from 'commander'
import { foldRun, reportOfFolds, type PolicyRun, type RunFold } from '../report/comparison.js'
import type { Trace } from '../trace/trace.js'
import { headerOf } from '../engine/replay.js'
import { finishRun, partialSink } from '../metrics/index.js'
import { workerEntry } from '../runtime.js'
import { poolSize, runAll, sharedProgress, shareTrace, stepsPerTick, taskRunner } from './pool.js'
import { compareRun, type CompareTask } from './workers/compare-worker.js'
import { writeReportFiles } from '../report/files.js'
import { startChartThread, type ChartThread } from '../report/render.js'
import { verdictOfReport, verdictText } from '../report/verdict.js'
import { summarizeComparison } from '../metrics/compare.js'
import { policyNames, policyOptions, readFleet, readHost, readParamsArg, readTrace, readWorldArg } from './inputs.js'
import { DEFAULT_LIMITS, deepFreeze, readPolicyLimits } from './confine.js'
import { readConfinedPolicies, replayConfined } from './user-policies.js'
import { guardJsonDepth } from './json-depth.js'
import { traceOptions } from './trace-options.js'
import { progressBar } from './progress.js'
import { SAMPLE } from './sample.js'
import { guardOut } from './out-guard.js'
import { formatTable, terminalTable } from './table.js'
import { formatSize } from '../units.js'
import { builtInPolicy } from '../../policies/index.js'
import type { AnyPolicy } from '../engine/policy.js'

export interface CompareFlags {
  readonly trace?: string
  readonly host?: string
  readonly fleet?: string
  readonly policies?: string
  readonly policy?: ReadonlyArray<string>
  readonly params?: string
  readonly world?: string
  readonly out?: string
  readonly seed?: string
  readonly format?: string
  readonly map?: string
  readonly separator?: string
  readonly maxGap?: string
  readonly cache?: boolean
  readonly sample?: boolean
  readonly title?: string
  readonly policyTimeout?: string
  readonly policyMemory?: string
  /** Write each chart as PNG too (summary.md then links the PNGs). */
  readonly png?: boolean
  /** Threads replaying built-in policies side by side (default: one per core, at most one per policy; 1: serially, in this thread). */
  readonly workers?: string
}

/** The fold of a run whose worker thread failed (not the policy: a crash, memory): stopped at its start, the sentence as its error. */
const failedFold = (t: CompareTask, error: string): RunFold => {
  const policy = builtInPolicy(t.policy) as AnyPolicy
  const header = headerOf({ trace: t.trace, host: t.host, vms: t.vms, policy, params: t.params, seed: t.seed })
  const partial = partialSink(header).result()
  return foldRun({ label: t.label ?? t.policy, header, partial, metrics: finishRun(header, partial, error), error })
}

/**
 * The comparison. `stopped` runs (a rule broken, a limit reached) are in the report, marked; when
 * every policy stopped the command exits non-zero (the action below).
 */
export const runCompare = async (flags: CompareFlags): Promise<{ out: string; dir: string; stopped: number; runs: number }> => {
  // Vega loads on the chart thread (the other core) while the trace is read and replayed.
  const charts = startChartThread()
  try {
    return await compareWith(flags, charts)
  } finally {
    await charts.close()
  }
}

const compareWith = async (flags: CompareFlags, charts: ChartThread): Promise<{ out: string; dir: string; stopped: number; runs: number }> => {
  const tracePath = flags.trace ?? (flags.sample ? SAMPLE.trace : undefined)
  const hostArg = flags.host ?? (flags.sample ? SAMPLE.host : undefined)
  if (tracePath === undefined) throw new Error('--trace <path> is required (or --sample for the bundled sample)')
  if (hostArg === undefined) throw new Error('--host <size or host spec> is required, e.g. --host 128GiB')
  const fleetPath = flags.fleet ?? (flags.sample && flags.trace === undefined ? SAMPLE.fleet : undefined)
  const outDir = flags.out ?? (flags.sample ? SAMPLE.out : path.join('reports', path.basename(path.resolve(tracePath)).replace(/\.(csv(\.gz)?)$/i, '')))
  const seed = flags.seed === undefined ? 1 : Number(flags.seed)
  if (!Number.isInteger(seed)) throw new Error(`--seed: expected a whole number, found "${flags.seed}"`)
  const names = policyNames(flags)
  // Everything is read and checked before the first replay, the output path first.
  guardOut(outDir, [
    { what: 'trace', path: tracePath },
    { what: 'host spec', path: hostArg },
    { what: 'fleet spec', path: fleetPath },
    { what: '--params file', path: flags.params },
    { what: '--world file', path: flags.world },
    ...(flags.policy ?? []).map((p) => ({ what: 'policy module', path: p })),
  ])
  guardJsonDepth([
    { option: '--host', arg: hostArg },
    { option: '--fleet', arg: fleetPath },
    { option: '--params', arg: flags.params },
    { option: '--world', arg: flags.world },
  ])
  const limits = readPolicyLimits(flags)
  // What every policy is given is frozen: a policy that writes into it is stopped, and cannot
  // change the results of the policies replayed after it.
  const host = deepFreeze(readHost(hostArg))
  const policies = await readConfinedPolicies(names, readParamsArg(flags.params), limits)
  const world = deepFreeze(readWorldArg(flags.world))
  // Built-in policies replay on the pool (pool.ts), one per thread, or here with --workers 1: the
  // same function (compareRun), the same bytes. Its threads start now and load while the trace is read.
  const builtIn = policies.flatMap((p, i) => (p.module === undefined ? [{ ...p, index: i }] : []))
  let tick: (n?: number) => void = () => {}
  const runner = taskRunner<CompareTask, RunFold>(workerEntry('compare-worker'), poolSize(flags.workers, builtIn.length), (t) => compareRun(t, () => tick()))
  const runs: Array<{ run: PolicyRun; fold: RunFold }> = []
  let trace: Trace
  try {
    const read = await readTrace(tracePath, flags)
    const vms = deepFreeze(readFleet(read, fleetPath))
    // On threads the trace's columns are shared, not copied per thread.
    trace = runner.workers > 1 ? shareTrace(read) : read
    const bar = progressBar('replay', trace.ticks * policies.length)
    tick = bar.tick
    const progress = runner.workers > 1 ? sharedProgress(bar.tick) : undefined
    const tasks = builtIn.map(({ policy, params }): CompareTask => ({ trace, host, vms, policy: policy.name, params: deepFreeze(params), seed, world, ...(progress === undefined ? {} : { progress: progress.counter }) }))
    const folds = await runAll(
      { ...runner, run: (t: CompareTask) => runner.run(t).catch((err: unknown) => failedFold(t, `policy "${t.policy}" failed on its worker thread: ${err instanceof Error ? err.message : String(err)}`)) },
      tasks,
      builtIn.map((p) => stepsPerTick(p.policy, trace.step)),
    )
    progress?.stop()
    builtIn.forEach((p, i) => (runs[p.index] = { run: { policy: p.policy, params: tasks[i].params }, fold: folds[i] }))
    // A user's module replays on its own worker, within the limits (confine.ts), after the pool (its
    // memory watch reads the whole process's), on its own copy of the trace (`read`: never the
    // shared columns, which it could write into).
    for (const [i, { policy, params, module }] of policies.entries()) {
      if (module === undefined) continue
      const result = await replayConfined(module, policy, { trace: read, host, vms, params, seed, world }, limits)
      runs[i] = { run: { policy, params: deepFreeze(params) }, fold: foldRun(result) }
      bar.tick(trace.ticks)
    }
    bar.stop()
  } finally {
    await runner.close()
  }
  const stopped = runs.filter((r) => r.fold.error !== undefined)
  const baseTitle = flags.title ?? `memreplay: ${path.basename(trace.name)} on a ${formatSize(host.physicalMiB)} host`
  // A report with stopped runs says so in its title: their figures cover only the ticks before the stop.
  const title = stopped.length === 0 ? baseTitle : `${baseTitle} (partial: ${stopped.length === runs.length ? 'every policy' : `${stopped.length} of ${runs.length} policies`} stopped)`
  const input = reportOfFolds(title, trace, host, runs, world)
  await writeReportFiles(outDir, input, { png: flags.png === true, chartThread: charts }, `--out ${outDir}`)
  const table = summarizeComparison(input.runs.map((r) => ({ label: r.label, metrics: r.metrics })))
  const errors = stopped.map((r) => `  ${r.fold.label}: stopped: ${r.fold.error}`)
  const out = [verdictText(verdictOfReport(input)), '', formatTable(terminalTable(table)), ...(errors.length > 0 ? ['', 'Runs that stopped:', ...errors] : []), '', `Report: ${path.join(outDir, 'index.html')}`].join('\n')
  return { out, dir: outDir, stopped: stopped.length, runs: runs.length }
}

export const registerCompare = (program: Command): void => {
  const cmd = program
    .command('compare')
    .description('replay a trace against memory policies on one host and write a comparison report')
    .option('--trace <path>', 'trace: a Bitbrains folder or file, a canonical CSV, or any CSV with --map')
    .option('--host <size|spec.json>', 'host: a size such as 128GiB, or a JSON host spec {"physical","reserve","vmOverhead"}')
    .option('--fleet <spec.json>', 'fleet spec: per-VM or per-pattern settings (default: derived from the trace)')
  traceOptions(policyOptions(cmd))
    .option('--out <dir>', 'report folder (default: reports/<trace name>)')
    .option('--seed <n>', 'seed for sampling and any randomness (default 1)')
    .option('--title <text>', 'report title')
    .option('--sample', 'use the bundled synthetic sample (traces/sample) and write reports/sample')
    .option('--workers <n>', 'threads replaying built-in policies side by side (default: one per core, at most one per policy; 1: one after the other)')
    .option('--png', 'write each chart as PNG too, and link the PNGs from summary.md (default: SVG only)')
    .option('--policy-timeout <seconds>', `wall-clock limit for each --policy module's replay (default ${DEFAULT_LIMITS.timeoutSeconds}; also MEMREPLAY_POLICY_TIMEOUT)`)
    .option('--policy-memory <MiB>', `heap limit for each --policy module's worker (default ${DEFAULT_LIMITS.memoryMiB}; also MEMREPLAY_POLICY_MEMORY)`)
    .addHelpText(
      'after',
      `
Examples:
  npm start                                   # the bundled sample, all policies -> reports/sample/
  npm run compare -- --trace ../shared/traces/bitbrains-rnd-2013-08 --host 128GiB
  npm run compare -- --trace my.csv --map "time=ts:ms, vm=host, demand=used:KiB, configured=total:KiB" --host host.json --policies static,overcommit`,
    )
    .action(async (flags: CompareFlags) => {
      const { out, dir, stopped, runs } = await runCompare(flags)
      process.stdout.write(out + '\n')
      if (stopped === runs) {
        process.stderr.write(`memreplay: every policy stopped before the end of the trace (see above); the report in ${dir} is partial and says so\n`)
        process.exitCode = 1
      }
    })
}

/**
 * The comparison: replay one trace on one host under several policies and gather, for each run,
 * its metrics, series and summaries into the report's input. Pure: same inputs, same output.
 * A run that breaks a rule stops alone; its figures cover the ticks before the violation and the
 * error is reported beside the other runs.
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Trace } from '../trace/trace.js'
import type { HostSettings, VmSettings } from '../spec/settings.js'
import type { AnyPolicy } from '../engine/policy.js'
import { formatViolation, headerOf, replay } from '../engine/replay.js'
import type { RunHeader } from '../engine/account.js'
import { DEFAULT_WORLD, type WorldParams } from '../engine/world.js'
import { SLOWDOWN_MODEL_DESCRIPTION } from '../engine/slowdown.js'
import {
  finishRun,
  heatmapCells,
  hostSeriesRows,
  partialSink,
  runCsvs,
  slowdownDistribution,
  vmSummaries,
  type RunPartial,
} from '../metrics/index.js'
import type { RunMetrics } from '../metrics/run-metrics.js'
import type { FleetFacts, ReportInput, ReportRun } from './model.js'
import { toGiB } from '../units.js'

/** Which VMs had touched memory and disk I/O recorded (the model fills in the rest). */
const touchedNote = (trace: Trace): string => {
  const ids = (has: (v: Trace['vms'][number]) => boolean): string[] => trace.vms.filter(has).map((v) => v.id)
  const touched = ids((v) => v.touched !== undefined)
  const io = ids((v) => v.diskRead !== undefined || v.diskWrite !== undefined)
  const list = (xs: string[]): string => (xs.length === trace.vms.length ? 'every VM' : xs.length === 0 ? 'no VM' : `${xs.length} of ${trace.vms.length} VMs (${xs.slice(0, 10).join(', ')}${xs.length > 10 ? ', ...' : ''})`)
  return `Touched memory recorded for ${list(touched)} (followed within what the policy lets the VM hold), modelled for the rest; disk reads and writes recorded for ${list(io)} (their page cache grows by them), the OS time constant for the rest.`
}

export interface PolicyRun {
  readonly policy: AnyPolicy
  /** Decoded params (defaults filled). */
  readonly params: unknown
  /** Label in the report (default: the policy's name). */
  readonly label?: string
}

export interface RunResult {
  readonly label: string
  readonly header: RunHeader
  readonly partial: RunPartial
  readonly metrics: RunMetrics
  readonly error: string | undefined
}

/** Replay one policy and fold its account into metrics. */
export const runPolicy = (
  trace: Trace,
  host: HostSettings,
  vms: ReadonlyArray<VmSettings>,
  run: PolicyRun,
  seed: number,
  world: WorldParams = DEFAULT_WORLD,
  onTick?: (tick: number) => void,
): RunResult => {
  const input = { trace, host, vms, policy: run.policy, params: run.params, seed }
  const header = headerOf(input)
  const s = partialSink(header)
  const sink = onTick === undefined ? s.sink : (a: Parameters<typeof s.sink>[0]) => (s.sink(a), onTick(a.tick))
  let error: string | undefined
  try {
    const res = replay(input, sink, world)
    error = E.isLeft(res) ? formatViolation(res.left) : undefined
  } catch (err) {
    // A fault outside the policy's step (its params, the world) still stops this run alone.
    error = `policy "${run.policy.name}" failed: ${err instanceof Error ? err.message : String(err)}`
  }
  const partial = s.result()
  return { label: run.label ?? run.policy.name, header, partial, metrics: finishRun(header, partial, error), error }
}

/** The whole fleet's figures from the trace (what every VM wanted while on), whatever a policy admits. */
export const fleetFacts = (trace: Trace): FleetFacts => {
  let onTicks = 0
  let demandMiBTicks = 0
  for (const vm of trace.vms)
    for (let t = vm.firstTick; t < vm.endTick; t++)
      if (vm.on[t] === 1) {
        onTicks++
        demandMiBTicks += vm.demand[t]
      }
  return { vms: trace.vms.length, vmHours: (onTicks * trace.step) / 3600, demandGiBh: (demandMiBTicks * trace.step) / 1024 / 3600 }
}

const fileSafe = (label: string): string => label.replace(/[^A-Za-z0-9._-]+/g, '_')

/**
 * One run's share of the report, folded from its account where it was replayed: a worker of a
 * parallel comparison sends back this, not the account (compare-worker.ts).
 */
export interface RunFold {
  readonly label: string
  readonly metrics: RunMetrics
  readonly error: string | undefined
  readonly hostSeries: ReportRun['hostSeries']
  readonly vmSummaries: ReportRun['vmSummaries']
  readonly heatmap: ReportRun['heatmap']
  readonly slowdownHistogram: ReportRun['slowdownHistogram']
  readonly seriesCsv: ReadonlyArray<{ readonly fileName: string; readonly csv: string }>
}

/**
 * `obj` with `key` computed when first read, then kept (a value like any other to whoever reads it).
 * The CSVs of a comparison (and the fleet's figures) are built so: in this thread, after the charts
 * were sent to their thread (files.ts reads them while the charts are drawn); on a worker, when its
 * fold is sent back (a structured clone reads every property).
 */
const withLazy = <T extends object, K extends string, V>(obj: T, key: K, compute: () => V): T & { readonly [k in K]: V } => {
  let value: { readonly v: V } | undefined
  return Object.defineProperty(obj, key, { enumerable: true, get: () => (value ??= { v: compute() }).v }) as T & { readonly [k in K]: V }
}

/** Fold a finished run into its part of the report (VM summaries and heatmap cells computed once: the report and the CSVs show the same). */
export const foldRun = (result: RunResult): RunFold => {
  const summaries = vmSummaries(result.header, result.partial)
  const cells = heatmapCells(result.header, result.partial, 'slowdown', 'mean')
  const fold = {
    label: result.label,
    metrics: result.metrics,
    error: result.error,
    hostSeries: hostSeriesRows(result.header, result.partial),
    vmSummaries: summaries,
    heatmap: cells,
    slowdownHistogram: slowdownDistribution(result.partial),
  }
  return withLazy(fold, 'seriesCsv', () => runCsvs(result.partial, summaries, cells, `${fileSafe(result.label)}-`))
}

/** The report's input for a set of finished runs. */
export const comparisonReport = (
  title: string,
  trace: Trace,
  host: HostSettings,
  runs: ReadonlyArray<{ readonly run: PolicyRun; readonly result: RunResult }>,
  world: WorldParams = DEFAULT_WORLD,
): ReportInput => reportOfFolds(title, trace, host, runs.map(({ run, result }) => ({ run, fold: foldRun(result) })), world)

/** The report's input for runs already folded (foldRun), in the order given. */
export const reportOfFolds = (
  title: string,
  trace: Trace,
  host: HostSettings,
  runs: ReadonlyArray<{ readonly run: PolicyRun; readonly fold: RunFold }>,
  world: WorldParams = DEFAULT_WORLD,
): ReportInput => {
  const reportRuns: ReportRun[] = runs.map(({ run, fold }) => ({
    label: fold.label,
    description: run.policy.description,
    metrics: fold.metrics,
    params: run.params,
    hostSeries: fold.hostSeries,
    vmSummaries: fold.vmSummaries,
    heatmap: fold.heatmap,
    slowdownHistogram: fold.slowdownHistogram,
    ...(fold.error === undefined ? {} : { error: fold.error }),
  }))
  const notes = runs.flatMap(({ run }) => (run.policy.notes ?? []).map((n) => `${run.policy.name}: ${n}`))
  const input: Omit<ReportInput, 'seriesCsv' | 'fleet'> = {
    title,
    traceName: trace.name,
    importReport: trace.report,
    host: { physicalGiB: toGiB(host.physicalMiB), reserveGiB: toGiB(host.reserveMiB), vmOverheadGiB: toGiB(host.vmOverheadMiB) },
    runs: reportRuns,
    heatmapMeasure: 'slowdown',
    slowdownModel: { name: 'slowdown', description: SLOWDOWN_MODEL_DESCRIPTION, params: world.slowdown },
    worldModel: {
      name: 'world',
      description:
        'Rates at which the host applies decisions (hot-add, balloon, swap, compression; swap-in bounded by faults in flight at the swap device\u2019s latency), active-memory sampling, the start (warm: VMs running at the first sample start in steady state; cold: every VM boots then), and the guest\u2019s touched memory (recorded where the trace has it; else Windows zeroes memory at boot, Linux page cache grows by recorded disk reads and writes, or by an OS time constant where the trace has none).',
      params: { ...world, slowdown: undefined },
    },
    notes: [
      touchedNote(trace),
      `Start: ${world.start === 'warm' ? `warm (VMs running at the first sample have run ${world.touched.warmHours} h before it: their page cache holds that much of their first day\u2019s mean disk I/O, the host already backs what they touched and has swapped, as idle pages, what it could not hold; VMs that appear later boot)` : 'cold (every VM boots at its first sample: Windows guests zero their memory, a boot storm)'}; world param "start".`,
      'Host swap and compression keep working-set pages (they fault back once, when touched, as free memory and the swap-in rate allow) apart from idle pages (they stay, costing nothing, until the working set grows into them); blind choice hits the working set in proportion to its share of the pages chosen from. A policy lowering its swap target brings nothing back.',
      'A host that does not overcommit backs what it assigns: resident = assigned, whatever the trace\u2019s configured size.',
      `The slowdown figures are an estimate: 1 + stall / time, stall = 4 KiB faults x the latency of where each page was (disk ${world.slowdown.diskLatencyMs} ms, SSD ${world.slowdown.ssdLatencyMs} ms, compression cache ${world.slowdown.compressionLatencyUs} us; swap device ${world.slowdown.swapDevice}, where guest page files live too); a missing working-set page faults once every ${world.slowdown.touchSeconds} s, a page brought back once. See the slowdown model.`,
      'VM-time short of memory: the share of running VM-time with more than 1% of its working set not resident (a few MiB of cold pages compressed is not a shortage), whatever the cause (guest paging, host swap, compression, blocked allocation); pressure > 100 is Hyper-V\u2019s own figure and sees guest paging only.',
      'Over-commit: the peak of what running VMs hold privately, touched - shared, over physical memory; above 1 something must be swapped or compressed. Pages saved by sharing do not count, so a host that shares but never swaps stays at or below 1. Over-allocation is configured memory over physical.',
      'The verdict ranks policies by fewest VMs refused, then least VM-time short of memory, then slowdown p99, then host swap-out. A VM refused after running is counted once, as refused.',
      ...notes,
    ],
  }
  // The fleet's figures (a pass over every VM-tick) and the CSVs are for the page and the files, not the charts: built while the charts are drawn.
  return withLazy(withLazy(input, 'fleet', () => fleetFacts(trace)), 'seriesCsv', () => runs.flatMap(({ fold }) => fold.seriesCsv))
}

/**
 * Running one scenario of a sweep, and the sweep's output (pure: the shell loads traces and
 * policies, workers call runScenario, the shell writes sweepFiles).
 *
 * Output folder:
 *   results.json             { schemaVersion, experiment, scenarioCount, [shard], scenarios: rows }
 *   results.csv              one row per scenario (the same rows)
 *   scenarios/<id>/metrics.json   the scenario, its cluster metrics and its service-level verdict
 * Scenarios appear in index order whatever order they finished in, and every result goes through
 * JSON once before use, so a serial run, a parallel run and merged shards write the same bytes.
 */
import type { Trace } from '../trace/trace.js'
import type { HostSettings, VmSettings } from '../spec/settings.js'
import type { AnyPolicy } from '../engine/policy.js'
import type { RunMetrics } from '../metrics/run-metrics.js'
import { runCluster } from './cluster.js'
import { evaluate, margin, worstUse } from './sla.js'
import type { Experiment, Scenario, Shard } from './experiment.js'
import { csvField } from '../metrics/format.js'

export const SWEEP_SCHEMA_VERSION = 1

export interface ScenarioInputs {
  readonly trace: Trace
  readonly vms: ReadonlyArray<VmSettings>
  readonly policy: AnyPolicy
  /** Decoded params (defaults filled). */
  readonly params: unknown
  readonly host: HostSettings
}

export interface ScenarioResult {
  readonly scenario: Scenario
  readonly policyName: string
  readonly fullParams: unknown
  readonly placement: string
  readonly placementRefused: number
  readonly vmsPerHost: ReadonlyArray<number>
  readonly meets: boolean
  readonly violations: ReadonlyArray<string>
  /** Worst figure as a share of its room (null: infinite, e.g. a stopped run). */
  readonly worstUse: number | null
  readonly bindingFigure: string | null
  readonly metrics: RunMetrics
}

/** Run one scenario (the result has been through JSON: see the module note). */
export const runScenario = (x: Experiment, sc: Scenario, inputs: ScenarioInputs): ScenarioResult => {
  const r = runCluster(inputs.trace, inputs.host, inputs.vms, { policy: inputs.policy, params: inputs.params }, sc.seed, sc.hosts, {
    ...(x.placement === null ? {} : { placement: x.placement }),
  })
  const v = evaluate(x.sla, r.metrics)
  const w = worstUse(x.sla, r.metrics)
  const result: ScenarioResult = {
    scenario: sc,
    policyName: inputs.policy.name,
    fullParams: inputs.params,
    placement: r.placement,
    placementRefused: r.placementRefused.length,
    vmsPerHost: r.vmsPerHost,
    meets: v.length === 0,
    violations: v.map((x) => x.text),
    worstUse: Number.isFinite(w) ? w : null,
    bindingFigure: margin(x.sla, r.metrics)?.figure ?? null,
    metrics: r.metrics,
  }
  return JSON.parse(JSON.stringify(result)) as ScenarioResult
}

/** Columns of results.csv / rows of results.json. */
export const RESULT_COLUMNS = [
  'id', 'trace', 'hostSize', 'hosts', 'policy', 'params', 'vmSettings', 'seed', 'placement', 'meets', 'violations',
  'placementRefused', 'vmsTotal', 'vmsAdmitted', 'vmsRefused', 'pressureOver100Share', 'slowdownP99', 'slowdownMax',
  'hostSwapOutGiB', 'shortfallGiBh', 'guestPagingGiBh', 'sharedSavedGiBh', 'peakResidentGiB', 'overAllocationRatio',
  'overCommitRatio', 'shortOfMemoryShare', 'stateShare', 'fairness', 'worstUse', 'error',
] as const

export const resultRow = (r: ScenarioResult): Readonly<Record<(typeof RESULT_COLUMNS)[number], string | number | boolean | null | unknown>> => ({
  id: r.scenario.id,
  trace: r.scenario.trace,
  hostSize: r.scenario.hostSize,
  hosts: r.scenario.hosts,
  policy: r.policyName,
  params: r.scenario.params,
  vmSettings: r.scenario.vmSettings,
  seed: r.scenario.seed,
  placement: r.placement,
  meets: r.meets,
  violations: r.violations.join('; '),
  placementRefused: r.placementRefused,
  vmsTotal: r.metrics.vmsTotal,
  vmsAdmitted: r.metrics.vmsAdmitted,
  vmsRefused: r.metrics.vmsRefused,
  pressureOver100Share: r.metrics.pressureOver100Share,
  slowdownP99: r.metrics.slowdownP99,
  slowdownMax: r.metrics.slowdownMax,
  hostSwapOutGiB: r.metrics.hostSwapOutGiB,
  shortfallGiBh: r.metrics.shortfallGiBh,
  guestPagingGiBh: r.metrics.guestPagingGiBh,
  sharedSavedGiBh: r.metrics.sharedSavedGiBh,
  peakResidentGiB: r.metrics.peakResidentGiB,
  overAllocationRatio: r.metrics.overAllocationRatio,
  overCommitRatio: r.metrics.overCommitRatio,
  shortOfMemoryShare: r.metrics.shortOfMemoryShare,
  // Share of time in each free-memory state (ESX-like policies; {} for the others).
  stateShare: r.metrics.stateShare ?? {},
  fairness: r.metrics.fairness,
  worstUse: r.worstUse,
  error: r.metrics.error ?? null,
})

// Text through csvField (a trace path or VM setting starting with = + - @ would run as a formula in
// a spreadsheet: OWASP's CSV injection), numbers and booleans as they are.
const csvCell = (v: unknown): string => {
  if (v === null || v === undefined) return ''
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  return csvField(typeof v === 'object' ? JSON.stringify(v) : String(v))
}

export const resultsCsv = (results: ReadonlyArray<ScenarioResult>): string =>
  [RESULT_COLUMNS.join(','), ...results.map((r) => {
    const row = resultRow(r)
    return RESULT_COLUMNS.map((c) => csvCell(row[c])).join(',')
  })].join('\n') + '\n'

/** The files of a sweep's output folder (results in any order: sorted here by index). */
export const sweepFiles = (x: Experiment, scenarioCount: number, results: ReadonlyArray<ScenarioResult>, shard?: Shard): ReadonlyMap<string, string> => {
  const sorted = [...results].sort((a, b) => a.scenario.index - b.scenario.index)
  const files = new Map<string, string>()
  files.set(
    'results.json',
    `${JSON.stringify(
      {
        schemaVersion: SWEEP_SCHEMA_VERSION,
        experiment: x,
        scenarioCount,
        ...(shard === undefined ? {} : { shard }),
        scenarios: sorted.map(resultRow),
      },
      null,
      2,
    )}\n`,
  )
  files.set('results.csv', resultsCsv(sorted))
  for (const r of sorted) files.set(`scenarios/${r.scenario.id}/metrics.json`, `${JSON.stringify({ schemaVersion: SWEEP_SCHEMA_VERSION, ...r }, null, 2)}\n`)
  return files
}

export interface ShardOutput {
  readonly source: string
  readonly experiment: unknown
  readonly scenarioCount: number
  /** k of n, as sweep --shard wrote it (absent: a whole sweep's folder, or one from before shards were numbered). */
  readonly shard?: Shard
  readonly results: ReadonlyArray<ScenarioResult>
}

/**
 * The shard set's own problems, each naming the folders: a shard given twice, one missing, one of
 * another split (k of a different n) or not a shard at all beside shards. Folders that carry no
 * shard number (older outputs) are left to the scenario checks.
 */
export const shardSetProblems = (shards: ReadonlyArray<Pick<ShardOutput, 'source' | 'shard'>>): ReadonlyArray<string> => {
  const numbered = shards.flatMap((s) => (s.shard === undefined ? [] : [{ source: s.source, k: s.shard.k, n: s.shard.n }]))
  if (numbered.length === 0) return []
  const errors: string[] = []
  for (const s of shards) if (s.shard === undefined) errors.push(`${s.source}: not a shard (a whole sweep's output, no "shard" in results.json) beside shard folders`)
  // The n most folders have is the set's; a folder of another n is foreign (from another split).
  const ns = new Map<number, number>()
  for (const s of numbered) ns.set(s.n, (ns.get(s.n) ?? 0) + 1)
  const n = [...ns].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0][0]
  for (const s of numbered) if (s.n !== n) errors.push(`${s.source}: shard ${s.k} of ${s.n}, from another split than the others (of ${n})`)
  for (let k = 1; k <= n; k++) {
    const have = numbered.filter((s) => s.n === n && s.k === k)
    if (have.length === 0) errors.push(`merge: shard ${k} of ${n} is missing`)
    if (have.length > 1) errors.push(`merge: shard ${k} of ${n} is given ${have.length} times: ${have.map((s) => s.source).join(', ')}`)
  }
  return errors
}

/**
 * Combine shard outputs into the whole sweep's results (pure). Every shard must come from the same
 * experiment; numbered shards must be k = 1..n of one n, each once (shardSetProblems); every
 * scenario must be present once (a duplicate is accepted only if identical).
 */
export const mergeShards = (
  shards: ReadonlyArray<ShardOutput>,
  expectedIds: (experiment: unknown) => ReadonlyArray<string>,
): { readonly ok: true; readonly experiment: unknown; readonly scenarioCount: number; readonly results: ReadonlyArray<ScenarioResult> } | { readonly ok: false; readonly errors: ReadonlyArray<string> } => {
  if (shards.length === 0) return { ok: false, errors: ['merge: no shard folders given'] }
  const errors: string[] = []
  const first = shards[0]
  const key = JSON.stringify(first.experiment)
  for (const s of shards.slice(1))
    if (JSON.stringify(s.experiment) !== key) errors.push(`${s.source}: comes from a different experiment than ${first.source}`)
  errors.push(...shardSetProblems(shards))
  const byId = new Map<string, ScenarioResult>()
  for (const s of shards)
    for (const r of s.results) {
      const have = byId.get(r.scenario.id)
      if (have !== undefined && JSON.stringify(have) !== JSON.stringify(r)) errors.push(`${s.source}: scenario ${r.scenario.id} differs from the same scenario in another shard`)
      byId.set(r.scenario.id, r)
    }
  const ids = expectedIds(first.experiment)
  const missing = ids.filter((id) => !byId.has(id))
  if (missing.length > 0) errors.push(`merge: ${missing.length} of ${ids.length} scenarios are in no shard folder: ${missing.slice(0, 20).join(', ')}${missing.length > 20 ? ', ...' : ''}`)
  const stray = [...byId.keys()].filter((id) => !ids.includes(id))
  if (stray.length > 0) errors.push(`merge: scenarios not in the experiment: ${stray.join(', ')}`)
  if (errors.length > 0) return { ok: false, errors }
  return { ok: true, experiment: first.experiment, scenarioCount: ids.length, results: ids.map((id) => byId.get(id) as ScenarioResult) }
}

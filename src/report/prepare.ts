/**
 * Small pure helpers shared by the charts, the page and the summary: run labels, colours,
 * the comparison table's rows, number and time formatting.
 */
import type { RunMetrics } from '../metrics/run-metrics.js'
import type { FleetFacts, ReportInput, ReportRun } from './model.js'

export interface ResolvedRun {
  /** Unique label in this report. */
  readonly label: string
  readonly run: ReportRun
  readonly metrics: RunMetrics
  readonly params: unknown
  readonly error: string | undefined
}

/** Runs with unique labels (duplicates get " #2", " #3" ...), params and error defaulted. */
export const resolveRuns = (input: ReportInput): ReadonlyArray<ResolvedRun> => {
  const used = new Set<string>()
  return input.runs.map((run) => {
    const base = run.label ?? run.metrics.policy
    let label = base
    for (let i = 2; used.has(label); i++) label = `${base} #${i}`
    used.add(label)
    return {
      label,
      run,
      metrics: run.metrics,
      params: run.params !== undefined ? run.params : run.metrics.params,
      error: run.error ?? run.metrics.error,
    }
  })
}

/** Colours of runs, in order (Tableau 10); repeats past ten runs. */
export const RUN_COLOURS: ReadonlyArray<string> = [
  '#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#eeca3b', '#9d755d', '#ff9da6', '#bab0ac',
]

export const runColours = (labels: ReadonlyArray<string>): string[] =>
  labels.map((_, i) => RUN_COLOURS[i % RUN_COLOURS.length])

/** Dash patterns of runs' lines, in order: where two runs' lines coincide (both 0, say), the one
 *  drawn on top leaves gaps through which the other shows. */
export const RUN_DASHES: ReadonlyArray<ReadonlyArray<number>> = [[1, 0], [7, 3], [2, 2], [10, 3, 2, 3], [4, 4], [12, 4]]

export const runDashes = (labels: ReadonlyArray<string>): number[][] => labels.map((_, i) => [...RUN_DASHES[i % RUN_DASHES.length]])

/** Point shapes of runs, in order (a second cue beside colour and dash). */
export const RUN_SHAPES: ReadonlyArray<string> = ['circle', 'square', 'triangle-up', 'diamond', 'cross', 'triangle-down']

export const runShapes = (labels: ReadonlyArray<string>): string[] => labels.map((_, i) => RUN_SHAPES[i % RUN_SHAPES.length])

/** One row of the comparison table. */
export interface ComparisonRow {
  readonly key: keyof RunMetrics | 'status' | 'fleetDemandGiBh' | 'group'
  readonly label: string
  /** One value per run, formatted for people. */
  readonly values: ReadonlyArray<string>
}

const num = (x: number, digits: number): string => {
  if (typeof x !== 'number' || Number.isNaN(x)) return 'n/a'
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '-∞'
  const f = 10 ** digits
  const r = Math.round(x * f) / f
  return (Object.is(r, -0) ? 0 : r).toFixed(digits)
}
const pct = (x: number): string => (typeof x === 'number' && Number.isFinite(x) ? `${num(x * 100, 1)} %` : 'n/a')
/** Shares of VM-time with two decimals: 0.04 % of a month of 500 VMs is 150 VM-hours. */
const pct2 = (x: number): string => (typeof x === 'number' && Number.isFinite(x) ? `${num(x * 100, 2)} %` : 'n/a')
/** An optional figure (RunMetrics' later additions): n/a when a producer did not set it. */
const opt = (x: number | undefined, f: (x: number) => string): string => (x === undefined ? 'n/a' : f(x))

/** Formats a number with `digits` decimals (n/a for NaN, ∞ for Infinity). */
export const formatNumber = num

/**
 * A run's VMs counted once each: served = ran and never refused; refused = refused at least once
 * (a VM that ran and was later refused counts here, once); never on = never wanted to run.
 * served + refused + neverOn = total.
 */
export const vmCounts = (
  m: RunMetrics,
): { readonly total: number; readonly served: number; readonly refused: number; readonly refusedAfterRunning: number; readonly neverOn: number } => {
  const refusedAfterRunning = Math.max(0, m.vmsRefused - (m.vmsRefusedNeverAdmitted ?? m.vmsRefused))
  const served = Math.max(0, m.vmsAdmitted - refusedAfterRunning)
  return { total: m.vmsTotal, served, refused: m.vmsRefused, refusedAfterRunning, neverOn: Math.max(0, m.vmsTotal - served - m.vmsRefused) }
}

type MetricRow = readonly [keyof RunMetrics, string, (m: RunMetrics) => string]

/** Every VM of the trace counted once: the same fleet for every policy. */
const FLEET_ROWS: ReadonlyArray<MetricRow> = [
  ['vmsAdmitted', 'VMs served (ran, never refused) / total', (m) => `${vmCounts(m).served} / ${m.vmsTotal}`],
  ['vmsRefused', 'VMs refused (at any time)', (m) => {
    const c = vmCounts(m)
    return c.refusedAfterRunning > 0 ? `${c.refused} (${c.refusedAfterRunning} after running)` : `${c.refused}`
  }],
  ['shortOrRefusedShare', 'VM-time refused or short of memory (all VMs)', (m) => opt(m.shortOrRefusedShare, pct2)],
]

/** Figures over a policy's admitted VMs: refused VMs drop out of them (the group's heading says so). */
const ADMITTED_ROWS: ReadonlyArray<MetricRow> = [
  ['shortOfMemoryShare', 'VM-time short of memory, any cause (admitted VMs)', (m) => opt(m.shortOfMemoryShare, pct2)],
  ['demandGiBh', 'Demand, GiBh (admitted VMs)', (m) => num(m.demandGiBh, 1)],
  ['shortfallGiBh', 'Working-set shortfall, GiBh', (m) => num(m.shortfallGiBh, 2)],
  ['guestPagingGiBh', '… guest paging, GiBh', (m) => num(m.guestPagingGiBh, 2)],
  ['hostSwapGiBh', '… in host swap, GiBh', (m) => num(m.hostSwapGiBh, 2)],
  ['blockedGiBh', '… blocked, GiBh', (m) => num(m.blockedGiBh, 2)],
  ['pressureOver100Share', 'VM-time with pressure > 100 (Hyper-V\u2019s figure; blind to host swap)', (m) => pct2(m.pressureOver100Share)],
  ['slowdownP50', 'Slowdown p50', (m) => num(m.slowdownP50, 3)],
  ['slowdownP95', 'Slowdown p95', (m) => num(m.slowdownP95, 3)],
  ['slowdownP99', 'Slowdown p99', (m) => num(m.slowdownP99, 3)],
  ['slowdownMax', 'Slowdown max', (m) => num(m.slowdownMax, 3)],
  ['fairness', 'Fairness (Jain, 1 = fair)', (m) => num(m.fairness, 3)],
]

/** The host's memory. */
const HOST_ROWS: ReadonlyArray<MetricRow> = [
  ['overAllocationRatio', 'Over-allocation (peak configured / physical)', (m) => num(m.overAllocationRatio, 2)],
  ['overCommitRatio', 'Over-commit (peak (touched - shared) / physical)', (m) => num(m.overCommitRatio, 2)],
  ['overCommitTimeShare', 'Time over-committed (ratio above 1)', (m) => opt(m.overCommitTimeShare, pct)],
  ['peakResidentGiB', 'Peak resident, GiB', (m) => num(m.peakResidentGiB, 1)],
  ['meanResidentGiB', 'Mean resident, GiB', (m) => num(m.meanResidentGiB, 1)],
  ['hostSwapOutGiB', 'Host swap-out, GiB', (m) => num(m.hostSwapOutGiB, 2)],
  ['compressedGiBh', 'Compressed, GiBh', (m) => num(m.compressedGiBh, 2)],
  ['balloonedGiBh', 'Ballooned, GiBh', (m) => num(m.balloonedGiBh, 2)],
  ['sharedSavedGiBh', 'Saved by sharing, GiBh', (m) => num(m.sharedSavedGiBh, 2)],
]

/** Headings of the table's groups (rows with key 'group' and empty values). */
export const COMPARISON_GROUPS = {
  fleet: 'The fleet: every VM of the trace counted once',
  admitted: 'Over each policy\u2019s admitted VMs (refused VMs drop out: compare with the fleet rows)',
  host: 'Host memory',
} as const

/**
 * The comparison table: one row per figure, one column per run, in three groups (each opened by a
 * row with key 'group'). With `fleet` (from the trace), the whole fleet's demand is a row of the
 * fleet group, the same in every column, beside which the admitted VMs' demand reads.
 */
export const comparisonRows = (runs: ReadonlyArray<ResolvedRun>, fleet?: FleetFacts): ReadonlyArray<ComparisonRow> => {
  const rows: ComparisonRow[] = []
  const group = (label: string): void => void rows.push({ key: 'group', label, values: runs.map(() => '') })
  const figures = (list: ReadonlyArray<MetricRow>): void => {
    for (const [key, label, f] of list) rows.push({ key, label, values: runs.map((r) => f(r.metrics)) })
  }
  group(COMPARISON_GROUPS.fleet)
  rows.push({ key: 'status', label: 'Status', values: runs.map((r) => (r.error === undefined ? 'completed' : 'stopped')) })
  figures(FLEET_ROWS)
  if (fleet !== undefined)
    rows.push({ key: 'fleetDemandGiBh', label: 'Demand, GiBh (all VMs, from the trace)', values: runs.map(() => num(fleet.demandGiBh, 1)) })
  group(COMPARISON_GROUPS.admitted)
  figures(ADMITTED_ROWS)
  group(COMPARISON_GROUPS.host)
  figures(HOST_ROWS)
  const states = [...new Set(runs.flatMap((r) => Object.keys(r.metrics.stateShare ?? {})))].sort()
  for (const s of states)
    rows.push({
      key: 'stateShare',
      label: `Time in state ${s}`,
      values: runs.map((r) => {
        const v = (r.metrics.stateShare ?? {})[s]
        return v === undefined ? '–' : pct(v)
      }),
    })
  return rows
}

/** ISO-8601 UTC time of Unix seconds, to the minute ("2013-08-12 13:40Z"); deterministic. */
export const formatTime = (unixSeconds: number): string => {
  if (!Number.isFinite(unixSeconds)) return 'n/a'
  const d = new Date(Math.round(unixSeconds * 1000))
  if (Number.isNaN(d.getTime())) return 'n/a'
  return `${d.toISOString().slice(0, 16).replace('T', ' ')}Z`
}

/** Stable JSON for people: keys in insertion order, two-space indent, undefined -> omitted. */
export const prettyJson = (value: unknown): string => {
  const s = JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)
  return s === undefined ? 'null' : s
}

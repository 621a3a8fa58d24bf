/**
 * The comparison table: rows = runs (policies), columns = key figures. A plain model that the
 * report renders (HTML, Markdown); numbers come with a deterministic text (format.ts).
 */
import { formatFixed } from './format.js'
import type { RunMetrics } from './run-metrics.js'

export type Better = 'lower' | 'higher' | 'none'

export interface ComparisonColumn {
  /** RunMetrics key. */
  readonly key: keyof RunMetrics
  readonly label: string
  readonly unit: string
  readonly decimals: number
  /** Which direction is better (for highlighting); 'none' for context figures. */
  readonly better: Better
}

export const COMPARISON_COLUMNS: ReadonlyArray<ComparisonColumn> = [
  { key: 'vmsAdmitted', label: 'VMs admitted', unit: '', decimals: 0, better: 'higher' },
  { key: 'vmsRefused', label: 'VMs refused', unit: '', decimals: 0, better: 'lower' },
  // The headline service figure: every cause of missing working set (pressure > 100 sees only one).
  { key: 'shortOfMemoryShare', label: 'Short of memory', unit: '%', decimals: 2, better: 'lower' },
  { key: 'overAllocationRatio', label: 'Over-allocation', unit: 'x', decimals: 2, better: 'none' },
  { key: 'overCommitRatio', label: 'Over-commit', unit: 'x', decimals: 2, better: 'none' },
  { key: 'overCommitTimeShare', label: 'Over-committed time', unit: '%', decimals: 2, better: 'none' },
  { key: 'peakResidentGiB', label: 'Peak resident', unit: 'GiB', decimals: 1, better: 'none' },
  { key: 'meanResidentGiB', label: 'Mean resident', unit: 'GiB', decimals: 1, better: 'none' },
  { key: 'shortfallGiBh', label: 'Shortfall', unit: 'GiBh', decimals: 1, better: 'lower' },
  { key: 'guestPagingGiBh', label: 'Guest paging', unit: 'GiBh', decimals: 1, better: 'lower' },
  { key: 'hostSwapGiBh', label: 'Host swap hit', unit: 'GiBh', decimals: 1, better: 'lower' },
  { key: 'hostSwapOutGiB', label: 'Swapped out', unit: 'GiB', decimals: 1, better: 'lower' },
  { key: 'compressedGiBh', label: 'Compressed', unit: 'GiBh', decimals: 1, better: 'none' },
  { key: 'balloonedGiBh', label: 'Ballooned', unit: 'GiBh', decimals: 1, better: 'none' },
  { key: 'sharedSavedGiBh', label: 'Shared (saved)', unit: 'GiBh', decimals: 1, better: 'higher' },
  { key: 'blockedGiBh', label: 'Blocked', unit: 'GiBh', decimals: 1, better: 'lower' },
  // Hyper-V's own figure, kept for those who know it: blind to host swap and compression.
  { key: 'pressureOver100Share', label: 'Pressure > 100', unit: '%', decimals: 2, better: 'lower' },
  { key: 'slowdownP95', label: 'Slowdown p95', unit: 'x', decimals: 3, better: 'lower' },
  { key: 'slowdownP99', label: 'Slowdown p99', unit: 'x', decimals: 3, better: 'lower' },
  { key: 'slowdownMax', label: 'Slowdown max', unit: 'x', decimals: 3, better: 'lower' },
  { key: 'fairness', label: 'Fairness (Jain)', unit: '', decimals: 3, better: 'higher' },
]

export interface ComparisonCell {
  /** The figure in the column's unit (shares as percent), or null if missing. */
  readonly value: number | null
  readonly text: string
  /** Best (or tied best) among runs without an error, for columns with a direction. */
  readonly best: boolean
}

export interface ComparisonRow {
  readonly label: string
  readonly policy: string
  readonly cells: ReadonlyArray<ComparisonCell>
  readonly error?: string
}

export interface ComparisonTable {
  readonly columns: ReadonlyArray<ComparisonColumn>
  readonly rows: ReadonlyArray<ComparisonRow>
}

/** Number as text with fixed decimals (formatFixed), '' for missing. */
export const formatFigure = (value: number | null, decimals: number): string =>
  value === null ? '' : formatFixed(value, decimals)

const valueOf = (m: RunMetrics, c: ComparisonColumn): number | null => {
  const x = m[c.key]
  if (typeof x !== 'number' || !Number.isFinite(x)) return null
  return c.unit === '%' ? x * 100 : x
}

/**
 * Table model of runs, in the given order. Labels default to the policy name; duplicates get
 * " #2", " #3". Bests compare the rounded values (what people see), over runs without an error.
 */
export const summarizeComparison = (
  runs: ReadonlyArray<RunMetrics | { readonly label?: string; readonly metrics: RunMetrics }>,
  columns: ReadonlyArray<ComparisonColumn> = COMPARISON_COLUMNS,
): ComparisonTable => {
  const items = runs.map((r) => ('metrics' in r ? { label: r.label, metrics: r.metrics } : { label: undefined, metrics: r }))
  const seen = new Map<string, number>()
  const labels = items.map(({ label, metrics }) => {
    const base = label ?? metrics.policy
    const k = (seen.get(base) ?? 0) + 1
    seen.set(base, k)
    return k === 1 ? base : `${base} #${k}`
  })
  const values = items.map(({ metrics }) => columns.map((c) => valueOf(metrics, c)))
  const rounded = values.map((vs) => vs.map((v, j) => (v === null ? null : Number(formatFixed(v, columns[j].decimals)))))
  const bestOf = columns.map((c, j) => {
    if (c.better === 'none') return null
    const xs = rounded.flatMap((r, i) => (items[i].metrics.error === undefined && r[j] !== null ? [r[j] as number] : []))
    if (xs.length < 2) return null
    return c.better === 'lower' ? Math.min(...xs) : Math.max(...xs)
  })
  return {
    columns,
    rows: items.map(({ metrics }, i) => ({
      label: labels[i],
      policy: metrics.policy,
      cells: columns.map((c, j) => ({
        value: values[i][j],
        text: formatFigure(values[i][j], c.decimals),
        best: bestOf[j] !== null && metrics.error === undefined && rounded[i][j] === bestOf[j],
      })),
      ...(metrics.error === undefined ? {} : { error: metrics.error }),
    })),
  }
}

/** The comparison table as fixed-width text for the terminal. */
import type { ComparisonTable } from '../metrics/compare.js'

/** The columns that fit a terminal; the report has them all. */
export const TERMINAL_COLUMNS: ReadonlyArray<string> = [
  'vmsAdmitted', 'vmsRefused', 'peakResidentGiB', 'shortfallGiBh', 'hostSwapOutGiB', 'sharedSavedGiBh', 'pressureOver100Share', 'slowdownP99', 'fairness',
]

export const terminalTable = (t: ComparisonTable): ComparisonTable => {
  const keep = t.columns.map((c, j) => [c, j] as const).filter(([c]) => TERMINAL_COLUMNS.includes(c.key))
  return { ...t, columns: keep.map(([c]) => c), rows: t.rows.map((r) => ({ ...r, cells: keep.map(([, j]) => r.cells[j]) })) }
}

export const formatTable = (t: ComparisonTable): string => {
  const header = ['policy', ...t.columns.map((c) => (c.unit ? `${c.label} (${c.unit})` : c.label))]
  const rows = t.rows.map((r) => [r.label + (r.error ? ' (stopped)' : ''), ...r.cells.map((c) => c.text)])
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join('  ')
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

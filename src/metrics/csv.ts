/**
 * Series as CSV for users' own analysis. Pure string builders; numbers through formatFixed
 * (fixed decimals, no locale), so the same partial gives the same bytes.
 *
 * host-series.csv: one row per folded tick, MiB with 3 decimals (1 KiB ~ 0.001 MiB):
 *   tick, time (Unix s), seconds, state (name; "none" for policies without states), running_vms,
 *   physical_mib, reserve_mib, free_mib,
 *   resident_mib (sum over VMs, compressed store included), resident_ws_mib, resident_idle_mib,
 *   compressed_store_mib, overhead_mib          (resident_ws + resident_idle + compressed_store +
 *                                                overhead + reserve + free = physical),
 *   configured_mib, demand_mib, touched_mib, assigned_mib (running VMs),
 *   shared_mib, ballooned_mib, compressed_mib, swapped_mib, swap_out_mib,
 *   shortfall_mib (= the four kinds), guest_paging_mib, host_swap_hit_mib, compressed_hit_mib,
 *   blocked_mib, pressure_over_100_vms,
 *   touched_unshared_mib (running VMs' touched - shared: over-commitment when above physical_mib),
 *   short_vms (running VMs short of memory: more than 1% of the working set not resident, any cause).
 *   (Definitions: partial.ts HOST_SUM_FIELDS.)
 *
 * vm-summary.csv: one row per VM (header.vmIds order), finish.ts VmSummary in GiB / GiBh / hours,
 *   6 decimals; shares 6 decimals; slowdowns 4 decimals. short_of_memory_share: share of its running
 *   time short of memory (any cause); refused_h: hours it wanted to run and was refused;
 *   peak_configured_gib covers refused ticks too (a refused VM shows the size it asked for).
 *
 * heatmap.csv: long format vm, bucket_start, value (4 decimals).
 */
import { HOST_STATES } from '../engine/account.js'
import type { HeatmapCell } from '../report/model.js'
import type { VmSummary } from './finish.js'
import { csvField, csvText, formatFixed } from './format.js'
import type { HostSumField, RunPartial } from './partial.js'

const MIB = 3

const HOST_SUM_COLUMNS: ReadonlyArray<readonly [string, HostSumField]> = [
  ['resident_mib', 'resident'],
  ['resident_ws_mib', 'residentWorkingSet'],
  ['resident_idle_mib', 'residentIdle'],
  ['compressed_store_mib', 'compressedStore'],
  ['overhead_mib', 'overhead'],
  ['configured_mib', 'configured'],
  ['demand_mib', 'demand'],
  ['touched_mib', 'touched'],
  ['assigned_mib', 'assigned'],
  ['shared_mib', 'shared'],
  ['ballooned_mib', 'ballooned'],
  ['compressed_mib', 'compressed'],
  ['swapped_mib', 'swapped'],
  ['swap_out_mib', 'swapOut'],
]
const SHORTFALL_COLUMNS: ReadonlyArray<readonly [string, HostSumField]> = [
  ['guest_paging_mib', 'guestPaging'],
  ['host_swap_hit_mib', 'hostSwapHit'],
  ['compressed_hit_mib', 'compressedHit'],
  ['blocked_mib', 'blocked'],
]

/** `field`, computed once per distinct key (a state or VM name repeats on thousands of rows). */
const fieldOnce = <K>(field: (k: K) => string): ((k: K) => string) => {
  const done = new Map<K, string>()
  return (k) => {
    let f = done.get(k)
    if (f === undefined) done.set(k, (f = field(k)))
    return f
  }
}

export const hostSeriesCsv = (partial: RunPartial): string => {
  const s = partial.series
  const u = s.sums
  const header = [
    'tick',
    'time',
    'seconds',
    'state',
    'running_vms',
    'physical_mib',
    'reserve_mib',
    'free_mib',
    ...HOST_SUM_COLUMNS.map(([c]) => c),
    'shortfall_mib',
    ...SHORTFALL_COLUMNS.map(([c]) => c),
    'pressure_over_100_vms',
    'touched_unshared_mib',
    'short_vms',
  ]
  // Each row built as one string (no per-row arrays or closures): 8,640 rows of 28 numbers for a month.
  const sums = HOST_SUM_COLUMNS.map(([, f]) => u[f])
  const shortfalls = SHORTFALL_COLUMNS.map(([, f]) => u[f])
  const stateField = fieldOnce((state: number) => csvField(HOST_STATES[state] ?? String(state)))
  const lines: string[] = [header.join(',')]
  for (let i = 0; i < s.length; i++) {
    const shortfall = u.guestPaging[i] + u.hostSwapHit[i] + u.compressedHit[i] + u.blocked[i]
    let line = `${formatFixed(s.tick[i], 0)},${formatFixed(s.time[i], 0)},${formatFixed(s.seconds[i], 3)},${stateField(s.state[i])},${formatFixed(u.runningVms[i], 0)},${formatFixed(s.physical[i], MIB)},${formatFixed(s.reserve[i], MIB)},${formatFixed(s.free[i], MIB)}`
    for (const c of sums) line += `,${formatFixed(c[i], MIB)}`
    line += `,${formatFixed(shortfall, MIB)}`
    for (const c of shortfalls) line += `,${formatFixed(c[i], MIB)}`
    line += `,${formatFixed(u.pressureOver100Vms[i], 0)},${formatFixed(u.touchedUnshared[i], MIB)},${formatFixed(u.shortVms[i], 0)}`
    lines.push(line)
  }
  return `${lines.join('\n')}\n`
}

const G = 6
const VM_COLUMNS: ReadonlyArray<readonly [string, (r: VmSummary) => string]> = [
  ['vm', (r) => csvField(r.vm)],
  ['admitted', (r) => (r.admitted ? '1' : '0')],
  ['refused', (r) => (r.refused ? '1' : '0')],
  ['running_h', (r) => formatFixed(r.runningHours, G)],
  ['peak_configured_gib', (r) => formatFixed(r.configuredGiB, G)],
  ['mean_configured_gib', (r) => formatFixed(r.meanConfiguredGiB, G)],
  ['mean_demand_gib', (r) => formatFixed(r.meanDemandGiB, G)],
  ['peak_demand_gib', (r) => formatFixed(r.peakDemandGiB, G)],
  ['mean_resident_gib', (r) => formatFixed(r.meanResidentGiB, G)],
  ['peak_resident_gib', (r) => formatFixed(r.peakResidentGiB, G)],
  ['demand_gibh', (r) => formatFixed(r.demandGiBh, G)],
  ['shortfall_gibh', (r) => formatFixed(r.shortfallGiBh, G)],
  ['guest_paging_gibh', (r) => formatFixed(r.guestPagingGiBh, G)],
  ['host_swap_gibh', (r) => formatFixed(r.hostSwapGiBh, G)],
  ['compressed_hit_gibh', (r) => formatFixed(r.compressedHitGiBh, G)],
  ['blocked_gibh', (r) => formatFixed(r.blockedGiBh, G)],
  ['shared_saved_gibh', (r) => formatFixed(r.sharedSavedGiBh, G)],
  ['ballooned_gibh', (r) => formatFixed(r.balloonedGiBh, G)],
  ['compressed_gibh', (r) => formatFixed(r.compressedGiBh, G)],
  ['swapped_gibh', (r) => formatFixed(r.swappedGiBh, G)],
  ['host_swap_out_gib', (r) => formatFixed(r.hostSwapOutGiB, G)],
  ['pressure_over_100_share', (r) => formatFixed(r.pressureOver100Share, G)],
  ['satisfied_share', (r) => formatFixed(r.satisfiedShare, G)],
  ['slowdown_mean', (r) => formatFixed(r.slowdownMean, 4)],
  ['slowdown_p50', (r) => formatFixed(r.slowdownP50, 4)],
  ['slowdown_p95', (r) => formatFixed(r.slowdownP95, 4)],
  ['slowdown_max', (r) => formatFixed(r.slowdownMax, 4)],
  ['short_of_memory_share', (r) => formatFixed(r.shortOfMemoryShare, G)],
  ['refused_h', (r) => formatFixed(r.refusedHours, G)],
]

export const vmSummaryCsv = (rows: ReadonlyArray<VmSummary>): string =>
  csvText(
    VM_COLUMNS.map(([c]) => c),
    rows.map((r) => VM_COLUMNS.map(([, f]) => f(r))),
  )

export const heatmapCsv = (cells: ReadonlyArray<HeatmapCell>): string => {
  const vmField = fieldOnce(csvField)
  return csvText(
    ['vm', 'bucket_start', 'value'],
    cells.map((c) => [vmField(c.vm), formatFixed(c.bucketStart, 0), formatFixed(c.value, 4)]),
  )
}

/** The three CSVs of one run, named for ReportInput.seriesCsv. */
export const runCsvs = (
  partial: RunPartial,
  summaries: ReadonlyArray<VmSummary>,
  cells: ReadonlyArray<HeatmapCell>,
  prefix = '',
): ReadonlyArray<{ readonly fileName: string; readonly csv: string }> => [
  { fileName: `${prefix}host-series.csv`, csv: hostSeriesCsv(partial) },
  { fileName: `${prefix}vm-summary.csv`, csv: vmSummaryCsv(summaries) },
  { fileName: `${prefix}heatmap.csv`, csv: heatmapCsv(cells) },
]

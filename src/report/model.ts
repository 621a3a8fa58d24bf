/**
 * The report's input: plain data, produced by the metrics reducers and the CLI, consumed by the
 * report renderer (charts, index.html, summary.md, metrics.json). Nothing here is computed by the
 * report from the account stream; the report only downsamples what it is given (see downsample.ts).
 *
 * Units, throughout: sizes in GiB (not MiB, unlike the engine), times in Unix seconds, durations in
 * hours, GiBh = one GiB held for one hour. Every series is a plain array of small flat records so
 * it can be inlined into a Vega-Lite spec and written as JSON without conversion.
 *
 * Strings that come from a trace or a spec (VM ids, policy names, labels, params, notes) may contain
 * anything; the renderer escapes them. Producers must not pre-escape.
 */
import type { RunMetrics } from '../metrics/run-metrics.js'
import type { ImportReport } from '../trace/import-report.js'

/** One host sample of one run: where memory was, at one tick (or one bucket of ticks). All GiB. */
export interface HostSeriesRow {
  /** Unix seconds at the start of the tick. */
  readonly time: number
  /** Host memory backing working set: resident pages the guests are using now. */
  readonly residentWorkingSet: number
  /** Host memory backing touched pages outside the working set (idle), including the compressed
   *  store and the per-VM hypervisor overhead. residentWorkingSet + residentIdle = sum(resident + overhead). */
  readonly residentIdle: number
  /** Touched guest memory backed by another VM's/page's copy (memory page sharing saved). */
  readonly sharedAway: number
  /** Guest memory pinned by balloon drivers (returned to the host). */
  readonly ballooned: number
  /** Touched guest memory held compressed, at its uncompressed size. */
  readonly compressed: number
  /** Touched guest memory in host swap. */
  readonly swapped: number
  /** Free host memory (physical - reserve - sum(resident + overhead)). */
  readonly free: number
  /** Working set not available because the guest pages inside itself (demand > assigned). */
  readonly shortfallGuestPaging: number
  /** Working set not available because it is in host swap. */
  readonly shortfallHostSwap: number
  /** Working set not available because it is compressed. */
  readonly shortfallCompressed: number
  /** Working set not available because allocation was blocked (host out of memory). */
  readonly shortfallBlocked: number
  /** Optional: total demand (working set) of running VMs. */
  readonly demand?: number
  /** Optional: the host free-memory state (ESX: 'high' | 'clear' | 'soft' | 'hard' | 'low'). */
  readonly state?: string
}

/** The summary of one VM in one run (one row of the per-VM table). */
export interface VmSummaryRow {
  /** VM id from the trace (untrusted text). */
  readonly vm: string
  /** Whether the VM was refused admission at least once. */
  readonly refused: boolean
  /** Hours the VM ran. */
  readonly runningHours: number
  /** Peak configured memory, GiB. */
  readonly configuredGiB: number
  /** Peak demand (working set), GiB. */
  readonly peakDemandGiB: number
  /** Working set not available, all causes, GiBh. */
  readonly shortfallGiBh: number
  /** Working set in host swap (hit), GiBh. */
  readonly hostSwapGiBh: number
  /** Share of running time with pressure (demand / assigned x 100) above 100, in [0, 1]. */
  readonly pressureOver100Share: number
  /** Share of running time short of memory (more than 1% of the working set not resident, any cause), in [0, 1]. */
  readonly shortOfMemoryShare: number
  readonly slowdownP95: number
  readonly slowdownMax: number
}

/** One cell of the per-VM heatmap: one VM over one time bucket (the producer picks ~200 buckets). */
export interface HeatmapCell {
  /** VM id (untrusted text). */
  readonly vm: string
  /** Unix seconds at the start of the bucket. */
  readonly bucketStart: number
  /** The measure named by ReportInput.heatmapMeasure, aggregated over the bucket (mean while running).
   *  Omit cells where the VM did not run. */
  readonly value: number
}

/** One bucket of the distribution of slowdown over running VM-time. */
export interface SlowdownBucket {
  /** Lower bound of the slowdown factor (inclusive); the first bucket starts at 1. */
  readonly lower: number
  /** Upper bound (exclusive); null for the last, open bucket. */
  readonly upper: number | null
  /** Running VM-hours whose slowdown fell in [lower, upper). */
  readonly vmHours: number
}

/** One run: one policy (with its params) replayed on the trace and host. */
export interface ReportRun {
  /** Unique label of the run in this report (default: metrics.policy; runs of one policy with
   *  different params need distinct labels, else the renderer appends " #2", " #3"). */
  readonly label?: string
  /** One line: the real system the policy models (Policy.description). */
  readonly description?: string
  /** The run's figures (metrics.policy is the policy's name). */
  readonly metrics: RunMetrics
  /** The decoded params the run used (default: metrics.params). */
  readonly params?: unknown
  /** Per-tick host series, time ascending; may be month-long (the renderer downsamples). */
  readonly hostSeries: ReadonlyArray<HostSeriesRow>
  /** One row per VM of the fleet. */
  readonly vmSummaries: ReadonlyArray<VmSummaryRow>
  /** Per-VM heatmap cells (~200 buckets x VMs). */
  readonly heatmap: ReadonlyArray<HeatmapCell>
  /** Distribution of slowdown over running VM-time. */
  readonly slowdownHistogram: ReadonlyArray<SlowdownBucket>
  /** Set when the run stopped on a rule violation or failed (default: metrics.error). */
  readonly error?: string
}

/** A model the runs share (slowdown model, world model): what it is and its parameters. */
export interface ModelDescription {
  readonly name: string
  /** A sentence or two for planners. */
  readonly description: string
  readonly params: unknown
}

/** A series file to write beside the report, already formatted as CSV by its producer. */
export interface SeriesCsv {
  /** File name only (no directories): letters, digits, '.', '-', '_'; should end in .csv. */
  readonly fileName: string
  readonly csv: string
}

export type HeatmapMeasure = 'slowdown' | 'pressure'

/** What the whole fleet wanted, from the trace: the same for every policy (a run's own figures
 *  cover only the VMs it admitted). */
export interface FleetFacts {
  /** VMs in the trace. */
  readonly vms: number
  /** VM-hours the VMs were on in the trace (wanted to run). */
  readonly vmHours: number
  /** Demand (working set) of every VM while on, GiBh. */
  readonly demandGiBh: number
}

export interface ReportInput {
  /** Title of the report (free text). */
  readonly title: string
  /** Name of the trace (free text). */
  readonly traceName: string
  /** The trace importer's report: what was read and every repair, by kind. */
  readonly importReport: ImportReport
  /** The host every run replayed on, GiB. */
  readonly host: {
    readonly physicalGiB: number
    readonly reserveGiB: number
    readonly vmOverheadGiB: number
  }
  /** The runs to compare, in display order. */
  readonly runs: ReadonlyArray<ReportRun>
  /** The whole fleet's figures from the trace, shown beside each run's admitted-VM figures. */
  readonly fleet?: FleetFacts
  /** What HeatmapCell.value measures: 'slowdown' (factor >= 1) or 'pressure' (demand / assigned x 100).
   *  Default 'slowdown'. */
  readonly heatmapMeasure?: HeatmapMeasure
  readonly slowdownModel: ModelDescription
  readonly worldModel: ModelDescription
  /** Modelling choices the policies and models declare, one sentence each (free text). */
  readonly notes: ReadonlyArray<string>
  /** Series CSVs to write as they are (e.g. host-series.csv, vm-summary.csv). */
  readonly seriesCsv?: ReadonlyArray<SeriesCsv>
  /** Optional free-text line shown in the report (e.g. a generation time); the renderer adds none
   *  of its own so that the same input gives the same bytes. */
  readonly generatedNote?: string
}

/**
 * The figures of one run (one policy on one trace and host), as written to metrics.json.
 * Units: GiB, hours; a GiBh is one GiB held for one hour. Every figure is folded from the world's
 * account (engine/account.ts), never from what a policy says about itself.
 */
export const METRICS_SCHEMA_VERSION = 1

export interface RunMetrics {
  readonly policy: string
  readonly params: unknown
  readonly hostMemoryGiB: number
  readonly vmsTotal: number
  readonly vmsAdmitted: number
  readonly vmsRefused: number
  /** Peak over ticks of (sum of configured memory of running VMs) / physical. */
  readonly overAllocationRatio: number
  /** Peak over ticks of (sum of touched - shared memory of running VMs) / physical: what the VMs
   *  hold privately against the host's memory. Above 1 something must be swapped or compressed
   *  (over-commitment, DOMAIN.md section 1); a host that only shares pages stays <= 1. */
  readonly overCommitRatio: number
  readonly peakResidentGiB: number
  readonly meanResidentGiB: number
  readonly demandGiBh: number
  /** Working set not available, all causes. */
  readonly shortfallGiBh: number
  readonly guestPagingGiBh: number
  /** Working set in host swap (hit), GiBh. */
  readonly hostSwapGiBh: number
  readonly hostSwapOutGiB: number
  readonly compressedGiBh: number
  readonly balloonedGiBh: number
  readonly sharedSavedGiBh: number
  readonly blockedGiBh: number
  /** Share of time in each free-memory state, for policies with states; {} otherwise. */
  readonly stateShare: Readonly<Record<string, number>>
  /** Share of running VM-time with pressure (demand / assigned x 100) above 100. */
  readonly pressureOver100Share: number
  readonly slowdownP50: number
  readonly slowdownP95: number
  readonly slowdownP99: number
  readonly slowdownMax: number
  /** Jain's fairness index of each admitted VM's satisfied share of demand (1 = perfectly fair). */
  readonly fairness: number
  // Added by the metrics reducers (optional so that hand-built RunMetrics elsewhere stay valid;
  // finishRun always sets them).
  /** Hours covered by the folded ticks (sum of tick seconds / 3600). */
  readonly durationHours?: number
  /** Running VM-hours (the denominator of pressureOver100Share and the slowdown percentiles). */
  readonly runningVmHours?: number
  /** Working set compressed (hit), GiBh: the fourth part of shortfallGiBh. */
  readonly compressedHitGiBh?: number
  /** Touched memory in host swap (all of it, not only working set), GiBh. */
  readonly swappedGiBh?: number
  /** VMs refused at least once that never ran (vmsRefused counts every VM refused at least once). */
  readonly vmsRefusedNeverAdmitted?: number
  /** Time-weighted mean slowdown over running VM-time (exact, not from the histogram). */
  readonly slowdownMean?: number
  /** Share of time the over-commit ratio was above 1 (something had to be swapped or compressed). */
  readonly overCommitTimeShare?: number
  /** Share of running VM-time short of memory: more than 1% of the working set not resident, whatever the cause
   *  (guest paging, host swap hit, compression hit, blocked). The headline service figure; over the
   *  admitted VMs' running time. */
  readonly shortOfMemoryShare?: number
  /** VM-hours with status refused: time VMs wanted to run and were not admitted. */
  readonly refusedVmHours?: number
  /** shortOfMemoryShare over all the VM-time the fleet wanted to run: (short running VM-time +
   *  refused VM-time) / (running + refused VM-time). */
  readonly shortOrRefusedShare?: number
  /** Set when the run stopped on a rule violation: its message. Figures then cover ticks before it. */
  readonly error?: string
}

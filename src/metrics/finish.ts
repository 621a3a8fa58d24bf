/**
 * From a RunPartial (the whole run's, after concatenation) to what people read: RunMetrics, the
 * per-VM summaries, the host series in GiB, heatmap cells and the slowdown distribution. Pure.
 *
 * Conversions: GiB = MiB / 1024; GiBh = MiB x s / 1024 / 3600.
 *
 * Exact meaning of each RunMetrics figure (t ranges over the folded ticks, s_t its seconds,
 * "running" = status running at t):
 *   (Per-VM figures cover the VMs of header.vmIds, taken in that order.)
 *   vmsTotal             header.vmIds.length
 *   vmsAdmitted          VMs running at >= 1 tick
 *   vmsRefused           VMs with status refused at >= 1 tick (whether or not they ran later);
 *                        vmsRefusedNeverAdmitted: of those, the ones that never ran
 *   overAllocationRatio  max_t  sum_running configured / physical_t (what VMs were promised)
 *   overCommitRatio      max_t  sum_running (touched - shared) / physical_t: what VMs hold
 *                        privately against the host's memory. Above 1, something must be swapped
 *                        or compressed (DOMAIN.md section 1); pages saved by sharing do not count,
 *                        so a host that shares but never swaps or compresses stays <= 1
 *   overCommitTimeShare  sum_t [sum_running (touched - shared) > physical_t] s_t / sum_t s_t
 *   peakResidentGiB      max_t  sum_all resident (compressed store included, overhead excluded)
 *   meanResidentGiB      sum_t (sum_all resident) s_t / sum_t s_t
 *   demandGiBh           integral of sum_running demand
 *   shortfallGiBh        guestPagingGiBh + hostSwapGiBh + compressedHitGiBh + blockedGiBh, each the
 *                        integral of the account field of the same name over running VMs
 *                        (hostSwapGiBh integrates hostSwapHit)
 *   hostSwapOutGiB       sum of swapOut (MiB written to host swap) / 1024
 *   compressedGiBh, balloonedGiBh, sharedSavedGiBh, swappedGiBh
 *                        integrals of compressed, ballooned, shared, swapped (all VMs)
 *   stateShare           {} unless header.hasStates; else seconds in each state / sum_t s_t, for
 *                        every state but 'none' (and 'none' too if any tick reported it)
 *   pressureOver100Share running VM-seconds with demand > assigned / running VM-seconds (0 if none):
 *                        Hyper-V's own figure, blind to host swap and compression
 *   shortOfMemoryShare   running VM-seconds short of memory / running VM-seconds (0 if none), where
 *                        short = guestPaging + hostSwapHit + compressedHit + blocked > max(SHORT_MIB, 1% of demand)
 *                        (fold.ts): the headline service figure, every cause counted. Over the
 *                        admitted VMs' running time only
 *   refusedVmHours       VM-seconds with status refused / 3600 (time VMs wanted to run and did not)
 *   shortOrRefusedShare  (short running VM-seconds + refused VM-seconds) / (running + refused
 *                        VM-seconds): shortOfMemoryShare over all the VM-time the fleet wanted,
 *                        refused time counted as short (0 if none)
 *   slowdownP50/P95/P99  weighted percentiles of slowdown over running VM-seconds, from the
 *                        log histogram (histogram.ts: within 1%, never above the truth); 1 if none
 *   slowdownMax          exact maximum (1 if no running time)
 *   fairness             Jain's index (sum x)^2 / (n sum x^2) over VMs that ran with demand > 0,
 *                        x = satisfied share = integral max(0, demand - unavailable) / integral demand;
 *                        1 when n = 0 or every x = 0 (all equal).
 */
import type { RunHeader } from '../engine/account.js'
import { HOST_STATES } from '../engine/account.js'
import type { HeatmapCell, HeatmapMeasure, HostSeriesRow, SlowdownBucket, VmSummaryRow } from '../report/model.js'
import { SLOWDOWN_BUCKETS, SLOWDOWN_EDGES, histogramPercentile } from './histogram.js'
import { HEAT_COUNT, type HostSeries, type RunPartial, VM_RAN, VM_REFUSED, VM_STAT_COUNT, vmStatIndex as S } from './partial.js'
import type { RunMetrics } from './run-metrics.js'

const MIB_PER_GIB = 1024
const toGiB = (mib: number): number => mib / MIB_PER_GIB
const toGiBh = (mibSeconds: number): number => mibSeconds / MIB_PER_GIB / 3600

/** Jain's fairness index of non-negative values; 1 for an empty list or all zeros. */
export const jainIndex = (xs: ReadonlyArray<number>): number => {
  let s = 0
  let s2 = 0
  for (const x of xs) {
    s += x
    s2 += x * x
  }
  return xs.length === 0 || s2 === 0 ? 1 : (s * s) / (xs.length * s2)
}

/** The run's slowdown histogram: the sum of the per-VM histograms (seconds per bucket). */
export const runSlowdownHistogram = (p: RunPartial): Float64Array => {
  const h = new Float64Array(SLOWDOWN_BUCKETS)
  const n = p.vms.ids.length
  // Bucket weights are seconds: whole numbers in practice, so this sum is exact in any order.
  for (let v = 0; v < n; v++) {
    const o = v * SLOWDOWN_BUCKETS
    for (let k = 0; k < SLOWDOWN_BUCKETS; k++) h[k] += p.vms.hist[o + k]
  }
  return h
}

/**
 * Over-commitment of one host's series: the peak of sum_running (touched - shared) / physical, and
 * the seconds it was above 1 (of `seconds` in all). Ticks with no physical memory are skipped.
 */
export const overCommitOf = (
  s: HostSeries,
): { readonly ratio: number; readonly overSeconds: number; readonly seconds: number } => {
  let ratio = 0
  let overSeconds = 0
  let seconds = 0
  for (let i = 0; i < s.length; i++) {
    const sec = s.seconds[i]
    seconds += sec
    const phys = s.physical[i]
    if (!(phys > 0)) continue
    const held = s.sums.touchedUnshared[i]
    ratio = Math.max(ratio, held / phys)
    if (held > phys) overSeconds += sec
  }
  return { ratio, overSeconds, seconds }
}

/** Figures of a run from its (whole) partial. `error`: the rule violation that stopped it, if any. */
export const finishRun = (header: RunHeader, partial: RunPartial, error?: string): RunMetrics => {
  const s = partial.series
  const sums = s.sums
  let totalSec = 0
  let resMiBs = 0
  let demMiBs = 0
  let gpMiBs = 0
  let hsMiBs = 0
  let chMiBs = 0
  let blMiBs = 0
  let compMiBs = 0
  let ballMiBs = 0
  let shMiBs = 0
  let swMiBs = 0
  let swapOut = 0
  let overAlloc = 0
  let peakRes = 0
  const stateSec = new Float64Array(HOST_STATES.length)
  for (let i = 0; i < s.length; i++) {
    const sec = s.seconds[i]
    totalSec += sec
    resMiBs += sums.resident[i] * sec
    demMiBs += sums.demand[i] * sec
    gpMiBs += sums.guestPaging[i] * sec
    hsMiBs += sums.hostSwapHit[i] * sec
    chMiBs += sums.compressedHit[i] * sec
    blMiBs += sums.blocked[i] * sec
    compMiBs += sums.compressed[i] * sec
    ballMiBs += sums.ballooned[i] * sec
    shMiBs += sums.shared[i] * sec
    swMiBs += sums.swapped[i] * sec
    swapOut += sums.swapOut[i]
    const phys = s.physical[i]
    if (phys > 0) overAlloc = Math.max(overAlloc, sums.configured[i] / phys)
    peakRes = Math.max(peakRes, sums.resident[i])
    if (s.state[i] < stateSec.length) stateSec[s.state[i]] += sec
  }

  const oc = overCommitOf(s)
  const stateShare: Record<string, number> = {}
  if (header.hasStates && totalSec > 0)
    HOST_STATES.forEach((name, k) => {
      if (name !== 'none' || stateSec[k] > 0) stateShare[name] = stateSec[k] / totalSec
    })

  const { ids, flags, stats } = partial.vms
  let admitted = 0
  let refused = 0
  let refusedNever = 0
  let runSec = 0
  let overSec = 0
  let slowSec = 0
  let slowMax = 0
  let shortSec = 0
  let refusedSec = 0
  const shares: number[] = []
  // Header order, so that the result does not depend on the order pieces were concatenated in
  // (float sums of the shares would otherwise differ in their last bits). VMs not in the header
  // are ignored.
  const index = new Map(ids.map((id, i) => [id, i]))
  for (const id of header.vmIds) {
    const v = index.get(id)
    if (v === undefined) continue
    const f = flags[v]
    const o = v * VM_STAT_COUNT
    if (f & VM_RAN) admitted++
    if (f & VM_REFUSED) {
      refused++
      if (!(f & VM_RAN)) refusedNever++
    }
    runSec += stats[o + S.runSeconds]
    overSec += stats[o + S.pressureOverSeconds]
    slowSec += stats[o + S.slowdownSeconds]
    shortSec += stats[o + S.shortSeconds]
    refusedSec += stats[o + S.refusedSeconds]
    slowMax = Math.max(slowMax, stats[o + S.slowdownMax])
    const dem = stats[o + S.demandMiBs]
    if (f & VM_RAN && dem > 0) shares.push(stats[o + S.satisfiedMiBs] / dem)
  }
  const hist = runSlowdownHistogram(partial)

  const guestPagingGiBh = toGiBh(gpMiBs)
  const hostSwapGiBh = toGiBh(hsMiBs)
  const compressedHitGiBh = toGiBh(chMiBs)
  const blockedGiBh = toGiBh(blMiBs)
  const metrics: RunMetrics = {
    policy: header.policy,
    params: header.params,
    hostMemoryGiB: toGiB(header.host.physical),
    vmsTotal: header.vmIds.length,
    vmsAdmitted: admitted,
    vmsRefused: refused,
    overAllocationRatio: overAlloc,
    overCommitRatio: oc.ratio,
    overCommitTimeShare: oc.seconds > 0 ? oc.overSeconds / oc.seconds : 0,
    peakResidentGiB: toGiB(peakRes),
    meanResidentGiB: totalSec > 0 ? toGiB(resMiBs / totalSec) : 0,
    demandGiBh: toGiBh(demMiBs),
    shortfallGiBh: toGiBh(gpMiBs + hsMiBs + chMiBs + blMiBs),
    guestPagingGiBh,
    hostSwapGiBh,
    hostSwapOutGiB: toGiB(swapOut),
    compressedGiBh: toGiBh(compMiBs),
    balloonedGiBh: toGiBh(ballMiBs),
    sharedSavedGiBh: toGiBh(shMiBs),
    blockedGiBh,
    stateShare,
    pressureOver100Share: runSec > 0 ? overSec / runSec : 0,
    slowdownP50: histogramPercentile(hist, 0.5),
    slowdownP95: histogramPercentile(hist, 0.95),
    slowdownP99: histogramPercentile(hist, 0.99),
    slowdownMax: runSec > 0 ? Math.max(1, slowMax) : 1,
    fairness: jainIndex(shares),
    durationHours: totalSec / 3600,
    runningVmHours: runSec / 3600,
    compressedHitGiBh,
    swappedGiBh: toGiBh(swMiBs),
    vmsRefusedNeverAdmitted: refusedNever,
    slowdownMean: runSec > 0 ? slowSec / runSec : 1,
    shortOfMemoryShare: runSec > 0 ? shortSec / runSec : 0,
    refusedVmHours: refusedSec / 3600,
    shortOrRefusedShare: runSec + refusedSec > 0 ? (shortSec + refusedSec) / (runSec + refusedSec) : 0,
  }
  return error === undefined ? metrics : { ...metrics, error }
}

// ---------------------------------------------------------------------------------------------
// Per-VM summaries

/** One VM's figures over a run. Extends the report's row (report/model.ts) with more detail. */
export interface VmSummary extends VmSummaryRow {
  /** Ran at least once. */
  readonly admitted: boolean
  /** Time-weighted means while running, GiB. */
  readonly meanDemandGiB: number
  readonly meanConfiguredGiB: number
  readonly meanResidentGiB: number
  readonly peakResidentGiB: number
  readonly demandGiBh: number
  readonly guestPagingGiBh: number
  readonly compressedHitGiBh: number
  readonly blockedGiBh: number
  readonly sharedSavedGiBh: number
  readonly balloonedGiBh: number
  readonly compressedGiBh: number
  readonly swappedGiBh: number
  readonly hostSwapOutGiB: number
  /** Integral of max(0, demand - unavailable) / integral of demand; 1 if the VM had no demand. */
  readonly satisfiedShare: number
  readonly slowdownP50: number
  readonly slowdownMean: number
  /** Hours with status refused (wanted to run and was not admitted). */
  readonly refusedHours: number
}

/** Per-VM summaries in header.vmIds order (a VM absent from the partial gets zeros). */
export const vmSummaries = (header: RunHeader, partial: RunPartial): ReadonlyArray<VmSummary> => {
  const index = new Map(partial.vms.ids.map((id, i) => [id, i]))
  const { flags, stats, hist } = partial.vms
  const zeroStats = new Float64Array(VM_STAT_COUNT)
  const zeroHist = new Float64Array(SLOWDOWN_BUCKETS)
  return header.vmIds.map((id) => {
    const v = index.get(id)
    const st = v === undefined ? zeroStats : stats.subarray(v * VM_STAT_COUNT, (v + 1) * VM_STAT_COUNT)
    const h = v === undefined ? zeroHist : hist.subarray(v * SLOWDOWN_BUCKETS, (v + 1) * SLOWDOWN_BUCKETS)
    const f = v === undefined ? 0 : flags[v]
    const run = st[S.runSeconds]
    const mean = (x: number): number => (run > 0 ? toGiB(x / run) : 0)
    const shortfall = st[S.guestPagingMiBs] + st[S.hostSwapHitMiBs] + st[S.compressedHitMiBs] + st[S.blockedMiBs]
    return {
      vm: id,
      refused: (f & VM_REFUSED) !== 0,
      admitted: (f & VM_RAN) !== 0,
      runningHours: run / 3600,
      configuredGiB: toGiB(st[S.peakConfigured]),
      peakDemandGiB: toGiB(st[S.peakDemand]),
      shortfallGiBh: toGiBh(shortfall),
      hostSwapGiBh: toGiBh(st[S.hostSwapHitMiBs]),
      pressureOver100Share: run > 0 ? st[S.pressureOverSeconds] / run : 0,
      shortOfMemoryShare: run > 0 ? st[S.shortSeconds] / run : 0,
      slowdownP95: histogramPercentile(h, 0.95),
      slowdownMax: run > 0 ? Math.max(1, st[S.slowdownMax]) : 1,
      meanDemandGiB: mean(st[S.demandMiBs]),
      meanConfiguredGiB: mean(st[S.configuredMiBs]),
      meanResidentGiB: mean(st[S.residentMiBs]),
      peakResidentGiB: toGiB(st[S.peakResident]),
      demandGiBh: toGiBh(st[S.demandMiBs]),
      guestPagingGiBh: toGiBh(st[S.guestPagingMiBs]),
      compressedHitGiBh: toGiBh(st[S.compressedHitMiBs]),
      blockedGiBh: toGiBh(st[S.blockedMiBs]),
      sharedSavedGiBh: toGiBh(st[S.sharedMiBs]),
      balloonedGiBh: toGiBh(st[S.balloonedMiBs]),
      compressedGiBh: toGiBh(st[S.compressedMiBs]),
      swappedGiBh: toGiBh(st[S.swappedMiBs]),
      hostSwapOutGiB: toGiB(st[S.swapOutMiB]),
      satisfiedShare: st[S.demandMiBs] > 0 ? st[S.satisfiedMiBs] / st[S.demandMiBs] : 1,
      slowdownP50: histogramPercentile(h, 0.5),
      slowdownMean: run > 0 ? st[S.slowdownSeconds] / run : 1,
      refusedHours: st[S.refusedSeconds] / 3600,
    }
  })
}

// ---------------------------------------------------------------------------------------------
// Series for the report (report/model.ts shapes, GiB)

/**
 * The host series as the report's rows, one per folded tick, GiB:
 *   residentWorkingSet = sum residentWorkingSet (see partial.ts HOST_SUM_FIELDS)
 *   residentIdle       = sum (resident + overhead) - residentWorkingSet
 *                      = sum residentIdle + sum compressedStore + sum overhead
 *   sharedAway, ballooned, compressed, swapped: the sums of the account fields
 *   free               the host's free memory; shortfall* the sums by kind; demand; state (when
 *                      header.hasStates).
 */
export const hostSeriesRows = (header: RunHeader, partial: RunPartial): ReadonlyArray<HostSeriesRow> => {
  const s = partial.series
  const u = s.sums
  const rows: HostSeriesRow[] = []
  for (let i = 0; i < s.length; i++) {
    const base = {
      time: s.time[i],
      residentWorkingSet: toGiB(u.residentWorkingSet[i]),
      residentIdle: toGiB(u.residentIdle[i] + u.compressedStore[i] + u.overhead[i]),
      sharedAway: toGiB(u.shared[i]),
      ballooned: toGiB(u.ballooned[i]),
      compressed: toGiB(u.compressed[i]),
      swapped: toGiB(u.swapped[i]),
      free: toGiB(s.free[i]),
      shortfallGuestPaging: toGiB(u.guestPaging[i]),
      shortfallHostSwap: toGiB(u.hostSwapHit[i]),
      shortfallCompressed: toGiB(u.compressedHit[i]),
      shortfallBlocked: toGiB(u.blocked[i]),
      demand: toGiB(u.demand[i]),
    }
    rows.push(header.hasStates ? { ...base, state: HOST_STATES[s.state[i]] ?? String(s.state[i]) } : base)
  }
  return rows
}

export type HeatAggregate = 'mean' | 'max'

/**
 * Heatmap cells, one per (VM, time bucket) in which the VM ran (cells where it did not run are
 * omitted). Value: the time-weighted mean while running (default) or the maximum over the bucket's
 * running ticks, of slowdown (factor >= 1) or pressure (100 x demand / assigned, capped at
 * PRESSURE_CAP). Bucket b starts at header.start + b x bucketTicks x header.step. VM order:
 * header.vmIds; buckets ascending.
 */
export const heatmapCells = (
  header: RunHeader,
  partial: RunPartial,
  measure: HeatmapMeasure = 'slowdown',
  aggregate: HeatAggregate = 'mean',
): ReadonlyArray<HeatmapCell> => {
  const { bucketTicks, buckets, cells } = partial.heat
  const index = new Map(partial.vms.ids.map((id, i) => [id, i]))
  const sumM = measure === 'pressure' ? 1 : 3
  const maxM = measure === 'pressure' ? 2 : 4
  const out: HeatmapCell[] = []
  for (const id of header.vmIds) {
    const v = index.get(id)
    if (v === undefined) continue
    for (let b = 0; b < buckets; b++) {
      const o = (v * buckets + b) * HEAT_COUNT
      const run = cells[o]
      if (!(run > 0)) continue
      out.push({
        vm: id,
        bucketStart: header.start + b * bucketTicks * header.step,
        value: aggregate === 'mean' ? cells[o + sumM] / run : cells[o + maxM],
      })
    }
  }
  return out
}

/**
 * The distribution of slowdown over running VM-time: the non-empty buckets of the log histogram
 * (histogram.ts), [lower, upper), in VM-hours; the last bucket is open (upper null).
 */
export const slowdownDistribution = (partial: RunPartial): ReadonlyArray<SlowdownBucket> => {
  const h = runSlowdownHistogram(partial)
  const out: SlowdownBucket[] = []
  for (let k = 0; k < SLOWDOWN_BUCKETS; k++) {
    if (!(h[k] > 0)) continue
    out.push({
      lower: SLOWDOWN_EDGES[k],
      upper: k === SLOWDOWN_BUCKETS - 1 ? null : SLOWDOWN_EDGES[k + 1],
      vmHours: h[k] / 3600,
    })
  }
  return out
}

/**
 * overcommit: VMware ESX/ESXi memory management, ESX 4 to vSphere 6 (ESX 2's thresholds, balloon cap
 * and scan rate as params). DOMAIN.md section 4.
 *
 * Models: per-VM shares, reservation and limit; admission control on reservations; active memory
 * estimated by sampling (slow and fast moving averages, estimate = the larger); the free-memory states
 * relative to minFree with hysteresis (policies/internal/esx-states.ts); reclaim in ESX's order,
 * transparent page sharing -> balloon (capped at 65% of the VM, never below the reservation) ->
 * compression of pages chosen for swap (10% cache cap, 2 KB slots) together with host swap -> blocking
 * in the low state; whom to reclaim from by the idle memory tax (policies/internal/esx-tax.ts); large
 * pages that hide sharing until free memory falls below the high threshold; salting (intra-VM sharing
 * only) on by default, as since 2014.
 *
 * Leaves out: NUMA; per-VM swap file sizes (swap is unbounded); the SSD host cache (the world's
 * slowdown model has a swap-device param); memory tax and shares per resource pool (VMs are flat
 * siblings under one host); overhead memory that grows with the VM; VMX swap; DRS.
 *
 * Choices (each documented at the param or below):
 * - States: the host enters a state when free memory falls BELOW its threshold (clear < 100% of
 *   minFree, soft < 64%, hard < 32%, low < 16%); 400% is the line below which large pages are broken,
 *   while the state is still 'high' (Epping 2015; see esx-states.ts). So sharing may run in the high
 *   state (below 400%), and the balloon starts below 64% of minFree, not 100%. Upward moves need the
 *   threshold plus a hysteresis margin; reclaim aims above the soft state's exit, so under a steady
 *   load hard and low are transient: the host climbs back to soft, then clear or high.
 * - How much: each control step, enough to bring free memory back to the level at which the host
 *   leaves the soft state (soft threshold + hysteresis margin; vSphere 6: 96% of minFree), plus the
 *   growth of touched memory seen over the last step (ESX re-evaluates every few seconds and so keeps
 *   up with growth it sees).
 * - Whom, and moving reclaim (min-funding revocation, Waldspurger 2002 section 5): in the soft state
 *   the allocation of every live VM is decided afresh each step, not only the increment: with P the
 *   VM's host-held touched pages (touched - compressed - swapped), room its balloon (memory it gets
 *   back if the balloon deflates) and f its estimated active fraction, the memory the VMs may hold in
 *   all (held + room - need) is water-filled on rho = S / (P (f + k (1 - f))), k = 1 / (1 - tau), so
 *   every VM ends at one rho or at a bound: reclaim comes from the lowest rho, and earlier reclaim of
 *   a VM whose rho has risen (it became active) moves to one whose rho is lower (it went idle). Its
 *   bounds: the reservation, and what the balloon can reach (its cap, 65% of the VM, less the
 *   guest's untouched room, which the guest gives the balloon first and which frees nothing). With
 *   tau > 0 idle pages go first; tau = 0 is pure proportional share. hard and low: host swap and
 *   compression of the increment, by the same rho ("the balloon driver stops": balloons hold).
 * - Giving back: in the high and clear states, free memory above the same set point (less the
 *   expected growth) goes back by deflating balloons, highest rho first (the reverse water-filling,
 *   so active VMs get theirs back before idle ones). Swapped and compressed pages are not brought
 *   back by the policy: the guest faults a page back when it touches it (the world's step 5b), and
 *   idle pages stay where they are, costing nothing.
 * - Large pages: broken below 400% of minFree; restored once free memory has stayed above that line
 *   plus its margin for `largePageRestoreSeconds` (modelling choice: ESX publishes no delay).
 * - No randomness: the active estimate uses the world's samples, so the state carries no Rng.
 * - A limit is kept by the balloon first (the guest is held at its limit, within the balloon cap, in
 *   any state), then by the decision's cap: the world sends resident memory above it to swap.
 * - Warm start: VMs running at the recording's start have been sampled before it: their active
 *   estimate starts from the first sample (as for every VM), and the world starts them in steady state.
 */
import * as t from 'io-ts'
import { definePolicy, scratchColumn, type Decision, type Observation, type PolicyContext, type Scratch } from '../src/engine/policy.js'
import { paramsCodec, range } from '../src/engine/params.js'
import { VmStatus, type HostState } from '../src/engine/account.js'
import {
  exitLevel,
  freeThresholds,
  largePagesBroken,
  nextFreeState,
  secondsAboveLine,
  type FreeThresholds,
  type Hysteresis,
  type StatesKind,
} from './internal/esx-states.js'
import { tickWeight, updateActiveColumns } from './internal/esx-active.js'
import { addGrantClient, addReclaimClient, fillAt, finishFill, grantDraft, reclaimDraft, splitPageOut, waterLevel } from './internal/esx-tax.js'

export interface OvercommitParams {
  /** Idle memory tax rate tau, 0 <= tau < 1. Documented: ESX default 75% (Mem.IdleTax; Waldspurger 2002). */
  readonly idleTax: number
  /** Free-memory states: 'vsphere6' (minFree-relative, with clear), 'esx5' (no clear), 'esx2' (6/4/2/1% of host memory). Documented. */
  readonly states: StatesKind
  /** Guest memory backed by 2 MB pages, not shared until broken. Documented: on by default with hardware MMU (ESX 3.5+). */
  readonly largePages: boolean
  /** Sharing only within a VM. Documented: Mem.ShareForceSalting = 2 by default since 2014 (ESXi 5.5 U2d, 5.1 U3, 5.0 U3d). */
  readonly salting: boolean
  /** Page sharing scans all guest memory once per this many minutes. Documented: ESX 4 Mem.ShareScanTime = 60. */
  readonly shareScanMinutes: number
  /** If > 0, scan this many 4 KiB pages per second per host instead (ESX 2: 200). Documented (Waldspurger 2002); 0 = use shareScanMinutes. */
  readonly shareScanPagesPerSecond: number
  /** Balloon cap, percent of the VM's configured memory. Documented: Mem.CtlMaxPercent = 65 (ESX 4); ESX 2: 50. */
  readonly balloonMaxPercent: number
  /** Memory compression of pages chosen for swap. Documented: ESX 4.1+, on by default. */
  readonly compression: boolean
  /** Compression cache cap, share of the VM's configured memory (host memory of the cache). Documented: Mem.MemZipMaxPct = 10. */
  readonly compressionCacheShare: number
  /** Share of pages chosen for swap that compress to 2 KB or less (kept compressed). Modelling choice: no published figure. */
  readonly compressibleShare: number
  /** Time constant of the slow active-memory average, seconds. Modelling choice (ESX publishes none). */
  readonly activeSlowSeconds: number
  /** Time constant of the fast active-memory average, seconds. Modelling choice (two 60-s periods). */
  readonly activeFastSeconds: number
  /** Hysteresis margin as a share of the threshold being left. Modelling choice anchored on ESX 2 (soft 4% -> high 6% = x1.5). */
  readonly hysteresisShare: number
  /** Smallest hysteresis margin, MiB. Modelling choice (keeps small hosts from flapping). */
  readonly minHysteresisMiB: number
  /** Admit a VM only while the sum of configured memory (+ overhead) stays within this multiple of the host; null = no cap (ESX admits on reservations only). Modelling choice. */
  readonly maxOverAllocation: number | null
  /** Seconds free memory must stay above the large-page line (+ margin) before large pages are restored. Modelling choice. */
  readonly largePageRestoreSeconds: number
}

const defaults: OvercommitParams = {
  idleTax: 0.75,
  states: 'vsphere6',
  largePages: true,
  salting: true,
  shareScanMinutes: 60,
  shareScanPagesPerSecond: 0,
  balloonMaxPercent: 65,
  compression: true,
  compressionCacheShare: 0.1,
  compressibleShare: 0.5,
  activeSlowSeconds: 1800,
  activeFastSeconds: 120,
  hysteresisShare: 0.5,
  minHysteresisMiB: 32,
  maxOverAllocation: null,
  largePageRestoreSeconds: 600,
}

const paramsType = paramsCodec(
  'overcommit',
  {
    idleTax: t.number,
    states: t.keyof({ vsphere6: null, esx5: null, esx2: null }),
    largePages: t.boolean,
    salting: t.boolean,
    shareScanMinutes: t.number,
    shareScanPagesPerSecond: t.number,
    balloonMaxPercent: t.number,
    compression: t.boolean,
    compressionCacheShare: t.number,
    compressibleShare: t.number,
    activeSlowSeconds: t.number,
    activeFastSeconds: t.number,
    hysteresisShare: t.number,
    minHysteresisMiB: t.number,
    maxOverAllocation: t.union([t.number, t.null]),
    largePageRestoreSeconds: t.number,
  },
  defaults,
  // Valid values, refused by name outside them: tau below 1 (k = 1 / (1 - tau) is infinite at 1),
  // shares in [0, 1], percentages of a VM, and times from none to a day.
  {
    idleTax: range(0, 0.99),
    shareScanMinutes: range(0, 1440, 'minutes'),
    shareScanPagesPerSecond: range(0, 1e7, 'pages per second'),
    balloonMaxPercent: range(0, 100, 'percent of the VM'),
    compressionCacheShare: range(0, 1),
    compressibleShare: range(0, 1),
    activeSlowSeconds: range(0, 86_400, 'seconds'),
    activeFastSeconds: range(0, 86_400, 'seconds'),
    hysteresisShare: range(0, 10),
    minHysteresisMiB: range(0, 1_048_576, 'MiB'),
    largePageRestoreSeconds: range(0, 86_400, 'seconds'),
  },
)

/** A compressed page is kept only if it fits a 2 KB slot: it occupies at most half its size. */
export const COMPRESSED_STORE_RATIO = 0.5

const PAGE_MIB = 4 / 1024
const EPS = 1e-9

/** VM settings the step reads for every VM, as columns (read once in init, not a property chain per
 *  VM per step). `limit` is also every decision's cap (the world never writes a decision). */
interface VmColumns {
  readonly reservation: Float64Array
  readonly limit: Float64Array
  readonly shares: Float64Array
}

export interface OvercommitState {
  readonly context: PolicyContext
  readonly params: OvercommitParams
  readonly settings: VmColumns
  readonly thresholds: FreeThresholds
  readonly hysteresis: Hysteresis
  readonly freeState: HostState
  readonly largePagesBroken: boolean
  /** Seconds free memory has stayed above the large-page line plus its margin. */
  readonly secondsAboveLine: number
  /** Active-memory averages per VM (reset when a VM is not running). */
  readonly slow: Float64Array
  readonly fast: Float64Array
  readonly seen: Uint8Array
  /** Touched memory of each running VM at the last tick (NaN: not running), for the growth look-ahead. */
  readonly prevTouched: Float64Array
  /** Touched growth expected this tick (MiB), from the last ticks. */
  readonly growth: number
  /** The last water levels (c / S) of reclaim and give-back (NaN: none yet): where the next search
   *  starts (a hint for speed only: the levels found do not depend on it). */
  readonly reclaimLevel: number
  readonly grantLevel: number
}

const init = (context: PolicyContext, params: OvercommitParams): OvercommitState => {
  const n = context.vms.length
  return {
    context,
    params,
    settings: {
      reservation: Float64Array.from(context.vms, (s) => s.reservationMiB),
      limit: Float64Array.from(context.vms, (s) => s.limitMiB),
      shares: Float64Array.from(context.vms, (s) => s.shares),
    },
    thresholds: freeThresholds(params.states, context.host.physicalMiB),
    hysteresis: { share: params.hysteresisShare, minMiB: params.minHysteresisMiB },
    freeState: 'high',
    largePagesBroken: !params.largePages,
    secondsAboveLine: 0,
    slow: new Float64Array(n),
    fast: new Float64Array(n),
    seen: new Uint8Array(n),
    prevTouched: new Float64Array(n).fill(NaN),
    growth: 0,
    reclaimLevel: NaN,
    grantLevel: NaN,
  }
}

/** The balloon's cap for a VM: CtlMaxPercent of its size, and never below its reservation. */
export const balloonCapOf = (configured: number, reservation: number, maxPercent: number): number =>
  Math.max(0, Math.min((maxPercent / 100) * configured, configured - reservation))

const step = (s: OvercommitState, obs: Observation, scratch?: Scratch): readonly [OvercommitState, Decision] => {
  const { context: ctx, params: p, thresholds: th, hysteresis: h } = s
  const { host } = ctx
  const { reservation, limit } = s.settings
  const n = obs.vmCount
  const { status, poweredOn, configured, touched } = obs
  // Fresh columns for the new state, and temporaries that must start at 0: views of one buffer (this
  // runs every control step; an allocation per column, or an object per VM, is slow).
  const buffer = new ArrayBuffer(4 * 8 * n + 3 * n)
  const slow = new Float64Array(buffer, 0, n)
  const fast = new Float64Array(buffer, 8 * n, n)
  const prevTouched = new Float64Array(buffer, 16 * n, n)
  const bCap = new Float64Array(buffer, 24 * n, n) // written, then read, for live VMs only
  const seen = new Uint8Array(buffer, 32 * n, n)
  // running: running last tick; live: and still powered on (holds memory this tick).
  const running = new Uint8Array(buffer, 32 * n + n, n)
  const live = new Uint8Array(buffer, 32 * n + 2 * n, n)
  // The decision's columns are scratch the engine offers (policy.ts Scratch; new columns without an
  // offer), cleared where only some VMs' values are written (a scratch column holds old values);
  // `active` is written, then read, for running VMs only.
  const visible = scratchColumn(scratch, 0, n)
  const balloon = scratchColumn(scratch, 1, n).fill(0)
  const compress = scratchColumn(scratch, 2, n).fill(0)
  const swap = scratchColumn(scratch, 3, n).fill(0)
  const admit = scratchColumn(scratch, 4, n).fill(0)
  const active = scratchColumn(scratch, 5, n)
  const { ballooned, compressed, swapped } = obs
  const overheadMiB = host.vmOverheadMiB
  const balloonShare = p.balloonMaxPercent / 100 // balloonCapOf's first factor, computed once
  // Module constants read in a loop are reloaded per VM (context, map check): locals.
  const RUNNING = VmStatus.running
  const OFF = VmStatus.off
  const lastTouched = s.prevTouched
  // One pass over the VMs for what depends only on the observation (this runs every control step):
  // who runs, the totals of sections 2 and 3 (each summed in VM order), the targets of section 4.
  let touchedTotal = 0
  let seenGrowth = 0
  let reserved = 0
  let allocated = 0
  visible.set(configured)
  for (let v = 0; v < n; v++) {
    if (status[v] !== RUNNING) {
      prevTouched[v] = NaN
      continue
    }
    running[v] = 1
    const T = touched[v]
    prevTouched[v] = T
    if (poweredOn[v] !== 1) continue
    live[v] = 1
    touchedTotal += T
    // Touched growth over the last tick, of VMs that were running both ticks.
    if (Number.isFinite(lastTouched[v])) seenGrowth += Math.max(0, T - lastTouched[v])
    const c = configured[v]
    const r = reservation[v]
    reserved += r + overheadMiB
    allocated += c + overheadMiB
    // 4. Targets start from what the world holds now (reclaim already done is kept).
    const bc = (bCap[v] = Math.max(0, Math.min(balloonShare * c, c - r))) // balloonCapOf
    balloon[v] = Math.min(ballooned[v], bc)
    compress[v] = compressed[v]
    swap[v] = swapped[v]
  }

  // 1. Active memory from the world's page samples (not running: estimate forgotten).
  const aSlow = tickWeight(obs.stepSeconds, p.activeSlowSeconds)
  const aFast = tickWeight(obs.stepSeconds, p.activeFastSeconds)
  updateActiveColumns(s, obs.sampledPages, obs.accessedPages, running, aSlow, aFast, { slow, fast, seen }, active)

  // 2. Free-memory state and large pages.
  const free = obs.host.freeMiB
  const freeState = nextFreeState(th, s.freeState, free, h)
  // When the host could not grant all growth last tick (it blocked, or free memory ran out), what was
  // seen understates what guests wanted: keep the larger of that and the previous estimate.
  const starved = s.freeState === 'low' || free <= EPS
  const growth = starved ? Math.max(seenGrowth, s.growth) : seenGrowth
  const above = secondsAboveLine(th, free, s.secondsAboveLine, obs.stepSeconds, h)
  const broken = !p.largePages || largePagesBroken(th, s.largePagesBroken, free, above, p.largePageRestoreSeconds, h)

  // 3. Admission control: reservations (+ overhead) of live VMs, summed above, and of those admitted
  //    now must fit in unreserved host memory.
  const capacity = host.physicalMiB - host.reserveMiB
  for (let v = 0; v < n; v++) {
    if (poweredOn[v] !== 1 || status[v] !== OFF) continue
    const need = reservation[v] + overheadMiB
    const size = configured[v] + overheadMiB
    const fitsReservation = reserved + need <= capacity + EPS
    const fitsAllocation = p.maxOverAllocation === null || allocated + size <= p.maxOverAllocation * capacity + EPS
    if (fitsReservation && fitsAllocation) {
      admit[v] = 1
      reserved += need
      allocated += size
    }
  }

  // 5. Reclaim or give back, by state.
  // Goal: free memory back where the host leaves the soft state (the first state that balloons or
  // swaps), plus the touched growth of the last tick, expected again in this one (a tick is minutes
  // long; ESX re-evaluates every few seconds and so keeps up with growth it sees).
  const need = exitLevel(th, 'soft', h) - free + growth
  let reclaimLevel = s.reclaimLevel
  let grantLevel = s.grantLevel
  const tax = p.idleTax
  if (freeState === 'soft') {
    if (need > 0) reclaimLevel = rebalance(s, obs, live, need, active, bCap, balloon, compress, swap)
  } else if (freeState === 'hard' || freeState === 'low') {
    if (need > 0) reclaimLevel = pageOut(s, obs, live, need, active, compress, swap)
  } else if (need < 0) {
    // high or clear: free memory above the set point (less the growth expected) goes back.
    grantLevel = giveBack(obs, live, s.settings.shares, -need, tax, grantLevel, active, balloon)
  }

  // 6. Limits: ESX keeps a VM within its limit by ballooning it, whatever the host's state, so the
  //    guest gives up free and cache pages before the host swaps what is left above the limit (cap).
  //    A VM admitted at a warm start has run under its limit before the recording: its balloon is
  //    already inflated (one that boots has no balloon driver yet, and its limit swaps).
  const warmAdmission = ctx.warmStart && obs.tick === 0
  for (let v = 0; v < n; v++) {
    if (limit[v] >= configured[v] || !(live[v] || (warmAdmission && admit[v]))) continue
    const cap = balloonCapOf(configured[v], reservation[v], p.balloonMaxPercent)
    balloon[v] = Math.max(balloon[v], Math.min(cap, configured[v] - limit[v]))
  }

  const scanMiBPerSecond = p.shareScanPagesPerSecond > 0 ? p.shareScanPagesPerSecond * PAGE_MIB : p.shareScanMinutes > 0 ? touchedTotal / (p.shareScanMinutes * 60) : Number.MAX_VALUE
  const decision: Decision = {
    admit,
    visible,
    balloon,
    compress,
    swap,
    cap: limit,
    sharing: { scope: p.salting ? 'intraVm' : 'interVm', breakLargePages: broken, scanMiBPerSecond },
    compressedStoreRatio: COMPRESSED_STORE_RATIO,
    block: freeState === 'low',
    state: freeState,
  }
  const next: OvercommitState = {
    context: ctx,
    params: p,
    settings: s.settings,
    thresholds: th,
    hysteresis: h,
    freeState,
    largePagesBroken: broken,
    secondsAboveLine: above,
    slow,
    fast,
    seen,
    prevTouched,
    growth,
    reclaimLevel,
    grantLevel,
  }
  return [next, decision]
}

/**
 * Host paging in the hard and low states: choose pages to swap by the idle tax, then compress the
 * compressible share of them while the VM's compression cache has room, swap the rest. Freed host
 * memory is chosen - (store ratio x compressed), so the amount chosen is adjusted until the memory
 * freed matches the need (three passes are plenty: freed is piecewise linear in the amount).
 * Returns the last water level found (else the last step's).
 */
const pageOut = (s: OvercommitState, obs: Observation, live: Uint8Array, need: number, active: Float64Array, compress: Float64Array, swap: Float64Array): number => {
  const { params: p } = s
  const { reservation, shares } = s.settings
  const n = obs.vmCount
  const { configured, touched, shared, compressed, swapped } = obs
  const d = reclaimDraft(n, p.idleTax)
  const room = new Float64Array(n)
  for (let v = 0; v < n; v++) {
    if (!live[v]) continue
    const T = touched[v]
    const P = Math.max(0, T - compressed[v] - swapped[v])
    const pageable = Math.max(0, T - shared[v] - compressed[v] - swapped[v])
    const canTake = Math.max(0, Math.min(pageable, P - Math.min(reservation[v], T)))
    addReclaimClient(d, v, shares[v], P, Math.min(P, active[v] * T), P - canTake)
    room[v] = p.compression ? Math.max(0, (p.compressionCacheShare * configured[v]) / COMPRESSED_STORE_RATIO - compressed[v]) : 0
  }
  const fill = finishFill(d)
  const q = p.compression ? p.compressibleShare : 0
  let amount = need / (1 - COMPRESSED_STORE_RATIO * q)
  let chosen: Float64Array = new Float64Array(0)
  let level = s.reclaimLevel // each pass's level is near the last one's: a hint for its search
  for (let pass = 0; pass < 3; pass++) {
    const y = waterLevel(fill, amount, level)
    chosen = fillAt(fill, amount, y)
    if (!Number.isNaN(y)) level = y
    let freed = 0
    for (let v = 0; v < n; v++) {
      const [c, w] = splitPageOut(chosen[v], q, room[v])
      freed += w + (1 - COMPRESSED_STORE_RATIO) * c
    }
    if (!(freed > need * (1 + 1e-9))) break
    amount *= need / freed
  }
  for (let v = 0; v < n; v++) {
    if (!(chosen[v] > 0)) continue
    const [c, w] = splitPageOut(chosen[v], q, room[v])
    compress[v] += c
    swap[v] += w
  }
  return level
}

/**
 * The soft state: decide afresh how much of its touched memory each live VM holds, by min-funding
 * revocation. Each VM's allocation ranges from its reservation (or what the host may page of it) up
 * to what it holds plus its balloon (deflated). The VMs hold, in all, what they hold and could get
 * back less `need`; the lowest rho give, and a VM whose rho is above the level gets its balloon back.
 * A VM gives by its balloon first, as deep as the balloon's cap reaches (the guest fills it with its
 * untouched room first, which frees nothing); what the balloon cannot reach is paged by the host
 * (compressed or swapped, as in the hard state): ESX swaps a VM whose balloon cannot meet its
 * target (no driver, or at its maximum). Writes the targets; returns the water level found (else
 * the last step's).
 */
const rebalance = (
  s: OvercommitState,
  obs: Observation,
  live: Uint8Array,
  need: number,
  active: Float64Array,
  bCap: Float64Array,
  balloon: Float64Array,
  compress: Float64Array,
  swap: Float64Array,
): number => {
  const { params: p } = s
  const { reservation, shares } = s.settings
  const n = obs.vmCount
  const { visible, configured, touched, shared, compressed, swapped } = obs
  const d = reclaimDraft(n, p.idleTax)
  const reach = new Float64Array(n)
  let room = 0
  for (let v = 0; v < n; v++) {
    if (!live[v]) continue
    const T = touched[v]
    const P = Math.max(0, T - compressed[v] - swapped[v])
    const b = balloon[v]
    const untouched = Math.max(0, visible[v] - b - T)
    // The deepest the balloon can reach into touched pages; the host may page its private pages.
    reach[v] = Math.max(0, bCap[v] - b - untouched)
    const pageable = Math.max(0, T - shared[v] - compressed[v] - swapped[v])
    const floor = Math.max(P - reach[v] - pageable, Math.min(reservation[v], P))
    addReclaimClient(d, v, shares[v], P + b, Math.min(P, active[v] * T), floor)
    room += b
  }
  const fill = finishFill(d)
  const amount = need + room
  const y = waterLevel(fill, amount, s.reclaimLevel)
  const taken = fillAt(fill, amount, y)
  const q = p.compression ? p.compressibleShare : 0
  for (let v = 0; v < n; v++) {
    if (!live[v]) continue
    const T = touched[v]
    const b = balloon[v]
    // taken of (P + b): a VM that gives less than its balloon gets the rest back (deflation); one
    // that gives more loses touched pages: to a bigger balloon, then to the host's paging.
    const fromTouched = taken[v] - b
    if (fromTouched > 0) {
      const byBalloon = Math.min(fromTouched, reach[v])
      const untouched = Math.max(0, visible[v] - b - T)
      balloon[v] = Math.min(bCap[v], b + untouched + byBalloon)
      const rest = fromTouched - byBalloon
      if (rest > 0) {
        const cacheRoom = p.compression ? Math.max(0, (p.compressionCacheShare * configured[v]) / COMPRESSED_STORE_RATIO - compressed[v]) : 0
        const [c, w] = splitPageOut(rest, q, cacheRoom)
        compress[v] += c
        swap[v] += w
      }
    } else balloon[v] = Math.max(0, b + fromTouched)
  }
  return Number.isNaN(y) ? s.reclaimLevel : y
}

/**
 * Pressure gone (high or clear state): hand back up to `budget` MiB of host memory by deflating
 * balloons, to the VMs with the highest rho first (idleTaxGrant): the clients that value a page most
 * (many shares, few idle pages). Swapped and compressed pages are not brought back: the guest
 * faults back what it touches. Returns the last water level found (else `near`, the last step's).
 */
const giveBack = (
  obs: Observation,
  live: Uint8Array,
  shares: Float64Array,
  budget: number,
  tax: number,
  near: number,
  active: Float64Array,
  balloon: Float64Array,
): number => {
  const n = obs.vmCount
  const { touched, compressed, swapped } = obs
  // Only balloons deflate: with none inflated there is nothing to give (the fill's total would be 0).
  let inflated = false
  for (let v = 0; v < n && !inflated; v++) inflated = live[v] === 1 && balloon[v] > 0
  if (!inflated) return near
  const d = grantDraft(n, tax)
  for (let v = 0; v < n; v++) {
    if (!live[v]) continue // a client with nothing
    const held = Math.max(0, touched[v] - compressed[v] - swapped[v])
    addGrantClient(d, v, shares[v], held, Math.min(held, active[v] * touched[v]), balloon[v])
  }
  const fill = finishFill(d)
  if (!(fill.total > 0)) return near // nothing to give back (the usual case once pressure has long gone)
  const y = waterLevel(fill, budget, near)
  const give = fillAt(fill, budget, y)
  for (let v = 0; v < n; v++) if (give[v] > 0) balloon[v] = Math.max(0, balloon[v] - give[v])
  return Number.isNaN(y) ? near : y
}

export const overcommitPolicy = definePolicy<OvercommitParams, OvercommitState>({
  name: 'overcommit',
  description: 'VMware ESX/ESXi 4 to vSphere 6: shares, reservations, limits, idle memory tax, free-memory states, page sharing, balloon, compression, swap.',
  params: paramsType,
  defaults,
  traits: { overcommit: true, reservations: true, states: true, minMax: false },
  notes: [
    'Whom: min-funding revocation on rho = S / (P (f + k (1 - f))), k = 1 / (1 - idleTax), decided afresh each step in the soft state, so earlier reclaim moves from a VM that became active to one that went idle (Waldspurger 2002, section 5).',
    'Soft state: the balloon first (up to balloonMaxPercent of the VM; the guest fills it with its untouched room first, which frees nothing); what the balloon cannot reach is compressed or swapped, as ESX swaps a VM whose balloon cannot meet its target. Hard and low: compression and swap, balloons hold.',
    'Free-memory states relative to minFree (vSphere 6: clear < 100%, soft < 64%, hard < 32%, low < 16%), left upward only past the threshold plus hysteresisShare of it; reclaim aims at the soft state\u2019s exit, so hard and low are transient under a load whose working sets fit.',
    'Giving back (high and clear states): balloons deflate, highest rho first; swapped and compressed pages come back only when the guest touches them.',
    'Large pages: broken below 400% of minFree; restored once free memory has stayed above that line plus its margin for largePageRestoreSeconds (a modelling choice: ESX publishes no delay).',
  ],
  // ESX re-evaluates continuously; its active-memory sampling period (60 s, ESX 4) is the coarsest
  // loop that keeps the free-memory states from overshooting at 5-minute trace steps.
  controlSeconds: 60,
  init,
  step,
})

export default overcommitPolicy

/**
 * The world: what physically happens to each VM's memory, given the trace and a policy's decision.
 * Policies decide; the world applies their decisions within physical limits and rates, and keeps
 * the account (engine/account.ts) from which every metric is folded.
 *
 * Rates (hot-add, balloon, swap, compression, page-sharing scan) are per second and applied over
 * the tick's duration, so results keep their character when the step changes.
 *
 * Host swap and compression (DOMAIN.md 4 and 7): each VM's swapped and compressed pages are two
 * pools, working-set pages and idle pages. A host pages blind, so what it takes is working set in
 * proportion to the working set's share of the pages it chooses from. Working-set pages fault back
 * once, when the guest touches them, as free memory and the swap-in rate allow (faults in flight at
 * the swap device's latency); each is a hit in its step. Idle pages stay out, costing nothing, until
 * the working set grows into them (a guest reusing a page the host swapped: a fault). A policy's
 * lower target brings nothing back; a guest that gives pages to its balloon gives idle ones first.
 *
 * The world's arrays are mutated in place, tick by tick: it is the replay's private machinery,
 * reached only through replay.ts, whose interface is pure (same inputs, same outputs).
 */
import * as t from 'io-ts'
import type { HostSettings, VmSettings } from '../spec/settings.js'
import type { VmTrace } from '../trace/trace.js'
import { HOST_STATES, VM_FIELDS, VmStatus, type TickAccount, type VmColumns, type VmField } from './account.js'
import type { Decision, PolicyTraits } from './policy.js'
import type { RuleViolation } from './replay-api.js'
import { DEFAULT_SLOWDOWN, SlowdownParamsCodec, slowdownOf, stallCosts, type SlowdownParams, type StallCosts } from './slowdown.js'
import { DEFAULT_TOUCHED, TouchedParamsCodec, cacheFills, touchedAtStart, touchedStep, type TouchedParams } from './touched.js'
import { binomialSampler, type BinomialSampler } from './internal/binomial.js'
import { tickFrames, type Frames } from './internal/frames.js'
import { paramsCodec, range, wholeRange } from './params.js'

// ---------------------------------------------------------------------------------------------
// Model

export interface WorldParams {
  /** Hyper-V hot-adds 128 MiB blocks; about one a second per VM. */
  readonly hotAddMiBPerSecond: number
  /** Balloon inflation/deflation per VM (the guest must find and pin pages). */
  readonly balloonMiBPerSecond: number
  /** Host-wide bandwidth of writes to host swap. */
  readonly swapOutMiBPerSecond: number
  /** Host-wide bandwidth of swap-ins at most (sequential reads); faults are random 4 KiB reads, so
   *  the rate is also bounded by swapQueueDepth faults in flight at the swap device's latency. */
  readonly swapInMiBPerSecond: number
  /** Swap-in faults in flight host-wide (the datastore's queue depth). */
  readonly swapQueueDepth: number
  /** Host-wide compression throughput (CPU-bound, much faster than disk). */
  readonly compressMiBPerSecond: number
  /** Active-memory sampling (ESX): pages per period, and the period. */
  readonly pagesPerSample: number
  readonly samplePeriodSeconds: number
  /** "warm": VMs running at the trace's first sample have run before it and start in steady state;
   *  "cold": every VM boots at its first sample (a boot storm at tick 0). */
  readonly start: 'warm' | 'cold'
  readonly touched: TouchedParams
  readonly slowdown: SlowdownParams
}

export const WorldParamsCodec = t.type({
  hotAddMiBPerSecond: t.number,
  balloonMiBPerSecond: t.number,
  swapOutMiBPerSecond: t.number,
  swapInMiBPerSecond: t.number,
  swapQueueDepth: t.number,
  compressMiBPerSecond: t.number,
  pagesPerSample: t.number,
  samplePeriodSeconds: t.number,
  start: t.keyof({ warm: null, cold: null }),
  touched: TouchedParamsCodec,
  slowdown: SlowdownParamsCodec,
})

/** Defaults: documented choices where no vendor number exists (see each comment). */
export const DEFAULT_WORLD: WorldParams = {
  hotAddMiBPerSecond: 128, // one 128 MiB block a second (DOMAIN.md 3: blocks of 128 MB, loop ~1 s)
  balloonMiBPerSecond: 64, // modelling choice: 2 MiB units, tens of MiB/s per guest
  swapOutMiBPerSecond: 200, // modelling choice: one disk's sequential write bandwidth
  swapInMiBPerSecond: 100, // modelling choice: swap-in is random reads, slower than writes
  // modelling choice: 32 faults in flight (a typical per-host datastore queue depth): at 8 ms a disk
  // serves 32 x 4 KiB / 8 ms = 15.6 MiB/s of faults, an SSD (0.1 ms) the 100 MiB/s cap
  swapQueueDepth: 32,
  compressMiBPerSecond: 1000, // modelling choice: CPU-bound, an order of magnitude above disk
  pagesPerSample: 100, // ESX samples 100 pages per period (DOMAIN.md 4)
  samplePeriodSeconds: 60, // ESX 4 period (ESX 2: 30 s)
  start: 'warm', // a recording starts on a running estate, not a cold boot of every VM
  touched: DEFAULT_TOUCHED,
  slowdown: DEFAULT_SLOWDOWN,
}

// Valid ranges of the world's numeric params (`--world` values outside them are refused, by name).
// Rates may be 0 (a what-if without hot-add, say) but not negative; 1 TiB/s is beyond any host's
// memory, disk or compressor. A sample of 1..10000 pages (ESX takes 100) every 1 s..1 h. Cache time
// constants and a warm start's history 0 to a year.
const RATE = range(0, 1024 * 1024, 'MiB per second')
export const WORLD_RANGES = {
  hotAddMiBPerSecond: RATE,
  balloonMiBPerSecond: RATE,
  swapOutMiBPerSecond: RATE,
  swapInMiBPerSecond: RATE,
  swapQueueDepth: wholeRange(1, 65_536, 'faults in flight'),
  compressMiBPerSecond: RATE,
  pagesPerSample: wholeRange(1, 10_000, 'pages'),
  samplePeriodSeconds: range(1, 3600, 'seconds'),
} as const
export const TOUCHED_RANGES = { linuxCacheHours: range(0, 8760, 'hours'), windowsCacheHours: range(0, 8760, 'hours'), warmHours: range(0, 8760, 'hours') } as const
// Latencies from 0 to a second (a disk fault is ~8 ms); a working-set page touched every 1 s to once a day.
export const SLOWDOWN_RANGES = {
  diskLatencyMs: range(0, 1000, 'milliseconds'),
  ssdLatencyMs: range(0, 1000, 'milliseconds'),
  compressionLatencyUs: range(0, 1_000_000, 'microseconds'),
  touchSeconds: range(1, 86_400, 'seconds'),
} as const

/**
 * World params as users give them (`--world`): any subset, nested ones too, defaults filled,
 * unknown keys refused. E.g. {"slowdown": {"swapDevice": "ssd"}, "balloonMiBPerSecond": 32}.
 */
export const WorldParamsInput = paramsCodec(
  'world',
  {
    ...WorldParamsCodec.props,
    touched: paramsCodec('world.touched', TouchedParamsCodec.props, DEFAULT_TOUCHED, TOUCHED_RANGES),
    slowdown: paramsCodec('world.slowdown', SlowdownParamsCodec.props, DEFAULT_SLOWDOWN, SLOWDOWN_RANGES),
  },
  DEFAULT_WORLD,
  WORLD_RANGES,
)

export interface World {
  readonly host: HostSettings
  readonly vms: ReadonlyArray<VmSettings>
  readonly traces: ReadonlyArray<VmTrace>
  readonly params: WorldParams
  readonly traits: PolicyTraits
  readonly policyName: string
  readonly uniform: () => number
  /** Binomial draws from `uniform`, for page samples. */
  readonly binomial: BinomialSampler
  /** Draw active-page samples for the policy (ESX estimates active memory from them)? */
  readonly pageSamples: boolean
  /** The account's columns: world state at the end of the last tick. */
  readonly vm: VmColumns
  readonly status: Uint8Array
  /** Guest-private state (engine/touched.ts), not visible to policies. */
  readonly cache: Float64Array
  readonly zero: Float64Array
  readonly prevDemand: Float64Array
  /** Of the swapped and compressed pages, those of the working set (the rest are idle pages that
   *  stay where they are, costing nothing, until the working set grows into them). */
  readonly swapWs: Float64Array
  readonly compWs: Float64Array
  /** Working-set pages faulted back this step from host swap and from the compression cache. */
  readonly faultSwap: Float64Array
  readonly faultComp: Float64Array
  /** Stall per MiB of this step (slowdown.ts), and whether this step belongs to a warm start's
   *  first tick (VMs admitted now have run before the recording). */
  costs: StallCosts
  warmTick: boolean
  /** Offset of this tick's row in the frames. */
  row: number
  /** Policy-visible per-tick inputs, refreshed at the start of each tick. */
  readonly poweredOn: Float64Array
  /** This tick's working set of each VM powered on (0 otherwise), read once from the frames. */
  readonly demandNow: Float64Array
  readonly frames: Frames
  readonly committed: Float64Array
  readonly sampledPages: Float64Array
  readonly accessedPages: Float64Array
  /** VM settings the world reads every step, as columns (not a property chain per VM per step). */
  readonly settings: {
    readonly windows: Uint8Array
    readonly reservation: Float64Array
    readonly intraVm: Float64Array
    readonly imageShare: Float64Array
    /** Index of the VM's image label, and the count of running VMs per image (a step's scratch). */
    readonly image: Int32Array
    readonly perImage: Int32Array
    /** A warm start's I/O rate before the recording, MiB/s (-1: not recorded): the VM's mean disk
     *  reads + writes over its first `warmHours` of trace (one sample is too noisy to stand for a day). */
    readonly warmIo: Float64Array
  }
  /** Scratch columns of a step (written before read within the step). */
  readonly scratch: {
    readonly want: Float64Array
    readonly avail: Float64Array
    readonly guest: Float64Array
    /** Idle swapped and compressed pages the guest dropped this step (its touched memory shrank):
     *  the policy's targets counted them, so step 4 lowers its targets by as much. */
    readonly dropSwap: Float64Array
    readonly dropComp: Float64Array
  }
  /** Host-wide sums one pass of a step hands on to the next. */
  readonly tally: Tally
  free: number
  state: number
  compressedStoreRatio: number
}

/** Host-wide sums of a step, in MiB (and counts), written by one pass and read by the next. */
interface Tally {
  admittedNow: number
  refusedNow: number
  /** Touched growth wanted by guests (step 2), and touched memory of running VMs. */
  growthWanted: number
  touchedTotal: number
  /** Swapped out this step (steps 4, 6). */
  swapOut: number
  /** Swap-in bandwidth left after step 4. */
  swapInLeft: number
  /** Host memory held by running VMs after step 4 (resident, overhead). */
  residentTotal: number
  overheadTotal: number
  /** After step 5: reserve + resident + overhead, and working set compressed or swapped. */
  usedNow: number
  wantSwap: number
  wantComp: number
  /** A host that does not overcommit: reserve + resident + overhead, reserve + assigned + overhead,
   *  and the first VM at which the latter passed the host (-1: none). */
  used: number
  assignedTotal: number
  firstOver: number
}

const NO_TALLY: Tally = { admittedNow: 0, refusedNow: 0, growthWanted: 0, touchedTotal: 0, swapOut: 0, swapInLeft: 0, residentTotal: 0, overheadTotal: 0, usedNow: 0, wantSwap: 0, wantComp: 0, used: 0, assignedTotal: 0, firstOver: -1 }

/** The account's columns, built as one literal so that every world's columns object has one shape. */
const vmColumns = (n: number): VmColumns => {
  const col = () => new Float64Array(n)
  const vm = {
    configured: col(), demand: col(), touched: col(), visible: col(), assigned: col(), resident: col(),
    overhead: col(), shared: col(), ballooned: col(), compressed: col(), compressedStore: col(), swapped: col(),
    swapOut: col(), guestPaging: col(), hostSwapHit: col(), compressedHit: col(), blocked: col(), slowdown: col(),
  } satisfies Record<VmField, Float64Array>
  return vm
}

export const createWorld = (
  host: HostSettings,
  vms: ReadonlyArray<VmSettings>,
  traces: ReadonlyArray<VmTrace>,
  params: WorldParams,
  traits: PolicyTraits,
  policyName: string,
  uniform: () => number,
  pageSamples: boolean,
  stepSeconds: number,
): World => {
  const n = vms.length
  const vm = vmColumns(n)
  const images = new Map<string, number>()
  for (const s of vms) if (!images.has(s.image)) images.set(s.image, images.size)
  return {
    host,
    vms,
    traces,
    params,
    traits,
    policyName,
    uniform,
    binomial: binomialSampler(uniform, n), // a slot per VM
    pageSamples,
    vm,
    status: new Uint8Array(n),
    cache: new Float64Array(n),
    zero: new Float64Array(n),
    prevDemand: new Float64Array(n),
    swapWs: new Float64Array(n),
    compWs: new Float64Array(n),
    faultSwap: new Float64Array(n),
    faultComp: new Float64Array(n),
    costs: stallCosts(params.slowdown, 0),
    warmTick: false,
    row: 0,
    poweredOn: new Float64Array(n),
    demandNow: new Float64Array(n),
    frames: tickFrames(traces),
    committed: new Float64Array(n),
    sampledPages: new Float64Array(n),
    accessedPages: new Float64Array(n),
    settings: {
      windows: Uint8Array.from(vms, (s) => (s.os === 'windows' ? 1 : 0)),
      reservation: Float64Array.from(vms, (s) => s.reservationMiB),
      intraVm: Float64Array.from(vms, (s) => s.content.intraVm),
      imageShare: Float64Array.from(vms, (s) => s.content.image),
      image: Int32Array.from(vms, (s) => images.get(s.image) ?? 0),
      perImage: new Int32Array(images.size),
      warmIo: Float64Array.from(traces, (tr) => meanIo(tr, params.touched.warmHours, stepSeconds)),
    },
    scratch: { want: new Float64Array(n), avail: new Float64Array(n), guest: new Float64Array(2), dropSwap: new Float64Array(n), dropComp: new Float64Array(n) },
    tally: { ...NO_TALLY },
    free: host.physicalMiB - host.reserveMiB,
    state: 0,
    compressedStoreRatio: 0.5,
  }
}

/** Mean disk reads + writes (MiB/s) of a VM over its running ticks within its first `hours` of
 *  trace (at least its first tick); -1 when the trace records none. */
const meanIo = (tr: VmTrace, hours: number, stepSeconds: number): number => {
  const rd = tr.diskRead
  const wr = tr.diskWrite
  if (rd === undefined && wr === undefined) return -1
  const count = Math.min(tr.endTick - tr.firstTick, Math.max(1, Math.ceil((hours * 3600) / stepSeconds)))
  let sum = 0
  let on = 0
  for (let t = tr.firstTick; t < tr.firstTick + count; t++) {
    if (tr.on[t] !== 1) continue
    sum += (rd === undefined ? 0 : rd[t]) + (wr === undefined ? 0 : wr[t])
    on++
  }
  return on > 0 ? sum / on : 0
}

// ---------------------------------------------------------------------------------------------
// Operations

/** Read this tick's trace inputs into what policies may observe (before they decide). */
export const observeTick = (w: World, tick: number, seconds: number): void => {
  const { vm, status, poweredOn, demandNow, committed, sampledPages, accessedPages } = w
  const configured = vm.configured
  const touched = vm.touched
  const periods = seconds / w.params.samplePeriodSeconds
  const n = Math.round(w.params.pagesPerSample * periods)
  const f = w.frames
  const row = (w.row = f.row(tick))
  const fOn = f.on
  const fDemand = f.demand
  const fConfigured = f.configured
  const sample = w.pageSamples
  const reporting = tick === 0 && w.params.start === 'warm'
  const count = w.vms.length
  const RUNNING = VmStatus.running // (module constants read in a loop are reloaded per VM: locals)
  for (let v = 0, i = row; v < count; v++, i++) {
    const on = fOn[i]
    poweredOn[v] = on
    configured[v] = on ? fConfigured[i] : 0
    const d = on ? fDemand[i] : 0
    demandNow[v] = d
    const running = status[v] === RUNNING
    // Guests report committed memory once running (integration services / guest agent). A warm
    // start's guests were reporting before the recording: at tick 0 a VM powered on has a report,
    // so a policy can admit it at its steady state (issue 12; d is 0 for a VM powered off).
    committed[v] = running || reporting ? d : 0
    // ESX samples random pages of what the VM has touched; a sampled page is "accessed" when it
    // belongs to the working set. Estimation from these counts is the policy's business.
    if (!sample) continue // both stay 0
    const T = touched[v]
    if (running && T > 0) {
      const p = Math.min(1, Math.min(d, T) / T)
      sampledPages[v] = n
      accessedPages[v] = w.binomial(n, p, v)
    } else {
      sampledPages[v] = 0
      accessedPages[v] = 0
    }
  }
}

const violation = (w: World, tick: number, time: number, v: number | undefined, rule: string, detail: string): RuleViolation => ({
  _tag: 'RuleViolation',
  policy: w.policyName,
  tick,
  time,
  vm: v === undefined ? undefined : w.vms[v].id,
  rule,
  detail,
})

const EPS = 1e-6

const DECISION_COLUMNS = ['admit', 'visible', 'balloon', 'compress', 'swap', 'cap'] as const
const SIZE_COLUMNS = ['visible', 'balloon', 'compress', 'swap'] as const

/** The decision's shape and host-wide values (per-VM values are checked as the world applies them). */
const checkDecisionShape = (w: World, d: Decision, tick: number, time: number): RuleViolation | undefined => {
  const n = w.vms.length
  for (const k of DECISION_COLUMNS) {
    if (d[k] === undefined || d[k].length !== n)
      return violation(w, tick, time, undefined, 'decision-shape', `decision.${k} must have one value per VM (${n}), found ${d[k]?.length}`)
  }
  if (!(d.sharing.scanMiBPerSecond >= 0)) return violation(w, tick, time, undefined, 'non-negative', `decision.sharing.scanMiBPerSecond must be >= 0`)
  if (!w.traits.overcommit && d.sharing.scope !== 'none')
    return violation(w, tick, time, undefined, 'no-page-sharing',
      `a policy that does not overcommit asked for page sharing (scope "${d.sharing.scope}"): its host backs all the memory it assigns, so sharing frees nothing it may give`)
  if (!(d.compressedStoreRatio > 0 && d.compressedStoreRatio <= 1))
    return violation(w, tick, time, undefined, 'compression', `decision.compressedStoreRatio must be in (0, 1], found ${d.compressedStoreRatio}`)
  return undefined
}

/** The rule VM v's decided values break, if any (the slow path behind applyTick's one-line test). */
const vmValueViolation = (w: World, d: Decision, tick: number, time: number, v: number): RuleViolation | undefined => {
  for (const k of SIZE_COLUMNS) {
    const x = d[k][v]
    if (!(x >= 0 && x < Infinity)) return violation(w, tick, time, v, 'non-negative', `decision.${k} must be a finite size >= 0, found ${x}`)
  }
  if (!(d.cap[v] >= 0)) return violation(w, tick, time, v, 'non-negative', `decision.cap must be >= 0, found ${d.cap[v]}`)
  if (!w.traits.overcommit && (d.swap[v] > 0 || d.compress[v] > 0))
    return violation(w, tick, time, v, 'no-host-swap', `a policy that does not overcommit asked to swap ${d.swap[v]} MiB / compress ${d.compress[v]} MiB`)
  return undefined
}

/** Release a VM's memory (it stopped, or was refused). */
const release = (w: World, v: number): void => {
  for (const f of VM_FIELDS) w.vm[f][v] = 0
  w.cache[v] = 0
  w.zero[v] = 0
  w.prevDemand[v] = 0
  w.swapWs[v] = 0
  w.compWs[v] = 0
  w.faultSwap[v] = 0
  w.faultComp[v] = 0
}

/**
 * Apply a policy's decision for one tick and write the account. Returns a violation when the
 * decision breaks a rule; the account is then incomplete and the run must stop.
 *
 * The numbered steps are the physics, in order. For speed they share passes over the VMs where a
 * step for one VM needs nothing of the next step for another (each VM's values, and every host-wide
 * sum, are computed in the same order as step by step would, so results are the same to the bit):
 *   guestsPass      steps 1-2 (and the per-VM checks of the decision); on a host that does not
 *                   overcommit, 5 and 8 as well, its total checked after (assignCheck);
 *   sharePagePass   steps 3-4 and the sums step 5 needs (an overcommitting host);
 *   grantPass       step 5 on an overcommitting host, and the sums step 5b needs;
 *   faultInPass     steps 5b, 6, 7 and 8; an emergency swap (7) settles the VMs again.
 */
export const applyTick = (w: World, tick: number, time: number, seconds: number, d: Decision): RuleViolation | TickOutcome => {
  if (w.costs.seconds !== seconds) w.costs = stallCosts(w.params.slowdown, seconds)
  w.warmTick = tick === 0 && w.params.start === 'warm'
  const bad = checkDecisionShape(w, d, tick, time) ?? guestsPass(w, d, tick, time, seconds)
  if (bad) return bad
  if (!w.traits.overcommit) return assignCheck(w, d, tick, time)
  sharePagePass(w, d, seconds)
  grantPass(w, d)
  const { host } = w
  const t = w.tally
  let free = host.physicalMiB - faultInPass(w, d, seconds)
  // 7. Conservation: an overcommitting host that is still short swaps blindly (emergency).
  if (free < -EPS) {
    free = emergencySwap(w, -free, w.warmTick)
    if (free < -EPS)
      return violation(w, tick, time, undefined, 'host-memory',
        `the host is ${(-free).toFixed(1)} MiB short even after swapping every page it may swap (reserve, overheads and reservations exceed physical memory)`)
    for (let v = 0; v < w.vms.length; v++) if (w.status[v] === VmStatus.running) settle(w, v, residentOf(w.vm, w.compressedStoreRatio, v))
  }
  w.free = Math.max(0, free)
  w.state = Math.max(0, HOST_STATES.indexOf(d.state))
  return { admittedNow: t.admittedNow, refusedNow: t.refusedNow, swapOut: t.swapOut }
}

/** Steps 1 and 2, one VM at a time, after checking the VM's decided values (on a host that does
 *  not overcommit, 5 and 8 too). */
const guestsPass = (w: World, d: Decision, tick: number, time: number, seconds: number): RuleViolation | undefined => {
  const { vm, vms, params, host, status, demandNow, poweredOn, cache, zero, prevDemand, swapWs, compWs, warmTick } = w
  const { touched: fTouched, io: fIo } = w.frames
  const row = w.row
  const { windows, image, perImage } = w.settings
  const { want, guest, dropSwap, dropComp } = w.scratch
  const { configured, demand, touched, visible, assigned, ballooned, overhead, shared, compressed, swapped, swapOut } = vm
  const { admit: dAdmit, visible: dVisible, balloon: dBalloon, compress: dCompress, swap: dSwap, cap: dCap } = d
  const n = vms.length
  const overcommit = w.traits.overcommit
  w.compressedStoreRatio = d.compressedStoreRatio
  const hotAddStep = params.hotAddMiBPerSecond * seconds
  const bStep = params.balloonMiBPerSecond * seconds
  const fills = cacheFills(params.touched, seconds)
  const fillWindows = fills.windows
  const fillLinux = fills.linux
  // Module constants read in the loop are reloaded per VM (context, map check): locals.
  const OFF = VmStatus.off
  const RUNNING = VmStatus.running
  const REFUSED = VmStatus.refused
  const eps = EPS
  const interVm = d.sharing.scope === 'interVm'
  if (interVm) perImage.fill(0)
  const { guestPaging, resident, slowdown } = vm
  const costs = w.costs
  const physical = host.physicalMiB
  let admittedNow = 0
  let refusedNow = 0
  let touchedTotal = 0
  let growthWanted = 0
  // reserve + assigned + overhead; on a host that does not overcommit also reserve + resident +
  // overhead (resident = assigned there): one sum serves both.
  let assignedTotal = host.reserveMiB
  let firstOver = -1
  if (overcommit) swapOut.fill(0)
  for (let v = 0; v < n; v++) {

    // 1. Lifecycle: stops release memory; starts are admitted or refused as the policy decided.
    const st = status[v]
    if (poweredOn[v] !== 1) {
      if (st !== OFF) {
        release(w, v)
        status[v] = OFF
      }
      continue
    }
    if (st === REFUSED) continue // until it powers off: nothing of the decision applies
    // The values the world applies (a VM starting or running) must be sizes, finite and >= 0 (a
    // sum of non-negatives is finite only if each is); the slow path names the rule.
    const dv = dVisible[v]
    const db = dBalloon[v]
    const dc = dCompress[v]
    const ds = dSwap[v]
    if (!(dv >= 0 && db >= 0 && dc >= 0 && ds >= 0 && dv + db + dc + ds < Infinity && dCap[v] >= 0) || (!overcommit && ds + dc > 0)) {
      const breach = vmValueViolation(w, d, tick, time, v)
      if (breach) return breach
    }
    let warmNow = false
    if (st === OFF) {
      if (dAdmit[v] === 1) {
        status[v] = RUNNING
        admittedNow++
        const dem = demandNow[v]
        visible[v] = dv
        // A balloon decided at admission applies at once: the memory was never given (Smart Paging
        // starts a VM with part of its startup memory disk-backed).
        ballooned[v] = Math.min(db, dv)
        overhead[v] = host.vmOverheadMiB
        // A warm start's VMs have run before the recording: their guest is in its steady state
        // and the host already backs what they touched (below); a VM that boots touches through
        // the host's allocation, which may block.
        warmNow = warmTick
        const [c, z] = touchedAtStart(params.touched, vms[v].os, dem, visible[v] - ballooned[v], warmNow, w.settings.warmIo[v])
        cache[v] = c
        zero[v] = z
        prevDemand[v] = dem
        touched[v] = 0 // grows below, through the host's allocation
      } else {
        status[v] = REFUSED
        refusedNow++
        continue
      }
    }

    // 2. Guest-visible size, balloon, and the guest's own use of memory (desired touched).
    const dem = demandNow[v]
    demand[v] = dem
    // Hot-add at its rate; a smaller target is a reconfiguration and applies at once.
    const vis = (visible[v] = dv > visible[v] ? Math.min(dv, visible[v] + hotAddStep) : dv)
    const bTarget = Math.min(db, vis)
    const b = ballooned[v]
    // A balloon never holds more than the guest sees (when visible memory shrinks, so does it).
    const bal = (ballooned[v] = Math.min(vis, bTarget > b ? Math.min(bTarget, b + bStep) : Math.max(bTarget, b - bStep)))
    // What the guest can use is what it is assigned, whatever the trace's configured size (a fleet
    // spec may give a VM more than the trace provisioned).
    const usable = (assigned[v] = vis - bal)
    const cur = touched[v]
    if (!overcommit) {
      // A host that does not overcommit backs all the memory it assigns (it zeroes it before the
      // guest sees it), and neither pages nor shares: touched = resident = assigned, whatever the
      // guest does inside (its cache and zero pages are not modelled here), and steps 5 and 8 are
      // done at once. The host's total is checked after the pass (assignCheck).
      touched[v] = usable
      assignedTotal += usable + overhead[v]
      if (firstOver < 0 && assignedTotal > physical + eps) firstOver = v
      const gp = (guestPaging[v] = Math.max(0, dem - usable))
      // (blocked stays 0: nothing blocks on this host, and release zeroes it with every column)
      resident[v] = usable
      slowdown[v] = gp === 0 ? 1 : slowdownOf(costs, gp, 0, 0, 0, 0, 0)
      continue
    }
    // An overcommitting host backs only what the guest touches: its working set, cache and zero pages.
    dropSwap[v] = 0
    dropComp[v] = 0
    const win = windows[v] === 1
    const io = fIo[row + v]
    touchedStep(win, win ? fillWindows : fillLinux, io >= 0 ? io * seconds : NaN, prevDemand[v], cache[v], zero[v], dem, usable, guest)
    let c = guest[0]
    let z = guest[1]
    const ws = Math.min(dem, usable)
    // A recorded touched size (vCenter's consumed memory) is followed within what the VM may hold:
    // never below its working set nor above its assigned memory; the model splits what is not
    // working set into zero pages (as far as it has them) and cache.
    const recorded = fTouched[row + v]
    if (recorded >= 0) {
      const idle = Math.min(Math.max(recorded, ws), usable) - ws
      z = Math.min(z, idle)
      c = idle - z
    }
    cache[v] = c
    zero[v] = z
    // Working set moving between the host's pools: a working set that grows takes idle pages (zero
    // pages, then cache), of which some may be swapped or compressed: those become working-set pages
    // in swap (they fault in when touched); one that shrinks leaves idle pages behind, swapped ones
    // included. Proportional to the pools' shares of the pages concerned.
    const prevWs = Math.min(prevDemand[v], cur)
    if (ws > prevWs && cur > prevWs) {
      const into = Math.min(ws - prevWs, cur - prevWs) / (cur - prevWs)
      swapWs[v] += (swapped[v] - swapWs[v]) * into
      compWs[v] += (compressed[v] - compWs[v]) * into
    } else if (ws < prevWs) {
      const keepWs = ws / prevWs
      swapWs[v] *= keepWs
      compWs[v] *= keepWs
    }
    prevDemand[v] = dem
    const desired = ws + c + z
    if (warmNow) {
      // Touched long before the recording: the host backs it (step 7 swaps idle pages if it cannot).
      touched[v] = desired
      want[v] = 0
    } else if (desired < cur) {
      // Touched that shrinks (a balloon, a smaller assignment) frees idle pages: the guest gives its
      // free and zero pages first, the coldest it has, which are the ones a blind host swap or
      // compression took first (they stayed out; the working-set ones came back). So idle pages in
      // swap, then compressed, are dropped first (freeing them costs the host nothing); shared
      // pages go in proportion.
      let r = cur - desired
      const outSwap = (dropSwap[v] = Math.min(r, Math.max(0, swapped[v] - swapWs[v])))
      swapped[v] = Math.max(0, swapped[v] - outSwap)
      r -= outSwap
      compressed[v] = Math.max(0, compressed[v] - (dropComp[v] = Math.min(r, Math.max(0, compressed[v] - compWs[v]))))
      shared[v] *= cur > 0 ? desired / cur : 0
      touched[v] = desired
      want[v] = 0
    } else {
      want[v] = desired - cur
      growthWanted += want[v]
    }
    // For step 3: touched memory scanned, running VMs per image.
    touchedTotal += touched[v]
    if (interVm) perImage[image[v]]++
  }
  const t = w.tally
  t.admittedNow = admittedNow
  t.refusedNow = refusedNow
  t.growthWanted = growthWanted
  t.touchedTotal = touchedTotal
  t.used = assignedTotal
  t.assignedTotal = assignedTotal
  t.firstOver = firstOver
  return undefined
}

/**
 * 3. Page sharing: potential from the content model (DOMAIN.md 4 and 6): zero pages (within a VM:
 *    always, salted or not), pages duplicated inside the VM, and pages identical across running VMs
 *    of the same image (only when not salted). Large pages hide everything until the policy breaks
 *    them. Sharing reaches its potential at the scan rate (host-wide MiB/s spread over VMs by size);
 *    a page that stops being identical is copied at once.
 * 4. Host paging toward the policy's targets, at host-wide rates, from private pages only.
 * A host that does not overcommit backs what it assigns: it neither pages nor shares (its policies
 * may not ask it to), and this pass is skipped.
 */
const sharePagePass = (w: World, d: Decision, seconds: number): void => {
  const { vm, params, status, zero, swapWs, compWs, faultSwap, faultComp } = w
  const { intraVm, imageShare, image, perImage } = w.settings
  const { touched, shared, compressed, swapped, swapOut, overhead } = vm
  const { compress: dCompress, swap: dSwap } = d
  const { dropSwap, dropComp } = w.scratch
  const n = w.vms.length
  const overcommit = w.traits.overcommit
  const RUNNING = VmStatus.running
  const ratio = w.compressedStoreRatio
  const scope = d.sharing.scope
  const active = scope !== 'none'
  const interVm = scope === 'interVm'
  // Large pages unbroken: nothing new is shared, but pages already shared stay shared until written
  // (a host does not re-form large pages from shared small ones at once).
  const grow = active && d.sharing.breakLargePages
  const scanned = d.sharing.scanMiBPerSecond * seconds
  const t = w.tally
  const touchedTotal = t.touchedTotal
  let outBudget = params.swapOutMiBPerSecond * seconds
  let compressBudget = params.compressMiBPerSecond * seconds
  let swapOutTotal = 0
  let residentTotal = 0
  let overheadTotal = 0
  // Faults of this step, written by faultInPass (read only for running VMs, so zeroed for all at once).
  if (overcommit) {
    faultSwap.fill(0)
    faultComp.fill(0)
  }
  for (let v = 0; v < n; v++) {
    if (status[v] !== RUNNING) continue
    // 3.
    const T = touched[v]
    let potential = 0
    if (active && T > 0) {
      const zr = Math.min(zero[v], T)
      const nonZero = T - zr
      const copies = interVm ? perImage[image[v]] : 1
      const cross = copies > 1 ? (imageShare[v] * (copies - 1)) / copies : 0
      potential = Math.min(T, zr + nonZero * Math.min(1, intraVm[v] + cross))
    }
    const private_ = T - compressed[v] - swapped[v]
    potential = Math.min(potential, Math.max(0, private_))
    const cur = shared[v]
    if (potential <= cur) shared[v] = potential
    else if (grow) {
      // This VM's share of the host's scan, in MiB of its memory looked at this tick.
      const look = touchedTotal > 0 ? (scanned * T) / touchedTotal : 0
      shared[v] = Math.min(potential, cur + (T > 0 ? potential * (look / T) : 0))
    }
    if (!overcommit) continue
    // 4. Pages the host may page: touched, not shared, not already paged, chosen blind: working-set
    //    pages in proportion to their share of those pages (blindWsShare). A target below what is
    //    paged brings nothing back: a page comes back when the guest touches it (step 5b).
    const cTarget = Math.min(dCompress[v] - dropComp[v], T)
    if (cTarget > compressed[v]) {
      const pageable = Math.max(0, T - shared[v] - compressed[v] - swapped[v])
      const x = Math.min(cTarget - compressed[v], compressBudget, pageable)
      compWs[v] += x * blindWsShare(w, v, pageable)
      compressed[v] += x
      compressBudget -= x
    }
    const sTarget = Math.min(dSwap[v] - dropSwap[v], T)
    if (sTarget > swapped[v]) {
      const pageable = Math.max(0, T - shared[v] - compressed[v] - swapped[v])
      const x = Math.min(sTarget - swapped[v], outBudget, pageable)
      swapWs[v] += x * blindWsShare(w, v, pageable)
      swapped[v] += x
      swapOut[v] = x
      outBudget -= x
      swapOutTotal += x
    }
    // For step 5: host memory held now.
    residentTotal += residentOf(vm, ratio, v)
    overheadTotal += overhead[v]
  }
  t.swapOut = swapOutTotal
  t.swapInLeft = swapInRate(params) * seconds
  t.residentTotal = residentTotal
  t.overheadTotal = overheadTotal
}

/**
 * On a host that does not overcommit, after guestsPass: its policy promised the assigned memory fits.
 * Checked, naming the first VM, in fleet order, at which the running sum passes the host; then the
 * host's free memory.
 */
const assignCheck = (w: World, d: Decision, tick: number, time: number): RuleViolation | TickOutcome => {
  const { host } = w
  const t = w.tally
  const first = t.firstOver
  if (first >= 0) {
    return violation(w, tick, time, first, 'host-memory',
      `assigned memory plus overheads and the hypervisor reserve (${t.assignedTotal.toFixed(1)} MiB) exceed physical memory (${host.physicalMiB} MiB); the host is passed at this VM (${w.vm.assigned[first].toFixed(1)} MiB assigned)`)
  }
  const free = host.physicalMiB - t.used
  if (free < -EPS) return violation(w, tick, time, undefined, 'host-memory', `resident memory exceeds the host by ${(-free).toFixed(1)} MiB`)
  w.free = Math.max(0, free)
  w.state = Math.max(0, HOST_STATES.indexOf(d.state))
  return { admittedNow: t.admittedNow, refusedNow: t.refusedNow, swapOut: 0 }
}

/**
 * 5. on an overcommitting host: grant guests' new pages from free host memory, blocking what it
 * cannot back; then the sums step 5b needs (memory used, working set compressed or swapped).
 */
const grantPass = (w: World, d: Decision): void => {
  const { vm, host, status, zero, cache, swapWs, compWs } = w
  const { reservation } = w.settings
  const { want } = w.scratch
  const { touched, overhead } = vm
  const ratio = w.compressedStoreRatio
  const n = w.vms.length
  const RUNNING = VmStatus.running
  const t = w.tally
  const room = host.physicalMiB - host.reserveMiB - t.overheadTotal - t.residentTotal
  const growthWanted = t.growthWanted
  const block = d.block
  const grantShare = block ? 0 : growthWanted <= room ? 1 : Math.max(0, room) / growthWanted
  const blockAboveReservation = block && w.traits.reservations
  let usedNow = host.reserveMiB
  let wantSwap = 0
  let wantComp = 0
  for (let v = 0; v < n; v++) {
    if (status[v] !== RUNNING) continue
    const wv = want[v]
    if (wv !== 0) {
      let granted = wv * grantShare
      // Blocking (ESX low state) stops VMs above their reservation; one below it still gets its pages.
      if (blockAboveReservation) granted = Math.max(granted, Math.min(wv, reservation[v] - touched[v]))
      touched[v] += granted
      if (granted < wv) {
        // The guest did not get these pages: its cache and zero pages are the first to go without.
        let short = wv - granted
        const zc = Math.min(zero[v], short)
        zero[v] -= zc
        short -= zc
        const cc = Math.min(cache[v], short)
        cache[v] -= cc
      }
    }
    usedNow += residentOf(vm, ratio, v) + overhead[v]
    wantSwap += swapWs[v]
    wantComp += compWs[v]
  }
  t.usedNow = usedNow
  t.wantSwap = wantSwap
  t.wantComp = wantComp
}

/**
 * 5b. Guests touch their working set: pages of it that are compressed or in host swap are faulted
 *     back in, once each, as far as free host memory and the swap-in rate allow (decompression is
 *     CPU-bound and fast). Idle pages stay where they are and cost nothing until the working set
 *     grows into them. This is the hypervisor's doing, not the policy's: a policy that wants pages
 *     out again must say so, and blind choice hits the working set again in proportion.
 * 6.  Limits (ESX): resident above the cap goes straight to swap.
 * 7.  The sum of what the host holds (returned: reserve + resident + overhead), and 8.
 */
const faultInPass = (w: World, d: Decision, seconds: number): number => {
  const { vm, host, status, swapWs, compWs, faultSwap, faultComp } = w
  const { compressed, swapped, swapOut, overhead } = vm
  const dCap = d.cap
  const ratio = w.compressedStoreRatio
  const n = w.vms.length
  const RUNNING = VmStatus.running
  const eps = EPS
  const t = w.tally
  const { wantSwap, wantComp } = t
  const room = host.physicalMiB - t.usedNow
  // Memory a page needs once back: a whole page; a compressed page frees its slot as it returns.
  const need = wantSwap + wantComp * (1 - ratio)
  const faulting = room > 0 && need > 0
  const share = faulting ? Math.min(1, room / need) : 0
  const swapShare = Math.min(share, wantSwap > 0 ? t.swapInLeft / wantSwap : 1)
  const compShare = Math.min(share, wantComp > 0 ? (w.params.compressMiBPerSecond * seconds) / wantComp : 1)
  let swapOutTotal = t.swapOut
  let used = host.reserveMiB
  const blockFaults = d.block
  const reservation = w.settings.reservation
  for (let v = 0; v < n; v++) {
    if (status[v] !== RUNNING) continue
    let resident = residentOf(vm, ratio, v) // recomputed below only when its terms change
    if (faulting && swapWs[v] + compWs[v] > 0) {
      let back = swapWs[v] * swapShare
      let unpack = compWs[v] * compShare
      // Never past the VM's cap (ESX limit): those pages would only be swapped out again. A host
      // that blocks allocations (ESX low state) blocks these too, above the VM's reservation: a
      // fault-in is an allocation, and letting it eat what swap just freed keeps the host low.
      const capRoom = Math.max(0, (blockFaults ? Math.min(dCap[v], reservation[v]) : dCap[v]) - resident)
      const grows = back + unpack * (1 - ratio)
      if (grows > capRoom) {
        const f = grows > 0 ? capRoom / grows : 0
        back *= f
        unpack *= f
      }
      // (Clamped at 0: a pool emptied by subtraction may keep a rounding residue of either sign.)
      swapped[v] = Math.max(0, swapped[v] - back)
      compressed[v] = Math.max(0, compressed[v] - unpack)
      swapWs[v] = Math.max(0, swapWs[v] - back)
      compWs[v] = Math.max(0, compWs[v] - unpack)
      faultSwap[v] = back
      faultComp[v] = unpack
      resident = residentOf(vm, ratio, v)
    }
    // 6.
    const over = resident - dCap[v]
    if (over > eps) {
      // At a warm start the VM has run under its limit before the recording: what is above it was
      // swapped then, idle pages (the working set faulted back), and is not written this tick.
      const pageable = Math.max(0, vm.touched[v] - vm.shared[v] - compressed[v] - swapped[v])
      if (!w.warmTick) {
        swapWs[v] += over * blindWsShare(w, v, pageable)
        swapOut[v] += over
        swapOutTotal += over
      } else swapWs[v] += Math.max(0, over - pageable * (1 - blindWsShare(w, v, pageable))) // idle pages first
      swapped[v] += over
      resident = residentOf(vm, ratio, v)
    }
    // 7. (the sum) and 8.
    used += resident + overhead[v]
    settle(w, v, resident)
  }
  t.swapOut = swapOutTotal
  return used
}

export interface TickOutcome {
  readonly admittedNow: number
  readonly refusedNow: number
  readonly swapOut: number
}

/** MiB/s of swap-in faults the host can serve: queue depth x 4 KiB / device latency, within the
 *  swap-in bandwidth. */
export const swapInRate = (p: WorldParams): number => {
  const latencyMs = p.slowdown.swapDevice === 'ssd' ? p.slowdown.ssdLatencyMs : p.slowdown.diskLatencyMs
  const byFaults = latencyMs > 0 ? (p.swapQueueDepth * 4) / 1024 / (latencyMs / 1000) : Infinity
  return Math.min(p.swapInMiBPerSecond, byFaults)
}

/** Host memory backing a VM: private touched pages plus its compressed store. */
const residentOf = (vm: VmColumns, ratio: number, v: number): number =>
  Math.max(0, vm.touched[v] - vm.shared[v] - vm.compressed[v] - vm.swapped[v]) + vm.compressed[v] * ratio

/**
 * Share of working-set pages among `pageable` MiB of VM v's resident private pages, which a host
 * choosing blind hits in proportion (DOMAIN.md 7): its working set not already paged, over those
 * pages. Shared pages are counted as idle (mostly zero pages and duplicates of cold data).
 */
const blindWsShare = (w: World, v: number, pageable: number): number => {
  if (!(pageable > 0)) return 0
  const { vm } = w
  const residentWs = Math.min(vm.demand[v], vm.touched[v]) - w.swapWs[v] - w.compWs[v]
  return residentWs > 0 ? Math.min(1, residentWs / pageable) : 0
}

/** 8. What a running VM's guest could not have: guest paging, blind host-paging hits, blocked
 *  allocation; `resident` is residentOf the VM now (the caller has it). */
const settle = (w: World, v: number, resident: number): void => {
  const { vm } = w
  const demand = vm.demand[v]
  const usable = vm.assigned[v]
  const T = vm.touched[v]
  const guestPaging = (vm.guestPaging[v] = Math.max(0, demand - usable))
  const blocked = (vm.blocked[v] = Math.max(0, Math.min(demand, usable) - T))
  // Working set that was in host swap or compressed during the step: faulted back in it (missing
  // until served), or still out at its end.
  const fs = w.faultSwap[v]
  const fc = w.faultComp[v]
  const swapLeft = Math.min(w.swapWs[v], vm.swapped[v])
  const compLeft = Math.min(w.compWs[v], vm.compressed[v])
  const hostSwapHit = (vm.hostSwapHit[v] = swapLeft + fs)
  const compressedHit = (vm.compressedHit[v] = compLeft + fc)
  vm.compressedStore[v] = vm.compressed[v] * w.compressedStoreRatio
  vm.resident[v] = resident
  // (Most VMs lack nothing: skip the arithmetic.)
  vm.slowdown[v] = guestPaging === 0 && compressedHit === 0 && hostSwapHit === 0 && blocked === 0 && fs === 0 && fc === 0 ? 1 : slowdownOf(w.costs, guestPaging, swapLeft, compLeft, blocked, fs, fc)
}

/**
 * The host is short after everything the policy asked for (a start, copy-on-write breaks): it swaps
 * pages blind, from VMs in proportion to their private pages above their reservation. Returns free.
 * At a warm start (`warm`), the host that ran these VMs before the recording had already swapped
 * what it could not hold; it chose idle pages over time (those it kept faulting back were the
 * working set), so idle pages are taken first, and nothing is counted as written this tick.
 */
const emergencySwap = (w: World, short: number, warm: boolean): number => {
  const { vm, vms, status, swapWs } = w
  const n = vms.length
  let pool = 0
  const avail = w.scratch.avail
  for (let v = 0; v < n; v++) {
    avail[v] = 0
    if (status[v] !== VmStatus.running) continue
    const privateRes = Math.max(0, vm.touched[v] - vm.shared[v] - vm.compressed[v] - vm.swapped[v])
    const floor = w.traits.reservations ? Math.min(w.settings.reservation[v], privateRes) : 0
    const idle = warm ? Math.max(0, privateRes - Math.max(0, Math.min(vm.demand[v], vm.touched[v]) - swapWs[v] - w.compWs[v])) : privateRes
    avail[v] = Math.max(0, Math.min(idle, privateRes - floor))
    pool += avail[v]
  }
  // A warm start whose idle pages do not cover it is a cold host's emergency after all.
  if (warm && pool < short) return emergencySwap(w, short, false)
  if (pool <= 0) return -short
  const share = Math.min(1, short / pool)
  for (let v = 0; v < n; v++) {
    if (avail[v] <= 0) continue
    const x = avail[v] * share
    const privateRes = Math.max(0, vm.touched[v] - vm.shared[v] - vm.compressed[v] - vm.swapped[v])
    if (!warm) {
      swapWs[v] += x * blindWsShare(w, v, privateRes)
      vm.swapOut[v] += x
    }
    vm.swapped[v] += x
  }
  return Math.min(0, pool - short)
}

/** The account for the tick just applied (its arrays are the world's: valid until the next tick). */
export const accountOf = (w: World, tick: number, time: number, seconds: number, outcome: TickOutcome): TickAccount => ({
  tick,
  time,
  seconds,
  host: { physical: w.host.physicalMiB, reserve: w.host.reserveMiB, free: w.free, state: w.state },
  status: w.status,
  vm: w.vm,
  admittedNow: outcome.admittedNow,
  refusedNow: outcome.refusedNow,
})

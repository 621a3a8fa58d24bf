/**
 * dynamic-memory: Hyper-V Dynamic Memory (Windows Server 2008 R2 SP1, extended in Windows Server
 * 2012), DOMAIN.md section 3. Each VM boots with its Startup RAM; the host then moves its memory
 * toward a target, clamp(demand x (1 + buffer/100), Minimum, Maximum), where demand is what the guest
 * reports through integration services (`committed`). Memory grows by hot-add in 128 MiB blocks
 * (after the balloon has been deflated) and shrinks by ballooning only: Hyper-V never hot-removes.
 * The host never swaps, compresses or shares VM memory; a guest short of memory pages inside itself
 * (the world accounts it as guest paging). Smart Paging backs a restarting VM's Startup RAM with disk
 * when the host cannot find it.
 *
 * When the host is short, every VM gets its Minimum, then its demand, then its buffer (DOMAIN.md 3:
 * the buffer "is not maintained" when there is not enough physical memory to give every VM its
 * requested buffer; Dynamic Memory configuration guide, 2011): a larger buffer never makes another
 * VM page.
 *
 * Left out: NUMA spanning; the balancer's 1 s loop and the guest's 1 s reports (we act once a tick,
 * at the trace's step, and the world applies the hot-add and balloon rates over the tick); the 45 s
 * before a booting guest's first report (a VM that boots holds its Startup RAM for its first tick,
 * since `committed` is 0 until it has run one tick); the Smart Paging file's location and its
 * 10-minute intent (our Smart Paging part simply deflates as memory frees); Hyper-V's own hysteresis
 * (we retarget every tick).
 *
 * Where it had to choose (each also a param or a comment below):
 *   - How a short host shares memory: Microsoft does not publish how the balancer picks donors.
 *     `allocation: 'weight'` (default) gives every VM its Minimum, then shares the rest by relative
 *     weight up to each VM's demand (within Minimum and Maximum), then, once every demand is met, up
 *     to each VM's target (the buffers), water-filling at each level: demand before buffer is
 *     documented, the split by weight is the choice. 'pressure' equalises pressure across VMs up to
 *     their targets, buffers included (policies/internal/hyperv-share.ts).
 *   - Warm start (the world's `start`, default "warm": PolicyContext.warmStart): VMs powered on at
 *     the first tick have been running before the recording, their guests reporting demand all
 *     along (the world gives `committed` at tick 0). They are admitted in fleet order while their
 *     Minimum RAM plus overhead fits (a running VM needs no Startup RAM), each at its target, or, when
 *     the targets do not all fit, at its share by the `allocation` rule: the balancer's steady state.
 *     Visible memory is Startup plus the whole hot-add blocks that reach it (the balloon holds the
 *     excess), or Startup with the balloon holding what is above the share. VMs that power on later
 *     boot at Startup. Cold start: every VM boots at its first tick.
 *   - Block rounding: hot-add rounds the growth up to whole blocks (never past Maximum: the last
 *     block may be partial) and the balloon takes back the excess, so assigned lands exactly on its
 *     target. Demand 1000 MiB at buffer 20% from Startup 1024: visible 1024 + 2 x 128 = 1280,
 *     ballooned 80, assigned 1200. If the balloon cannot take the excess back within the tick (a
 *     balloon rate below one block per tick) the growth is hot-added exactly instead.
 *   - Rates: the policy plans with what the world's rates achieve this tick (it knows them from the
 *     context): memory given to one VM comes only from memory that is free now or that another VM's
 *     balloon actually releases this tick. When that is less than what growing VMs want, the growth
 *     achievable this tick is shared in proportion to what each could take (a transient: at the
 *     default rates and a 300 s step everything converges within one tick).
 *   - Admission: a starting VM needs Startup RAM plus the per-VM overhead. `reclaimForStart` (default
 *     true) lets the balancer count memory it can balloon out of running VMs this tick, down to their
 *     targets (never below), as room for the start. VMs starting together are admitted in fleet order;
 *     a refused VM stays refused until it powers off (the world's rule).
 *   - Smart Paging: a start is a restart if the VM was powered off at most `restartWindowSeconds`
 *     before. A restart whose Startup RAM cannot be found but whose Minimum fits is admitted with
 *     visible = Startup and balloon = Startup - what fits (so the host assigns only what fits); the
 *     part of the working set that does not fit is accounted by the world as guest paging, which is
 *     what Smart Paging's disk backing amounts to. The balloon deflates as memory frees. Requires the
 *     balloon to reach that size within the tick (balloon rate x step). A cold start that does not fit
 *     is refused.
 *   - Targets use Maximum RAM, not the trace's configured size (Hyper-V knows its settings, not the
 *     trace); floor = min(Minimum, Startup), as the world's invariant checks it.
 */
import * as t from 'io-ts'
import { definePolicy, NO_SHARING, scratchColumn, type Decision, type Observation, type PolicyContext, type Scratch } from '../src/engine/policy.js'
import { paramsCodec } from '../src/engine/params.js'
import { VmStatus } from '../src/engine/account.js'
import { pressureShare, weightShare } from './internal/hyperv-share.js'

export type Allocation = 'weight' | 'pressure'

export interface DynamicMemoryParams {
  /** How a short host shares memory (modelling choice: the balancer's donor choice is not published). */
  readonly allocation: Allocation
  /** Hot-add granularity, MiB (documented: 128 MB blocks). */
  readonly hotAddBlockMiB: number
  /** Smart Paging on restart (documented feature; Hyper-V has no switch to turn it off, only its file
   *  location: false models a host without it, for comparison). */
  readonly smartPaging: boolean
  /** A power-on within this many seconds of a power-off counts as a restart (modelling choice: the
   *  trace has no restart events, only gaps). */
  readonly restartWindowSeconds: number
  /** May the balancer balloon running VMs down toward their targets, within this tick's balloon rate,
   *  to make room for a VM that starts? (modelling choice) */
  readonly reclaimForStart: boolean
}

export const DYNAMIC_MEMORY_DEFAULTS: DynamicMemoryParams = {
  allocation: 'weight',
  hotAddBlockMiB: 128,
  smartPaging: true,
  restartWindowSeconds: 1800,
  reclaimForStart: true,
}

const positive = new t.Type<number, number, unknown>(
  'positive number',
  (u): u is number => typeof u === 'number' && Number.isFinite(u) && u > 0,
  (u, c) => (typeof u === 'number' && Number.isFinite(u) && u > 0 ? t.success(u) : t.failure(u, c, `expected a positive number, found ${JSON.stringify(u)}`)),
  (a) => a,
)
const nonNegative = new t.Type<number, number, unknown>(
  'non-negative number',
  (u): u is number => typeof u === 'number' && u >= 0,
  (u, c) => (typeof u === 'number' && u >= 0 ? t.success(u) : t.failure(u, c, `expected a number >= 0, found ${JSON.stringify(u)}`)),
  (a) => a,
)

const codec = paramsCodec(
  'dynamic-memory',
  {
    allocation: t.union([t.literal('weight'), t.literal('pressure')]),
    hotAddBlockMiB: positive,
    smartPaging: t.boolean,
    restartWindowSeconds: nonNegative,
    reclaimForStart: t.boolean,
  },
  DYNAMIC_MEMORY_DEFAULTS,
)

/** Each VM's Dynamic Memory settings as columns (index = VM index), made once in init. */
export interface SettingsColumns {
  /** min(Minimum, Startup, Maximum): see floorOf. */
  readonly floor: Float64Array
  readonly maximum: Float64Array
  /** What a VM boots with: min(Startup, Maximum). */
  readonly startup: Float64Array
  /** 1 + buffer/100, the factor on demand in the target. */
  readonly bufferFactor: Float64Array
  readonly weight: Float64Array
}

export interface DynamicMemoryState {
  readonly context: PolicyContext
  readonly params: DynamicMemoryParams
  /** Unix seconds at which each VM was last seen powering off after running (-Infinity: never). */
  readonly stoppedAt: Float64Array
  /** Settings and decision columns that never change, made once in init and never written (sharing
   *  them between states and decisions is pure); the step reads columns, not per-VM objects. */
  readonly settings: SettingsColumns
  readonly zeros: Float64Array
  readonly noCap: Float64Array
}

const EPS = 1e-9

/** The VM's floor: Minimum RAM (which since 2012 may be below Startup), never above Startup. */
const floorOf = (s: PolicyContext['vms'][number]): number => Math.min(s.minimumMiB, s.startupMiB, s.maximumMiB)

/** The Dynamic Memory target: clamp(demand x (1 + buffer/100), floor, Maximum). The step computes
 *  the same from SettingsColumns. */
export const targetOf = (s: PolicyContext['vms'][number], demand: number): number =>
  Math.min(s.maximumMiB, Math.max(floorOf(s), demand * (1 + s.bufferPercent / 100)))

const settingsColumns = (vms: PolicyContext['vms']): SettingsColumns => {
  const n = vms.length
  const all = new Float64Array(5 * n)
  const cols: SettingsColumns = {
    floor: all.subarray(0, n),
    maximum: all.subarray(n, 2 * n),
    startup: all.subarray(2 * n, 3 * n),
    bufferFactor: all.subarray(3 * n, 4 * n),
    weight: all.subarray(4 * n, 5 * n),
  }
  for (let v = 0; v < n; v++) {
    const s = vms[v]
    cols.floor[v] = floorOf(s)
    cols.maximum[v] = s.maximumMiB
    cols.startup[v] = Math.min(s.startupMiB, s.maximumMiB)
    cols.bufferFactor[v] = 1 + s.bufferPercent / 100
    cols.weight[v] = s.weight
  }
  return cols
}

/** Every state is made here, so all have one shape (a `{ ...state }` copy has another, and the
 *  step's optimized code then keeps being thrown away). */
const stateOf = (prev: Omit<DynamicMemoryState, 'stoppedAt'>, stoppedAt: Float64Array): DynamicMemoryState => ({
  context: prev.context,
  params: prev.params,
  stoppedAt,
  settings: prev.settings,
  zeros: prev.zeros,
  noCap: prev.noCap,
})

const init = (context: PolicyContext, params: DynamicMemoryParams): DynamicMemoryState => {
  const n = context.vms.length
  const fixed = { context, params, settings: settingsColumns(context.vms), zeros: new Float64Array(n), noCap: new Float64Array(n).fill(Infinity) }
  return stateOf(fixed, new Float64Array(n).fill(-Infinity))
}

/** This step's decision columns and reach, for planRunning and grow. */
interface Tick {
  readonly visible: Float64Array
  readonly balloon: Float64Array
  readonly block: number
  /** Hot-add and balloon reach this tick, MiB. */
  readonly hStep: number
  readonly bStep: number
}

/**
 * Plans every running VM toward what it is entitled to (`entitled` undefined: its target). A VM
 * above it balloons toward it (the world inflates at most bStep this tick); a VM below deflates
 * first, then hot-adds, by `fraction` of the growth it can achieve this tick. Writes the running
 * VMs' visible and balloon; returns the sum of their targets and the fraction of the growth wanted
 * that `pool` funds once shrinking VMs have ballooned at the rate.
 */
const planRunning = (
  t: Tick,
  obs: Observation,
  settings: SettingsColumns,
  entitled: Float64Array | undefined,
  fraction: number,
  pool: number,
): { readonly sumTargets: number; readonly funded: number } => {
  const { poweredOn, status, committed, assigned, ballooned } = obs
  const visible0 = obs.visible
  const { floor, maximum, bufferFactor } = settings
  const { visible, balloon, hStep, bStep } = t
  const n = obs.vmCount
  // Module constants as locals: read in the loop, each would be a context and property load per VM.
  const RUNNING = VmStatus.running
  const eps = EPS
  let sumTargets = 0
  let budget = pool
  let wanted = 0
  for (let v = 0; v < n; v++) {
    if (poweredOn[v] !== 1 || status[v] !== RUNNING) continue
    const target = Math.min(maximum[v], Math.max(floor[v], committed[v] * bufferFactor[v]))
    sumTargets += target
    const e = entitled === undefined ? target : entitled[v]
    const a0 = assigned[v]
    const v0 = visible0[v]
    const b0 = ballooned[v]
    visible[v] = v0
    if (e < a0 - eps) {
      balloon[v] = v0 - e
      budget -= Math.max(e, a0 - bStep)
      continue
    }
    balloon[v] = b0
    budget -= a0
    if (!(e > a0 + eps)) continue
    const g = e - a0
    const maxVisible = Math.max(v0, maximum[v])
    // Deflate first; hot-add only once the balloon empties within this tick.
    const w = g <= b0 ? Math.min(g, bStep) : b0 > bStep ? bStep : b0 + Math.min(g - b0, hStep, maxVisible - v0)
    wanted += w
    if (w > 0) grow(t, v, w * fraction, v0, b0, maxVisible)
  }
  return { sumTargets, funded: wanted <= budget ? 1 : Math.max(0, budget) / wanted }
}

/** Grow a VM by g this tick: writes its visible and balloon targets. */
const grow = (t: Tick, v: number, g: number, v0: number, b0: number, maxVisible: number): void => {
  if (g <= b0) {
    t.visible[v] = v0
    t.balloon[v] = b0 - g // deflate only
    return
  }
  // The balloon empties (b0 <= bStep here); the rest, r, is hot-added in whole blocks, never past
  // Maximum nor past what the hot-add rate reaches this tick; the balloon takes back the excess.
  const r = g - b0
  const blocks = Math.ceil(r / t.block - EPS)
  let vt = Math.min(v0 + blocks * t.block, maxVisible, v0 + t.hStep)
  if (vt < v0 + r) vt = v0 + r
  const excess = vt - (v0 + r)
  if (excess > b0 + t.bStep) {
    // The balloon could not take the excess back this tick: hot-add exactly what is wanted.
    t.visible[v] = v0 + r
    t.balloon[v] = 0
  } else {
    t.visible[v] = vt
    t.balloon[v] = excess
  }
}

/**
 * Warm start, tick 0: admit the VMs that were running before the recording (all are `off` to the
 * world at tick 0) in fleet order while their floors and overheads fit `room`, and give each its
 * steady-state assignment: its target when all targets fit, else its share. Writes admit, visible
 * and balloon; returns what the admitted VMs hold, overheads included.
 */
const admitWarm = (t: Tick, obs: Observation, state: DynamicMemoryState, admit: Float64Array, room: number): number => {
  const { poweredOn, status, committed } = obs
  const { floor, maximum, startup, bufferFactor } = state.settings
  const overhead = state.context.host.vmOverheadMiB
  const n = obs.vmCount
  const ids = new Int32Array(n)
  let k = 0
  let floors = 0
  let targets = 0
  for (let v = 0; v < n; v++) {
    if (poweredOn[v] !== 1 || status[v] !== VmStatus.off) continue
    if (floors + floor[v] + overhead > room + EPS) continue // refused: its Minimum does not fit
    admit[v] = 1
    ids[k++] = v
    floors += floor[v] + overhead
    targets += Math.min(maximum[v], Math.max(floor[v], committed[v] * bufferFactor[v]))
  }
  const members = ids.subarray(0, k)
  const pool = room - k * overhead
  const entitled = targets <= pool ? undefined : shareAmong(obs, state, members, pool)
  let held = 0
  for (let i = 0; i < k; i++) {
    const v = members[i]
    const e = entitled === undefined ? Math.min(maximum[v], Math.max(floor[v], committed[v] * bufferFactor[v])) : entitled[v]
    const s = startup[v]
    // As if it had grown from Startup: whole blocks hot-added (the last never past Maximum), the
    // balloon holding what is above its entitlement. The world applies an admission's balloon at once.
    const vt = e > s + EPS ? Math.max(e, Math.min(s + Math.ceil((e - s) / t.block - EPS) * t.block, Math.max(s, maximum[v]))) : s
    t.visible[v] = vt
    t.balloon[v] = vt - e
    held += e + overhead
  }
  return held
}

const step = (state: DynamicMemoryState, obs: Observation, scratch?: Scratch): readonly [DynamicMemoryState, Decision] => {
  const { context, params, settings } = state
  const { host, rates } = context
  const { floor, maximum, startup, bufferFactor } = settings
  const { poweredOn, status, committed, assigned } = obs
  const n = obs.vmCount
  const overhead = host.vmOverheadMiB
  const time = obs.time
  const bStep = rates.balloonMiBPerSecond * obs.stepSeconds

  // Stops: remember when a running VM powered off (the world releases its memory this tick).
  let stoppedAt = state.stoppedAt
  let running = 0
  let starting = false
  for (let v = 0; v < n; v++) {
    const st = status[v]
    if (poweredOn[v] !== 1) {
      if (st === VmStatus.running) {
        if (stoppedAt === state.stoppedAt) stoppedAt = Float64Array.from(state.stoppedAt)
        stoppedAt[v] = time
      }
    } else if (st === VmStatus.running) running++
    else if (st === VmStatus.off) starting = true
  }

  // The decision's visible and balloon (and admit, on a tick when VMs start: the world reads admit
  // only for them): scratch columns the engine offers (policy.ts Scratch), cleared, as they hold old
  // values and only the VMs planned below are written; new columns when there is no offer.
  const t: Tick = {
    visible: scratchColumn(scratch, 0, n).fill(0),
    balloon: scratchColumn(scratch, 1, n).fill(0),
    block: params.hotAddBlockMiB,
    hStep: rates.hotAddMiBPerSecond * obs.stepSeconds,
    bStep,
  }
  const { visible, balloon } = t
  const admit = starting ? scratchColumn(scratch, 2, n).fill(0) : state.zeros

  // Admission, in fleet order.
  const capacity = host.physicalMiB - host.reserveMiB
  let newHeld = 0 // assigned + overhead of VMs admitted this tick
  if (starting) {
    let held = 0 // memory counted against the host for admission: running VMs at what they must keep, plus overheads
    for (let v = 0; v < n; v++) {
      if (poweredOn[v] !== 1 || status[v] !== VmStatus.running) continue
      const target = Math.min(maximum[v], Math.max(floor[v], committed[v] * bufferFactor[v]))
      const a0 = assigned[v]
      // What the VM will still hold at the end of this tick if the balancer reclaims toward its
      // target at the balloon rate (and never below the target); without reclaim, all of it.
      held += (params.reclaimForStart ? Math.min(a0, Math.max(target, a0 - bStep)) : a0) + overhead
    }
    // A warm start's first tick: the VMs powered on were running before the recording.
    if (context.warmStart && obs.tick === 0) newHeld = admitWarm(t, obs, state, admit, capacity - held)
    // Otherwise they boot at Startup RAM.
    else
      for (let v = 0; v < n; v++) {
        if (poweredOn[v] !== 1 || status[v] !== VmStatus.off) continue
        const s = startup[v]
        const room = capacity - held - newHeld
        const need = s + overhead
        if (need <= room + EPS) {
          admit[v] = 1
          visible[v] = s
          balloon[v] = 0
          newHeld += need
          continue
        }
        const restart = time - stoppedAt[v] <= params.restartWindowSeconds
        const fits = Math.max(0, room - overhead)
        // Smart Paging: the guest sees Startup; the host assigns what fits, the balloon (set at
        // admission: the world applies it at once) holds the rest, and the working set beyond it is
        // disk-backed (guest paging) until the balloon deflates.
        if (params.smartPaging && restart && fits + EPS >= floor[v]) {
          admit[v] = 1
          visible[v] = s
          balloon[v] = Math.max(0, s - fits)
          newHeld += s - balloon[v] + overhead
        }
        // else: refused (a cold start that does not fit, or a restart whose Minimum does not fit).
      }
  }

  // Memory the running VMs may hold at the end of this tick. Plan toward the targets; a short host
  // shares the pool instead (plan again), and when the pool cannot fund all the growth this tick
  // (a transient) each growing VM gets the same fraction of what it could take (plan again).
  const pool = capacity - overhead * running - newHeld
  const toTargets = planRunning(t, obs, settings, undefined, 1, pool)
  const entitled = toTargets.sumTargets <= pool ? undefined : share(obs, state, running, pool)
  const { funded } = entitled === undefined ? toTargets : planRunning(t, obs, settings, entitled, 1, pool)
  if (funded < 1) planRunning(t, obs, settings, entitled, funded, pool)

  const { zeros } = state
  const decision: Decision = {
    admit,
    visible,
    balloon,
    compress: zeros,
    swap: zeros,
    cap: state.noCap,
    sharing: NO_SHARING,
    compressedStoreRatio: 0.5,
    block: false,
    state: 'none',
  }
  const next = stoppedAt === state.stoppedAt ? state : stateOf(state, stoppedAt)
  return [next, decision]
}

/** A short host: what each running VM is entitled to hold, shared by the `allocation` rule (only
 *  when the targets do not all fit, so the common step allocates nothing for it). */
const share = (obs: Observation, state: DynamicMemoryState, running: number, pool: number): Float64Array => {
  const { poweredOn, status } = obs
  const n = obs.vmCount
  const members = new Int32Array(running)
  for (let v = 0, i = 0; v < n; v++) if (poweredOn[v] === 1 && status[v] === VmStatus.running) members[i++] = v
  return shareAmong(obs, state, members, pool)
}

/** `pool` shared among `members` by the `allocation` rule: 'weight' funds every demand (within
 *  Minimum and Maximum) before any buffer; 'pressure' equalises pressure up to the targets. */
const shareAmong = (obs: Observation, state: DynamicMemoryState, members: Int32Array, pool: number): Float64Array => {
  const { committed } = obs
  const { floor, maximum, bufferFactor, weight } = state.settings
  const n = obs.vmCount
  const columns = new Float64Array(2 * n)
  const targets = columns.subarray(0, n)
  const needs = columns.subarray(n)
  for (let i = 0; i < members.length; i++) {
    const v = members[i]
    const target = Math.min(maximum[v], Math.max(floor[v], committed[v] * bufferFactor[v]))
    targets[v] = target
    needs[v] = Math.min(target, Math.max(floor[v], committed[v]))
  }
  return state.params.allocation === 'weight' ? weightShare(members, floor, needs, targets, weight, pool) : pressureShare(members, floor, targets, committed, pool)
}

export const dynamicMemoryPolicy = definePolicy<DynamicMemoryParams, DynamicMemoryState>({
  name: 'dynamic-memory',
  description: 'Hyper-V Dynamic Memory (Windows Server 2008 R2 SP1 / 2012): hot-add and balloon toward demand plus buffer; no host swap.',
  params: codec,
  defaults: DYNAMIC_MEMORY_DEFAULTS,
  traits: { overcommit: false, reservations: false, states: false, minMax: true },
  pageSamples: false, // learns demand from the guest, not by sampling pages
  notes: [
    "A short host funds every VM's Minimum, then every VM's demand (within Minimum and Maximum), then buffers (documented: the buffer is not maintained when the host cannot give every VM its buffer); within each level memory goes by relative weight, water-filling (allocation 'weight', a modelling choice: the balancer's donor choice is not published). allocation 'pressure' instead equalises pressure up to the targets, buffers included.",
    'Warm start (world start "warm", the default): VMs powered on at the first tick were running before the recording and are admitted at their steady state (their target, or their share when the host is short) while their Minimum fits, in fleet order; VMs that power on later boot at Startup RAM. start "cold" boots every VM at Startup.',
  ],
  init,
  step,
})

export default dynamicMemoryPolicy

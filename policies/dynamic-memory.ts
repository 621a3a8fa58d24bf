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
 * Left out: NUMA spanning; the balancer's 1 s loop and the guest's 1 s reports (we act once a tick,
 * at the trace's step, and the world applies the hot-add and balloon rates over the tick); the 45 s
 * before a guest's first report (a VM holds its Startup RAM for its first tick, since `committed` is
 * 0 until it has run one tick); the Smart Paging file's location and its 10-minute intent (our Smart
 * Paging part simply deflates as memory frees); Hyper-V's own hysteresis (we retarget every tick).
 *
 * Where it had to choose (each also a param or a comment below):
 *   - How a short host shares memory: Microsoft does not publish how the balancer picks donors.
 *     `allocation: 'weight'` (default) gives every VM its Minimum, then shares the rest by relative
 *     weight up to each VM's target (water-filling); 'pressure' equalises pressure across VMs
 *     (policies/internal/hyperv-share.ts).
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
import { definePolicy, type Decision, type Observation, type PolicyContext } from '../src/engine/policy.js'
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

export interface DynamicMemoryState {
  readonly context: PolicyContext
  readonly params: DynamicMemoryParams
  /** Unix seconds at which each VM was last seen powering off after running (-Infinity: never). */
  readonly stoppedAt: Float64Array
}

const EPS = 1e-9

/** The VM's floor: Minimum RAM (which since 2012 may be below Startup), never above Startup. */
const floorOf = (s: PolicyContext['vms'][number]): number => Math.min(s.minimumMiB, s.startupMiB, s.maximumMiB)

/** The Dynamic Memory target: clamp(demand x (1 + buffer/100), floor, Maximum). */
export const targetOf = (s: PolicyContext['vms'][number], demand: number): number =>
  Math.min(s.maximumMiB, Math.max(floorOf(s), demand * (1 + s.bufferPercent / 100)))

const step = (state: DynamicMemoryState, obs: Observation): readonly [DynamicMemoryState, Decision] => {
  const { context, params } = state
  const { vms, host, rates } = context
  const n = obs.vmCount
  const hStep = rates.hotAddMiBPerSecond * obs.stepSeconds
  const bStep = rates.balloonMiBPerSecond * obs.stepSeconds
  const block = params.hotAddBlockMiB

  const admit = new Uint8Array(n)
  const visible = new Float64Array(n)
  const balloon = new Float64Array(n)

  // Stops: remember when a running VM powered off (the world releases its memory this tick).
  let stoppedAt = state.stoppedAt
  for (let v = 0; v < n; v++) {
    if (obs.poweredOn[v] !== 1 && obs.status[v] === VmStatus.running) {
      if (stoppedAt === state.stoppedAt) stoppedAt = Float64Array.from(state.stoppedAt)
      stoppedAt[v] = obs.time
    }
  }

  // Running VMs: where they are (end of last tick) and where Dynamic Memory wants them.
  const running: number[] = []
  const floors = new Float64Array(n)
  const targets = new Float64Array(n)
  const weights = new Float64Array(n)
  const demands = new Float64Array(n)
  const capacity = host.physicalMiB - host.reserveMiB
  let held = 0 // memory counted against the host for admission: running VMs at what they must keep, plus overheads
  for (let v = 0; v < n; v++) {
    if (obs.poweredOn[v] !== 1 || obs.status[v] !== VmStatus.running) continue
    running.push(v)
    const s = vms[v]
    floors[v] = floorOf(s)
    demands[v] = obs.committed[v]
    targets[v] = targetOf(s, demands[v])
    weights[v] = s.weight
    const a0 = obs.assigned[v]
    // What the VM will still hold at the end of this tick if the balancer reclaims toward its target
    // at the balloon rate (and never below the target); without reclaim, all of it.
    held += (params.reclaimForStart ? Math.min(a0, Math.max(targets[v], a0 - bStep)) : a0) + host.vmOverheadMiB
  }

  // Admission, in fleet order.
  let newHeld = 0 // assigned + overhead of VMs admitted this tick
  for (let v = 0; v < n; v++) {
    if (obs.poweredOn[v] !== 1 || obs.status[v] !== VmStatus.off) continue
    const s = vms[v]
    const startup = Math.min(s.startupMiB, s.maximumMiB)
    const room = capacity - held - newHeld
    const need = startup + host.vmOverheadMiB
    if (need <= room + EPS) {
      admit[v] = 1
      visible[v] = startup
      balloon[v] = 0
      newHeld += need
      continue
    }
    const restart = obs.time - stoppedAt[v] <= params.restartWindowSeconds
    const fits = Math.max(0, room - host.vmOverheadMiB)
    // Smart Paging: the guest sees Startup; the host assigns what fits, the balloon (set at
    // admission: the world applies it at once) holds the rest, and the working set beyond it is
    // disk-backed (guest paging) until the balloon deflates.
    if (params.smartPaging && restart && fits + EPS >= floorOf(s)) {
      admit[v] = 1
      visible[v] = startup
      balloon[v] = Math.max(0, startup - fits)
      newHeld += startup - balloon[v] + host.vmOverheadMiB
    }
    // else: refused (a cold start that does not fit, or a restart whose Minimum does not fit).
  }

  // Memory the running VMs may hold at the end of this tick.
  const pool = capacity - host.vmOverheadMiB * running.length - newHeld
  let sumTargets = 0
  for (const v of running) sumTargets += targets[v]
  const entitled =
    sumTargets <= pool
      ? targets
      : params.allocation === 'weight'
        ? weightShare(running, floors, targets, weights, pool)
        : pressureShare(running, floors, targets, demands, pool)

  // Shrinking VMs balloon at the rate; growing VMs are funded from what is free after that.
  const want = new Float64Array(n) // growth each growing VM can achieve this tick
  let budget = pool
  let wanted = 0
  for (const v of running) {
    const a0 = obs.assigned[v]
    const v0 = obs.visible[v]
    const b0 = obs.ballooned[v]
    const e = entitled[v]
    if (e < a0 - EPS) {
      // Balloon toward e; the world inflates at most bStep this tick.
      visible[v] = v0
      balloon[v] = v0 - e
      budget -= Math.max(e, a0 - bStep)
    } else {
      visible[v] = v0
      balloon[v] = b0
      budget -= a0
      if (e > a0 + EPS) {
        const g = e - a0
        const maxVisible = Math.max(v0, vms[v].maximumMiB)
        // Deflate first; hot-add only once the balloon empties within this tick.
        want[v] = g <= b0 ? Math.min(g, bStep) : b0 > bStep ? bStep : b0 + Math.min(g - b0, hStep, maxVisible - v0)
        wanted += want[v]
      }
    }
  }
  const share = wanted <= budget ? 1 : Math.max(0, budget) / wanted
  for (const v of running) {
    if (want[v] <= 0) continue
    const g = want[v] * share
    const v0 = obs.visible[v]
    const b0 = obs.ballooned[v]
    if (g <= b0) {
      balloon[v] = b0 - g // deflate only
      continue
    }
    // The balloon empties (b0 <= bStep here); the rest, r, is hot-added in whole blocks, never past
    // Maximum nor past what the hot-add rate reaches this tick; the balloon takes back the excess.
    const r = g - b0
    const maxVisible = Math.max(v0, vms[v].maximumMiB)
    const blocks = Math.ceil(r / block - EPS)
    let vt = Math.min(v0 + blocks * block, maxVisible, v0 + hStep)
    if (vt < v0 + r) vt = v0 + r
    const excess = vt - (v0 + r)
    if (excess > b0 + bStep) {
      // The balloon could not take the excess back this tick: hot-add exactly what is wanted.
      visible[v] = v0 + r
      balloon[v] = 0
    } else {
      visible[v] = vt
      balloon[v] = excess
    }
  }

  const zeros = new Float64Array(n)
  const decision: Decision = {
    admit,
    visible,
    balloon,
    compress: zeros,
    swap: zeros,
    cap: new Float64Array(n).fill(Infinity),
    sharing: { scope: 'none', breakLargePages: false, scanMiBPerSecond: 0 },
    compressedStoreRatio: 0.5,
    block: false,
    state: 'none',
  }
  const next = stoppedAt === state.stoppedAt ? state : { ...state, stoppedAt }
  return [next, decision]
}

export const dynamicMemoryPolicy = definePolicy<DynamicMemoryParams, DynamicMemoryState>({
  name: 'dynamic-memory',
  description: 'Hyper-V Dynamic Memory (Windows Server 2008 R2 SP1 / 2012): hot-add and balloon toward demand plus buffer; no host swap.',
  params: codec,
  defaults: DYNAMIC_MEMORY_DEFAULTS,
  traits: { overcommit: false, reservations: false, states: false, minMax: true },
  pageSamples: false, // learns demand from the guest, not by sampling pages
  init: (context, params) => ({ context, params, stoppedAt: new Float64Array(context.vms.length).fill(-Infinity) }),
  step,
})

export default dynamicMemoryPolicy

/**
 * The world: what physically happens to each VM's memory, given the trace and a policy's decision.
 * Policies decide; the world applies their decisions within physical limits and rates, and keeps
 * the account (engine/account.ts) from which every metric is folded.
 *
 * Rates (hot-add, balloon, swap, compression, page-sharing scan) are per second and applied over
 * the tick's duration, so results keep their character when the step changes.
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
import { DEFAULT_SLOWDOWN, SlowdownParamsCodec, slowdownOf, type SlowdownParams } from './slowdown.js'
import { DEFAULT_TOUCHED, TouchedParamsCodec, touchedAtBoot, touchedStep, type TouchedParams } from './touched.js'
import { binomial } from './internal/binomial.js'
import { tickFrames, type Frames } from './internal/frames.js'
import { paramsCodec } from './params.js'

// ---------------------------------------------------------------------------------------------
// Model

export interface WorldParams {
  /** Hyper-V hot-adds 128 MiB blocks; about one a second per VM. */
  readonly hotAddMiBPerSecond: number
  /** Balloon inflation/deflation per VM (the guest must find and pin pages). */
  readonly balloonMiBPerSecond: number
  /** Host-wide bandwidth of writes to host swap. */
  readonly swapOutMiBPerSecond: number
  /** Host-wide bandwidth of swap-ins (pages brought back when the policy lowers its swap target). */
  readonly swapInMiBPerSecond: number
  /** Host-wide compression throughput (CPU-bound, much faster than disk). */
  readonly compressMiBPerSecond: number
  /** Active-memory sampling (ESX): pages per period, and the period. */
  readonly pagesPerSample: number
  readonly samplePeriodSeconds: number
  readonly touched: TouchedParams
  readonly slowdown: SlowdownParams
}

export const WorldParamsCodec = t.type({
  hotAddMiBPerSecond: t.number,
  balloonMiBPerSecond: t.number,
  swapOutMiBPerSecond: t.number,
  swapInMiBPerSecond: t.number,
  compressMiBPerSecond: t.number,
  pagesPerSample: t.number,
  samplePeriodSeconds: t.number,
  touched: TouchedParamsCodec,
  slowdown: SlowdownParamsCodec,
})

/** Defaults: documented choices where no vendor number exists (see each comment). */
export const DEFAULT_WORLD: WorldParams = {
  hotAddMiBPerSecond: 128, // one 128 MiB block a second (DOMAIN.md 3: blocks of 128 MB, loop ~1 s)
  balloonMiBPerSecond: 64, // modelling choice: 2 MiB units, tens of MiB/s per guest
  swapOutMiBPerSecond: 200, // modelling choice: one disk's sequential write bandwidth
  swapInMiBPerSecond: 100, // modelling choice: swap-in is random reads, slower than writes
  compressMiBPerSecond: 1000, // modelling choice: CPU-bound, an order of magnitude above disk
  pagesPerSample: 100, // ESX samples 100 pages per period (DOMAIN.md 4)
  samplePeriodSeconds: 60, // ESX 4 period (ESX 2: 30 s)
  touched: DEFAULT_TOUCHED,
  slowdown: DEFAULT_SLOWDOWN,
}

/**
 * World params as users give them (`--world`): any subset, nested ones too, defaults filled,
 * unknown keys refused. E.g. {"slowdown": {"swapDevice": "ssd"}, "balloonMiBPerSecond": 32}.
 */
export const WorldParamsInput = paramsCodec(
  'world',
  {
    ...WorldParamsCodec.props,
    touched: paramsCodec('world.touched', TouchedParamsCodec.props, DEFAULT_TOUCHED),
    slowdown: paramsCodec('world.slowdown', SlowdownParamsCodec.props, DEFAULT_SLOWDOWN),
  },
  DEFAULT_WORLD,
)

export interface World {
  readonly host: HostSettings
  readonly vms: ReadonlyArray<VmSettings>
  readonly traces: ReadonlyArray<VmTrace>
  readonly params: WorldParams
  readonly traits: PolicyTraits
  readonly policyName: string
  readonly uniform: () => number
  /** Draw active-page samples for the policy (ESX estimates active memory from them)? */
  readonly pageSamples: boolean
  /** The account's columns: world state at the end of the last tick. */
  readonly vm: VmColumns
  readonly status: Uint8Array
  /** Guest-private state (engine/touched.ts), not visible to policies. */
  readonly cache: Float64Array
  readonly zero: Float64Array
  readonly prevDemand: Float64Array
  /** Policy-visible per-tick inputs, refreshed at the start of each tick. */
  readonly poweredOn: Float64Array
  /** This tick's working set of each VM powered on (0 otherwise), read once from the frames. */
  readonly demandNow: Float64Array
  readonly frames: Frames
  readonly committed: Float64Array
  readonly sampledPages: Float64Array
  readonly accessedPages: Float64Array
  free: number
  state: number
  compressedStoreRatio: number
}

export const createWorld = (
  host: HostSettings,
  vms: ReadonlyArray<VmSettings>,
  traces: ReadonlyArray<VmTrace>,
  params: WorldParams,
  traits: PolicyTraits,
  policyName: string,
  uniform: () => number,
  pageSamples = true,
): World => {
  const n = vms.length
  const vm = Object.fromEntries(VM_FIELDS.map((f) => [f, new Float64Array(n)])) as Record<VmField, Float64Array>
  return {
    host,
    vms,
    traces,
    params,
    traits,
    policyName,
    uniform,
    pageSamples,
    vm,
    status: new Uint8Array(n),
    cache: new Float64Array(n),
    zero: new Float64Array(n),
    prevDemand: new Float64Array(n),
    poweredOn: new Float64Array(n),
    demandNow: new Float64Array(n),
    frames: tickFrames(traces),
    committed: new Float64Array(n),
    sampledPages: new Float64Array(n),
    accessedPages: new Float64Array(n),
    free: host.physicalMiB - host.reserveMiB,
    state: 0,
    compressedStoreRatio: 0.5,
  }
}

// ---------------------------------------------------------------------------------------------
// Operations

/** Read this tick's trace inputs into what policies may observe (before they decide). */
export const observeTick = (w: World, tick: number, seconds: number): void => {
  const { vm } = w
  const periods = seconds / w.params.samplePeriodSeconds
  const n = Math.round(w.params.pagesPerSample * periods)
  const f = w.frames
  const row = f.row(tick)
  for (let v = 0; v < w.vms.length; v++) {
    const on = f.on[row + v]
    w.poweredOn[v] = on
    vm.configured[v] = on ? f.configured[row + v] : 0
    const d = on ? f.demand[row + v] : 0
    w.demandNow[v] = d
    // Guests report committed memory once running (integration services / guest agent).
    w.committed[v] = w.status[v] === VmStatus.running ? d : 0
    // ESX samples random pages of what the VM has touched; a sampled page is "accessed" when it
    // belongs to the working set. Estimation from these counts is the policy's business.
    if (w.pageSamples && w.status[v] === VmStatus.running && vm.touched[v] > 0) {
      const p = Math.min(1, Math.min(d, vm.touched[v]) / vm.touched[v])
      w.sampledPages[v] = n
      w.accessedPages[v] = binomial(n, p, w.uniform)
    } else {
      w.sampledPages[v] = 0
      w.accessedPages[v] = 0
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

const checkDecisionShape = (w: World, d: Decision, tick: number, time: number): RuleViolation | undefined => {
  const n = w.vms.length
  for (const k of ['admit', 'visible', 'balloon', 'compress', 'swap', 'cap'] as const) {
    if (d[k] === undefined || d[k].length !== n)
      return violation(w, tick, time, undefined, 'decision-shape', `decision.${k} must have one value per VM (${n}), found ${d[k]?.length}`)
  }
  // One column at a time (this runs for every VM at every step).
  for (const k of ['visible', 'balloon', 'compress', 'swap'] as const) {
    const col = d[k]
    for (let v = 0; v < n; v++) {
      const x = col[v]
      if (!(x >= 0 && x < Infinity)) return violation(w, tick, time, v, 'non-negative', `decision.${k} must be a finite size >= 0, found ${x}`)
    }
  }
  const cap = d.cap
  for (let v = 0; v < n; v++) if (!(cap[v] >= 0)) return violation(w, tick, time, v, 'non-negative', `decision.cap must be >= 0, found ${cap[v]}`)
  if (!w.traits.overcommit) {
    for (let v = 0; v < n; v++)
      if (d.swap[v] > 0 || d.compress[v] > 0)
        return violation(w, tick, time, v, 'no-host-swap', `a policy that does not overcommit asked to swap ${d.swap[v]} MiB / compress ${d.compress[v]} MiB`)
  }
  if (!(d.sharing.scanMiBPerSecond >= 0)) return violation(w, tick, time, undefined, 'non-negative', `decision.sharing.scanMiBPerSecond must be >= 0`)
  if (!(d.compressedStoreRatio > 0 && d.compressedStoreRatio <= 1))
    return violation(w, tick, time, undefined, 'compression', `decision.compressedStoreRatio must be in (0, 1], found ${d.compressedStoreRatio}`)
  return undefined
}

/** Release a VM's memory (it stopped, or was refused). */
const release = (w: World, v: number): void => {
  for (const f of VM_FIELDS) w.vm[f][v] = 0
  w.cache[v] = 0
  w.zero[v] = 0
  w.prevDemand[v] = 0
}

/**
 * Apply a policy's decision for one tick and write the account. Returns a violation when the
 * decision breaks a rule; the account is then incomplete and the run must stop.
 */
export const applyTick = (w: World, tick: number, time: number, seconds: number, d: Decision): RuleViolation | TickOutcome => {
  const bad = checkDecisionShape(w, d, tick, time)
  if (bad) return bad
  const { vm, vms, params, host } = w
  const n = vms.length
  let admittedNow = 0
  let refusedNow = 0
  w.compressedStoreRatio = d.compressedStoreRatio

  // 1. Lifecycle: stops release memory; starts are admitted or refused as the policy decided.
  for (let v = 0; v < n; v++) {
    const on = w.poweredOn[v] === 1
    const st = w.status[v]
    if (!on) {
      if (st !== VmStatus.off) {
        release(w, v)
        w.status[v] = VmStatus.off
      }
      continue
    }
    if (st === VmStatus.off) {
      if (d.admit[v] === 1) {
        w.status[v] = VmStatus.running
        admittedNow++
        const demand = w.demandNow[v]
        vm.visible[v] = d.visible[v]
        // A balloon decided at admission applies at once: the memory was never given (Smart Paging
        // starts a VM with part of its startup memory disk-backed).
        vm.ballooned[v] = Math.min(d.balloon[v], d.visible[v])
        vm.overhead[v] = host.vmOverheadMiB
        const usable = Math.min(vm.visible[v], vm.configured[v])
        const [c, z] = touchedAtBoot(params.touched, vms[v].os, demand, usable)
        w.cache[v] = c
        w.zero[v] = z
        w.prevDemand[v] = demand
        vm.touched[v] = 0 // grows below, through the host's allocation
      } else {
        w.status[v] = VmStatus.refused
        refusedNow++
      }
    }
  }

  // 2. Guest-visible size, balloon, and the guest's own use of memory (desired touched).
  const want = scratch(w, 'want', n)
  const guest = scratch(w, 'guest', 2) // [cache, zero] out of touchedStep, without a tuple per VM
  let growthWanted = 0
  for (let v = 0; v < n; v++) {
    if (w.status[v] !== VmStatus.running) continue
    const demand = w.demandNow[v]
    vm.demand[v] = demand
    // Hot-add at its rate; a smaller target is a reconfiguration and applies at once.
    const target = d.visible[v]
    vm.visible[v] = target > vm.visible[v] ? Math.min(target, vm.visible[v] + params.hotAddMiBPerSecond * seconds) : target
    const bTarget = Math.min(d.balloon[v], vm.visible[v])
    const bStep = params.balloonMiBPerSecond * seconds
    const b = vm.ballooned[v]
    // A balloon never holds more than the guest sees (when visible memory shrinks, so does it).
    vm.ballooned[v] = Math.min(vm.visible[v], bTarget > b ? Math.min(bTarget, b + bStep) : Math.max(bTarget, b - bStep))
    vm.assigned[v] = vm.visible[v] - vm.ballooned[v]
    const usable = Math.min(vm.assigned[v], vm.configured[v])
    touchedStep(params.touched, vms[v].os, seconds, w.prevDemand[v], w.cache[v], w.zero[v], demand, usable, guest)
    const c = (w.cache[v] = guest[0])
    const z = (w.zero[v] = guest[1])
    w.prevDemand[v] = demand
    // A host that does not overcommit backs all the memory it assigns (it zeroes it before the
    // guest sees it); an overcommitting host backs only what the guest touches.
    const desired = w.traits.overcommit ? Math.min(demand, usable) + c + z : usable
    // Touched that shrinks frees pages: shared, compressed and swapped pages go in proportion.
    const cur = vm.touched[v]
    if (desired < cur) {
      const keep = cur > 0 ? desired / cur : 0
      vm.shared[v] *= keep
      vm.compressed[v] *= keep
      vm.swapped[v] *= keep
      vm.touched[v] = desired
      want[v] = 0
    } else {
      want[v] = desired - cur
      growthWanted += want[v]
    }
  }

  // 3. Page sharing: potential from the content model; reached at the scan rate.
  // A host that does not overcommit backs what it assigns: it neither shares nor pages (and its
  // policies cannot ask it to), so those passes are skipped.
  if (w.traits.overcommit || d.sharing.scope !== 'none') applySharing(w, d, seconds)

  // 4. Host paging toward the policy's targets, at host-wide rates, from private pages only.
  const paged = w.traits.overcommit ? applyHostPaging(w, d, seconds) : NO_PAGING
  let swapOutTotal = paged.out

  // 5. Grant guests' new pages from free host memory. Non-overcommitting policies promised the
  //    assigned memory fits (checked here, naming the first VM, in fleet order, at which the
  //    running sum passes the host); an overcommitting host blocks what it cannot back.
  let used = host.reserveMiB // resident + overhead, for conservation (step 7)
  if (!w.traits.overcommit) {
    // One pass: what a non-overcommitting host backs is what it assigns (resident = touched).
    let assignedTotal = host.reserveMiB
    let first = -1
    for (let v = 0; v < n; v++) {
      if (w.status[v] !== VmStatus.running) continue
      assignedTotal += vm.assigned[v] + vm.overhead[v]
      if (first < 0 && assignedTotal > host.physicalMiB + EPS) first = v
      vm.touched[v] += want[v]
      used += vm.touched[v] + vm.overhead[v]
    }
    if (first >= 0) {
      return violation(w, tick, time, first, 'host-memory',
        `assigned memory plus overheads and the hypervisor reserve (${assignedTotal.toFixed(1)} MiB) exceed physical memory (${host.physicalMiB} MiB); the host is passed at this VM (${vm.assigned[first].toFixed(1)} MiB assigned)`)
    }
  } else {
    let residentTotal = 0
    let overheadTotal = 0
    for (let v = 0; v < n; v++) {
      if (w.status[v] !== VmStatus.running) continue
      residentTotal += residentOf(w, v)
      overheadTotal += vm.overhead[v]
    }
    const room = host.physicalMiB - host.reserveMiB - overheadTotal - residentTotal
    const grantShare = d.block ? 0 : growthWanted <= room ? 1 : Math.max(0, room) / growthWanted
    for (let v = 0; v < n; v++) {
      if (w.status[v] !== VmStatus.running || want[v] === 0) continue
      let granted = want[v] * grantShare
      // Blocking (ESX low state) stops VMs above their reservation; one below it still gets its pages.
      if (d.block && w.traits.reservations) granted = Math.max(granted, Math.min(want[v], vms[v].reservationMiB - vm.touched[v]))
      vm.touched[v] += granted
      if (granted < want[v]) {
        // The guest did not get these pages: its cache and zero pages are the first to go without.
        let short = want[v] - granted
        const zc = Math.min(w.zero[v], short)
        w.zero[v] -= zc
        short -= zc
        const cc = Math.min(w.cache[v], short)
        w.cache[v] -= cc
      }
    }
  }

  // 5b. Working-set pages that are compressed or swapped are faulted back in, within free memory.
  if (w.traits.overcommit) {
    let usedNow = host.reserveMiB
    for (let v = 0; v < n; v++) if (w.status[v] === VmStatus.running) usedNow += residentOf(w, v) + vm.overhead[v]
    faultIn(w, d, seconds, paged.inLeft, host.physicalMiB - usedNow)
  }

  // 6. Limits (ESX): resident above the cap goes straight to swap (an overcommitting host only).
  for (let v = 0; v < n && w.traits.overcommit; v++) {
    if (w.status[v] !== VmStatus.running) continue
    const over = residentOf(w, v) - d.cap[v]
    if (over > EPS) {
      vm.swapped[v] += over
      vm.swapOut[v] += over
      swapOutTotal += over
    }
  }

  // 7. Conservation: an overcommitting host that is still short swaps blindly (emergency).
  if (w.traits.overcommit) for (let v = 0; v < n; v++) if (w.status[v] === VmStatus.running) used += residentOf(w, v) + vm.overhead[v]
  let free = host.physicalMiB - used
  if (free < -EPS) {
    if (!w.traits.overcommit)
      return violation(w, tick, time, undefined, 'host-memory', `resident memory exceeds the host by ${(-free).toFixed(1)} MiB`)
    free = emergencySwap(w, -free)
    if (free < -EPS)
      return violation(w, tick, time, undefined, 'host-memory',
        `the host is ${(-free).toFixed(1)} MiB short even after swapping every page it may swap (reserve, overheads and reservations exceed physical memory)`)
  }
  w.free = Math.max(0, free)
  w.state = Math.max(0, HOST_STATES.indexOf(d.state))

  // 8. What the guests could not have: guest paging, blind host-paging hits, blocked allocation.
  for (let v = 0; v < n; v++) {
    if (w.status[v] !== VmStatus.running) continue
    const demand = vm.demand[v]
    const usable = Math.min(vm.assigned[v], vm.configured[v])
    const T = vm.touched[v]
    vm.guestPaging[v] = Math.max(0, demand - usable)
    vm.blocked[v] = Math.max(0, Math.min(demand, usable) - T)
    const wsShare = T > 0 ? Math.min(demand, T) / T : 0
    vm.hostSwapHit[v] = vm.swapped[v] * wsShare
    vm.compressedHit[v] = vm.compressed[v] * wsShare
    vm.compressedStore[v] = vm.compressed[v] * w.compressedStoreRatio
    vm.resident[v] = residentOf(w, v)
    vm.slowdown[v] = slowdownOf(params.slowdown, demand, vm.guestPaging[v], vm.compressedHit[v], vm.hostSwapHit[v], vm.blocked[v])
  }
  return { admittedNow, refusedNow, swapOut: swapOutTotal }
}

export interface TickOutcome {
  readonly admittedNow: number
  readonly refusedNow: number
  readonly swapOut: number
}

/** Host memory backing a VM: private touched pages plus its compressed store. */
const residentOf = (w: World, v: number): number => {
  const { vm } = w
  return Math.max(0, vm.touched[v] - vm.shared[v] - vm.compressed[v] - vm.swapped[v]) + vm.compressed[v] * w.compressedStoreRatio
}

const scratchArrays = new WeakMap<World, Map<string, Float64Array>>()
const scratch = (w: World, name: string, n: number): Float64Array => {
  let m = scratchArrays.get(w)
  if (!m) scratchArrays.set(w, (m = new Map()))
  let a = m.get(name)
  if (!a || a.length !== n) m.set(name, (a = new Float64Array(n)))
  a.fill(0)
  return a
}

/**
 * Transparent page sharing (DOMAIN.md 4 and 6). What can be shared comes from the content model:
 * zero pages (within a VM: always, salted or not), pages duplicated inside the VM, and pages
 * identical across running VMs of the same image (only when sharing is not salted). Large pages
 * hide everything until the policy breaks them. Sharing reaches its potential at the scan rate
 * (host-wide MiB/s spread over VMs by size); a page that stops being identical is copied at once.
 */
const applySharing = (w: World, d: Decision, seconds: number): void => {
  const { vm, vms } = w
  const n = vms.length
  const scope = d.sharing.scope
  const active = scope !== 'none'
  // Large pages unbroken: nothing new is shared, but pages already shared stay shared until written
  // (a host does not re-form large pages from shared small ones at once).
  const grow = active && d.sharing.breakLargePages
  // Running VMs per image, for cross-VM sharing.
  const perImage = new Map<string, number>()
  let touchedTotal = 0
  for (let v = 0; v < n; v++) {
    if (w.status[v] !== VmStatus.running) continue
    touchedTotal += vm.touched[v]
    if (scope === 'interVm') perImage.set(vms[v].image, (perImage.get(vms[v].image) ?? 0) + 1)
  }
  const scanned = d.sharing.scanMiBPerSecond * seconds
  for (let v = 0; v < n; v++) {
    if (w.status[v] !== VmStatus.running) continue
    const T = vm.touched[v]
    let potential = 0
    if (active && T > 0) {
      const zero = Math.min(w.zero[v], T)
      const nonZero = T - zero
      const c = vms[v].content
      const copies = scope === 'interVm' ? (perImage.get(vms[v].image) ?? 1) : 1
      const cross = copies > 1 ? (c.image * (copies - 1)) / copies : 0
      potential = Math.min(T, zero + nonZero * Math.min(1, c.intraVm + cross))
    }
    const private_ = T - vm.compressed[v] - vm.swapped[v]
    potential = Math.min(potential, Math.max(0, private_))
    const cur = vm.shared[v]
    if (potential <= cur) vm.shared[v] = potential
    else if (!grow) vm.shared[v] = cur
    else {
      // This VM's share of the host's scan, in MiB of its memory looked at this tick.
      const look = touchedTotal > 0 ? (scanned * T) / touchedTotal : 0
      vm.shared[v] = Math.min(potential, cur + (T > 0 ? potential * (look / T) : 0))
    }
  }
}

const NO_PAGING = { out: 0, inLeft: 0 } as const

/** Move compressed and swapped memory toward the policy's targets. Returns MiB swapped out. */
const applyHostPaging = (w: World, d: Decision, seconds: number): { readonly out: number; readonly inLeft: number } => {
  const { vm, vms, params } = w
  const n = vms.length
  let outBudget = params.swapOutMiBPerSecond * seconds
  let inBudget = params.swapInMiBPerSecond * seconds
  let compressBudget = params.compressMiBPerSecond * seconds
  let outTotal = 0
  for (let v = 0; v < n; v++) {
    vm.swapOut[v] = 0
    if (w.status[v] !== VmStatus.running) continue
    // Pages the host may page: touched, not shared, not already paged.
    const cTarget = Math.min(d.compress[v], vm.touched[v])
    if (cTarget > vm.compressed[v]) {
      const pageable = Math.max(0, vm.touched[v] - vm.shared[v] - vm.compressed[v] - vm.swapped[v])
      const x = Math.min(cTarget - vm.compressed[v], compressBudget, pageable)
      vm.compressed[v] += x
      compressBudget -= x
    } else vm.compressed[v] = cTarget // decompressing is fast: a fault brings a page back at once
    const sTarget = Math.min(d.swap[v], vm.touched[v])
    if (sTarget > vm.swapped[v]) {
      const pageable = Math.max(0, vm.touched[v] - vm.shared[v] - vm.compressed[v] - vm.swapped[v])
      const x = Math.min(sTarget - vm.swapped[v], outBudget, pageable)
      vm.swapped[v] += x
      vm.swapOut[v] = x
      outBudget -= x
      outTotal += x
    } else {
      const x = Math.min(vm.swapped[v] - sTarget, inBudget)
      vm.swapped[v] -= x
      inBudget -= x
    }
  }
  return { out: outTotal, inLeft: inBudget }
}

/**
 * Guests touch their working set: pages of it that are compressed or in host swap are faulted back
 * in, as far as free host memory and the swap-in rate allow (decompression is CPU-bound and fast).
 * This is the hypervisor's doing, not the policy's: a policy that wants them out again must say so.
 */
const faultIn = (w: World, d: Decision, seconds: number, swapInLeft: number, room: number): void => {
  const { vm, vms } = w
  const n = vms.length
  if (room <= 0) return
  let wantSwap = 0
  let wantComp = 0
  const ws = scratch(w, 'wsShare', n)
  for (let v = 0; v < n; v++) {
    if (w.status[v] !== VmStatus.running || vm.touched[v] <= 0) continue
    ws[v] = Math.min(vm.demand[v], vm.touched[v]) / vm.touched[v]
    wantSwap += vm.swapped[v] * ws[v]
    wantComp += vm.compressed[v] * ws[v]
  }
  // Memory a page needs once back: a whole page; a compressed page frees its slot as it returns.
  const need = wantSwap + wantComp * (1 - w.compressedStoreRatio)
  if (need <= 0) return
  const share = Math.min(1, room / need)
  const swapShare = Math.min(share, wantSwap > 0 ? swapInLeft / wantSwap : 1)
  const compShare = Math.min(share, wantComp > 0 ? (w.params.compressMiBPerSecond * seconds) / wantComp : 1)
  for (let v = 0; v < n; v++) {
    if (ws[v] <= 0) continue
    let back = vm.swapped[v] * ws[v] * swapShare
    let unpack = vm.compressed[v] * ws[v] * compShare
    // Never past the VM's cap (ESX limit): those pages would only be swapped out again.
    const capRoom = Math.max(0, d.cap[v] - residentOf(w, v))
    const grows = back + unpack * (1 - w.compressedStoreRatio)
    if (grows > capRoom) {
      const f = grows > 0 ? capRoom / grows : 0
      back *= f
      unpack *= f
    }
    vm.swapped[v] -= back
    vm.compressed[v] -= unpack
  }
}

/**
 * The host is short after everything the policy asked for (a start, copy-on-write breaks): it swaps
 * pages blind, from VMs in proportion to their private pages above their reservation. Returns free.
 */
const emergencySwap = (w: World, short: number): number => {
  const { vm, vms } = w
  const n = vms.length
  let pool = 0
  const avail = scratch(w, 'avail', n)
  for (let v = 0; v < n; v++) {
    if (w.status[v] !== VmStatus.running) continue
    const privateRes = Math.max(0, vm.touched[v] - vm.shared[v] - vm.compressed[v] - vm.swapped[v])
    const floor = w.traits.reservations ? Math.min(vms[v].reservationMiB, privateRes) : 0
    avail[v] = Math.max(0, privateRes - floor)
    pool += avail[v]
  }
  if (pool <= 0) return -short
  const share = Math.min(1, short / pool)
  for (let v = 0; v < n; v++) {
    if (avail[v] <= 0) continue
    const x = avail[v] * share
    vm.swapped[v] += x
    vm.swapOut[v] += x
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

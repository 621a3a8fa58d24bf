/**
 * kvm-mom: KVM with oVirt MoM (Memory Overcommitment Manager) and KSM, DOMAIN.md section 5. Written
 * with the policy kit, through the public contract only.
 *
 * KVM gives each guest its full size at boot (visible = Maximum) and backs only what the guest
 * touches: it overcommits. MoM then runs its default rules every `intervalSeconds` on host free
 * memory averaged over its last `samples` samples:
 *   - balloon (policies/internal/mom-balloon.ts): under pressure (free < 20%; critical <= 5%) shrink
 *     every guest by up to 5% of its size per interval, never below max(its minimum, what it uses +
 *     the free share MoM leaves it); otherwise grow it by up to 5% toward its full size; changes under
 *     0.25% are not made;
 *   - KSM (policies/internal/mom-ksm.ts): run when free < 20% or shareable + 20% reaches host memory;
 *     pages to scan per cycle +300 under pressure, -50 otherwise, within 64..1250; the scan rate is
 *     pages x 4 KiB per ksmd sleep (10 ms on a 16 GiB host, scaled inversely with host memory).
 *     KSM merges identical pages across all VMs (no salting: scope 'interVm'), from the same content
 *     model as overcommit's page sharing. KSM merges only 4 KiB pages: transparent huge pages are
 *     split once KSM runs (breakLargePages).
 *   - When the host is still short after ballooning and KSM, Linux swaps: kswapd reclaims host pages
 *     blind to what the guest uses (proportional to each VM's resident pages), so it hits working-set
 *     pages; the world accounts these as host-swap hits, costlier than ballooning.
 *
 * Where it had to choose (each a param below or a comment):
 *   - The interval as a rate: a trace step holds step / interval MoM intervals (30 at 300 s); within
 *     a tick the policy runs them one by one on a projection of host free memory (a shrink frees the
 *     guest's touched pages above its new size; a grow is taken back as the guest touches up to
 *     max(touched, used)), so the 5% steps compound while the pressure lasts and stop when it ends.
 *     A step shorter than the interval carries the fraction over (MoM acts every few ticks).
 *   - "Used" is the guest agent's report (`committed`, the working set): the balloon driver makes the
 *     guest give up free and cache pages first, so MoM's used (total - free) is taken without cache.
 *   - The average: free memory observed at the last ceil(samples x sampleSeconds / step) ticks.
 *   - "Shareable" is the memory of the running guests (sum of what they can use); "host memory" is
 *     the physical memory.
 *   - Admission: KVM starts any guest; oVirt's scheduler admits a VM while the full sizes of the
 *     running VMs stay within `admissionPercent` of host memory (oVirt "memory optimization":
 *     100% none, 150% server, 200% desktop; default 150).
 *   - Host swap: when projected free falls below `swapLowPercent` of host memory, swap targets bring it
 *     back to `swapHighPercent` (kswapd's watermarks); swapped pages come back (guests fault them in)
 *     as free memory above the high watermark allows. The world also swaps blindly on its own if
 *     guests touch more than the host has within a tick.
 *   - When KSM stops, merged pages stay merged (ksm_run = 0 stops ksmd, keeps its merges): the
 *     sharing scope stays 'interVm' with a scan rate of 0.
 *   - Warm start (PolicyContext.warmStart): a guest's boot state (full size, balloon empty) is MoM's
 *     steady state on a roomy host, so guests powered on at tick 0 are admitted as at boot; but MoM
 *     has watched them before the recording, so its tick-0 sample of host free memory counts what
 *     they hold (touched, at least the working set the agent reports) instead of the empty host, and
 *     they take part in tick 0's intervals: on a short host they are ballooned from the first tick.
 * Left out: MoM's grow rule that jumps a guest straight to used + 20% (the 5% bound is kept), the
 * guest's own swap, NUMA, KSM's CPU cost, THP re-collapse by khugepaged after KSM stops.
 */
import * as t from 'io-ts'
import { definePolicy, scratchColumn, type Column, type Decision, type Observation, type PolicyContext, type Scratch } from '../src/engine/policy.js'
import { paramsCodec } from '../src/engine/params.js'
import { VmStatus } from '../src/engine/account.js'
import { growGuest, pressureOf, shrinkGuest, type BalloonRules } from './internal/mom-balloon.js'
import { ksmScanMiBPerSecond, ksmShouldRun, ksmSleepMillis, nextPagesToScan, type KsmRules } from './internal/mom-ksm.js'

export interface KvmMomParams {
  /** MoM's policy interval, s (DOMAIN.md: 10-15 s; MoM's policy-engine-interval default 10). */
  readonly intervalSeconds: number
  /** Samples MoM averages over, and seconds between samples (MoM: 10 samples, 5 s apart). */
  readonly samples: number
  readonly sampleSeconds: number
  /** Balloon rules (documented MoM defaults). */
  readonly pressureThreshold: number
  readonly pressureCritical: number
  readonly minGuestFree: number
  readonly maxChange: number
  readonly minChange: number
  /** KSM rules (documented MoM defaults). */
  readonly ksmFreeShare: number
  readonly ksmPagesBoost: number
  readonly ksmPagesDecay: number
  readonly ksmPagesMin: number
  readonly ksmPagesMax: number
  /** pages_to_scan before MoM first sets it (the kernel's default: 100). */
  readonly ksmPagesInitial: number
  /** ksmd's sleep between cycles on a 16 GiB host, ms; scaled inversely with host memory (MoM: 10). */
  readonly ksmSleepBaselineMillis: number
  /** Admission: full sizes of running VMs within this percent of host memory (modelling choice). */
  readonly admissionPercent: number
  /** kswapd watermarks, percent of host memory (modelling choice). */
  readonly swapLowPercent: number
  readonly swapHighPercent: number
}

export const KVM_MOM_DEFAULTS: KvmMomParams = {
  intervalSeconds: 10,
  samples: 10,
  sampleSeconds: 5,
  pressureThreshold: 0.2,
  pressureCritical: 0.05,
  minGuestFree: 0.2,
  maxChange: 0.05,
  minChange: 0.0025,
  ksmFreeShare: 0.2,
  ksmPagesBoost: 300,
  ksmPagesDecay: 50,
  ksmPagesMin: 64,
  ksmPagesMax: 1250,
  ksmPagesInitial: 100,
  ksmSleepBaselineMillis: 10,
  admissionPercent: 150,
  swapLowPercent: 1,
  swapHighPercent: 2,
}

const positive = new t.Type<number, number, unknown>(
  'a number > 0',
  (u): u is number => typeof u === 'number' && Number.isFinite(u) && u > 0,
  (u, c) => (typeof u === 'number' && Number.isFinite(u) && u > 0 ? t.success(u) : t.failure(u, c)),
  (a) => a,
)
const share = new t.Type<number, number, unknown>(
  'a share in [0, 1]',
  (u): u is number => typeof u === 'number' && u >= 0 && u <= 1,
  (u, c) => (typeof u === 'number' && u >= 0 && u <= 1 ? t.success(u) : t.failure(u, c)),
  (a) => a,
)
const nonNegative = new t.Type<number, number, unknown>(
  'a number >= 0',
  (u): u is number => typeof u === 'number' && Number.isFinite(u) && u >= 0,
  (u, c) => (typeof u === 'number' && Number.isFinite(u) && u >= 0 ? t.success(u) : t.failure(u, c)),
  (a) => a,
)

/** What the step reads and never changes: the rules and per-VM settings (made once; sharing them is pure). */
interface MomSettings {
  readonly params: KvmMomParams
  readonly balloon: BalloonRules
  readonly ksm: KsmRules
  readonly fullSize: Float64Array // maximumMiB: also the decision's visible column
  readonly minimum: Float64Array // min(minimumMiB, maximumMiB): the balloon's floor
  readonly footprint: Float64Array // maximumMiB + the host's per-VM overhead: what admission counts
  readonly zeros: Float64Array // the decision's compress column, and its admit column when no VM asks to start
  readonly noCap: Float64Array // the decision's cap column
  readonly warmStart: boolean // PolicyContext.warmStart
  readonly overheadMiB: number // the host's per-VM overhead
}

interface MomState {
  readonly settings: MomSettings
  /** MoM's target per VM: the guest's memory size (what it can use), MiB; 0 when not running. */
  readonly target: Float64Array
  /** Free memory observed at the last ticks (newest last), for MoM's averages. */
  readonly freeHistory: ReadonlyArray<number>
  /** Fraction of a MoM interval carried over from earlier ticks. */
  readonly phase: number
  readonly pagesToScan: number
  readonly ksmRunning: boolean
  readonly ksmEverRan: boolean
}

const init = (context: PolicyContext, params: KvmMomParams): MomState => {
  const { vms, host } = context
  const settings: MomSettings = {
    params,
    balloon: {
      pressureThreshold: params.pressureThreshold,
      pressureCritical: params.pressureCritical,
      minGuestFree: params.minGuestFree,
      maxChange: params.maxChange,
      minChange: params.minChange,
    },
    ksm: {
      freeShare: params.ksmFreeShare,
      pagesBoost: params.ksmPagesBoost,
      pagesDecay: params.ksmPagesDecay,
      pagesMin: params.ksmPagesMin,
      pagesMax: params.ksmPagesMax,
      sleepBaselineMillis: params.ksmSleepBaselineMillis,
    },
    fullSize: Float64Array.from(vms, (vm) => vm.maximumMiB),
    minimum: Float64Array.from(vms, (vm) => Math.min(vm.minimumMiB, vm.maximumMiB)),
    footprint: Float64Array.from(vms, (vm) => vm.maximumMiB + host.vmOverheadMiB),
    zeros: new Float64Array(vms.length),
    noCap: new Float64Array(vms.length).fill(Infinity),
    warmStart: context.warmStart,
    overheadMiB: host.vmOverheadMiB,
  }
  return {
    settings,
    target: new Float64Array(vms.length),
    freeHistory: [],
    phase: 0,
    pagesToScan: params.ksmPagesInitial,
    ksmRunning: false,
    ksmEverRan: false,
  }
}

/*
 * The step runs every tick over every VM, and MoM's intervals (30 a tick at 300 s) would each visit
 * every guest again, so it is written for speed: observation columns and per-VM settings are read
 * into locals, the running guests are listed once, an interval visits only the guests that can move
 * (see 3), and what a quiet tick does not need (the projection, the admit column) is not made. Every
 * loop keeps index order, so every sum rounds exactly as MoM's rules written plainly (one pass over
 * all VMs per rule) would.
 */
const step = (state: MomState, obs: Observation, scratch?: Scratch): readonly [MomState, Decision] => {
  const { settings } = state
  const { params: p, fullSize, minimum, footprint } = settings
  const { poweredOn, status, touched, committed, resident, swapped } = obs
  const n = obs.vmCount
  const hostMiB = obs.host.physicalMiB
  const previous = state.target

  // A fresh column for the new state and a list, views of one allocation (an ArrayBuffer costs far
  // more to make than to fill): a column of 8-byte floats, a list of 4-byte ints. The decision's swap
  // and balloon are scratch the engine offers (policy.ts Scratch; new columns without an offer),
  // cleared: they hold old values, and only running guests' are written below.
  const buffer = new ArrayBuffer(n * (8 + 4))
  const target = new Float64Array(buffer, 0, n)
  const running = new Int32Array(buffer, 8 * n, n) // the running guests, ascending: the first runningCount entries
  const swap = scratchColumn(scratch, 0, n).fill(0)
  const balloon = scratchColumn(scratch, 1, n).fill(0)

  // 1. Lifecycle. Running VMs keep their target; a VM that starts gets its full size if admitted.
  // The same pass sums what steps 3 and 4 need of the running guests.
  let runningCount = 0
  let starting = 0 // VMs asking to start
  let promised = 0
  let shareable = 0 // KSM's shareable: targets of the running and admitted guests, in index order
  let growable = 0 // running guests below their full size: the only ones that can grow
  let residentTotal = 0
  let swappedTotal = 0
  // Module constants read in a loop are reloaded per VM (context, map check): locals.
  const RUNNING = VmStatus.running
  const OFF = VmStatus.off
  for (let v = 0; v < n; v++) {
    if (poweredOn[v] !== 1) continue
    if (status[v] === RUNNING) {
      running[runningCount++] = v
      const size = previous[v] > 0 ? previous[v] : fullSize[v]
      target[v] = size
      shareable += size
      if (size < fullSize[v]) growable++
      promised += footprint[v]
      residentTotal += resident[v]
      swappedTotal += swapped[v]
    } else if (status[v] === OFF) starting++
  }
  // No VM asks to start on most ticks: admit is then the shared zeros (one column type for the world).
  let admit = settings.zeros
  if (starting > 0) {
    admit = scratchColumn(scratch, 2, n).fill(0)
    const admissible = ((hostMiB - obs.host.reserveMiB) * p.admissionPercent) / 100
    let admitted = false
    for (let v = 0; v < n; v++) {
      if (poweredOn[v] !== 1 || status[v] !== OFF) continue
      if (promised + footprint[v] <= admissible + 1e-9) {
        admit[v] = 1
        promised += footprint[v]
        target[v] = fullSize[v]
        admitted = true
      }
    }
    // Admitted guests fall between running ones: sum again in index order (the others' targets are 0).
    if (admitted) shareable = sumOf(target)
  }

  // 2. MoM's view: host free averaged over its sample window. On a warm start's first tick the
  // guests powered on were running under MoM before the recording: MoM has watched them, so its
  // sample is not the empty host the world shows before they run but the host less what each holds
  // (what it touched, or at least the working set its agent reports: a warm start's guests report at
  // tick 0) and its overhead; and they take part in this tick's intervals like running guests.
  let sampledFree = obs.host.freeMiB
  let warmHeld: Float64Array | undefined
  if (settings.warmStart && obs.tick === 0 && runningCount === 0 && starting > 0) {
    warmHeld = scratchColumn(scratch, 3, n).fill(0)
    for (let v = 0; v < n; v++) {
      if (admit[v] !== 1) continue
      running[runningCount++] = v // ascending, as the list must be
      warmHeld[v] = Math.min(Math.max(touched[v], committed[v]), target[v])
      sampledFree -= warmHeld[v] + settings.overheadMiB
    }
  }
  const windowTicks = Math.max(1, Math.ceil((p.samples * p.sampleSeconds) / obs.stepSeconds))
  const freeHistory = [...state.freeHistory, sampledFree].slice(-windowTicks)
  let free = freeHistory.reduce((a, b) => a + b, 0) / freeHistory.length

  // 3. The MoM intervals that fall in this tick, each on the projected free memory. A shrink frees the
  // guest's touched pages above its new size; a grow is taken back as the guest touches up to
  // max(touched, used). Without pressure only guests below their full size can move, and on a roomy
  // host there are few or none: those intervals visit just that list, made when first needed and
  // again after a shrink. Shareable is summed again only after a target moved.
  const rules = settings.balloon
  let held: Float64Array | undefined = warmHeld // projected touched memory per running guest, made before the first move
  let growing: Int32Array | undefined = growable > 0 ? undefined : NO_VMS
  let growingCount = 0
  const phase = state.phase + obs.stepSeconds / p.intervalSeconds
  const intervals = Math.floor(phase + 1e-9)
  const sleep = ksmSleepMillis(hostMiB, settings.ksm)
  let pages = state.pagesToScan
  let ksmRunning = state.ksmRunning
  let ksmEverRan = state.ksmEverRan
  let scanSum = 0
  for (let i = 0; i < intervals; i++) {
    const level = pressureOf(free / hostMiB, rules)
    let moved = false
    if (level === 'none') {
      if (growing === undefined) {
        growing = belowFullSize(running, runningCount, target, fullSize)
        growingCount = growing.length
      }
      if (growingCount > 0) {
        held ??= touchedWithin(running, runningCount, touched, target, scratchColumn(scratch, 3, n))
        let stillGrowing = 0
        for (let k = 0; k < growingCount; k++) {
          const v = growing[k]
          const cur = target[v]
          const next = growGuest(cur, fullSize[v], rules)
          if (next !== cur) {
            const heldNext = Math.max(held[v], Math.min(Math.max(touched[v], committed[v]), next))
            free -= heldNext - held[v]
            held[v] = heldNext
            target[v] = next
            moved = true
          }
          if (target[v] < fullSize[v]) growing[stillGrowing++] = v
        }
        growingCount = stillGrowing
      }
    } else {
      // Under pressure every running guest may shrink, each on the free share the ones before it left.
      held ??= touchedWithin(running, runningCount, touched, target, scratchColumn(scratch, 3, n))
      for (let k = 0; k < runningCount; k++) {
        const v = running[k]
        const cur = target[v]
        const next = shrinkGuest(cur, committed[v], minimum[v], free / hostMiB, rules)
        if (next === cur) continue
        const heldNext = Math.min(held[v], next)
        free -= heldNext - held[v]
        held[v] = heldNext
        target[v] = next
        moved = true
      }
      if (moved) growing = undefined
    }
    if (moved) shareable = sumOf(target)
    ksmRunning = ksmShouldRun(free, shareable, hostMiB, settings.ksm)
    if (ksmRunning) {
      pages = nextPagesToScan(pages, free, hostMiB, settings.ksm)
      ksmEverRan = true
      scanSum += ksmScanMiBPerSecond(pages, sleep)
    }
  }
  // Between MoM's evaluations ksmd keeps scanning at the setting in force.
  const scanMiBPerSecond = intervals > 0 ? scanSum / intervals : ksmRunning ? ksmScanMiBPerSecond(pages, sleep) : 0

  // 4. Host swap (kswapd): still short after balloon and KSM, swap blind to the guest.
  // 5. The decision: full size visible, the balloon holds the rest (0 for a VM just admitted).
  const low = (hostMiB * p.swapLowPercent) / 100
  const high = (hostMiB * p.swapHighPercent) / 100
  for (let k = 0; k < runningCount; k++) {
    const v = running[k]
    if (free < low && residentTotal > 0) swap[v] = swapped[v] + ((high - free) * resident[v]) / residentTotal
    else if (free > high && swappedTotal > 0) swap[v] = Math.max(0, swapped[v] - ((free - high) * swapped[v]) / swappedTotal)
    else swap[v] = swapped[v]
    balloon[v] = Math.max(0, fullSize[v] - target[v])
  }
  const decision: Decision = {
    admit,
    visible: fullSize,
    balloon,
    compress: settings.zeros,
    swap,
    cap: settings.noCap,
    sharing: { scope: ksmEverRan ? 'interVm' : 'none', breakLargePages: ksmEverRan, scanMiBPerSecond },
    compressedStoreRatio: 0.5,
    block: false,
    state: 'none',
  }
  const next: MomState = {
    settings,
    target,
    freeHistory,
    phase: phase - intervals,
    pagesToScan: pages,
    ksmRunning,
    ksmEverRan,
  }
  return [next, decision]
}

const NO_VMS = new Int32Array(0)

/** Sum of a column in index order (the order fixes the rounding). */
const sumOf = (xs: Float64Array): number => {
  let sum = 0
  for (let v = 0; v < xs.length; v++) sum += xs[v]
  return sum
}

/** The listed guests whose target is below their full size, in the list's order. */
const belowFullSize = (vms: Int32Array, count: number, target: Float64Array, fullSize: Float64Array): Int32Array => {
  const below = new Int32Array(count)
  let found = 0
  for (let k = 0; k < count; k++) if (target[vms[k]] < fullSize[vms[k]]) below[found++] = vms[k]
  return below.subarray(0, found)
}

/** Touched memory each listed guest holds within its target, MiB (a column indexed like the VMs,
 *  written into `held`, which is cleared first). */
const touchedWithin = (vms: Int32Array, count: number, touched: Column, target: Float64Array, held: Float64Array): Float64Array => {
  held.fill(0)
  for (let k = 0; k < count; k++) held[vms[k]] = Math.min(touched[vms[k]], target[vms[k]])
  return held
}

export const kvmMomPolicy = definePolicy<KvmMomParams, MomState>({
  name: 'kvm-mom',
  description: 'KVM with oVirt MoM: balloon rules on host free memory (20% pressure, 5% critical, 5% steps), KSM across VMs, Linux host swap.',
  params: paramsCodec(
    'kvm-mom',
    {
      intervalSeconds: positive,
      samples: positive,
      sampleSeconds: positive,
      pressureThreshold: share,
      pressureCritical: share,
      minGuestFree: share,
      maxChange: share,
      minChange: share,
      ksmFreeShare: share,
      ksmPagesBoost: nonNegative,
      ksmPagesDecay: nonNegative,
      ksmPagesMin: nonNegative,
      ksmPagesMax: positive,
      ksmPagesInitial: nonNegative,
      ksmSleepBaselineMillis: positive,
      admissionPercent: positive,
      swapLowPercent: share100(),
      swapHighPercent: share100(),
    },
    KVM_MOM_DEFAULTS,
  ),
  defaults: KVM_MOM_DEFAULTS,
  traits: { overcommit: true, reservations: false, states: false, minMax: true },
  pageSamples: false, // learns demand from the guest, not by sampling pages
  notes: [
    'MoM intervals run one by one within a tick on projected host free memory (step / intervalSeconds of them), so the 5% balloon steps compound while pressure lasts.',
    "Guest 'used' memory is the guest agent's committed (working set); cache is given up first.",
    "Admission: full sizes of running VMs within admissionPercent of host memory (oVirt's memory optimization; modelling choice).",
    'Host swap (kswapd) between swapLowPercent and swapHighPercent watermarks, blind to the guest; modelling choice.',
    'KSM shares across all VMs (no salting) and splits transparent huge pages; merged pages stay merged when KSM stops.',
    "Warm start: MoM's first sample of host free memory counts what the guests running at tick 0 hold (touched, at least their reported working set), and they are ballooned from tick 0 if the host is short; a cold start's first sample is the empty host.",
  ],
  init,
  step,
})

function share100(): t.Type<number, number, unknown> {
  return new t.Type<number, number, unknown>(
    'a percent in [0, 100]',
    (u): u is number => typeof u === 'number' && u >= 0 && u <= 100,
    (u, c) => (typeof u === 'number' && u >= 0 && u <= 100 ? t.success(u) : t.failure(u, c)),
    (a) => a,
  )
}

export default kvmMomPolicy

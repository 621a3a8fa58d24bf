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
 * Left out: MoM's grow rule that jumps a guest straight to used + 20% (the 5% bound is kept), the
 * guest's own swap, NUMA, KSM's CPU cost, THP re-collapse by khugepaged after KSM stops.
 */
import * as t from 'io-ts'
import { definePolicy, type Decision, type Observation, type PolicyContext } from '../src/engine/policy.js'
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

interface MomState {
  readonly context: PolicyContext
  readonly params: KvmMomParams
  readonly balloon: BalloonRules
  readonly ksm: KsmRules
  /** MoM's target per VM: the guest's memory size (what it can use), MiB; 0 when not running. */
  readonly target: Float64Array
  /** Host swap targets per VM, MiB. */
  readonly swap: Float64Array
  /** Free memory observed at the last ticks (newest last), for MoM's averages. */
  readonly freeHistory: ReadonlyArray<number>
  /** Fraction of a MoM interval carried over from earlier ticks. */
  readonly phase: number
  readonly pagesToScan: number
  readonly ksmRunning: boolean
  readonly ksmEverRan: boolean
}

const init = (context: PolicyContext, params: KvmMomParams): MomState => ({
  context,
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
  target: new Float64Array(context.vms.length),
  swap: new Float64Array(context.vms.length),
  freeHistory: [],
  phase: 0,
  pagesToScan: params.ksmPagesInitial,
  ksmRunning: false,
  ksmEverRan: false,
})

const step = (state: MomState, obs: Observation): readonly [MomState, Decision] => {
  const { context: ctx, params: p } = state
  const { vms, host } = ctx
  const n = obs.vmCount
  const hostMiB = obs.host.physicalMiB

  // 1. Lifecycle. Running VMs keep their target; a VM that starts gets its full size if admitted.
  const admit = new Uint8Array(n)
  const running = new Uint8Array(n)
  const target = new Float64Array(n)
  let promised = 0
  for (let v = 0; v < n; v++) {
    if (obs.poweredOn[v] === 1 && obs.status[v] === VmStatus.running) {
      running[v] = 1
      target[v] = state.target[v] > 0 ? state.target[v] : vms[v].maximumMiB
      promised += vms[v].maximumMiB + host.vmOverheadMiB
    }
  }
  const admissible = ((hostMiB - obs.host.reserveMiB) * p.admissionPercent) / 100
  for (let v = 0; v < n; v++) {
    if (obs.poweredOn[v] !== 1 || obs.status[v] !== VmStatus.off) continue
    const need = vms[v].maximumMiB + host.vmOverheadMiB
    if (promised + need <= admissible + 1e-9) {
      admit[v] = 1
      promised += need
      target[v] = vms[v].maximumMiB
    }
  }

  // 2. MoM's view: host free averaged over its sample window.
  const windowTicks = Math.max(1, Math.ceil((p.samples * p.sampleSeconds) / obs.stepSeconds))
  const freeHistory = [...state.freeHistory, obs.host.freeMiB].slice(-windowTicks)
  let free = freeHistory.reduce((a, b) => a + b, 0) / freeHistory.length

  // What each running guest uses (guest agent) and would touch again if it had the room.
  const used = new Float64Array(n)
  const want = new Float64Array(n)
  const held = new Float64Array(n) // projected touched memory, MiB
  for (let v = 0; v < n; v++) {
    if (!running[v]) continue
    used[v] = obs.committed[v]
    want[v] = Math.max(obs.touched[v], obs.committed[v])
    held[v] = Math.min(obs.touched[v], target[v])
  }

  // 3. The MoM intervals that fall in this tick, each on the projected free memory.
  const phase = state.phase + obs.stepSeconds / p.intervalSeconds
  const intervals = Math.floor(phase + 1e-9)
  const sleep = ksmSleepMillis(hostMiB, state.ksm)
  let pages = state.pagesToScan
  let ksmRunning = state.ksmRunning
  let ksmEverRan = state.ksmEverRan
  let scanSum = 0
  for (let i = 0; i < intervals; i++) {
    const level = pressureOf(free / hostMiB, state.balloon)
    for (let v = 0; v < n; v++) {
      if (!running[v]) continue
      const cur = target[v]
      const minimum = Math.min(vms[v].minimumMiB, vms[v].maximumMiB)
      const next = level === 'none' ? growGuest(cur, vms[v].maximumMiB, state.balloon) : shrinkGuest(cur, used[v], minimum, free / hostMiB, state.balloon)
      if (next === cur) continue
      const heldNext = next < cur ? Math.min(held[v], next) : Math.max(held[v], Math.min(want[v], next))
      free -= heldNext - held[v]
      held[v] = heldNext
      target[v] = next
    }
    let shareable = 0
    for (let v = 0; v < n; v++) if (running[v] || admit[v]) shareable += target[v]
    ksmRunning = ksmShouldRun(free, shareable, hostMiB, state.ksm)
    if (ksmRunning) {
      pages = nextPagesToScan(pages, free, hostMiB, state.ksm)
      ksmEverRan = true
      scanSum += ksmScanMiBPerSecond(pages, sleep)
    }
  }
  // Between MoM's evaluations ksmd keeps scanning at the setting in force.
  const scanMiBPerSecond = intervals > 0 ? scanSum / intervals : ksmRunning ? ksmScanMiBPerSecond(pages, sleep) : 0

  // 4. Host swap (kswapd): still short after balloon and KSM, swap blind to the guest.
  const swap = new Float64Array(n)
  const low = (hostMiB * p.swapLowPercent) / 100
  const high = (hostMiB * p.swapHighPercent) / 100
  let residentTotal = 0
  let swappedTotal = 0
  for (let v = 0; v < n; v++) {
    if (!running[v]) continue
    residentTotal += obs.resident[v]
    swappedTotal += obs.swapped[v]
  }
  for (let v = 0; v < n; v++) {
    if (!running[v]) continue
    if (free < low && residentTotal > 0) swap[v] = obs.swapped[v] + ((high - free) * obs.resident[v]) / residentTotal
    else if (free > high && swappedTotal > 0) swap[v] = Math.max(0, obs.swapped[v] - ((free - high) * obs.swapped[v]) / swappedTotal)
    else swap[v] = obs.swapped[v]
  }

  // 5. The decision: full size visible, the balloon holds the rest.
  const visible = new Float64Array(n)
  const balloon = new Float64Array(n)
  for (let v = 0; v < n; v++) {
    visible[v] = vms[v].maximumMiB
    balloon[v] = running[v] || admit[v] ? Math.max(0, vms[v].maximumMiB - target[v]) : 0
    if (!running[v] && !admit[v]) target[v] = 0
  }
  const decision: Decision = {
    admit,
    visible,
    balloon,
    compress: new Float64Array(n),
    swap,
    cap: new Float64Array(n).fill(Infinity),
    sharing: { scope: ksmEverRan ? 'interVm' : 'none', breakLargePages: ksmEverRan, scanMiBPerSecond },
    compressedStoreRatio: 0.5,
    block: false,
    state: 'none',
  }
  const next: MomState = {
    ...state,
    target,
    swap,
    freeHistory,
    phase: phase - intervals,
    pagesToScan: pages,
    ksmRunning,
    ksmEverRan,
  }
  return [next, decision]
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

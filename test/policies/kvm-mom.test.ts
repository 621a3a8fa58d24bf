/**
 * kvm-mom (KVM, oVirt MoM balloon and KSM rules). Every expected figure is worked out by hand in the
 * comments from DOMAIN.md section 5's rules; none is computed by calling the policy's own helpers.
 */
import { describe, expect, it } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import { kvmMomPolicy, KVM_MOM_DEFAULTS, type KvmMomParams } from '../../policies/kvm-mom.js'
import { growGuest, guestFreeShare, MOM_BALLOON, pressureOf, shrinkGuest } from '../../policies/internal/mom-balloon.js'
import { ksmScanMiBPerSecond, ksmShouldRun, ksmSleepMillis, MOM_KSM, nextPagesToScan } from '../../policies/internal/mom-ksm.js'
import { BUILT_IN_POLICIES } from '../../policies/index.js'
import { replay } from '../../src/engine/replay.js'
import { DEFAULT_WORLD } from '../../src/engine/world.js'
import { runPolicy } from '../../src/report/comparison.js'
import { buildTrace, hostOf, settingsOf } from '../../src/engine/conformance/index.js'
import type { Decision, Observation, PolicyContext } from '../../src/engine/policy.js'
import type { VmSettings } from '../../src/spec/settings.js'

describe('MoM balloon rules, one interval', () => {
  it('pressure levels: critical at or below 5% free, pressure below 20%', () => {
    expect(pressureOf(0.05, MOM_BALLOON)).toBe('critical')
    expect(pressureOf(0.19, MOM_BALLOON)).toBe('pressure')
    expect(pressureOf(0.2, MOM_BALLOON)).toBe('none')
  })

  it('a 4096 MiB guest under pressure shrinks by 5% (204.8 MiB)', () => {
    // Host 10% free: guest free share = 20% x 10% / 20% = 10%; floor = max(512, 100 + 409.6) = 512.
    expect(guestFreeShare(0.1, MOM_BALLOON)).toBeCloseTo(0.1, 12)
    expect(shrinkGuest(4096, 100, 512, 0.1, MOM_BALLOON)).toBeCloseTo(3891.2, 9)
  })

  it('never below its minimum', () => {
    // 540 x 0.95 = 513 < minimum 520 -> 520; from 520 nothing is left to take.
    expect(shrinkGuest(540, 100, 520, 0.1, MOM_BALLOON)).toBe(520)
    expect(shrinkGuest(520, 100, 520, 0.1, MOM_BALLOON)).toBe(520)
  })

  it('keeps what the guest uses plus its free share; critical pressure cuts into it', () => {
    // Pressure (10% free): floor = 3800 + 10% x 4096 = 4209.6 > 4096: no shrink.
    expect(shrinkGuest(4096, 3800, 512, 0.1, MOM_BALLOON)).toBe(4096)
    // Critical (2% free): guest free = 2% - 5% = -3%; floor = 3800 - 122.88 = 3677.12 < 3891.2.
    expect(shrinkGuest(4096, 3800, 512, 0.02, MOM_BALLOON)).toBeCloseTo(3891.2, 9)
    // Next interval: floor = 3800 - 3% x 3891.2 = 3683.264 < 3891.2 x 0.95 = 3696.64: below what it uses.
    expect(shrinkGuest(3891.2, 3800, 512, 0.02, MOM_BALLOON)).toBeCloseTo(3696.64, 9)
  })

  it('grows by 5% toward its full size; changes under 0.25% are not made', () => {
    // 3891.2 x 1.05 = 4085.76; then 4096 - 4085.76 = 10.24 > 0.25% x 4085.76 = 10.2144: to 4096.
    expect(growGuest(3891.2, 4096, MOM_BALLOON)).toBeCloseTo(4085.76, 9)
    expect(growGuest(4085.76, 4096, MOM_BALLOON)).toBe(4096)
    // 4096 - 4090 = 6 < 0.25% x 4090 = 10.225: left as it is.
    expect(growGuest(4090, 4096, MOM_BALLOON)).toBe(4090)
    // 1000 -> 997.5 would be 2.5 < 0.25% x 1000 = 2.5 (not strictly above): no change.
    expect(shrinkGuest(1000, 0, 997.5, 0.1, MOM_BALLOON)).toBe(1000)
  })
})

describe('MoM KSM rules', () => {
  it('pages to scan: +300 under pressure, -50 otherwise, within 64..1250', () => {
    const host = 16384 // 20% = 3276.8 MiB
    let pages = 100
    const up: number[] = []
    for (let i = 0; i < 5; i++) up.push((pages = nextPagesToScan(pages, 1000, host, MOM_KSM)))
    expect(up).toEqual([400, 700, 1000, 1250, 1250])
    expect(nextPagesToScan(1250, 5000, host, MOM_KSM)).toBe(1200)
    expect(nextPagesToScan(100, 5000, host, MOM_KSM)).toBe(64) // 50 -> 64
  })

  it('runs when free < 20%, or when shareable + 20% reaches host memory', () => {
    expect(ksmShouldRun(3000, 0, 16384, MOM_KSM)).toBe(true) // 3000 < 3276.8
    expect(ksmShouldRun(8000, 10000, 16384, MOM_KSM)).toBe(false) // 13276.8 < 16384 and 8000 > 3276.8
    expect(ksmShouldRun(8000, 13200, 16384, MOM_KSM)).toBe(true) // 16476.8 >= 16384
  })

  it('scan rate = pages x 4 KiB per sleep; sleep 10 ms on 16 GiB, scaled by host memory', () => {
    expect(ksmSleepMillis(16384, MOM_KSM)).toBe(10)
    expect(ksmSleepMillis(131072, MOM_KSM)).toBe(1.25)
    expect(ksmScanMiBPerSecond(64, 10)).toBeCloseTo(25, 9) // 0.25 MiB per 10 ms
    expect(ksmScanMiBPerSecond(1250, 10)).toBeCloseTo(488.28125, 9) // 4.8828125 MiB per 10 ms
    expect(ksmScanMiBPerSecond(1250, 1.25)).toBeCloseTo(3906.25, 9)
  })
})

// ---------------------------------------------------------------------------------------------
// The policy's step on hand-made observations.

const ctx = (vms: ReadonlyArray<VmSettings>, physicalMiB = 16384): PolicyContext => ({
  host: hostOf(physicalMiB),
  vms,
  stepSeconds: 10,
  seed: 1,
  warmStart: false,
  rates: { hotAddMiBPerSecond: 128, balloonMiBPerSecond: 64, swapOutMiBPerSecond: 200, compressMiBPerSecond: 1000 },
})

const col = (xs: ReadonlyArray<number>): Float64Array => Float64Array.from(xs)

interface ObsSpec {
  readonly free: number
  readonly step?: number
  readonly touched?: ReadonlyArray<number>
  readonly resident?: ReadonlyArray<number>
  readonly swapped?: ReadonlyArray<number>
  readonly committed?: ReadonlyArray<number>
}

const observe = (c: PolicyContext, o: ObsSpec, tick = 1): Observation => {
  const n = c.vms.length
  const z = (xs?: ReadonlyArray<number>) => col(xs ?? new Array(n).fill(0))
  const configured = col(c.vms.map((v) => v.maximumMiB))
  return {
    tick,
    time: tick * (o.step ?? 10),
    stepSeconds: o.step ?? 10,
    host: { physicalMiB: c.host.physicalMiB, reserveMiB: 0, freeMiB: o.free },
    vmCount: n,
    poweredOn: col(new Array(n).fill(1)),
    status: col(new Array(n).fill(1)),
    configured,
    visible: configured,
    assigned: configured,
    ballooned: z(),
    touched: z(o.touched),
    resident: z(o.resident),
    shared: z(),
    compressed: z(),
    swapped: z(o.swapped),
    committed: z(o.committed),
    sampledPages: z(),
    accessedPages: z(),
    samplePeriods: (o.step ?? 10) / 60,
  }
}

const run = (c: PolicyContext, specs: ReadonlyArray<ObsSpec>, params: Partial<KvmMomParams> = {}): Decision[] => {
  let state = kvmMomPolicy.init(c, { ...KVM_MOM_DEFAULTS, samples: 1, ...params })
  return specs.map((o, i) => {
    const [next, d] = kvmMomPolicy.step(state, observe(c, o, i + 1))
    state = next
    return d
  })
}

describe('kvm-mom step', () => {
  const one = [settingsOf('a', 4096)] // minimum 512

  it('at a 10 s step, one MoM interval: a 4096 MiB guest under pressure is ballooned by 204.8 MiB, KSM speeds up by 300 pages', () => {
    // Host 16384, free 1000 (6.1%: pressure). Pages 100 -> 400: 400 x 4 KiB / 10 ms = 156.25 MiB/s.
    const [d1, d2] = run(ctx(one), [{ free: 1000 }, { free: 1000 }])
    expect(d1.balloon[0]).toBeCloseTo(204.8, 9)
    expect(d1.visible[0]).toBe(4096)
    expect(d1.sharing).toEqual({ scope: 'interVm', breakLargePages: true, scanMiBPerSecond: 156.25 })
    // Second interval: 3891.2 x 0.95 = 3696.64 -> balloon 399.36; pages 700: 273.4375 MiB/s.
    expect(d2.balloon[0]).toBeCloseTo(399.36, 9)
    expect(d2.sharing.scanMiBPerSecond).toBeCloseTo(273.4375, 9)
    expect(d2.state).toBe('none')
    expect(d2.compress[0]).toBe(0)
  })

  it('at a 300 s step, 30 intervals compound: 4096 x 0.95^30 = 879.16 MiB; the scan rate is the mean over intervals', () => {
    // Nothing the guest touched is freed (touched 0), so the pressure lasts all 30 intervals.
    // 0.95^30 = 0.2146388: target 879.16, balloon 3216.84; floor max(512, 0 + 6.1% x cur) = 512 not reached.
    // Pages: 400, 700, 1000, then 1250 x 27: mean (2100 + 33750) / 30 = 1195 pages -> 466.796875 MiB/s.
    const [d] = run(ctx(one), [{ free: 1000, step: 300 }])
    expect(4096 - d.balloon[0]).toBeCloseTo(879.16, 2)
    expect(d.sharing.scanMiBPerSecond).toBeCloseTo(466.796875, 9)
  })

  it('grows the guest back when the pressure ends; KSM stops, merged pages stay merged', () => {
    // Two pressure intervals (3891.2, 3696.64), then free 10000 (61%): grow 3696.64 x 1.05 = 3881.472.
    // KSM: shareable 3881.472 + 3276.8 < 16384 and free > 3276.8: stops (rate 0); scope and large-page
    // splitting stay as they were.
    const [, , d3] = run(ctx(one), [{ free: 1000 }, { free: 1000 }, { free: 10000 }])
    expect(4096 - d3.balloon[0]).toBeCloseTo(3881.472, 9)
    expect(d3.sharing).toEqual({ scope: 'interVm', breakLargePages: true, scanMiBPerSecond: 0 })
  })

  it('KSM has not run on a roomy host: no sharing, large pages intact', () => {
    // free 12000 of 16384, shareable 4096 + 3276.8 < 16384: KSM does not run.
    const [d] = run(ctx(one), [{ free: 12000 }])
    expect(d.sharing).toEqual({ scope: 'none', breakLargePages: false, scanMiBPerSecond: 0 })
    expect(d.balloon[0]).toBe(0)
  })

  it('still short after balloon and KSM: host swap, blind to the guest (in proportion to resident pages)', () => {
    // Free 50 < 1% of 16384 (163.84): swap to bring it to 2% (327.68): 277.68 MiB,
    // 3/4 from the VM with 6000 resident (208.26), 1/4 from the one with 2000 (69.42).
    const two = [settingsOf('a', 8192), settingsOf('b', 4096)]
    const [d] = run(ctx(two), [{ free: 50, resident: [6000, 2000] }])
    expect(d.swap[0]).toBeCloseTo(208.26, 9)
    expect(d.swap[1]).toBeCloseTo(69.42, 9)
  })

  it("MoM's average lags: with 10 samples 5 s apart (50 s) at a 10 s step, five ticks are averaged", () => {
    // Free 16000, 16000, 16000, 16000, then 1000: average (4 x 16000 + 1000) / 5 = 13000 (79%): no pressure.
    const ds = run(ctx(one), [{ free: 16000 }, { free: 16000 }, { free: 16000 }, { free: 16000 }, { free: 1000 }], { samples: 10 })
    expect(ds[4].balloon[0]).toBe(0)
  })
})

describe('kvm-mom warm start (issue 12)', () => {
  // Host 14000, two guests of 8192 (minimum 512) powered on at tick 0, each reporting a working set
  // of 6000; a 10 s step: one MoM interval. Admission: 16384 <= 150% of 14000.
  const two = [settingsOf('a', 8192), settingsOf('b', 8192)]
  const firstTick = (warmStart: boolean): Decision => {
    const c = { ...ctx(two, 14000), warmStart }
    const state = kvmMomPolicy.init(c, { ...KVM_MOM_DEFAULTS, samples: 1 })
    // Tick 0: nothing runs yet, so the world shows an empty host (free 14000).
    const obs: Observation = { ...observe(c, { free: 14000, committed: [6000, 6000] }, 0), status: col([0, 0]) }
    return kvmMomPolicy.step(state, obs)[1]
  }

  it('MoM has watched the running guests: its first sample counts what they hold, and it balloons from tick 0', () => {
    // Sample: 14000 - 2 x 6000 = 2000 (14.29% < 20%: pressure). Guest free share 20% x 14.29% / 20% =
    // 14.29%: floor 6000 + 0.142857 x 8192 = 7170.3 < 8192 x 0.95 = 7782.4: each shrinks by 409.6.
    const d = firstTick(true)
    expect([d.admit[0], d.admit[1]]).toEqual([1, 1])
    expect(d.balloon[0]).toBeCloseTo(409.6, 9)
    expect(d.balloon[1]).toBeCloseTo(409.6, 9)
  })

  it('a cold start boots both at full size: MoM sees the empty host and leaves them', () => {
    const d = firstTick(false)
    expect([d.admit[0], d.admit[1]]).toEqual([1, 1])
    expect([d.balloon[0], d.balloon[1]]).toEqual([0, 0])
  })
})

describe('kvm-mom in the world', () => {
  // These follow guests from their boot (Windows zeroes its memory at tick 0): a cold start.
  const COLD = { ...DEFAULT_WORLD, start: 'cold' as const }
  it('a 4096 MiB Windows guest on a host with too little free memory is ballooned 204.8 MiB in one 10 s tick', () => {
    // Host 4608. Tick 0: a boots and zeroes all 4096 MiB (Windows): free 512, 11.1% < 20% (KSM has
    // nothing to merge yet: the world shares pages touched before the tick).
    // Tick 1: one MoM interval: 4096 -> 3891.2 (the balloon moves 640 MiB in 10 s: enough).
    const trace = buildTrace([{ id: 'a', demand: [100, 100, 100], configured: 4096, os: 'windows' }], 10)
    const assigned: number[] = []
    const free: number[] = []
    const res = replay(
      { trace, host: hostOf(4608), vms: [settingsOf('a', 4096, { os: 'windows' })], policy: kvmMomPolicy, params: { ...KVM_MOM_DEFAULTS, samples: 1 }, seed: 1, checkInvariants: true },
      (acc) => (assigned.push(acc.vm.assigned[0]), free.push(acc.host.free)),
      COLD,
    )
    expect(E.isRight(res)).toBe(true)
    expect(assigned[0]).toBe(4096)
    expect(free[0]).toBe(512)
    expect(assigned[1]).toBeCloseTo(3891.2, 6)
  })

  it('compounds six intervals at a 60 s step while the pressure lasts: 4096 x 0.95^6 = 3010.94', () => {
    // a (4096, Windows, minimum 512) beside b (8192, Windows, minimum 8192: it cannot shrink) on 12288.
    // Tick 0 fills the host (both guests zero all their pages): free 0, critical. At tick 1 each of a's
    // shrinks frees what it had touched above its new size: after five, 4096 x (1 - 0.95^5) = 4096 x 0.2262190625 = 926.6
    // < 2457.6 (20%): the pressure lasts all six intervals (MoM's projection ignores KSM's merges).
    // Critical: guest free = 0% - 5%, floor = max(512, 100 - 5% x cur) = 512, not reached.
    const trace = buildTrace(
      [
        { id: 'a', demand: [100, 100], configured: 4096, os: 'windows' },
        { id: 'b', demand: [100, 100], configured: 8192, os: 'windows' },
      ],
      60,
    )
    const vms = [settingsOf('a', 4096, { os: 'windows' }), settingsOf('b', 8192, { os: 'windows', minimumMiB: 8192 })]
    const ticks: Array<{ a: number; b: number; free: number }> = []
    const res = replay(
      { trace, host: hostOf(12288), vms, policy: kvmMomPolicy, params: { ...KVM_MOM_DEFAULTS, samples: 1 }, seed: 1, checkInvariants: true },
      (acc) => ticks.push({ a: acc.vm.assigned[0], b: acc.vm.assigned[1], free: acc.host.free }),
      COLD,
    )
    expect(E.isRight(res)).toBe(true)
    expect(ticks[0].free).toBe(0)
    expect(ticks[1].a).toBeCloseTo(3010.936384, 6) // 0.95^6 = 0.735091890625
    expect(ticks[1].b).toBe(8192)
  })

  it('appears in comparisons beside the other built-in policies', () => {
    expect(BUILT_IN_POLICIES.map((p) => p.name)).toContain('kvm-mom')
    expect(BUILT_IN_POLICIES.map((p) => p.name)).toContain('static')
    const trace = buildTrace([
      { id: 'a', demand: [500, 800, 900, 700], configured: 2048 },
      { id: 'b', demand: [300, 300, 1500, 1800], configured: 2048, os: 'windows' },
    ])
    const vms = [settingsOf('a', 2048), settingsOf('b', 2048, { os: 'windows' })]
    const results = BUILT_IN_POLICIES.map((policy) => runPolicy(trace, hostOf(3072), vms, { policy, params: policy.defaults }, 1, DEFAULT_WORLD))
    const mom = results.find((r) => r.label === 'kvm-mom')
    expect(mom?.error).toBeUndefined()
    expect(mom?.metrics.vmsAdmitted).toBe(2) // 4096 <= 150% of 3072 = 4608
    expect(results.find((r) => r.label === 'static')?.metrics.vmsAdmitted).toBe(1) // 2048 + 2048 > 3072
  })

  it('rejects params out of range with a sentence', () => {
    const d = kvmMomPolicy.params.decode({ intervalSeconds: 0 })
    expect(E.isLeft(d)).toBe(true)
    expect(E.isLeft(kvmMomPolicy.params.decode({ pressureThreshold: 1.5 }))).toBe(true)
    expect(E.isLeft(kvmMomPolicy.params.decode({ ksmSleep: 5 }))).toBe(true)
  })
})

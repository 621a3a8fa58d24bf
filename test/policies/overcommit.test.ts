/**
 * overcommit (VMware ESX) policy. Every expected figure is worked by hand in the comment above it,
 * not by re-running the code's formula.
 */
import { describe, expect, it } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import { replay, formatViolation } from '../../src/engine/replay.js'
import { DEFAULT_WORLD } from '../../src/engine/world.js'
import { HOST_STATES, VmStatus, type TickAccount } from '../../src/engine/account.js'
import type { VmSettings } from '../../src/spec/settings.js'
import { overcommitPolicy, type OvercommitParams } from '../../policies/overcommit.js'
import { exitLevel, freeThresholds, largePagesBroken, minFreeMiB, nextFreeState, secondsAboveLine } from '../../policies/internal/esx-states.js'
import {
  addGrantClient,
  addReclaimClient,
  finishFill,
  grantDraft,
  idlePageCost,
  idleTaxGrant,
  idleTaxReclaim,
  reclaimDraft,
  sharesPerPage,
  splitPageOut,
  waterFill,
  type GrantClient,
  type TaxClient,
} from '../../policies/internal/esx-tax.js'
import { activeFraction, NO_SAMPLE, tickWeight, updateActive, updateActiveColumns } from '../../policies/internal/esx-active.js'
import { nextFloat, seedRng, type Rng } from '../../src/engine/random.js'
import { buildTrace, hostOf, settingsOf } from '../support/build.js'

const H = { share: 0.5, minMiB: 32 } // the policy's default hysteresis

interface Row {
  tick: number
  free: number
  state: string
  status: number[]
  touched: number[]
  assigned: number[]
  ballooned: number[]
  compressed: number[]
  compressedStore: number[]
  swapped: number[]
  shared: number[]
}

/** These hand-worked scenarios follow VMs from their boot: a cold start (the world's default is warm). */
const COLD = { ...DEFAULT_WORLD, start: 'cold' as const }

/** The policy acting once per tick (hand figures per 300-s tick), not every 60 s as it does by default. */
const oncePerTick = { ...overcommitPolicy, controlSeconds: undefined }

const run = (
  trace: ReturnType<typeof buildTrace>,
  hostMiB: number,
  vms: ReadonlyArray<VmSettings>,
  params: Partial<OvercommitParams> = {},
  policy: typeof overcommitPolicy = overcommitPolicy,
) => {
  const rows: Row[] = []
  const decoded = overcommitPolicy.params.decode(params)
  if (E.isLeft(decoded)) throw new Error('bad params')
  const res = replay({ trace, host: hostOf(hostMiB), vms, policy, params: decoded.right, seed: 7, checkInvariants: true }, (a: TickAccount) =>
    rows.push({
      tick: a.tick,
      free: a.host.free,
      state: HOST_STATES[a.host.state],
      status: [...a.status],
      touched: [...a.vm.touched],
      assigned: [...a.vm.assigned],
      ballooned: [...a.vm.ballooned],
      compressed: [...a.vm.compressed],
      compressedStore: [...a.vm.compressedStore],
      swapped: [...a.vm.swapped],
      shared: [...a.vm.shared],
    }),
    COLD,
  )
  if (E.isLeft(res)) throw new Error(formatViolation(res.left))
  return rows
}

const flat = (x: number, n: number): number[] => Array.from({ length: n }, () => x)

describe('minFree and the free-memory states', () => {
  it('minFree of a 96 GiB host, summed by hand', () => {
    // 96 GiB = 98304 MiB.  6% x 4096 = 245.76;  4% x (12288 - 4096 = 8192) = 327.68;
    // 2% x (28672 - 12288 = 16384) = 327.68;  1% x (98304 - 28672 = 69632) = 696.32.
    // Sum: 245.76 + 327.68 + 327.68 + 696.32 = 1597.44 MiB (DOMAIN.md and the issue say 1597.36: 0.08 off).
    expect(minFreeMiB(98304)).toBeCloseTo(1597.44, 9)
    // The first 28 GiB alone: 245.76 + 327.68 + 327.68 = 901.12 (blogs say "899 MB").
    expect(minFreeMiB(28672)).toBeCloseTo(901.12, 9)
    // A 4 GiB host: 6% of 4096 = 245.76.
    expect(minFreeMiB(4096)).toBeCloseTo(245.76, 9)
  })

  it('vSphere 6 thresholds of a 96 GiB host', () => {
    // minFree 1597.44: large pages broken below 400% = 6389.76; clear below 100% = 1597.44;
    // soft below 64% = 1022.3616; hard below 32% = 511.1808; low below 16% = 255.5904.
    const th = freeThresholds('vsphere6', 98304)
    expect(th.largePageLine).toBeCloseTo(6389.76, 9)
    expect(th.levels.map((l) => l.state)).toEqual(['clear', 'soft', 'hard', 'low'])
    const below = th.levels.map((l) => l.below)
    ;[1597.44, 1022.3616, 511.1808, 255.5904].forEach((x, i) => expect(below[i]).toBeCloseTo(x, 9))
    // Leaving upward needs threshold x 1.5 (margin 50%, above the 32 MiB minimum):
    // clear 2396.16, soft 1533.5424, hard 766.7712, low 383.3856.
    expect(exitLevel(th, 'clear', H)).toBeCloseTo(2396.16, 9)
    expect(exitLevel(th, 'soft', H)).toBeCloseTo(1533.5424, 9)
    expect(exitLevel(th, 'hard', H)).toBeCloseTo(766.7712, 9)
    expect(exitLevel(th, 'low', H)).toBeCloseTo(383.3856, 9)
  })

  it('switches state at the right free-memory levels, with hysteresis on the way up', () => {
    const th = freeThresholds('vsphere6', 98304)
    const next = (cur: Parameters<typeof nextFreeState>[1], free: number) => nextFreeState(th, cur, free, H)
    // Down: at once, to the deepest state whose threshold free memory is below.
    expect(next('high', 1598)).toBe('high') // >= 1597.44
    expect(next('high', 1597)).toBe('clear') // < 1597.44
    expect(next('high', 1000)).toBe('soft') // < 1022.36
    expect(next('high', 500)).toBe('hard') // < 511.18
    expect(next('high', 255)).toBe('low') // < 255.59
    // Up: only past threshold x 1.5.
    expect(next('clear', 2396)).toBe('clear') // < 2396.16
    expect(next('clear', 2397)).toBe('high')
    expect(next('soft', 1533)).toBe('soft') // < 1533.54, although above the soft threshold 1022.36
    expect(next('soft', 1534)).toBe('clear') // past soft's exit, below clear's exit 2396.16
    expect(next('low', 383)).toBe('low') // < 383.39
    expect(next('low', 384)).toBe('hard')
    // From hard at 1000: hard's exit 766.77 passed -> soft; soft's exit 1533.54 not -> soft.
    expect(next('hard', 1000)).toBe('soft')
    // A big jump climbs all the way.
    expect(next('low', 3000)).toBe('high')
  })

  it('ESX 2 states: 6/4/2/1% of host memory; leaving soft at 6% (= 4% x 1.5)', () => {
    // 96 GiB: soft below 3932.16, hard below 1966.08, low below 983.04, high threshold 5898.24.
    const th = freeThresholds('esx2', 98304)
    expect(th.levels.map((l) => [l.state, l.below])).toEqual([
      ['soft', 0.04 * 98304],
      ['hard', 0.02 * 98304],
      ['low', 0.01 * 98304],
    ])
    expect(nextFreeState(th, 'high', 3933, H)).toBe('high')
    expect(nextFreeState(th, 'high', 3932, H)).toBe('soft')
    expect(nextFreeState(th, 'soft', 5898, H)).toBe('soft') // < 5898.24
    expect(nextFreeState(th, 'soft', 5899, H)).toBe('high')
  })

  it('large pages: broken below 400% of minFree, restored once free has stayed above the line + margin for the restore delay', () => {
    const th = freeThresholds('vsphere6', 98304) // line 6389.76, margin 3194.88 -> 9584.64
    expect(largePagesBroken(th, false, 6390, 0, 600, H)).toBe(false)
    expect(largePagesBroken(th, false, 6389, 0, 600, H)).toBe(true)
    expect(largePagesBroken(th, true, 9000, 10_000, 600, H)).toBe(true) // 9000 < 9584.64
    expect(largePagesBroken(th, true, 12000, 300, 600, H)).toBe(true) // above, but for 300 s < 600 s
    expect(largePagesBroken(th, true, 12000, 600, 600, H)).toBe(false) // above for 600 s
    // The count: seconds at or above 9584.64, reset below it.
    expect(secondsAboveLine(th, 9584.64, 240, 60, H)).toBe(300)
    expect(secondsAboveLine(th, 9584, 240, 60, H)).toBe(0)
  })
})

describe('idle memory tax (Waldspurger 2002: rho = S / (P (f + k (1 - f))), k = 1 / (1 - tau))', () => {
  // Two VMs, equal shares S = 10240, equal allocations P = 1000 MiB; a fully active (A = 1000), b 10% active (A = 100).
  const S = 10240
  const a = { shares: S, pages: 1000, active: 1000, floor: 0 }
  const b = { shares: S, pages: 1000, active: 100, floor: 0 }

  it('rho by hand', () => {
    // tau 0: k = 1, both rho = S / 1000 = 10.24.
    expect(sharesPerPage(a, 0)).toBeCloseTo(10.24, 9)
    expect(sharesPerPage(b, 0)).toBeCloseTo(10.24, 9)
    // tau 0.75: k = 4. a: S / (1000 x 1) = 10.24. b: S / (1000 x (0.1 + 4 x 0.9)) = 10240 / 3700 = 2.767568.
    expect(sharesPerPage(a, 0.75)).toBeCloseTo(10.24, 9)
    expect(sharesPerPage(b, 0.75)).toBeCloseTo(10240 / 3700, 9)
  })

  it('tax 0: equal rho, so 500 MiB are reclaimed equally', () => {
    const r = idleTaxReclaim([a, b], 500, 0)
    expect(r[0]).toBeCloseTo(250, 6)
    expect(r[1]).toBeCloseTo(250, 6)
  })

  it('tax 75%: the idle VM gives first, until the rhos meet', () => {
    // b's cost falls from 3700 as idle pages go (4 each): it reaches a's 1000 at 100 + 4 (P - 100) = 1000,
    // P = 325, so b alone gives the first 675 MiB. 500 MiB: all from b.
    const r500 = idleTaxReclaim([a, b], 500, 0.75)
    expect(r500[0]).toBeCloseTo(0, 6)
    expect(r500[1]).toBeCloseTo(500, 6)
    // 1000 MiB: both end at one cost Y: a keeps Y (all active), b keeps 100 + (Y - 100) / 4;
    // (1000 - Y) + (1000 - 100 - (Y - 100) / 4) = 1000  ->  925 = 1.25 Y  ->  Y = 740.
    // a gives 260; b keeps 100 + 640 / 4 = 260, gives 740.
    const r1000 = idleTaxReclaim([a, b], 1000, 0.75)
    expect(r1000[0]).toBeCloseTo(260, 6)
    expect(r1000[1]).toBeCloseTo(740, 6)
  })

  it('never below a floor (reservation): the rest comes from the others', () => {
    // b reserved 800: it gives at most 200 (its rho at 800 pages, S / (100 + 4 x 700) = S / 2900, is still
    // below a's), so of 500 MiB, b gives 200 and a the other 300.
    const r = idleTaxReclaim([a, { ...b, floor: 800 }], 500, 0.75)
    expect(r[1]).toBeCloseTo(200, 6)
    expect(r[0]).toBeCloseTo(300, 6)
    // More than all can give: each gives all it can (a 1000, b 200).
    const all = idleTaxReclaim([a, { ...b, floor: 800 }], 5000, 0.75)
    expect([...all]).toEqual([1000, 200])
  })

  it('giving back goes to the highest rho first', () => {
    // a (rho 10.24) and b (2.77) each have 500 MiB of balloon to get back; 300 MiB to give.
    // Raising a: cost 1000 + 4 x added (the added pages count idle). b sits at cost 3700 / S; a reaches it after
    // (3700 - 1000) / 4 = 675 MiB, so all 300 go to a.
    const g = idleTaxGrant([{ ...a, room: 500 }, { ...b, room: 500 }], 300, 0.75)
    expect(g[0]).toBeCloseTo(300, 6)
    expect(g[1]).toBeCloseTo(0, 6)
  })

  it('compression takes the compressible share of the pages chosen for swap, up to the cache cap', () => {
    // VM of 2048 MiB: cache cap 10% = 204.8 MiB of host memory = 409.6 MiB of pages at 2 KB a page.
    // 1000 MiB chosen, half compressible: 500 wanted compressed, 409.6 fit; 590.4 go to swap.
    expect(splitPageOut(1000, 0.5, 409.6)).toEqual([409.6, 590.4])
    // 400 chosen: 200 compressed, 200 swapped.
    expect(splitPageOut(400, 0.5, 409.6)).toEqual([200, 200])
  })
})

describe('idle memory tax: the level search is exact', () => {
  // Reference: the level by a binary search over the sorted kinks (the search before it became a
  // probe of kinks without sorting), then the same interpolation and hand-out of the rest.
  const pagesAtCost = (y: number, a: number, k: number): number => (y <= a ? y : a + (y - a) / k)
  const costOf = (p: number, a: number, k: number): number => Math.min(p, a) + k * Math.max(0, p - a)
  const levelAt = (kinks: number[], f: (y: number) => number, target: number): number => {
    const ys = Float64Array.from(kinks.filter((y) => Number.isFinite(y) && y >= 0)).sort()
    if (ys.length === 0) return 0
    if (f(ys[0]) >= target) return ys[0]
    let lo = 0
    let hi = ys.length - 1
    if (f(ys[hi]) < target) return ys[hi]
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1
      if (f(ys[mid]) < target) lo = mid
      else hi = mid
    }
    const [f0, f1] = [f(ys[lo]), f(ys[hi])]
    return f1 > f0 ? ys[lo] + ((target - f0) / (f1 - f0)) * (ys[hi] - ys[lo]) : ys[hi]
  }
  const handOut = (out: Float64Array, amount: number, most: (v: number) => number): Float64Array => {
    let rest = amount - out.reduce((a, b) => a + b, 0)
    for (let v = 0; v < out.length && rest > 0; v++) {
      const more = Math.min(rest, most(v) - out[v])
      if (more > 0 && out[v] > 0) {
        out[v] += more
        rest -= more
      }
    }
    return out
  }
  const reclaimRef = (cs: ReadonlyArray<TaxClient>, amount: number, tax: number): Float64Array => {
    const n = cs.length
    if (!(amount > 0) || n === 0) return new Float64Array(n)
    const k = idlePageCost(tax)
    const p = cs.map((c) => Math.max(0, c.pages))
    const a = cs.map((c, v) => Math.min(Math.max(c.active, 0), p[v]))
    const fl = cs.map((c, v) => Math.min(Math.max(c.floor, 0), p[v]))
    let available = 0
    for (let v = 0; v < n; v++) available += p[v] - fl[v]
    if (amount >= available) return Float64Array.from(p, (x, v) => x - fl[v])
    const given = (v: number, y: number): number => p[v] - Math.max(fl[v], Math.min(p[v], pagesAtCost(y * Math.max(0, cs[v].shares), a[v], k)))
    const taken = (y: number): number => cs.reduce((sum, _, v) => sum + given(v, y), 0)
    const s = cs.map((c) => Math.max(0, c.shares))
    const kinks = cs.flatMap((_, v) => (s[v] > 0 ? [costOf(fl[v], a[v], k) / s[v], a[v] / s[v], costOf(p[v], a[v], k) / s[v]] : []))
    const y = levelAt(kinks, (x) => -taken(x), -amount)
    return handOut(
      Float64Array.from(cs, (_, v) => given(v, y)),
      amount,
      (v) => p[v] - fl[v],
    )
  }
  const grantRef = (cs: ReadonlyArray<GrantClient>, amount: number, tax: number): Float64Array => {
    const n = cs.length
    if (!(amount > 0) || n === 0) return new Float64Array(n)
    const k = idlePageCost(tax)
    const p = cs.map((c) => Math.max(0, c.pages))
    const a = cs.map((c, v) => Math.min(Math.max(c.active, 0), p[v]))
    const room = cs.map((c) => Math.max(0, c.room))
    if (amount >= room.reduce((x, r) => x + r, 0)) return Float64Array.from(room)
    const got = (v: number, y: number): number => Math.min(p[v] + room[v], Math.max(p[v], pagesAtCost(y * Math.max(0, cs[v].shares), a[v], k))) - p[v]
    const given = (y: number): number => cs.reduce((sum, _, v) => sum + got(v, y), 0)
    const s = cs.map((c) => Math.max(0, c.shares))
    const kinks = cs.flatMap((_, v) => (s[v] > 0 && room[v] > 0 ? [costOf(p[v], a[v], k) / s[v], a[v] / s[v], costOf(p[v] + room[v], a[v], k) / s[v]] : []))
    const y = levelAt(kinks, given, amount)
    return handOut(
      Float64Array.from(cs, (_, v) => got(v, y)),
      amount,
      (v) => room[v],
    )
  }

  // Random fleets: shares from a few values (ties), sizes on a coarse grid (duplicate kinks), some
  // clients with nothing to move, some values out of range (clipped), amounts from 0 to beyond all.
  const draw = (rng: Rng, pick: ReadonlyArray<number>): readonly [number, Rng] => {
    const [u, r] = nextFloat(rng)
    return [pick[Math.floor(u * pick.length)], r]
  }
  const cases = (seed: number, count: number) => {
    let rng = seedRng(seed)
    const take = (pick: ReadonlyArray<number>): number => {
      const [x, r] = draw(rng, pick)
      rng = r
      return x
    }
    return Array.from({ length: count }, () => {
      const n = take([0, 1, 2, 5, 20, 60])
      const clients = Array.from({ length: n }, () => {
        const pages = take([-5, 0, 64, 512, 1000, 2048, 2048, 4096])
        return {
          shares: take([0, 1000, 10240, 10240, 20480, 40960]),
          pages,
          active: take([-1, 0, 0.1, 0.5, 0.9, 1, 1.2]) * pages,
          floor: take([-10, 0, 0, 0.2, 0.5, 1]) * pages,
          room: take([0, 0, 100, 512, 1000.5]),
        }
      })
      const all = clients.reduce((x, c) => x + Math.max(0, c.pages), 0)
      return { clients, tax: take([0, 0.5, 0.75, 0.75]), amount: take([0, 0.001, 0.05, 0.3, 0.7, 1.1]) * all, near: take([NaN, 0, 0.01, 0.1, 1]) }
    })
  }
  const same = (a: Float64Array, b: Float64Array): boolean => a.length === b.length && a.every((x, i) => Object.is(x, b[i]))

  it('reclaim: the same, to the bit, as the sorted binary search, whatever the hint', () => {
    for (const c of cases(11, 400)) {
      const want = reclaimRef(c.clients, c.amount, c.tax)
      expect(same(idleTaxReclaim(c.clients, c.amount, c.tax), want)).toBe(true)
      const d = reclaimDraft(c.clients.length, c.tax)
      c.clients.forEach((x, v) => addReclaimClient(d, v, x.shares, x.pages, x.active, x.floor))
      const fill = finishFill(d)
      // One fill serves several searches (each reorders its kinks): hinted, unhinted, hinted again.
      expect(same(waterFill(fill, c.amount, c.near), want)).toBe(true)
      expect(same(waterFill(fill, c.amount), want)).toBe(true)
      expect(same(waterFill(fill, c.amount, c.near * 3), want)).toBe(true)
    }
  })

  it('grant: the same, to the bit, as the sorted binary search, whatever the hint', () => {
    for (const c of cases(12, 400)) {
      const want = grantRef(c.clients, c.amount / 8, c.tax)
      expect(same(idleTaxGrant(c.clients, c.amount / 8, c.tax), want)).toBe(true)
      const d = grantDraft(c.clients.length, c.tax)
      c.clients.forEach((x, v) => addGrantClient(d, v, x.shares, x.pages, x.active, x.room))
      const fill = finishFill(d)
      expect(same(waterFill(fill, c.amount / 8, c.near), want)).toBe(true)
      expect(same(waterFill(fill, c.amount / 8), want)).toBe(true)
    }
  })
})

describe('active-memory estimate', () => {
  it('per-tick weights from time constants in seconds', () => {
    // 300-s step: slow (1800 s) 1 - e^(-1/6) = 1 - 0.8464817 = 0.1535183; fast (120 s) 1 - e^(-2.5) = 1 - 0.0820850 = 0.9179150.
    expect(tickWeight(300, 1800)).toBeCloseTo(0.1535183, 6)
    expect(tickWeight(300, 120)).toBeCloseTo(0.917915, 6)
    // 60-s step: slow 1 - e^(-1/30) = 1 - 0.9672161 = 0.0327839.
    expect(tickWeight(60, 1800)).toBeCloseTo(0.0327839, 6)
  })

  it('rises fast, falls slowly', () => {
    const aS = 0.1535183
    const aF = 0.917915
    expect(activeFraction(NO_SAMPLE)).toBe(1) // no sample yet: all active (no tax)
    // Sample 1: 10 of 100 -> both averages start at 0.1.
    const s1 = updateActive(NO_SAMPLE, 100, 10, aS, aF)
    expect(activeFraction(s1)).toBeCloseTo(0.1, 9)
    // Sample 2: 0.9. fast 0.1 + 0.917915 x 0.8 = 0.834332; slow 0.1 + 0.1535183 x 0.8 = 0.2228146. Estimate 0.834332.
    const s2 = updateActive(s1, 100, 90, aS, aF)
    expect(activeFraction(s2)).toBeCloseTo(0.834332, 5)
    // Sample 3: 0.1. fast 0.834332 - 0.917915 x 0.734332 = 0.160277; slow 0.2228146 - 0.1535183 x 0.1228146 = 0.2039603.
    // The slow average holds the estimate up: 0.20396.
    const s3 = updateActive(s2, 100, 10, aS, aF)
    expect(s3.fast).toBeCloseTo(0.160277, 5)
    expect(activeFraction(s3)).toBeCloseTo(0.2039603, 5)
  })

  it('the column form agrees with updateActive and activeFraction, VM by VM', () => {
    const aS = 0.1535183
    const aF = 0.917915
    // VMs: never sampled; first sample now; sampled before and now; sampled before, none now; not running.
    const prev = { slow: Float64Array.from([0, 0, 0.3, 0.4, 0.5]), fast: Float64Array.from([0, 0, 0.6, 0.2, 0.5]), seen: Uint8Array.from([0, 0, 1, 1, 1]) }
    const sampled = [0, 100, 100, 0, 100]
    const accessed = [0, 10, 90, 0, 50]
    const running = Uint8Array.from([1, 1, 1, 1, 0])
    const next = { slow: new Float64Array(5), fast: new Float64Array(5), seen: new Uint8Array(5) }
    const fraction = new Float64Array(5)
    updateActiveColumns(prev, sampled, accessed, running, aS, aF, next, fraction)
    for (let v = 0; v < 4; v++) {
      const a = updateActive({ slow: prev.slow[v], fast: prev.fast[v], seen: prev.seen[v] === 1 }, sampled[v], accessed[v], aS, aF)
      expect([next.slow[v], next.fast[v], next.seen[v], fraction[v]]).toEqual([a.slow, a.fast, a.seen ? 1 : 0, activeFraction(a)])
    }
    // Not running: left as it was (zeros: the estimate is forgotten).
    expect([next.slow[4], next.fast[4], next.seen[4], fraction[4]]).toEqual([0, 0, 0, 0])
  })
})

describe('overcommit policy: params', () => {
  it('fills documented defaults and rejects unknown keys', () => {
    const d = overcommitPolicy.params.decode({})
    expect(E.isRight(d) && d.right).toEqual(overcommitPolicy.defaults)
    expect(overcommitPolicy.defaults.idleTax).toBe(0.75)
    expect(overcommitPolicy.defaults.balloonMaxPercent).toBe(65)
    expect(overcommitPolicy.defaults.salting).toBe(true)
    expect(overcommitPolicy.defaults.largePages).toBe(true)
    expect(E.isLeft(overcommitPolicy.params.decode({ idleTaxx: 0.5 }))).toBe(true)
    expect(E.isLeft(overcommitPolicy.params.decode({ states: 'esx9' }))).toBe(true)
  })
})

describe('overcommit policy: replays (invariants checked every tick)', () => {
  it('admission control on reservations', () => {
    // Host 4096. a reserves 2048, b 1024: 3072 <= 4096, admitted. c reserves 1536: 3072 + 1536 = 4608 > 4096, refused,
    // though its configured size would fit an overcommitting host. d reserves nothing: admitted (4 x 2048 configured
    // on a 4096 host: ESX over-allocates).
    const trace = buildTrace(['a', 'b', 'c', 'd'].map((id) => ({ id, demand: flat(100, 3), configured: 2048 })))
    const vms = [
      settingsOf('a', 2048, { reservationMiB: 2048 }),
      settingsOf('b', 2048, { reservationMiB: 1024 }),
      settingsOf('c', 2048, { reservationMiB: 1536 }),
      settingsOf('d', 2048),
    ]
    const rows = run(trace, 4096, vms)
    expect(rows[0].status).toEqual([VmStatus.running, VmStatus.running, VmStatus.refused, VmStatus.running])
    // maxOverAllocation 1: configured sizes (2048 each) may not exceed the host: a and b fill it, d refused too.
    const capped = run(trace, 4096, vms, { maxOverAllocation: 1 })
    expect(capped[0].status).toEqual([VmStatus.running, VmStatus.running, VmStatus.refused, VmStatus.refused])
  })

  describe('page sharing: salting, zero pages, large pages', () => {
    // Two Windows VMs of one image, 1024 MiB each, working set 200: Windows zeroes its memory at boot, so
    // touched = 1024 at once, of which 1024 - 200 = 824 MiB zero pages. Content: nothing duplicated inside a VM
    // (intraVm 0), half of the non-zero pages identical across VMs of the image (image 0.5).
    // Potential per VM: salted (intra-VM scope): zero pages only = 824.
    // Unsalted (inter-VM scope, 2 copies): 824 + 200 x 0.5 x (2 - 1) / 2 = 824 + 50 = 874.
    // Scan: all guest memory once an hour: 2048 MiB / 3600 s; over a 300-s tick 170.67 MiB, 85.33 per VM,
    // 1/12 of each VM's 1024 MiB, so sharing reaches 1/12 of its potential per tick from tick 1 (tick 0 boots)
    // and all of it at tick 12. (These replays act once per tick, so each account is one control step.)
    const trace = buildTrace(['w1', 'w2'].map((id) => ({ id, demand: flat(200, 16), configured: 1024, os: 'windows' as const, image: 'win' })))
    const vms = ['w1', 'w2'].map((id) => settingsOf(id, 1024, { os: 'windows', image: 'win', content: { intraVm: 0, image: 0.5 } }))

    it('salted: only zero pages, within each VM', () => {
      const rows = run(trace, 8192, vms, { largePages: false }, oncePerTick)
      expect(rows[0].touched).toEqual([1024, 1024])
      expect(rows[0].shared).toEqual([0, 0])
      expect(rows[1].shared[0]).toBeCloseTo(824 / 12, 6)
      expect(rows[15].shared[0]).toBeCloseTo(824, 6)
      expect(rows[15].shared[1]).toBeCloseTo(824, 6)
      expect(rows[15].state).toBe('high')
    })

    it('salting off: identical pages across the VMs of one image too', () => {
      const rows = run(trace, 8192, vms, { largePages: false, salting: false }, oncePerTick)
      expect(rows[1].shared[0]).toBeCloseTo(874 / 12, 6)
      expect(rows[15].shared[0]).toBeCloseTo(874, 6)
      expect(rows[15].shared[1]).toBeCloseTo(874, 6)
    })

    it('ESX 2 scan rate (200 pages/s per host) limits how fast sharing gets there', () => {
      // 200 x 4 KiB = 0.78125 MiB/s, 234.375 MiB per tick, 117.1875 per VM: 117.1875 / 1024 of 824 = 94.30 per tick.
      const rows = run(trace, 8192, vms, { largePages: false, shareScanPagesPerSecond: 200 }, oncePerTick)
      expect(rows[1].shared[0]).toBeCloseTo((824 * 117.1875) / 1024, 6)
    })

    it('large pages hide everything while free memory is above 400% of minFree', () => {
      // Host 8192: minFree = 245.76 + 4% x 4096 = 409.6; line 1638.4; free 8192 - 2048 = 6144 above it: nothing shared.
      const rows = run(trace, 8192, vms)
      expect(rows[15].shared).toEqual([0, 0])
      expect(rows[15].state).toBe('high')
    })

    it('a host below 400% of minFree breaks large pages while still in the high state, and restores them once free has stayed above the line', () => {
      // Host 2600: minFree 6% x 2600 = 156, line 624; free after boot 2600 - 2048 = 552 < 624: broken from tick 1.
      // 552 >= 156 (clear threshold): the state stays high. Salted sharing as above: 824 / 12 per VM per tick, so
      // free at the end of tick t is 552 + 2 x 68.67 t. Restore needs free >= line + margin = 624 + 312 = 936 for
      // 600 s (two 300-s steps): first seen at the end of tick 3 (964), so tick 4's step counts 300 s, tick 5's 600 s
      // and restores: sharing stops growing at 4 x 68.67 = 274.67 per VM (shared pages stay until written), and
      // free stays at 552 + 549.33 = 1101.33, above the line: large pages stay.
      const rows = run(trace, 2600, vms, {}, oncePerTick)
      expect(rows[1].shared[0]).toBeCloseTo(824 / 12, 6)
      expect(rows[4].shared[0]).toBeCloseTo((4 * 824) / 12, 6)
      expect(rows[15].shared[0]).toBeCloseTo((4 * 824) / 12, 6)
      expect(rows[15].free).toBeCloseTo(552 + (8 * 824) / 12, 6)
      expect(rows.every((r) => r.state === 'high')).toBe(true)
    })
  })

  describe('whom to reclaim from: the idle tax in a replay', () => {
    // Two Linux VMs of 2048 MiB, equal shares (10 per MiB). a keeps a 1500 MiB working set; b's drops from 1500 to
    // 150 at tick 2 (its pages stay touched as page cache). Host 3584: minFree 6% x 3584 = 215.04; soft below 137.63.
    // Linux page cache fills the room left, so touched grows and the host reaches soft after ~60 ticks.
    // Estimated active fractions: a ~1500/1650 = 0.9, b ~150/1650 = 0.09.
    // tau 0.75: cost a = P (0.9 + 4 x 0.1) = 1.3 P, b = P (0.09 + 4 x 0.91) = 3.73 P: b's rho is far lower; b must fall
    // to ~100 + (1.3 x 1650 - 150) / 4 = 649 MiB (giving ~1000) before a gives anything, and the run needs < 500.
    // tau 0: rho = S / P, and P is the same for both (same touched growth): equal split.
    const n = 100
    const trace = buildTrace([
      { id: 'a', demand: flat(1500, n), configured: 2048 },
      { id: 'b', demand: Array.from({ length: n }, (_, i) => (i < 2 ? 1500 : 150)), configured: 2048 },
    ])
    const vms = [settingsOf('a', 2048), settingsOf('b', 2048)]

    it('tax 75%: the idle VM is ballooned, the active one not at all', () => {
      const rows = run(trace, 3584, vms)
      expect(rows.some((r) => r.state === 'soft')).toBe(true)
      expect(Math.max(...rows.map((r) => r.ballooned[0]))).toBe(0)
      expect(rows[n - 1].ballooned[1]).toBeGreaterThan(0)
      expect(rows.every((r) => r.swapped[0] + r.swapped[1] === 0)).toBe(true)
    })

    it('tax 0: both ballooned alike', () => {
      const rows = run(trace, 3584, vms, { idleTax: 0 })
      const [ba, bb] = rows[n - 1].ballooned
      expect(ba).toBeGreaterThan(0)
      expect(Math.abs(ba - bb)).toBeLessThan(0.05 * Math.max(ba, bb))
    })
  })

  describe('a host too small', () => {
    // Two Linux VMs of 4096 MiB with 1500 MiB working sets; their page cache grows toward 4096 each (8192 in all).
    const n = 200
    const trace = buildTrace(['a', 'b'].map((id) => ({ id, demand: flat(1500, n), configured: 4096 })))

    it('slightly too small (6144): the balloon takes the page cache, nothing is swapped', () => {
      // minFree(6144) = 245.76 + 4% x 2048 = 327.68; soft below 209.72. Working sets 3000 fit easily: the balloon
      // (cap 65% of 4096 = 2662.4 per VM) can take all the cache the host needs back, and the host never gets to hard.
      const rows = run(trace, 6144, [settingsOf('a', 4096), settingsOf('b', 4096)])
      const firstBalloon = rows.findIndex((r) => r.ballooned[0] + r.ballooned[1] > 0)
      expect(firstBalloon).toBeGreaterThan(0)
      expect(rows.every((r) => r.swapped[0] + r.swapped[1] + r.compressed[0] + r.compressed[1] === 0)).toBe(true)
      expect(rows.every((r) => r.state !== 'hard' && r.state !== 'low')).toBe(true)
    })

    it('smaller (2560): swap and compression, within the cache cap, reservations honoured', () => {
      // Working sets alone (3000) exceed the host; the balloon may leave each guest 35% = 1433.6 MiB, 2867 in all.
      // b reserves 1200: never ballooned below it (assigned >= 1200), never paged below it (held >= 1200): checked
      // by the world's invariants every tick, and here.
      const rows = run(trace, 2560, [settingsOf('a', 4096), settingsOf('b', 4096, { reservationMiB: 1200 })])
      expect(rows.some((r) => r.swapped[0] + r.swapped[1] > 0)).toBe(true)
      expect(rows.some((r) => r.compressed[0] + r.compressed[1] > 0)).toBe(true)
      for (const r of rows) {
        // Cache cap: 10% of 4096 = 409.6 MiB of host memory per VM.
        expect(Math.max(...r.compressedStore)).toBeLessThanOrEqual(409.6 + 1e-6)
        // Balloon cap: 65% of 4096 = 2662.4; b also keeps its reservation: 4096 - 1200 = 2896 (not binding).
        expect(Math.max(...r.ballooned)).toBeLessThanOrEqual(2662.4 + 1e-6)
        expect(r.assigned[1]).toBeGreaterThanOrEqual(1200 - 1e-6)
        expect(r.touched[1] - r.compressed[1] - r.swapped[1]).toBeGreaterThanOrEqual(Math.min(1200, r.touched[1]) - 1e-3)
      }
    })

    it('a limit caps resident memory (the rest goes to swap)', () => {
      // a limited to 1000 MiB on a big host (16 GiB, no pressure): its 1500 MiB working set is touched, and the
      // world sends resident memory above 1000 to swap; the invariant resident <= limit holds every tick.
      const rows = run(trace, 16384, [settingsOf('a', 4096, { limitMiB: 1000 }), settingsOf('b', 4096)])
      expect(rows[n - 1].swapped[0]).toBeGreaterThan(0)
      expect(rows[n - 1].swapped[1]).toBe(0)
    })
  })

  it('the step does not change the character: 60-s and 300-s traces both reach soft and balloon the idle VM', () => {
    // Same scenario as the idle-tax replay over the same 8.3 hours, once at 300 s and once at 60 s (5x the ticks).
    const mk = (step: number, ticks: number) =>
      buildTrace(
        [
          { id: 'a', demand: flat(1500, ticks), configured: 2048 },
          { id: 'b', demand: Array.from({ length: ticks }, (_, i) => (i * step < 600 ? 1500 : 150)), configured: 2048 },
        ],
        step,
      )
    for (const [step, ticks] of [[300, 100], [60, 500]] as const) {
      const rows = run(mk(step, ticks), 3584, [settingsOf('a', 2048), settingsOf('b', 2048)])
      expect(Math.max(...rows.map((r) => r.ballooned[0]))).toBe(0)
      expect(rows[ticks - 1].ballooned[1]).toBeGreaterThan(0)
    }
  })
})

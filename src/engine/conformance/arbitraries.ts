/**
 * fast-check arbitraries: random fleets, traces and hosts, for the engine's property tests and the
 * conformance check. Small on purpose (a few VMs, a few dozen ticks) so that thousands run in
 * seconds and a failure shrinks to something a person can read.
 */
import fc from 'fast-check'
import { buildTrace, hostOf, settingsOf } from './build.js'
import type { Trace } from '../../trace/trace.js'
import type { HostSettings, VmSettings } from '../../spec/settings.js'

export interface Scenario {
  readonly trace: Trace
  readonly host: HostSettings
  readonly vms: ReadonlyArray<VmSettings>
}

const SIZES = [256, 512, 1024, 2048, 3072, 4096, 8192]

// Each VM is drawn for the longest trace and cut to the drawn length, so that fast-check can shrink
// every dimension (fewer VMs, fewer ticks, smaller sizes) without a dependent (chained) draw.
const vmArb = (maxTicks: number) =>
  fc.record({
    configured: fc.constantFrom(...SIZES),
    start: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    length: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    gap: fc.option(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { nil: undefined }),
    levels: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: maxTicks, maxLength: maxTicks }),
    os: fc.constantFrom('windows' as const, 'linux' as const),
    image: fc.constantFrom('img-a', 'img-b', 'own'),
    reservationShare: fc.constantFrom(0, 0, 0.25),
    limitShare: fc.constantFrom(1, 1, 0.75),
    weight: fc.constantFrom(1000, 5000, 9000),
    buffer: fc.constantFrom(5, 20, 50),
    // Real traces change capacity mid-trace (Bitbrains VMs 61, 211, 500): from this share of the
    // VM's life on, it is configured with `resizeTo`.
    resize: fc.option(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { nil: undefined, freq: 3 }),
    resizeTo: fc.constantFrom(...SIZES),
  })

type VmDraw = typeof vmArb extends (n: number) => fc.Arbitrary<infer A> ? A : never

const vmOf = (r: VmDraw, i: number, ticks: number) => {
  const start = Math.floor(r.start * ticks)
  const length = 1 + Math.floor(r.length * ticks)
  const gap = r.gap === undefined ? -1 : Math.floor(r.gap * ticks)
  const resizeAt = r.resize === undefined ? ticks : start + Math.floor(r.resize * length)
  const configured = Array.from({ length: ticks }, (_, t) => (t >= resizeAt ? r.resizeTo : r.configured))
  const demand = Array.from({ length: ticks }, (_, t) => (t < start || t >= start + length || t === gap ? NaN : Math.round(r.levels[t] * configured[t])))
  const image = r.image === 'own' ? `own-${i}` : r.image
  // Settings from the peak configured size, as resolveFleet derives them from a trace.
  const peak = Math.max(r.configured, resizeAt < start + length ? r.resizeTo : 0)
  const settings = settingsOf(`vm${i}`, peak, {
    os: r.os,
    image,
    reservationMiB: peak * r.reservationShare,
    limitMiB: peak * r.limitShare,
    weight: r.weight,
    bufferPercent: r.buffer,
  })
  return { lite: { id: `vm${i}`, demand, configured, os: r.os, image }, settings }
}

/** A random host, fleet and trace: 1..maxVms VMs over 1..maxTicks ticks of 60 or 300 s. */
export const scenarioArb = (maxVms = 6, maxTicks = 24): fc.Arbitrary<Scenario> =>
  fc
    .record({
      ticks: fc.integer({ min: 1, max: maxTicks }),
      vms: fc.array(vmArb(maxTicks), { minLength: 1, maxLength: maxVms }),
      physical: fc.integer({ min: 1024, max: 24576 }),
      reserve: fc.constantFrom(0, 256),
      overhead: fc.constantFrom(0, 32),
      step: fc.constantFrom(60, 300),
    })
    .map(({ ticks, vms, physical, reserve, overhead, step }) => {
      const built = vms.map((r, i) => vmOf(r, i, ticks))
      return {
        trace: buildTrace(built.map((v) => v.lite), step),
        host: hostOf(physical, reserve, overhead),
        vms: built.map((v) => v.settings),
      }
    })

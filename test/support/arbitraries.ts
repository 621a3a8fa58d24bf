/** fast-check arbitraries: random fleets, traces and hosts for property tests of the engine. */
import fc from 'fast-check'
import { buildTrace, hostOf, settingsOf } from './build.js'
import type { Trace } from '../../src/trace/trace.js'
import type { HostSettings, VmSettings } from '../../src/spec/settings.js'

export interface Scenario {
  readonly trace: Trace
  readonly host: HostSettings
  readonly vms: ReadonlyArray<VmSettings>
}

const SIZES = [256, 512, 1024, 2048, 3072, 4096, 8192]

const vmArb = (ticks: number, i: number) =>
  fc
    .record({
      configured: fc.constantFrom(...SIZES),
      start: fc.integer({ min: 0, max: Math.max(0, ticks - 1) }),
      length: fc.integer({ min: 1, max: ticks }),
      gap: fc.option(fc.integer({ min: 0, max: ticks - 1 }), { nil: undefined }),
      levels: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: ticks, maxLength: ticks }),
      os: fc.constantFrom('windows' as const, 'linux' as const),
      image: fc.constantFrom('img-a', 'img-b', `own-${i}`),
      reservationShare: fc.constantFrom(0, 0, 0.25),
      limitShare: fc.constantFrom(1, 1, 0.75),
      weight: fc.constantFrom(1000, 5000, 9000),
      buffer: fc.constantFrom(5, 20, 50),
    })
    .map((r) => {
      const demand = r.levels.map((l, t) => (t < r.start || t >= r.start + r.length || t === r.gap ? NaN : Math.round(l * r.configured)))
      const settings = settingsOf(`vm${i}`, r.configured, {
        os: r.os,
        image: r.image,
        reservationMiB: r.configured * r.reservationShare,
        limitMiB: r.configured * r.limitShare,
        weight: r.weight,
        bufferPercent: r.buffer,
      })
      return { lite: { id: `vm${i}`, demand, configured: r.configured, os: r.os, image: r.image }, settings }
    })

export const scenarioArb = (maxVms = 6, maxTicks = 24): fc.Arbitrary<Scenario> =>
  fc
    .record({ n: fc.integer({ min: 1, max: maxVms }), ticks: fc.integer({ min: 1, max: maxTicks }) })
    .chain(({ n, ticks }) =>
      fc.record({
        vms: fc.tuple(...Array.from({ length: n }, (_, i) => vmArb(ticks, i))),
        physical: fc.integer({ min: 1024, max: 24576 }),
        reserve: fc.constantFrom(0, 256),
        overhead: fc.constantFrom(0, 32),
        step: fc.constantFrom(60, 300),
      }),
    )
    .map(({ vms, physical, reserve, overhead, step }) => ({
      trace: buildTrace(vms.map((v) => v.lite), step),
      host: hostOf(physical, reserve, overhead),
      vms: vms.map((v) => v.settings),
    }))

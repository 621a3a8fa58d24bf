/**
 * Property tests: RunPartial is a monoid, and folding a run whole equals folding it split by time
 * or by VM group and concatenating.
 *
 * "exact" runs use dyadic sizes (whole KiB in MiB) and whole seconds, as real traces do: every sum
 * is then exact in float64 whatever its order, so RunMetrics, per-VM summaries, host series and
 * CSV must be IDENTICAL. Only the heat grid's pressure sums (100 x demand / assigned is not dyadic)
 * are compared to 1e-9 relative. "any" runs use arbitrary doubles: everything to 1e-9 relative.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  concatAllPartials,
  concatPartial,
  emptyPartial,
  finishRun,
  foldAccounts,
  foldByConcat,
  heatmapCells,
  hostSeriesCsv,
  hostSeriesRows,
  RunPartialMonoid,
  slowdownDistribution,
  vmSummaries,
  vmSummaryCsv,
  type RunPartial,
} from '../../src/metrics/index.js'
import { diff, reusedStream, runArb, withoutHeat, type RandomRun } from './support.js'

const RUNS = 150

const everything = (run: RandomRun, p: RunPartial) => ({
  metrics: finishRun(run.header, p),
  vms: vmSummaries(run.header, p),
  series: hostSeriesRows(run.header, p),
  hostCsv: hostSeriesCsv(p),
  vmCsv: vmSummaryCsv(vmSummaries(run.header, p)),
  dist: slowdownDistribution(p),
})

const expectSame = (a: unknown, b: unknown, rel: number): void => {
  const d = diff(a, b, rel)
  expect(d).toBeUndefined()
}

/** A random group of VM indices, given as a bit mask over the run's VMs. */
const split = (run: RandomRun, mask: number): [number[], number[]] => {
  const all = run.header.vmIds.map((_, i) => i)
  return [all.filter((i) => (mask >> i) & 1), all.filter((i) => !((mask >> i) & 1))]
}

describe('RunPartial monoid laws', () => {
  // Random partials: pieces (random tick span, random VM group, random heat width) of random runs.
  const pieceArb = fc
    .tuple(runArb(true), fc.nat(), fc.nat(), fc.nat(), fc.constantFrom(1, 2, 4, 8))
    .map(([run, a, b, mask, bt]) => {
      const i = a % (run.ticks.length + 1)
      const j = i + (b % (run.ticks.length - i + 1))
      const [group] = split(run, mask)
      return foldAccounts(run.header, reusedStream(run.ticks.slice(i, j)), { vmIndices: group, heatmapBucketTicks: bt })
    })

  it('identity: empty <> p = p = p <> empty (exactly)', () => {
    fc.assert(
      fc.property(pieceArb, (p) => {
        expect(concatPartial(emptyPartial, p)).toEqual(p)
        expect(concatPartial(p, emptyPartial)).toEqual(p)
        expect(RunPartialMonoid.empty).toBe(emptyPartial)
      }),
      { numRuns: RUNS },
    )
  })

  it('associativity: (a <> b) <> c = a <> (b <> c)', () => {
    fc.assert(
      fc.property(pieceArb, pieceArb, pieceArb, (a, b, c) => {
        const l = concatPartial(concatPartial(a, b), c)
        const r = concatPartial(a, concatPartial(b, c))
        expect(withoutHeat(l)).toEqual(withoutHeat(r)) // dyadic: exact
        expectSame(l.heat, r.heat, 1e-9)
      }),
      { numRuns: RUNS },
    )
  })
})

for (const exact of [true, false]) {
  const rel = exact ? 0 : 1e-9
  describe(`whole run = pieces concatenated (${exact ? 'dyadic sizes: identical' : 'any doubles: 1e-9 relative'})`, () => {
    it('split by time at a random tick', () => {
      fc.assert(
        fc.property(runArb(exact), fc.nat(), (run, k) => {
          const cut = k % (run.ticks.length + 1)
          const whole = foldAccounts(run.header, reusedStream(run.ticks))
          const parts = concatPartial(
            foldAccounts(run.header, reusedStream(run.ticks.slice(0, cut))),
            foldAccounts(run.header, reusedStream(run.ticks.slice(cut))),
          )
          expectSame(everything(run, parts), everything(run, whole), rel)
          expectSame(parts.heat, whole.heat, 1e-9)
          expectSame(heatmapCells(run.header, parts, 'pressure'), heatmapCells(run.header, whole, 'pressure'), 1e-9)
        }),
        { numRuns: RUNS },
      )
    })

    it('split by a random VM group (either order of concatenation)', () => {
      fc.assert(
        fc.property(runArb(exact), fc.nat(), (run, mask) => {
          const [g1, g2] = split(run, mask)
          const whole = foldAccounts(run.header, reusedStream(run.ticks))
          const p1 = foldAccounts(run.header, reusedStream(run.ticks), { vmIndices: g1 })
          const p2 = foldAccounts(run.header, reusedStream(run.ticks), { vmIndices: g2 })
          expectSame(everything(run, concatPartial(p1, p2)), everything(run, whole), rel)
          expectSame(everything(run, concatPartial(p2, p1)), everything(run, whole), rel)
          expectSame(
            heatmapCells(run.header, concatPartial(p2, p1), 'slowdown', 'max'),
            heatmapCells(run.header, whole, 'slowdown', 'max'),
            1e-9,
          )
        }),
        { numRuns: RUNS },
      )
    })

    it('split by time and VM group at once, pieces in any order; and tick by tick', () => {
      fc.assert(
        fc.property(runArb(exact), fc.nat(), fc.nat(), fc.nat(), (run, k, mask, perm) => {
          const cut = k % (run.ticks.length + 1)
          const [g1, g2] = split(run, mask)
          const whole = foldAccounts(run.header, reusedStream(run.ticks))
          const pieces = [
            foldAccounts(run.header, reusedStream(run.ticks.slice(0, cut)), { vmIndices: g1 }),
            foldAccounts(run.header, reusedStream(run.ticks.slice(cut)), { vmIndices: g1 }),
            foldAccounts(run.header, reusedStream(run.ticks.slice(0, cut)), { vmIndices: g2 }),
            foldAccounts(run.header, reusedStream(run.ticks.slice(cut)), { vmIndices: g2 }),
          ]
          const order = [0, 1, 2, 3].sort((x, y) => ((perm >> (x * 3)) & 7) - ((perm >> (y * 3)) & 7) || x - y)
          const merged = concatAllPartials(order.map((i) => pieces[i]))
          expectSame(everything(run, merged), everything(run, whole), rel)
          expectSame(everything(run, foldByConcat(run.header, reusedStream(run.ticks))), everything(run, whole), rel)
        }),
        { numRuns: RUNS },
      )
    })
  })
}

describe('heat grids of different widths merge by coarsening', () => {
  it('a piece folded at 1 tick per bucket + a piece at 4 = the whole at 4', () => {
    fc.assert(
      fc.property(runArb(true), fc.nat(), (run, k) => {
        const cut = k % (run.ticks.length + 1)
        const whole = foldAccounts(run.header, reusedStream(run.ticks), { heatmapBucketTicks: 4 })
        const parts = concatPartial(
          foldAccounts(run.header, reusedStream(run.ticks.slice(0, cut)), { heatmapBucketTicks: 1 }),
          foldAccounts(run.header, reusedStream(run.ticks.slice(cut)), { heatmapBucketTicks: 4 }),
        )
        expect(parts.heat.bucketTicks).toBe(4)
        expectSame(parts.heat, whole.heat, 1e-9)
      }),
      { numRuns: RUNS },
    )
  })
})

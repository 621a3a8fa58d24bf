/**
 * A run worked out on paper. Host: 8192 MiB physical, 512 MiB reserve. Three 300-s ticks, three VMs:
 * A runs throughout, B runs at ticks 0-1 and is off at tick 2, C is refused at every tick.
 * (MiB; fields not listed are 0; overhead 64 for each running VM.)
 *
 *  tick state | A: C     D     T     Asg   R     other                        slow | B: C    D    T    Asg  R    other       slow
 *  0    high  |    4096  2048  3072  2560  3072                               1    |    4096 1024 2048 2048 2048             1
 *  1    soft  |    4096  3072  3072  2048  2048  guestPaging 1024            2    |    4096 1024 2048 2048 1536 shared 512  1
 *  2    hard  |    4096  2048  3072  2048  1280  compressedStore 256,         4    |    off
 *             |                                  compressed 1024, swapped 1024,
 *             |                                  hostSwapHit 512, compressedHit 256, swapOut 1024
 *
 * By hand:
 *  sum resident per tick: 5120, 3584, 1280 -> peak 5120 MiB = 5 GiB; mean 9984/3 = 3328 MiB = 3.25 GiB
 *  over-allocation: configured sums 8192, 8192, 4096 over 8192 -> 1
 *  over-commit: touched - shared sums 5120, 3072 + 1536 = 4608, 3072 over 8192 -> 0.625; never above 1
 *  short of memory (unavailable > 0): A at ticks 1 and 2 -> 600 of 1500 running VM-seconds = 0.4;
 *    C refused 3 ticks = 900 s = 0.25 VM-hours; short or refused (600 + 900) / (1500 + 900) = 0.625
 *  demand: sums 3072 + 4096 + 2048 = 9216 MiB = 9 GiB x 300 s = 2700 GiBs = 0.75 GiBh
 *  guest paging: 1 GiB x 300 s = 1/12 GiBh; host swap hit 0.5 GiB -> 1/24; compressed hit 0.25 GiB -> 1/48
 *  shortfall = 4/48 + 2/48 + 1/48 = 7/48 GiBh; swap out 1 GiB; compressed 1 GiB x 300 s = 1/12 GiBh;
 *  swapped 1/12 GiBh; shared saved 0.5 GiB x 300 s = 1/24 GiBh; ballooned 0
 *  states: high, soft, hard one tick each -> 1/3 each; clear and low 0; 'none' left out
 *  pressure (running VM-ticks): A 80, 150, 100; B 50, 50 -> one of five VM-ticks over 100 -> 0.2
 *  slowdown over running VM-time (300 s each): 1, 1, 1, 2, 4
 *    p50: 3/5 of the time at 1 -> 1; p95, p99: the VM-tick at 4 -> 4 to within 1% below (1.01^139);
 *    max 4; mean 9/5 = 1.8; the 80th percentile is the VM-tick at 2
 *  fairness: A satisfied 2048, 3072-1024 = 2048, 2048-512-256 = 1280 -> 5376/7168 = 0.75;
 *    B fully satisfied -> 1; C never ran (excluded). Jain = 1.75^2 / (2 x (0.5625 + 1)) = 3.0625/3.125 = 0.98
 *  VMs: 3 total, 2 admitted (A, B), 1 refused (C, never ran)
 *  resident working set = min(R - compressedStore, D - unavailable):
 *    tick 0: A min(3072, 2048) = 2048, B min(2048, 1024) = 1024 -> 3072; idle private 1024 + 1024 = 2048
 *    tick 1: A min(2048, 2048) = 2048, B min(1536, 1024) = 1024 -> 3072; idle 0 + 512 = 512
 *    tick 2: A min(1024, 1280) = 1024 -> 1024; idle 0 (and compressed store 256, overhead 64)
 */
import { describe, expect, it } from 'vitest'
import {
  finishRun,
  foldAccounts,
  heatmapCells,
  histogramPercentile,
  hostSeriesCsv,
  hostSeriesRows,
  jainIndex,
  slowdownBucket,
  slowdownDistribution,
  summarizeComparison,
  vmSummaries,
  vmSummaryCsv,
  formatFixed,
  partialSink,
  deferredPartialSink,
  SLOWDOWN_BUCKETS,
  SLOWDOWN_EDGES,
} from '../../src/metrics/index.js'
import { accountOf, headerFor, reusedStream, type TickSpec } from './support.js'

const off = { status: 0 }
const refused = { status: 2 }
const ticks: TickSpec[] = [
  {
    tick: 0, time: 1000, seconds: 300, physical: 8192, reserve: 512, free: 2432, state: 1,
    vms: [
      { status: 1, configured: 4096, demand: 2048, touched: 3072, visible: 2560, assigned: 2560, resident: 3072, overhead: 64, slowdown: 1 },
      { status: 1, configured: 4096, demand: 1024, touched: 2048, visible: 2048, assigned: 2048, resident: 2048, overhead: 64, slowdown: 1 },
      refused,
    ],
  },
  {
    tick: 1, time: 1300, seconds: 300, physical: 8192, reserve: 512, free: 3968, state: 3,
    vms: [
      { status: 1, configured: 4096, demand: 3072, touched: 3072, visible: 2048, assigned: 2048, resident: 2048, overhead: 64, guestPaging: 1024, slowdown: 2 },
      { status: 1, configured: 4096, demand: 1024, touched: 2048, visible: 2048, assigned: 2048, resident: 1536, shared: 512, overhead: 64, slowdown: 1 },
      refused,
    ],
  },
  {
    tick: 2, time: 1600, seconds: 300, physical: 8192, reserve: 512, free: 6336, state: 4,
    vms: [
      {
        status: 1, configured: 4096, demand: 2048, touched: 3072, visible: 2048, assigned: 2048, resident: 1280, overhead: 64,
        compressedStore: 256, compressed: 1024, swapped: 1024, hostSwapHit: 512, compressedHit: 256, swapOut: 1024, slowdown: 4,
      },
      off,
      refused,
    ],
  },
]
const header = headerFor(['A', 'B', 'C'], 3)

describe('worked example (numbers from the comment, by hand)', () => {
  const partial = foldAccounts(header, reusedStream(ticks))
  const m = finishRun(header, partial)

  it('memory figures', () => {
    expect(m.hostMemoryGiB).toBe(8)
    expect(m.peakResidentGiB).toBe(5)
    expect(m.meanResidentGiB).toBe(3.25)
    expect(m.overAllocationRatio).toBe(1)
    expect(m.overCommitRatio).toBe(0.625)
    expect(m.overCommitTimeShare).toBe(0)
    expect(m.shortOfMemoryShare).toBe(0.4)
    expect(m.refusedVmHours).toBe(0.25)
    expect(m.shortOrRefusedShare).toBe(0.625)
    expect(m.demandGiBh).toBeCloseTo(0.75, 12)
    expect(m.guestPagingGiBh).toBeCloseTo(1 / 12, 12)
    expect(m.hostSwapGiBh).toBeCloseTo(1 / 24, 12)
    expect(m.compressedHitGiBh).toBeCloseTo(1 / 48, 12)
    expect(m.blockedGiBh).toBe(0)
    expect(m.shortfallGiBh).toBeCloseTo(7 / 48, 12)
    expect(m.hostSwapOutGiB).toBe(1)
    expect(m.compressedGiBh).toBeCloseTo(1 / 12, 12)
    expect(m.swappedGiBh).toBeCloseTo(1 / 12, 12)
    expect(m.sharedSavedGiBh).toBeCloseTo(1 / 24, 12)
    expect(m.balloonedGiBh).toBe(0)
    expect(m.durationHours).toBeCloseTo(0.25, 12)
    expect(m.runningVmHours).toBeCloseTo(5 / 12, 12)
  })

  it('states, pressure, slowdown, fairness, VM counts', () => {
    expect(m.stateShare).toEqual({ high: 1 / 3, clear: 0, soft: 1 / 3, hard: 1 / 3, low: 0 })
    expect(m.pressureOver100Share).toBe(0.2)
    expect(m.slowdownP50).toBe(1)
    for (const p of [m.slowdownP95, m.slowdownP99]) {
      expect(p).toBeLessThanOrEqual(4)
      expect(p).toBeGreaterThan(4 / 1.01)
    }
    expect(m.slowdownP95).toBe(Math.pow(1.01, 139)) // 1.01^139 = 3.98... <= 4 < 1.01^140
    expect(m.slowdownMax).toBe(4)
    expect(m.slowdownMean).toBeCloseTo(1.8, 12)
    expect(m.fairness).toBeCloseTo(0.98, 12)
    expect(m.vmsTotal).toBe(3)
    expect(m.vmsAdmitted).toBe(2)
    expect(m.vmsRefused).toBe(1)
    expect(m.vmsRefusedNeverAdmitted).toBe(1)
    expect(m.error).toBeUndefined()
    expect(finishRun(header, partial, 'broke').error).toBe('broke')
  })

  it('the 80th percentile is the VM-tick at 2 (to within 1% below)', () => {
    const h = new Float64Array(SLOWDOWN_BUCKETS)
    for (const s of [1, 1, 1, 2, 4]) h[slowdownBucket(s)] += 300
    const p80 = histogramPercentile(h, 0.8)
    expect(p80).toBeLessThanOrEqual(2)
    expect(p80).toBeGreaterThan(2 / 1.01)
  })

  it('host series rows (GiB)', () => {
    const rows = hostSeriesRows(header, partial)
    expect(rows.map((r) => r.time)).toEqual([1000, 1300, 1600])
    expect(rows.map((r) => r.residentWorkingSet * 1024)).toEqual([3072, 3072, 1024])
    // idle = private idle + compressed store + overhead: 2048 + 128, 512 + 128, 0 + 256 + 64
    expect(rows.map((r) => r.residentIdle * 1024)).toEqual([2176, 640, 320])
    // working set + idle + reserve + free = physical
    for (const r of rows) expect((r.residentWorkingSet + r.residentIdle + r.free) * 1024 + 512).toBe(8192)
    expect(rows.map((r) => r.state)).toEqual(['high', 'soft', 'hard'])
    expect(rows[1].shortfallGuestPaging).toBe(1)
    expect(rows[2].shortfallHostSwap).toBe(0.5)
    expect(rows[2].shortfallCompressed).toBe(0.25)
    expect(rows[1].sharedAway).toBe(0.5)
    expect(rows.map((r) => r.demand)).toEqual([3, 4, 2])
  })

  it('per-VM summaries', () => {
    const [a, b, c] = vmSummaries(header, partial)
    expect(a.vm).toBe('A')
    expect(a.admitted).toBe(true)
    expect(a.refused).toBe(false)
    expect(a.runningHours).toBeCloseTo(0.25, 12)
    expect(a.peakDemandGiB).toBe(3)
    expect(a.configuredGiB).toBe(4)
    expect(a.meanDemandGiB).toBeCloseTo(7 / 3, 12) // (2 + 3 + 2) / 3 GiB
    expect(a.meanResidentGiB).toBeCloseTo(6400 / 3 / 1024, 12) // (3072 + 2048 + 1280) / 3 MiB
    expect(a.shortfallGiBh).toBeCloseTo(7 / 48, 12)
    expect(a.hostSwapGiBh).toBeCloseTo(1 / 24, 12)
    expect(a.pressureOver100Share).toBeCloseTo(1 / 3, 12)
    expect(a.shortOfMemoryShare).toBeCloseTo(2 / 3, 12)
    expect(b.shortOfMemoryShare).toBe(0)
    expect(c.refusedHours).toBe(0.25)
    expect(a.slowdownP95).toBe(Math.pow(1.01, 139))
    expect(a.slowdownMax).toBe(4)
    expect(a.satisfiedShare).toBe(0.75)
    expect(b.satisfiedShare).toBe(1)
    expect(b.runningHours).toBeCloseTo(600 / 3600, 12)
    expect(b.slowdownMax).toBe(1)
    expect(b.pressureOver100Share).toBe(0)
    expect(c.admitted).toBe(false)
    expect(c.refused).toBe(true)
    expect(c.runningHours).toBe(0)
  })

  it('heatmap cells: one per running VM-bucket (1 tick per bucket here)', () => {
    const slow = heatmapCells(header, partial, 'slowdown', 'mean')
    expect(slow.map((c) => [c.vm, c.bucketStart, c.value])).toEqual([
      ['A', 1000, 1],
      ['A', 1300, 2],
      ['A', 1600, 4],
      ['B', 1000, 1],
      ['B', 1300, 1],
    ])
    const press = heatmapCells(header, partial, 'pressure', 'max')
    expect(press.map((c) => c.value)).toEqual([80, 150, 100, 50, 50])
  })

  it('heatmap buckets of 2 ticks: mean and max over the bucket', () => {
    const p2 = foldAccounts(header, reusedStream(ticks), { heatmapBucketTicks: 2 })
    const mean = heatmapCells(header, p2, 'pressure', 'mean')
    // A: bucket 0 = (80 + 150) / 2 = 115, bucket 1 = 100; B: bucket 0 = 50
    expect(mean.map((c) => [c.vm, c.bucketStart, c.value])).toEqual([
      ['A', 1000, 115],
      ['A', 1600, 100],
      ['B', 1000, 50],
    ])
    const max = heatmapCells(header, p2, 'slowdown', 'max')
    expect(max.map((c) => c.value)).toEqual([2, 4, 1])
  })

  it('slowdown distribution (VM-hours per bucket)', () => {
    const d = slowdownDistribution(partial)
    expect(d).toEqual([
      { lower: 1, upper: 1.01, vmHours: 900 / 3600 },
      { lower: SLOWDOWN_EDGES[69], upper: SLOWDOWN_EDGES[70], vmHours: 300 / 3600 },
      { lower: SLOWDOWN_EDGES[139], upper: SLOWDOWN_EDGES[140], vmHours: 300 / 3600 },
    ])
  })

  it('sinks for the replay give the same partial', () => {
    const s1 = partialSink(header)
    for (const a of reusedStream(ticks)) s1.sink(a)
    expect(s1.result()).toEqual(partial)
    const s2 = deferredPartialSink(3)
    for (const a of reusedStream(ticks)) s2.sink(a)
    expect(s2.result(header)).toEqual(partial)
    expect(() => {
      const s3 = partialSink(header)
      s3.sink(accountOf(ticks[1]))
      s3.sink(accountOf(ticks[0]))
    }).toThrow(RangeError)
  })

  it('copies what it keeps: folding reused arrays equals folding fresh ones', () => {
    const fresh = foldAccounts(header, ticks.map(accountOf))
    expect(fresh).toEqual(partial)
  })

  it('CSV', () => {
    const csv = hostSeriesCsv(partial).split('\n')
    expect(csv[0]).toBe(
      'tick,time,seconds,state,running_vms,physical_mib,reserve_mib,free_mib,resident_mib,resident_ws_mib,resident_idle_mib,' +
        'compressed_store_mib,overhead_mib,configured_mib,demand_mib,touched_mib,assigned_mib,shared_mib,ballooned_mib,' +
        'compressed_mib,swapped_mib,swap_out_mib,shortfall_mib,guest_paging_mib,host_swap_hit_mib,compressed_hit_mib,blocked_mib,' +
        'pressure_over_100_vms,touched_unshared_mib,short_vms',
    )
    expect(csv[3]).toBe(
      '2,1600,300.000,hard,1,8192.000,512.000,6336.000,1280.000,1024.000,0.000,256.000,64.000,4096.000,2048.000,3072.000,' +
        '2048.000,0.000,0.000,1024.000,1024.000,1024.000,768.000,0.000,512.000,256.000,0.000,0,3072.000,1',
    )
    expect(csv.length).toBe(5) // header, 3 rows, trailing newline
    const vmCsv = vmSummaryCsv(vmSummaries(headerFor(['x,"y"', 'B', 'C'], 3), foldAccounts(headerFor(['x,"y"', 'B', 'C'], 3), reusedStream(ticks))))
    expect(vmCsv.split('\n')[1].startsWith('"x,""y""",1,0,0.250000,4.000000,')).toBe(true)
  })
})

describe('small pieces', () => {
  it("Jain's index", () => {
    expect(jainIndex([1, 1, 1])).toBe(1)
    expect(jainIndex([1, 0, 0, 0])).toBe(0.25) // 1 / (4 x 1): one VM of four gets everything
    expect(jainIndex([])).toBe(1)
    expect(jainIndex([0, 0])).toBe(1)
  })

  it('histogram buckets agree with their published edges', () => {
    expect(slowdownBucket(1)).toBe(0)
    expect(slowdownBucket(0)).toBe(0)
    expect(slowdownBucket(NaN)).toBe(0)
    expect(slowdownBucket(1.0099)).toBe(0)
    expect(slowdownBucket(SLOWDOWN_EDGES[1])).toBe(1)
    for (const k of [1, 2, 69, 500, 1388]) {
      expect(slowdownBucket(SLOWDOWN_EDGES[k])).toBe(k)
      expect(slowdownBucket(SLOWDOWN_EDGES[k] * (1 - 1e-15))).toBe(k - 1)
    }
    expect(slowdownBucket(1e9)).toBe(SLOWDOWN_BUCKETS - 1)
    expect(SLOWDOWN_EDGES[SLOWDOWN_BUCKETS - 1]).toBeGreaterThanOrEqual(1e6)
  })

  it('formatFixed', () => {
    expect(formatFixed(1.005, 2)).toBe((1.005).toFixed(2))
    expect(formatFixed(-0, 3)).toBe('0.000')
    expect(formatFixed(-0.0001, 3)).toBe('0.000')
    expect(formatFixed(-1.5, 1)).toBe('-1.5')
    expect(formatFixed(1234567.891, 2)).toBe('1234567.89')
    expect(formatFixed(NaN, 2)).toBe('')
    expect(formatFixed(Infinity, 2)).toBe('inf')
  })

  it('comparison table', () => {
    const m = finishRun(header, foldAccounts(header, reusedStream(ticks)))
    const t = summarizeComparison([
      { label: 'a', metrics: m },
      { metrics: { ...m, policy: 'other', shortfallGiBh: 1, fairness: 0.5 } },
      { metrics: { ...m, policy: 'other', shortfallGiBh: 0, error: 'broke' } },
    ])
    expect(t.rows.map((r) => r.label)).toEqual(['a', 'other', 'other #2'])
    const j = t.columns.findIndex((c) => c.key === 'shortfallGiBh')
    expect(t.rows.map((r) => r.cells[j].text)).toEqual(['0.1', '1.0', '0.0'])
    // the errored run is not a candidate for best
    expect(t.rows.map((r) => r.cells[j].best)).toEqual([true, false, false])
    const f = t.columns.findIndex((c) => c.key === 'fairness')
    expect(t.rows[0].cells[f].text).toBe('0.980')
    const p = t.columns.findIndex((c) => c.key === 'pressureOver100Share')
    expect(t.rows[0].cells[p].text).toBe('20.00')
    expect(t.rows[2].error).toBe('broke')
  })
})

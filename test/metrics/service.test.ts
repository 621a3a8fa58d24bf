/**
 * Over-commitment and the headline service figure, worked by hand (issue 11 item 5, issue 12 item 7).
 *
 * Host: 8192 MiB physical. Two running VMs, P and Q, three 300-s ticks (MiB; fields not listed 0):
 *
 *  tick | P: touched shared  unavailable          | Q: touched shared  unavailable
 *  0    |    6144    2048    0                    |    6144    2048    0
 *  1    |    6144    1024    hostSwapHit 512      |    6144    1024    0
 *  2    |    4096    0       compressedHit 1      |    3072    0       blocked 2048
 *
 *  touched: 12288, 12288, 7168 -> the old touched / physical peaked at 1.5, though tick 0 swaps nothing
 *  touched - shared: 4096 + 4096 = 8192 (ratio 1, not above), 5120 + 5120 = 10240 (1.25, above),
 *    4096 + 3072 = 7168 (0.875) -> overCommitRatio 1.25, overCommitTimeShare 1/3
 *  short (unavailable > 1 KiB and > 1% of the 2048 MiB working set, 20.48 MiB): P at tick 1 (512 in
 *    swap), Q at tick 2 (2048 blocked); P's 1 MiB compressed at tick 2 is under 1%: not short
 *    -> 2 of 6 running VM-ticks: shortOfMemoryShare 1/3; P 1/3, Q 1/3
 *  pressure > 100: none (demand <= assigned throughout): Hyper-V's figure shows 0 where a third of
 *    the VM-time is short of memory.
 *  A third VM R (configured 4096) is refused at every tick: refusedVmHours 0.25,
 *    shortOrRefusedShare = (600 + 900) / (1800 + 900) = 5/9; R's summary shows 4 GiB configured.
 */
import { describe, expect, it } from 'vitest'
import { finishRun, foldAccounts, vmSummaries, vmSummaryCsv } from '../../src/metrics/index.js'
import { finishCluster, refusedPartial } from '../../src/metrics/cluster.js'
import { headerFor, reusedStream, type TickSpec, type VmRow } from './support.js'

const vm = (touched: number, shared: number, extra: Partial<VmRow> = {}): VmRow => ({
  status: 1, configured: 8192, demand: 2048, assigned: 4096, visible: 4096, touched, shared, resident: touched - shared, slowdown: 1, ...extra,
})
const R: VmRow = { status: 2, configured: 4096 }
const tick = (t: number, vms: VmRow[]): TickSpec => ({ tick: t, time: 1000 + 300 * t, seconds: 300, physical: 8192, reserve: 0, free: 0, state: 0, vms })

const ticks: TickSpec[] = [
  tick(0, [vm(6144, 2048), vm(6144, 2048), R]),
  tick(1, [vm(6144, 1024, { hostSwapHit: 512 }), vm(6144, 1024), R]),
  tick(2, [vm(4096, 0, { compressedHit: 1 }), vm(3072, 0, { blocked: 2048 }), R]),
]
const header = headerFor(['P', 'Q', 'R'], 3, { hasStates: false })

describe('over-commitment counts what VMs hold privately, not what sharing saved', () => {
  it('a host that shares but never swaps or compresses reports <= 1', () => {
    const h = headerFor(['P', 'Q'], 1, { hasStates: false })
    const m = finishRun(h, foldAccounts(h, reusedStream([tick(0, [vm(6144, 2048), vm(6144, 2048)])])))
    expect(m.overCommitRatio).toBe(1) // touched / physical would say 1.5
    expect(m.overCommitTimeShare).toBe(0)
    expect(m.overAllocationRatio).toBe(2) // configured 2 x 8192 over 8192: over-allocated, not over-committed
  })

  it('peak and share of time above 1', () => {
    const m = finishRun(header, foldAccounts(header, reusedStream(ticks)))
    expect(m.overCommitRatio).toBe(1.25)
    expect(m.overCommitTimeShare).toBeCloseTo(1 / 3, 15)
  })

  it('in a cluster, a host over-commits on its own: peak over hosts, share of host-time', () => {
    // Host 1 runs P and Q above; host 2 runs one VM at touched 2048 of 8192 throughout.
    const h1 = foldAccounts(headerFor(['P', 'Q', 'R'], 3), reusedStream(ticks), { vmIndices: [0, 1] })
    const two = [0, 1, 2].map((t) => tick(t, [vm(2048, 0)]))
    const h2 = foldAccounts(headerFor(['S'], 3), reusedStream(two))
    const ch = headerFor(['P', 'Q', 'S', 'R'], 3, { hasStates: false, host: { physical: 16384, reserve: 0, vmOverhead: 0 } })
    const { metrics } = finishCluster(ch, [h1, h2], refusedPartial(['R']))
    // cluster-wide (10240 + 2048) / 16384 = 0.75 would hide host 1's 1.25
    expect(metrics.overCommitRatio).toBe(1.25)
    // one tick above 1 of 3 ticks x 2 hosts
    expect(metrics.overCommitTimeShare).toBeCloseTo(1 / 6, 15)
  })
})

describe('short of memory: every cause of missing working set', () => {
  const partial = foldAccounts(header, reusedStream(ticks))
  const m = finishRun(header, partial)

  it('run figures', () => {
    expect(m.shortOfMemoryShare).toBeCloseTo(1 / 3, 15)
    expect(m.pressureOver100Share).toBe(0) // blind to host swap, compression and blocking
    expect(m.refusedVmHours).toBe(0.25)
    expect(m.shortOrRefusedShare).toBeCloseTo(5 / 9, 15)
    expect(m.vmsAdmitted).toBe(2)
    expect(m.vmsRefused).toBe(1)
  })

  it('per-VM figures, and a refused VM shows its configured size', () => {
    const [p, q, r] = vmSummaries(header, partial)
    expect(p.shortOfMemoryShare).toBeCloseTo(1 / 3, 15)
    expect(q.shortOfMemoryShare).toBeCloseTo(1 / 3, 15)
    expect(r.shortOfMemoryShare).toBe(0)
    expect(r.refused).toBe(true)
    expect(r.configuredGiB).toBe(4)
    expect(r.refusedHours).toBe(0.25)
    const csv = vmSummaryCsv([p, q, r]).split('\n')
    expect(csv[0].endsWith(',short_of_memory_share,refused_h')).toBe(true)
    expect(csv[1].endsWith(',0.333333,0.000000')).toBe(true)
    expect(csv[3].endsWith(',0.000000,0.250000')).toBe(true)
  })

  it('rounding below 1 KiB is not a shortage', () => {
    const h = headerFor(['P'], 1, { hasStates: false })
    const m1 = finishRun(h, foldAccounts(h, reusedStream([tick(0, [vm(4096, 0, { hostSwapHit: 1e-9, guestPaging: 1e-9 })])])))
    expect(m1.shortOfMemoryShare).toBe(0)
  })

  it('1% of the working set is the line: 20.48 MiB of a 2048 MiB working set is not short, 20.49 is', () => {
    const h = headerFor(['P'], 1, { hasStates: false })
    const at = (miss: number) => finishRun(h, foldAccounts(h, reusedStream([tick(0, [vm(4096, 0, { compressedHit: miss })])]))).shortOfMemoryShare
    expect(at(20.48)).toBe(0)
    expect(at(20.49)).toBe(1)
  })
})

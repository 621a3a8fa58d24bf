/**
 * The guest and the world from the data (issue 12), each figure worked by hand in its comment:
 * recorded touched memory followed, page cache grown by recorded disk I/O, a warm start without a
 * boot storm, and a host that does not overcommit holding what it assigns.
 */
import { describe, expect, it } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import { replay, formatViolation } from '../../src/engine/replay.js'
import { DEFAULT_WORLD, type WorldParams } from '../../src/engine/world.js'
import type { TickAccount } from '../../src/engine/account.js'
import type { AnyPolicy } from '../../src/engine/policy.js'
import type { VmSettings } from '../../src/spec/settings.js'
import type { Trace } from '../../src/trace/trace.js'
import { overcommitPolicy } from '../../policies/overcommit.js'
import { staticPolicy } from '../../policies/static.js'
import { buildTrace, hostOf, settingsOf } from '../support/build.js'

const COLD: WorldParams = { ...DEFAULT_WORLD, start: 'cold' }
const flat = (x: number, n: number) => Array.from({ length: n }, () => x)

const rows = (policy: AnyPolicy, trace: Trace, host: number, vms: ReadonlyArray<VmSettings>, world: WorldParams = DEFAULT_WORLD): TickAccount[] => {
  const out: TickAccount[] = []
  const res = replay({ trace, host: hostOf(host), vms, policy, params: policy.defaults, seed: 1, checkInvariants: true }, (a) => {
    out.push({ ...a, host: { ...a.host }, status: a.status.slice(), vm: Object.fromEntries(Object.entries(a.vm).map(([k, c]) => [k, c.slice()])) as TickAccount['vm'] })
  }, world)
  if (E.isLeft(res)) throw new Error(formatViolation(res.left))
  return out
}

describe('recorded touched memory', () => {
  it('is followed: two Linux VMs whose touched size equals their working sets (7 GiB) fit an 11 GiB host, nothing ballooned', () => {
    // 3 + 4 GiB touched on 11 GiB (minus no reserve): free 4 GiB, far above every ESX threshold
    // (minFree 11 GiB = 245.76 + 4% x 7 GiB = 532.48): no reclaim at all. The modelled page cache
    // (without the recording) would fill both VMs' 8 GiB in hours and make ESX balloon.
    const n = 576
    const trace = buildTrace([
      { id: 'a', demand: flat(3072, n), configured: 8192, touched: flat(3072, n) },
      { id: 'b', demand: flat(4096, n), configured: 8192, touched: flat(4096, n) },
    ])
    const r = rows(overcommitPolicy, trace, 11264, [settingsOf('a', 8192), settingsOf('b', 8192)])
    expect(r.every((x) => x.vm.touched[0] === 3072 && x.vm.touched[1] === 4096)).toBe(true)
    expect(Math.max(...r.map((x) => x.vm.ballooned[0] + x.vm.ballooned[1]))).toBe(0)
    expect(Math.max(...r.map((x) => x.vm.swapped[0] + x.vm.swapped[1]))).toBe(0)
  })
})

describe('page cache from recorded disk I/O', () => {
  it('grows by what the guest read and wrote, within its room; a VM with no I/O grows none', () => {
    // Linux, 64 GiB, working set 1 GiB, cold start on a roomy host. 'reader' reads 10 MiB/s for an
    // hour (12 ticks of 300 s): 10 x 3600 = 36,000 MiB (35.2 GiB) of cache, within its 63 GiB room.
    // 'quiet' records no reads or writes: its cache stays empty.
    const n = 24
    const reads = Array.from({ length: n }, (_, t) => (t < 12 ? 10 : 0))
    const trace = buildTrace([
      { id: 'reader', demand: flat(1024, n), configured: 65536, diskRead: reads, diskWrite: flat(0, n) },
      { id: 'quiet', demand: flat(1024, n), configured: 65536, diskRead: flat(0, n), diskWrite: flat(0, n) },
    ])
    const r = rows(overcommitPolicy, trace, 262144, [settingsOf('reader', 65536), settingsOf('quiet', 65536)], COLD)
    const last = r[n - 1]
    expect(last.vm.touched[0]).toBeCloseTo(1024 + 36000, 6)
    expect(last.vm.touched[1]).toBeCloseTo(1024, 6)
  })

  it('stops at the guest room: 100 MiB/s for an hour fills a 16 GiB VM to its size, no more', () => {
    const n = 12
    const trace = buildTrace([{ id: 'v', demand: flat(2048, n), configured: 16384, diskWrite: flat(100, n) }])
    const r = rows(overcommitPolicy, trace, 65536, [settingsOf('v', 16384)], COLD)
    expect(r[n - 1].vm.touched[0]).toBeCloseTo(16384, 6)
  })
})

describe('a warm start', () => {
  it('has no boot storm: free memory at tick 0 is physical - reserve - what the VMs hold in steady state', () => {
    // Two Linux VMs of 8 GiB, working set 1 GiB, writing 0.01 MiB/s. Warm: each ran 24 h before the
    // recording, so its cache holds 0.01 x 86,400 = 864 MiB; each 60-s control step adds 0.6 MiB more.
    // Tick 0 averages its five steps: cache 864 + 0.6 x (1 + 2 + 3 + 4 + 5) / 5 = 865.8; touched
    // 1889.8 per VM. Host 32 GiB, reserve 1 GiB, no overhead, no sharing yet (large pages intact:
    // free stays above 400% of minFree): free = 32768 - 1024 - 2 x 1889.8 = 27964.4.
    const n = 4
    const vm = (id: string) => ({ id, demand: flat(1024, n), configured: 8192, diskRead: flat(0, n), diskWrite: flat(0.01, n) })
    const trace = buildTrace([vm('a'), vm('b')])
    const out: TickAccount[] = []
    const res = replay({ trace, host: hostOf(32768, 1024), vms: [settingsOf('a', 8192), settingsOf('b', 8192)], policy: overcommitPolicy, params: overcommitPolicy.defaults, seed: 1, checkInvariants: true }, (a) => {
      out.push({ ...a, host: { ...a.host } })
    })
    expect(E.isRight(res)).toBe(true)
    expect(out[0].host.free).toBeCloseTo(27964.4, 3) // (0.01 is a float32 in the trace)
    // Cold, the same VMs boot with no cache: free = 32768 - 1024 - 2 x (1024 + 1.8) = 29692.4.
    const cold: number[] = []
    replay({ trace, host: hostOf(32768, 1024), vms: [settingsOf('a', 8192), settingsOf('b', 8192)], policy: overcommitPolicy, params: overcommitPolicy.defaults, seed: 1 }, (a) => cold.push(a.host.free), COLD)
    expect(cold[0]).toBeCloseTo(29692.4, 3)
  })
})

describe('a host that does not overcommit holds what it assigns', () => {
  it('a 90 GiB VM (fleet spec above the trace\'s 64 GiB) on a 96 GiB host leaves 6 GiB free', () => {
    // Static holds staticMiB = 92,160 MiB whatever the trace provisioned: resident = assigned = 92,160,
    // free = 98,304 - 92,160 = 6,144. (The old account capped resident at the trace's 65,536 and
    // reported 32 GiB free that the host did not have.)
    const trace = buildTrace([{ id: 'big', demand: flat(4096, 3), configured: 65536 }])
    const r = rows(staticPolicy, trace, 98304, [settingsOf('big', 65536, { staticMiB: 92160, maximumMiB: 92160, limitMiB: 92160 })])
    expect(r[0].vm.resident[0]).toBe(92160)
    expect(r[0].vm.assigned[0]).toBe(92160)
    expect(r[0].host.free).toBe(6144)
  })
})

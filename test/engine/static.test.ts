import { describe, expect, it } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import { replay } from '../../src/engine/replay.js'
import { staticPolicy } from '../../policies/static.js'
import { buildTrace, hostOf, settingsOf } from '../support/build.js'
import { VmStatus, type TickAccount } from '../../src/engine/account.js'

const run = (trace: ReturnType<typeof buildTrace>, host = hostOf(4096), vms = trace.vms.map((v) => settingsOf(v.id, v.configured[v.firstTick]))) => {
  const ticks: Array<{ status: number[]; resident: number[]; free: number; guestPaging: number[]; refusedNow: number }> = []
  const res = replay({ trace, host, vms, policy: staticPolicy, params: staticPolicy.defaults, seed: 1, checkInvariants: true }, (a: TickAccount) =>
    ticks.push({ status: [...a.status], resident: [...a.vm.resident], free: a.host.free, guestPaging: [...a.vm.guestPaging], refusedNow: a.refusedNow }),
  )
  return { res, ticks }
}

describe('static policy', () => {
  it('refuses the VM that does not fit, and admits it once room is free', () => {
    // Host 4096 MiB. a (2048) and b (1024) start at tick 0: 3072 held. c (2048) needs 2048 > 1024 free: refused.
    // b stops after tick 1: 2048 held, c (still powered on) was refused for this power-on and stays refused.
    // d (1024) starts at tick 2: 2048 + 1024 <= 4096: admitted.
    const trace = buildTrace([
      { id: 'a', demand: [500, 500, 500, 500], configured: 2048 },
      { id: 'b', demand: [100, 100, NaN, NaN], configured: 1024 },
      { id: 'c', demand: [300, 300, 300, 300], configured: 2048 },
      { id: 'd', demand: [NaN, NaN, 200, 200], configured: 1024 },
    ])
    const { res, ticks } = run(trace)
    expect(E.isRight(res)).toBe(true)
    expect(ticks[0].status).toEqual([VmStatus.running, VmStatus.running, VmStatus.refused, VmStatus.off])
    expect(ticks[0].refusedNow).toBe(1)
    // Each running VM is backed by its whole size: free = 4096 - 2048 - 1024.
    expect(ticks[0].resident).toEqual([2048, 1024, 0, 0])
    expect(ticks[0].free).toBe(1024)
    expect(ticks[2].status).toEqual([VmStatus.running, VmStatus.off, VmStatus.refused, VmStatus.running])
    expect(ticks[2].free).toBe(1024)
  })

  it('a guest whose working set outgrows its static size pages inside itself', () => {
    // Static size overridden to 1024 while demand is 1500: 476 MiB of working set is paged by the guest.
    const trace = buildTrace([{ id: 'a', demand: [1500], configured: 2048 }])
    const { ticks } = run(trace, hostOf(4096), [settingsOf('a', 2048, { staticMiB: 1024 })])
    expect(ticks[0].guestPaging[0]).toBe(476)
  })
})

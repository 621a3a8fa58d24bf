/**
 * Repairs on a crafted Bitbrains-format folder (test/fixtures/trace/defects): VM crafted-8 is clean and spans
 * ticks 0..20; VM crafted-9 has one of each defect, at a known line (see the comments in the expectations).
 */
import path from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { formatImportReport, formatTraceError, importTrace } from '../../src/trace/import.js'
import type { Trace } from '../../src/trace/trace.js'

const DIR = path.resolve(import.meta.dirname, '../fixtures/trace/defects')
const T0 = 1375308000

const load = async (maxGapSeconds?: number): Promise<Trace> => {
  const result = await importTrace(DIR, { maxGapSeconds })
  if (E.isLeft(result)) throw new Error(result.left.map(formatTraceError).join('\n'))
  return result.right
}

describe('repairs, each counted by kind', () => {
  it('lays both VMs on one 300 s grid from the earliest sample', async () => {
    const trace = await load()
    expect(trace.vms.map((v) => v.id)).toEqual(['crafted-8', 'crafted-9'])
    expect(trace.start).toBe(T0)
    expect(trace.step).toBe(300)
    expect(trace.ticks).toBe(21)
    expect(trace.report.rows).toBe(21 + 14) // the repeated header is not a data row
  })

  it('VM 8 is clean (a jittered timestamp and 1.048576E6 read fine)', async () => {
    const trace = await load()
    const r = trace.report.perVm[0]
    expect(Object.values(r.repairs).every((n) => n === 0)).toBe(true)
    expect(trace.vms[0].configured[3]).toBe(1024)
    expect(trace.vms[0].demand[5]).toBe(105)
  })

  it('VM 9: one of each defect', async () => {
    const trace = await load()
    expect(trace.report.perVm[1].repairs).toEqual({
      repeatedTimestamp: 1, // line 4 (same time as line 3; the first is kept)
      outOfOrderTimestamp: 1, // line 6
      tickCollision: 1, // lines 8 and 9 both snap to tick 6
      allZeroRow: 1, // line 10
      zeroCapacity: 1, // line 11
      usageAboveCapacity: 1, // line 12
      gapHeld: 2 + 4, // ticks 11-12 and 15-18
      gapOff: 0,
      capacityChange: 1, // line 13: 2 GiB -> 4 GiB
      lateStart: 1, // first sample at tick 2
      earlyStop: 1, // last sample at tick 19 of 0..20
      repeatedHeader: 1, // line 7
    })
    expect(trace.report.repairs.repeatedHeader).toBe(1)
    expect(trace.report.notes).toEqual([`${path.join(DIR, 'crafted-9.csv')} line 7: a repeated header line, skipped`])
  })

  it('VM 9: the repaired columns', async () => {
    const vm = (await load()).vms[1]
    expect([...vm.on]).toEqual([0, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0])
    expect(vm.firstTick).toBe(2)
    expect(vm.endTick).toBe(20)
    expect(vm.demand[3]).toBe(210) // the first of the repeated rows, not 999999 KiB
    expect(vm.demand[4]).toBe(220) // sorted into place
    expect(vm.demand[6]).toBe(300) // the later of two samples on tick 6
    expect([vm.demand[7], vm.configured[7]]).toEqual([0, 0]) // off
    expect([vm.demand[8], vm.configured[8]]).toEqual([200, 2048]) // capacity held
    expect([vm.demand[9], vm.configured[9]]).toEqual([2048, 2048]) // clamped
    expect([...vm.configured.subarray(10, 13)]).toEqual([4096, 4096, 4096]) // changed, then held
    expect([...vm.demand.subarray(14, 19)]).toEqual([420, 420, 420, 420, 420]) // held over the gap
    expect(vm.demand[19]).toBe(430)
    expect(vm.image).toBeUndefined()
    expect(vm.touched).toBeUndefined()
  })

  it('a gap longer than maxGap counts as off', async () => {
    const trace = await load(900)
    const r = trace.report.perVm[1].repairs
    expect(r.gapHeld).toBe(2)
    expect(r.gapOff).toBe(4)
    expect(trace.report.maxGapSeconds).toBe(900)
    expect([...trace.vms[1].on.subarray(14, 20)]).toEqual([1, 0, 0, 0, 0, 1])
  })

  it('formats the report for people', async () => {
    const text = formatImportReport((await load()).report)
    expect(text).toContain('VMs: 2')
    expect(text).toContain('time: 2013-07-31T22:00:00Z to 2013-07-31T23:40:00Z')
    expect(text).toContain('grid: step 300 s, 21 ticks')
    expect(text).toContain('rows read: 35')
    expect(text).toMatch(/tickCollision\s+1/)
    expect(text).toContain('VMs with repairs (1 of 2):')
    expect(text).toMatch(/ {4}crafted-9: repeatedTimestamp 1, .*repeatedHeader 1/)
    expect(text).toContain('crafted-9.csv line 7: a repeated header line, skipped')
  })
})

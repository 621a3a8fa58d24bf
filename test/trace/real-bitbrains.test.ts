/**
 * The importer on the real Bitbrains sample (../shared/traces beside the checkout), checked against
 * figures computed here from the raw files by a separate, deliberately naive reader (gunzip the whole
 * file, split lines and fields), not by the importer's machinery.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { gunzipSync } from 'node:zlib'
import * as E from 'fp-ts/lib/Either.js'
import { beforeAll, describe, expect, it } from 'vitest'
import { importTrace } from '../../src/trace/import.js'
import type { Trace } from '../../src/trace/trace.js'

const DIR = path.resolve(import.meta.dirname, '../../..', 'shared/traces/bitbrains-rnd-2013-08')
const START = Date.UTC(2013, 6, 31, 22, 2, 56) / 1000 // README: 2013-07-31 22:02:56 UTC
const END = Date.UTC(2013, 7, 30, 21, 58, 21) / 1000 // README: 2013-08-30 21:58:21 UTC
const STEP = 300
const MAX_GAP = 3600

interface Raw {
  rows: number
  allZeroRaw: number
  repeated: number
  outOfOrder: number
  collisions: number
  allZero: number
  zeroCapacity: number
  aboveCapacity: number
  capacityChanges: number
  gapHeld: number
  first: number
  last: number
}

/** Naive reading of one VM file, then the documented rules applied step by step on plain arrays. */
const rawFigures = (file: string): Raw => {
  const lines = gunzipSync(readFileSync(file)).toString('utf8').split('\n').slice(1).filter((l) => l.trim() !== '')
  const rows = lines.map((l) => l.split(';\t').map(Number))
  const TIME = 0
  const CAP = 5
  const USE = 6
  const allZeroRaw = rows.filter((r) => r.slice(1).every((v) => v === 0)).length
  let outOfOrder = 0
  for (let i = 1; i < rows.length; i++) if (rows[i][TIME] < rows[i - 1][TIME]) outOfOrder++
  // first row per timestamp, in time order
  const byTime = new Map<number, number[]>()
  for (const r of rows) if (!byTime.has(r[TIME])) byTime.set(r[TIME], r)
  const distinct = [...byTime.values()].sort((a, b) => a[TIME] - b[TIME])
  // snap to the grid, the later sample on a tick wins
  const byTick = new Map<number, number[]>()
  let collisions = 0
  for (const r of distinct) {
    const tick = Math.round((r[TIME] - START) / STEP)
    if (byTick.has(tick)) collisions++
    byTick.set(tick, r)
  }
  const kept = [...byTick.entries()].sort((a, b) => a[0] - b[0])
  const off = (r: number[]): boolean => r[USE] === 0 && r[CAP] === 0
  let allZero = 0
  let zeroCapacity = 0
  let aboveCapacity = 0
  let capacityChanges = 0
  let gapHeld = 0
  let good: number | undefined = kept.find(([, r]) => !off(r) && r[CAP] > 0)?.[1][CAP]
  for (let j = 0; j < kept.length; j++) {
    const [tick, r] = kept[j]
    if (j > 0 && !off(kept[j - 1][1])) {
      const missing = tick - kept[j - 1][0] - 1
      if (missing > 0 && missing * STEP <= MAX_GAP) gapHeld += missing
    }
    if (off(r)) {
      allZero++
      continue
    }
    let cap = r[CAP]
    if (cap === 0) {
      zeroCapacity++
      cap = good!
    } else {
      if (cap !== good) capacityChanges++
      good = cap
    }
    if (r[USE] > cap) aboveCapacity++
  }
  return {
    rows: rows.length,
    allZeroRaw,
    repeated: rows.length - byTime.size,
    outOfOrder,
    collisions,
    allZero,
    zeroCapacity,
    aboveCapacity,
    capacityChanges,
    gapHeld,
    first: distinct[0][TIME],
    last: distinct[distinct.length - 1][TIME],
  }
}

describe('importTrace on the real Bitbrains sample', () => {
  let trace: Trace
  const raw = new Map<string, Raw>()

  beforeAll(async () => {
    const result = await importTrace(DIR)
    if (E.isLeft(result)) throw new Error(JSON.stringify(result.left))
    trace = result.right
    for (const f of readdirSync(DIR)) raw.set(f.replace('.csv.gz', ''), rawFigures(path.join(DIR, f)))
  })

  const vm = (id: string) => {
    const v = trace.vms.find((x) => x.id === id)
    const r = trace.report.perVm.find((x) => x.id === id)
    if (v === undefined || r === undefined) throw new Error(`no VM ${id}`)
    return { v, r, raw: raw.get(id)! }
  }

  it('reads 36 VMs on a 300 s grid over the month', () => {
    expect(trace.vms).toHaveLength(36)
    expect(trace.report.format).toBe('bitbrains')
    expect(trace.step).toBe(300)
    expect(trace.start).toBe(START)
    expect(trace.report.firstTime).toBe(START)
    expect(trace.report.lastTime).toBe(END)
    expect(trace.ticks).toBe(Math.round((END - START) / 300) + 1)
    expect(trace.ticks).toBe(8640)
    expect(trace.report.rows).toBe([...raw.values()].reduce((s, r) => s + r.rows, 0))
    expect(trace.report.rows).toBe(328_300 - 36) // README: 328,300 lines with the headers
    expect(trace.report.maxGapSeconds).toBe(3600)
  })

  it('converts KiB to MiB (VM 5: 2 GiB configured)', () => {
    const { v } = vm('5')
    expect(v.configured[v.firstTick]).toBe(2048)
  })

  it('agrees with the independent figures, VM by VM', () => {
    for (const r of trace.report.perVm) {
      const x = raw.get(r.id)!
      const got = r.repairs
      expect({ id: r.id, rows: r.rows, first: r.firstTime, last: r.lastTime }).toEqual({ id: r.id, rows: x.rows, first: x.first, last: x.last })
      expect({
        id: r.id,
        repeatedTimestamp: got.repeatedTimestamp,
        outOfOrderTimestamp: got.outOfOrderTimestamp,
        tickCollision: got.tickCollision,
        allZeroRow: got.allZeroRow,
        zeroCapacity: got.zeroCapacity,
        usageAboveCapacity: got.usageAboveCapacity,
        capacityChange: got.capacityChange,
        gapHeld: got.gapHeld,
      }).toEqual({
        id: r.id,
        repeatedTimestamp: x.repeated,
        outOfOrderTimestamp: x.outOfOrder,
        tickCollision: x.collisions,
        allZeroRow: x.allZero,
        zeroCapacity: x.zeroCapacity,
        usageAboveCapacity: x.aboveCapacity,
        capacityChange: x.capacityChanges,
        gapHeld: x.gapHeld,
      })
    }
  })

  it('VM 20: off for most of the month, rows of zeros repeated three times per 5 minutes', () => {
    const { v, r, raw: x } = vm('20')
    expect(x.allZeroRaw).toBe(25_555) // raw rows of all zeros, duplicates included
    expect(r.repairs.repeatedTimestamp).toBe(8600)
    expect(r.repairs.allZeroRow).toBe(x.allZero)
    expect(r.repairs.allZeroRow).toBe(8523) // one per tick once duplicates and 1-s twins are dropped
    expect(r.repairs.earlyStop).toBe(1)
    expect(v.endTick).toBeLessThan(200)
    expect(v.on.subarray(v.endTick).every((b) => b === 0)).toBe(true)
  })

  it('VM 312: usage above capacity, clamped', () => {
    const { v, r, raw: x } = vm('312')
    expect(r.repairs.usageAboveCapacity).toBe(x.aboveCapacity)
    expect(r.repairs.usageAboveCapacity).toBe(7)
    for (let t = 0; t < trace.ticks; t++) expect(v.demand[t]).toBeLessThanOrEqual(v.configured[t])
  })

  it('VM 446: starts on 2013-08-15', () => {
    const { v, r, raw: x } = vm('446')
    expect(new Date(r.firstTime * 1000).toISOString().slice(0, 10)).toBe('2013-08-15')
    expect(r.firstTime).toBe(x.first)
    expect(r.repairs.lateStart).toBe(1)
    expect(v.firstTick).toBe(Math.round((x.first - START) / 300))
    expect(v.on.subarray(0, v.firstTick).every((b) => b === 0)).toBe(true)
    expect(v.demand[v.firstTick - 1]).toBe(0)
  })

  it('VMs 54 and 122: their zero-capacity rows are rows of zeros at the start of the month (off, then a late start)', () => {
    for (const [id, zeros] of [['54', 1837], ['122', 2165]] as const) {
      const { v, r, raw: x } = vm(id)
      expect(r.repairs.allZeroRow).toBe(x.allZero)
      expect(r.repairs.allZeroRow).toBe(zeros)
      expect(r.repairs.zeroCapacity).toBe(0) // no row has zero capacity with usage: nothing to hold
      expect(r.repairs.lateStart).toBe(1)
      expect(v.firstTick).toBeGreaterThan(zeros - 10)
    }
  })

  it('VM 265: zero capacity with usage for the last week, held from the last good capacity', () => {
    const { v, r, raw: x } = vm('265')
    expect(r.repairs.zeroCapacity).toBe(x.zeroCapacity)
    expect(r.repairs.zeroCapacity).toBe(2467)
    expect(v.configured[trace.ticks - 1]).toBe(8192) // 8388608 KiB held
    expect(v.on[trace.ticks - 1]).toBe(1)
  })

  it('VMs 61, 211, 500: capacity changes kept as a series and counted', () => {
    for (const [id, n] of [['61', 304], ['211', 148], ['500', 558]] as const) {
      const { v, r, raw: x } = vm(id)
      expect(r.repairs.capacityChange).toBe(x.capacityChanges)
      expect(r.repairs.capacityChange).toBe(n)
      const distinct = new Set(v.configured.subarray(v.firstTick, v.endTick))
      expect(distinct.size).toBeGreaterThan(10)
    }
  })

  it('reads disk read and write throughput (KB/s = KiB/s) as MiB/s for every VM, 0 where off', () => {
    expect(trace.report.recorded).toEqual({ touched: 0, diskRead: 36, diskWrite: 36 })
    // 10.csv.gz's first row: "Disk read throughput [KB/s]" 4.866666666666666, write 15.066666666666666
    const { v } = vm('10')
    expect(v.firstTick).toBe(0)
    expect(v.diskRead![0]).toBe(Math.fround(4.866666666666666 / 1024))
    expect(v.diskWrite![0]).toBe(Math.fround(15.066666666666666 / 1024))
    for (const x of trace.vms)
      for (let t = 0; t < trace.ticks; t++) {
        const ok = x.diskRead![t] >= 0 && x.diskWrite![t] >= 0 && (x.on[t] === 1 || (x.diskRead![t] === 0 && x.diskWrite![t] === 0))
        if (!ok) throw new Error(`VM ${x.id} tick ${t}: read ${x.diskRead![t]} write ${x.diskWrite![t]} on ${x.on[t]}`)
      }
  })

  it('totals are the sums over VMs', () => {
    const sum = (k: keyof Trace['report']['repairs']) => trace.report.perVm.reduce((s, r) => s + r.repairs[k], 0)
    for (const k of Object.keys(trace.report.repairs) as Array<keyof Trace['report']['repairs']>)
      expect(trace.report.repairs[k]).toBe(sum(k))
  })
})

/**
 * Round trips: Trace -> canonical CSV -> import gives the same columns; a foreign CSV in KiB/GiB and
 * milliseconds (or ISO-8601), read through a column map, gives the same MiB and seconds.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { canonicalRows, float32String, writeCanonicalCsv } from '../../src/trace/canonical.js'
import { parseColumnMap } from '../../src/trace/column-map.js'
import { emptyImportReport } from '../../src/trace/import-report.js'
import { formatTraceError, importTrace } from '../../src/trace/import.js'
import type { Trace, VmTrace } from '../../src/trace/trace.js'

const tmp = mkdtempSync(path.join(tmpdir(), 'memreplay-roundtrip-'))

interface VmSpec {
  id: string
  image?: string
  os?: 'windows' | 'linux'
  on: number[]
  demand: number[]
  configured: number[]
  touched?: number[]
  diskRead?: number[]
  diskWrite?: number[]
}

const lifetime = (on: ArrayLike<number>): [number, number] => {
  let first = 0
  while (first < on.length && on[first] === 0) first++
  let end = on.length
  while (end > first && on[end - 1] === 0) end--
  return first === on.length ? [0, 0] : [first, end]
}

const makeTrace = (start: number, step: number, specs: VmSpec[]): Trace => {
  const ticks = specs[0].on.length
  const vms: VmTrace[] = specs.map((s) => {
    const on = Uint8Array.from(s.on)
    const zeroOff = (xs: number[]) => Float32Array.from(xs, (x, t) => (on[t] === 1 ? x : 0))
    const [firstTick, endTick] = lifetime(on)
    return {
      id: s.id,
      image: s.image,
      os: s.os,
      on,
      demand: zeroOff(s.demand),
      configured: zeroOff(s.configured),
      touched: s.touched === undefined ? undefined : zeroOff(s.touched),
      diskRead: s.diskRead === undefined ? undefined : zeroOff(s.diskRead),
      diskWrite: s.diskWrite === undefined ? undefined : zeroOff(s.diskWrite),
      firstTick,
      endTick,
    }
  })
  return {
    name: 'hand-made',
    start,
    step,
    ticks,
    vms,
    report: emptyImportReport('hand-made', vms.length, start, step, ticks),
  }
}

const columnsOf = (trace: Trace) => ({
  start: trace.start,
  step: trace.step,
  ticks: trace.ticks,
  vms: trace.vms.map((v) => ({
    id: v.id,
    image: v.image,
    os: v.os,
    on: [...v.on],
    demand: [...v.demand],
    configured: [...v.configured],
    touched: v.touched === undefined ? undefined : [...v.touched],
    diskRead: v.diskRead === undefined ? undefined : [...v.diskRead],
    diskWrite: v.diskWrite === undefined ? undefined : [...v.diskWrite],
    firstTick: v.firstTick,
    endTick: v.endTick,
  })),
})

const reimport = async (trace: Trace, file: string): Promise<Trace> => {
  await writeCanonicalCsv(trace, file)
  const result = await importTrace(file)
  if (E.isLeft(result)) throw new Error(result.left.map(formatTraceError).join('\n'))
  return result.right
}

const sample = makeTrace(1_700_000_000, 300, [
  // on from the start, off for two ticks in the middle, a capacity change
  { id: 'web-1', image: 'win2019', os: 'windows', on: [1, 1, 0, 0, 1, 1, 1, 1], demand: [100.25, 120.5, 0, 0, 130, 140.125, 150.3, 99.9], configured: [2048, 2048, 0, 0, 4096, 4096, 4096, 4096], touched: [1000, 1100, 0, 0, 1200, 1300, 1400, 1500], diskRead: [0, 0.5, 0, 0, 12.25, 0, 0.0048, 3], diskWrite: [0.01, 0.02, 0, 0, 1, 2, 0, 0.3] },
  // a late start and an early stop, no touched column recorded, a name needing quotes
  { id: 'db, "primary"', image: 'ubuntu-22', os: 'linux', on: [0, 0, 1, 1, 1, 0, 0, 0], demand: [0, 0, 1.5, 2.75, 3.1, 0, 0, 0], configured: [0, 0, 512, 512, 512, 0, 0, 0] },
  // never on
  { id: 'idle', on: [0, 0, 0, 0, 0, 0, 0, 0], demand: [0, 0, 0, 0, 0, 0, 0, 0], configured: [0, 0, 0, 0, 0, 0, 0, 0] },
])

describe('canonical CSV', () => {
  it('has the documented header and one row per VM per tick', () => {
    const rows = [...canonicalRows(sample)]
    expect(rows[0]).toBe('time,vm,demand_mib,configured_mib,touched_mib,image,os,disk_read_mibps,disk_write_mibps')
    expect(rows).toHaveLength(1 + 3 * 8)
    expect(rows[1]).toBe('1700000000,web-1,100.25,2048,1000,win2019,windows,0,0.01')
    expect(rows[2]).toBe('1700000000,"db, ""primary""",0,0,,ubuntu-22,linux,,')
    expect(rows[3]).toBe('1700000000,idle,0,0,,,,,')
  })

  it('prints float32 values in their shortest exact form', () => {
    for (const v of [150.3, 99.9, 0.1, 1e-7, 123456.789, 3.4e38]) {
      const f = Math.fround(v)
      expect(Math.fround(Number(float32String(f)))).toBe(f)
    }
    expect(float32String(Math.fround(150.3))).toBe('150.3')
  })

  it('round-trips: Trace -> CSV -> import gives the same columns', async () => {
    const back = await reimport(sample, path.join(tmp, 'sample.csv'))
    expect(back.report.format).toBe('canonical')
    expect(columnsOf(back)).toEqual(columnsOf(sample))
    expect(back.report.repairs.lateStart).toBe(1)
    expect(back.report.repairs.earlyStop).toBe(1)
    expect(back.report.repairs.capacityChange).toBe(1)
    expect(back.report.recorded).toEqual({ touched: 1, diskRead: 1, diskWrite: 1 })
  })

  it('round-trips through gzip', async () => {
    const back = await reimport(sample, path.join(tmp, 'sample.csv.gz'))
    expect(columnsOf(back)).toEqual(columnsOf(sample))
  })

  it('round-trips random traces', async () => {
    const vmArb = (ticks: number) =>
      fc.record({
        on: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: ticks, maxLength: ticks }),
        configured: fc.array(fc.constantFrom(512, 1024, 4096, 16384), { minLength: ticks, maxLength: ticks }),
        share: fc.array(fc.float({ min: 0, max: 1, noNaN: true }), { minLength: ticks, maxLength: ticks }),
      })
    const traceArb = fc.integer({ min: 2, max: 40 }).chain((ticks) =>
      fc.record({ step: fc.constantFrom(60, 300, 3600), vms: fc.array(vmArb(ticks), { minLength: 1, maxLength: 5 }) }),
    )
    let n = 0
    await fc.assert(
      fc.asyncProperty(traceArb, async ({ step, vms }) => {
        const trace = makeTrace(
          1_600_000_000,
          step,
          vms.map((v, i) => ({
            id: `vm-${i}`,
            on: v.on,
            configured: v.configured,
            demand: v.share.map((s, t) => Math.fround(s * v.configured[t])),
          })),
        )
        // a grid is only recoverable when some VM has a row at each end; canonicalRows writes every tick
        const back = await reimport(trace, path.join(tmp, `random-${n++}.csv`))
        expect(columnsOf(back)).toEqual(columnsOf(trace))
      }),
      { numRuns: 40 },
    )
  })
})

describe('column-mapped import', () => {
  it('KiB, GiB and milliseconds come back as the same MiB and seconds', async () => {
    const file = path.join(tmp, 'vcenter.csv')
    const t0 = 1_700_000_000
    const rows = ['ts;name;mem_used_kb;mem_total;guest']
    for (let k = 0; k < 6; k++) {
      rows.push(`${(t0 + k * 300) * 1000};app-1;${(100 + k) * 1024};4;Microsoft Windows Server 2019 (64-bit)`)
      rows.push(`${(t0 + k * 300) * 1000};app-2;${(50 + k * 0.5) * 1024};0.5;Ubuntu Linux (64-bit)`)
    }
    writeFileSync(file, rows.join('\n') + '\n')
    const map = parseColumnMap('time=ts:ms, vm=name, demand=mem_used_kb:KiB, configured=mem_total:GiB, os=guest')
    if (E.isLeft(map)) throw new Error('bad map')
    const result = await importTrace(file, { map: map.right })
    if (E.isLeft(result)) throw new Error(result.left.map(formatTraceError).join('\n'))
    const trace = result.right
    expect(trace.report.format).toBe('mapped')
    expect([trace.start, trace.step, trace.ticks]).toEqual([t0, 300, 6])
    expect(trace.vms.map((v) => [v.id, v.os])).toEqual([
      ['app-1', 'windows'],
      ['app-2', 'linux'],
    ])
    expect([...trace.vms[0].demand]).toEqual([100, 101, 102, 103, 104, 105])
    expect([...trace.vms[0].configured]).toEqual([4096, 4096, 4096, 4096, 4096, 4096])
    expect([...trace.vms[1].demand]).toEqual([50, 50.5, 51, 51.5, 52, 52.5])
    expect(trace.vms[1].configured[0]).toBe(512)
  })

  it('ISO-8601 times (UTC unless an offset is named), a tab separator, one VM per file without a vm column', async () => {
    const dir = mkdtempSync(path.join(tmp, 'prom-'))
    writeFileSync(
      path.join(dir, 'node-a.csv'),
      'when\tused_bytes\tlimit_mib\n2024-03-01T00:00:00Z\t1048576\t1024\n2024-03-01 00:05:00\t2097152\t1024\n2024-03-01T01:10:00+01:00\t3145728\t1024\n',
    )
    const map = parseColumnMap('time=when:iso, demand=used_bytes:B, configured=limit_mib')
    if (E.isLeft(map)) throw new Error('bad map')
    const result = await importTrace(dir, { map: map.right })
    if (E.isLeft(result)) throw new Error(result.left.map(formatTraceError).join('\n'))
    const trace = result.right
    expect(trace.start).toBe(Date.UTC(2024, 2, 1) / 1000)
    expect(trace.step).toBe(300)
    expect(trace.vms[0].id).toBe('node-a')
    expect([...trace.vms[0].demand]).toEqual([1, 2, 3])
  })

  it('disk throughput in KiB/s (or KBps, MiB/s) comes back as MiB/s; a gap holds it like the other columns', async () => {
    const file = path.join(tmp, 'disk.csv')
    // 1200 s is missing: held from 900 s
    writeFileSync(file, 'ts,name,used,total,rd,wr\n0,a,1,4,1024,0\n300,a,1,4,0,2048\n600,a,1,4,512,10\n900,a,1,4,0,3072\n1500,a,1,4,0,0\n')
    const map = parseColumnMap('time=ts, vm=name, demand=used:GiB, configured=total:GiB, disk_read=rd:KiB/s, disk_write=wr:KBps')
    if (E.isLeft(map)) throw new Error('bad map')
    const result = await importTrace(file, { map: map.right })
    if (E.isLeft(result)) throw new Error(result.left.map(formatTraceError).join('\n'))
    const vm = result.right.vms[0]
    expect([...vm.diskRead!]).toEqual([1, 0, 0.5, 0, 0, 0])
    expect([...vm.diskWrite!]).toEqual([0, 2, Math.fround(10 / 1024), 3, 3, 0])
    expect(result.right.report.repairs.gapHeld).toBe(1)
    expect(result.right.report.recorded).toEqual({ touched: 0, diskRead: 1, diskWrite: 1 })
    const plain = parseColumnMap('time=ts, vm=name, demand=used, configured=total, disk_read=rd')
    if (E.isLeft(plain)) throw new Error('bad map')
    const mib = await importTrace(file, { map: plain.right })
    expect(E.isRight(mib) && mib.right.vms[0].diskRead![0]).toBe(1024) // no unit: MiB/s, as sizes are MiB
  })

  it('a bad throughput value or unit is an error naming file, line and column', async () => {
    const file = path.join(tmp, 'bad-disk.csv')
    writeFileSync(file, 'ts,name,used,total,rd\n0,a,1,4,1\n300,a,1,4,-3\n600,a,1,4,NaN\n900,a,1,4,fast\n')
    const map = parseColumnMap('time=ts, vm=name, demand=used, configured=total, disk_read=rd:KiB')
    if (E.isLeft(map)) throw new Error('bad map')
    const result = await importTrace(file, { map: map.right })
    expect(E.isLeft(result) && result.left.map(formatTraceError)).toEqual([
      `${file} line 3, column "rd": expected a non-negative throughput, found "-3"`,
      `${file} line 4, column "rd": expected a non-negative throughput, found "NaN"`,
      `${file} line 5, column "rd": expected a non-negative throughput, found "fast"`,
    ])
    expect(parseColumnMap('time=ts, demand=a, configured=b, disk_read=rd:KiB/min')).toEqual(
      E.left([expect.objectContaining({ column: 'disk_read', expected: expect.stringMatching(/size unit per second/) })]),
    )
    expect(E.isLeft(parseColumnMap('time=ts, demand=a:constructor, configured=b'))).toBe(true)
  })

  it('disk throughput on some rows of a VM only is an error naming the VM', async () => {
    const file = path.join(tmp, 'some-disk.csv')
    writeFileSync(file, 'time,vm,demand_mib,configured_mib,disk_read_mibps\n0,a,1,4,1\n300,a,1,4,\n')
    const result = await importTrace(file)
    expect(E.isLeft(result) && result.left.map(formatTraceError)).toEqual([
      `${file}, column "disk_read": expected disk read throughput on every row of VM "a" or on none, found it on 1 of 2 rows`,
    ])
  })

  it('names the mapped column in errors', async () => {
    const file = path.join(tmp, 'bad-mapped.csv')
    writeFileSync(file, 'ts,name,used,total\n1000,a,12,64\n1300,a,lots,64\n')
    const map = parseColumnMap('time=ts, vm=name, demand=used:GiB, configured=total:GiB')
    if (E.isLeft(map)) throw new Error('bad map')
    const result = await importTrace(file, { map: map.right })
    expect(E.isLeft(result) && result.left.map(formatTraceError)).toEqual([
      `${file} line 3, column "used": expected a non-negative number, found "lots"`,
    ])
  })

  it('a map naming a column the file lacks', async () => {
    const file = path.join(tmp, 'lacks.csv')
    writeFileSync(file, 'ts,used\n1000,12\n')
    const map = parseColumnMap('time=ts, demand=used, configured=total')
    if (E.isLeft(map)) throw new Error('bad map')
    const result = await importTrace(file, { map: map.right })
    expect(E.isLeft(result) && result.left.map((e) => [e.line, e.column])).toEqual([[1, 'total']])
  })
})

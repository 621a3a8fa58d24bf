/**
 * Fuzzing the importers (issue 13): random bytes, and random CSV shapes around the three formats
 * (Bitbrains, canonical, mapped), plain or gzipped, one file or a folder. Whatever the input, the
 * import resolves to a trace or to structural errors that name the file (never a throw, a rejection
 * or a hang), and a bounded input gives a bounded trace: with small limits, a trace never exceeds
 * them, and the heap stays small over the whole run. Seeded (fast-check's default seed is reported
 * on failure) and quick: a few seconds.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import * as E from 'fp-ts/lib/Either.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseColumnMap } from '../../src/trace/column-map.js'
import { formatTraceError, importTrace, type ImportOptions } from '../../src/trace/import.js'

const root = mkdtempSync(path.join(tmpdir(), 'memreplay-fuzz-'))
let n = 0

/** Small limits: what a fuzzed input can make is bounded by these, and checked against them. */
const LIMITS = { maxTicks: 20_000, maxVmTicks: 200_000, maxRows: 5_000, maxFileBytes: 1 << 20 }

const MAP = parseColumnMap('time=ts:auto, vm=name, demand=used:KiB, configured=total:KiB, disk_read=rd:KiB/s, os=guest')
if (E.isLeft(MAP)) throw new Error('bad map')

/** Import `files` (one file, or a folder of them) and check the contract; returns what was made. */
const check = async (files: ReadonlyArray<readonly [string, Uint8Array]>, options: ImportOptions): Promise<void> => {
  const dir = path.join(root, `run-${++n}`)
  mkdirSync(dir)
  for (const [name, bytes] of files) writeFileSync(path.join(dir, name), bytes)
  const target = files.length === 1 ? path.join(dir, files[0][0]) : dir
  const result = await importTrace(target, { ...options, limits: LIMITS })
  if (E.isLeft(result)) {
    expect(result.left.length).toBeGreaterThan(0)
    for (const e of result.left) {
      // every error names the file (inside the folder) it is about
      expect(e.file.startsWith(target), `${formatTraceError(e)} names ${target}`).toBe(true)
      expect(typeof formatTraceError(e)).toBe('string')
      expect(e.expected.length).toBeGreaterThan(0)
    }
    return
  }
  const t = result.right
  expect(t.ticks).toBeGreaterThanOrEqual(1)
  expect(t.ticks).toBeLessThanOrEqual(LIMITS.maxTicks)
  expect(t.ticks * t.vms.length).toBeLessThanOrEqual(LIMITS.maxVmTicks)
  expect(t.report.rows).toBeLessThanOrEqual(LIMITS.maxRows)
  for (const vm of t.vms) {
    expect(vm.demand.length).toBe(t.ticks)
    for (let i = 0; i < t.ticks; i++)
      if (!(vm.demand[i] <= vm.configured[i] && vm.demand[i] >= 0 && Number.isFinite(vm.configured[i])))
        throw new Error(`VM ${vm.id} tick ${i}: demand ${vm.demand[i]} configured ${vm.configured[i]}`)
  }
}

/** Fields that have broken importers: numbers of every shape, quotes, separators, units, text. */
const token = fc.oneof(
  fc.constantFrom(
    '', ' ', '0', '1', '300', '1375308176', '1375308176000', '2097152.0', '1e39', '1e-7', '-1', '+5', '0x10', '0b11', '.5', '5.', 'NaN',
    'Infinity', '1e400', '"', '""', '"a,b"', '"unclosed', 'a;\tb', '\t', ';', ',', '\r', 'windows', 'Ubuntu', 'solaris', '2024-03-01T00:05:00Z',
    '2024-13-45 99:99', 'vm\ufffd', 'Timestamp [ms]', 'demand_mib', '\u00e9t\u00e9', '__proto__', 'constructor',
  ),
  fc.integer({ min: 0, max: 2 ** 40 }).map(String),
  fc.double({ noNaN: true }).map(String),
  fc.string({ maxLength: 8 }),
)

const BITBRAINS_HEADER = ['Timestamp [ms]', 'CPU cores', 'Memory capacity provisioned [KB]', 'Memory usage [KB]', 'Disk read throughput [KB/s]', 'Disk write throughput [KB/s]']
const CANONICAL_HEADER = ['time', 'vm', 'demand_mib', 'configured_mib', 'touched_mib', 'image', 'os', 'disk_read_mibps', 'disk_write_mibps']
const MAPPED_HEADER = ['ts', 'name', 'used', 'total', 'rd', 'guest']

/** Mostly `usual`, sometimes `rare`: a fuzzer that breaks every row only ever tests the first error. */
const mostly = <T,>(usual: fc.Arbitrary<T>, rare: fc.Arbitrary<T>, odds = 9): fc.Arbitrary<T> =>
  fc.oneof({ weight: odds, arbitrary: usual }, { weight: 1, arbitrary: rare })

/** A plausible row for a header (times near each other), now and then a field swapped for a token. */
const rowFor = (header: ReadonlyArray<string>) =>
  fc
    .record({
      t: fc.integer({ min: 1_375_000_000, max: 1_375_000_000 + 86_400 }),
      vm: fc.constantFrom('a', 'b', 'c'),
      size: fc.integer({ min: 0, max: 4_194_304 }),
      broken: mostly<ReadonlyArray<[number, string]>>(fc.constant([]), fc.array(fc.tuple(fc.nat({ max: header.length + 1 }), token), { minLength: 1, maxLength: 2 }), 60),
      extra: mostly(fc.constant(0), fc.constantFrom(-1, 1), 100),
    })
    .map(({ t, vm, size, broken, extra }) => {
      const fields = header.map((h) =>
        /time|ts|Timestamp/i.test(h) ? String(t) : h === 'vm' || h === 'name' ? vm : h === 'os' || h === 'guest' ? 'linux' : h === 'image' ? 'img' : /disk|rd|throughput/i.test(h) ? String(size % 1000) : String(size),
      )
      for (const [i, v] of broken) fields[i % fields.length] = v
      if (extra > 0) fields.push('x')
      if (extra < 0) fields.pop()
      return fields
    })

const FORMATS = {
  bitbrains: { required: BITBRAINS_HEADER.filter((h) => /Timestamp|Memory/.test(h)), optional: BITBRAINS_HEADER.filter((h) => !/Timestamp|Memory/.test(h)) },
  canonical: { required: CANONICAL_HEADER.slice(0, 4), optional: CANONICAL_HEADER.slice(4) },
  // the map names rd and guest: a file without them is an error each time, so they are required here
  mapped: { required: MAPPED_HEADER, optional: [] },
} as const

const csvFile = (kind: keyof typeof FORMATS) => fc
  .record({
    kind: fc.constant(kind),
    sep: fc.constantFrom(',', ';', '\t'),
    eol: mostly(fc.constantFrom('\n', '\r\n'), fc.constant('\r'), 20),
    bom: fc.boolean(),
    gzip: fc.boolean(),
    truncate: mostly(fc.constant(undefined), fc.nat({ max: 4000 }), 15),
    dropRequired: mostly(fc.constant(-1), fc.nat({ max: 3 }), 20),
  })
  .chain((shape) => {
    const f = FORMATS[shape.kind]
    const sep = shape.kind === 'bitbrains' ? ';\t' : shape.sep
    return fc
      .record({ optional: fc.subarray([...f.optional] as string[]), order: fc.boolean() })
      .chain(({ optional, order }) => {
        const required: string[] = f.required.filter((_, i) => i !== shape.dropRequired)
        const header = order ? [...required, ...optional] : [...optional, ...required]
        return fc.record({
          shape: fc.constant({ ...shape, sep }),
          header: fc.constant(header),
          rows: fc.array(rowFor(header), { minLength: 1, maxLength: 40 }),
          repeatHeaderAt: mostly(fc.constant(undefined), fc.nat({ max: 40 }), 15),
        })
      })
  })
  .map(({ shape, header, rows, repeatHeaderAt }) => {
    const lines = [header.join(shape.sep), ...rows.map((r) => r.join(shape.sep))]
    if (repeatHeaderAt !== undefined) lines.splice(Math.min(lines.length, repeatHeaderAt + 1), 0, lines[0])
    let bytes: Uint8Array = Buffer.from((shape.bom ? '\ufeff' : '') + lines.join(shape.eol) + shape.eol)
    if (shape.gzip) bytes = gzipSync(bytes)
    if (shape.truncate !== undefined) bytes = bytes.subarray(0, shape.truncate)
    return { kind: shape.kind, name: `${shape.kind === 'bitbrains' ? '7' : 'trace'}.csv${shape.gzip ? '.gz' : ''}`, bytes }
  })

const optionsFor = (kind: string): ImportOptions => (kind === 'mapped' ? { map: (MAP as E.Right<never>).right } : {})

describe('importer fuzzing', () => {
  it('random bytes: a trace or errors naming the file, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), fc.boolean(), fc.constantFrom('x.csv', 'x.csv.gz'), async (bytes, gzip, name) => {
        await check([[name, gzip ? gzipSync(bytes) : bytes]], {})
      }),
      { numRuns: 150 },
    )
  })

  it('random CSV shapes of the three formats, one file or a folder, plain or gzipped (possibly cut short)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('bitbrains', 'canonical', 'mapped').chain((kind) => fc.array(csvFile(kind as keyof typeof FORMATS), { minLength: 1, maxLength: 3 })),
        async (files) => {
          const named = files.map((f, i) => [files.length === 1 ? f.name : `${i}-${f.name}`, f.bytes] as const)
          await check(named, optionsFor(files[0].kind))
        },
      ),
      { numRuns: 250 },
    )
  })

  it('a bounded input keeps a bounded heap: thousands of rows and stray far-off times stay well under 100 MB', async () => {
    const before = process.memoryUsage().heapUsed
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1_000_000_000, max: 7_000_000_000 }), async (vms, far) => {
        const lines = ['time,vm,demand_mib,configured_mib']
        for (let t = 0; t < 400; t++) for (let v = 0; v < vms; v++) lines.push(`${1_375_000_000 + t * 300},vm-${v},1,2`)
        lines.push(`${far},vm-0,1,2`) // a stray row: the grid limit must refuse it, not allocate it
        await check([['t.csv', Buffer.from(lines.join('\n') + '\n')]], {})
      }),
      { numRuns: 30 },
    )
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(100 * 2 ** 20)
  })
})

/**
 * Structural defects are errors, never repaired: each names the file, the line (and column), what was
 * expected and what was found. Fixtures are small crafted files in test/fixtures/trace; gzip defects
 * are generated into a temp dir.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { type ImportOptions, type TraceError, formatTraceError, importTrace } from '../../src/trace/import.js'

const FIX = path.resolve(import.meta.dirname, '../fixtures/trace')
const fixture = (name: string): string => path.join(FIX, name)
const tmp = mkdtempSync(path.join(tmpdir(), 'memreplay-trace-'))

const errorsOf = async (file: string, options?: ImportOptions): Promise<ReadonlyArray<TraceError>> => {
  const result = await importTrace(file, options)
  if (E.isRight(result)) throw new Error(`expected errors for ${file}, got a trace`)
  return result.left
}

const one = async (file: string, options?: ImportOptions): Promise<TraceError> => {
  const errors = await errorsOf(file, options)
  expect(errors).toHaveLength(1)
  expect(errors[0].file).toBe(file)
  return errors[0]
}

describe('structural defects', () => {
  it('an empty file', async () => {
    const e = await one(fixture('empty.csv'))
    expect(e.line).toBe(1)
    expect(formatTraceError(e)).toBe(`${fixture('empty.csv')} line 1: expected a header line, found an empty file`)
  })

  it('a header only, no data rows', async () => {
    const e = await one(fixture('header-only.csv'))
    expect(e.line).toBe(2)
    expect(e.expected).toBe('data rows after the header')
    expect(e.found).toMatch(/header only/)
  })

  it('a wrong separator given on the command line', async () => {
    const e = await one(fixture('semicolons.csv'), { separator: ',' })
    expect(e.line).toBe(1)
    expect(formatTraceError(e)).toContain('expected a header with columns separated by ","')
    expect(e.found).toBe('columns separated by ";"')
  })

  it('a row separated differently from its header', async () => {
    const e = await one(fixture('mixed-separator.csv'))
    expect(e.line).toBe(3)
    expect(e.found).toMatch(/^1 .*separator/)
  })

  it('a missing required column', async () => {
    const e = await one(fixture('missing-column.csv'))
    expect(e.line).toBe(1)
    expect(e.column).toBe('configured_mib')
    expect(formatTraceError(e)).toMatch(/line 1, column "configured_mib": expected a column named "configured_mib"/)
  })

  it('text, NaN, Infinity, negative and empty values where numbers belong, and a bad time: all collected', async () => {
    const file = fixture('bad-values.csv')
    const errors = await errorsOf(file)
    expect(errors.map((e) => [e.line, e.column, e.found])).toEqual([
      [3, 'demand_mib', '"abc"'],
      [4, 'demand_mib', '"NaN"'],
      [5, 'configured_mib', '"Infinity"'],
      [6, 'demand_mib', '"-5"'],
      [7, 'time', '"yesterday"'],
      [8, 'demand_mib', '""'],
    ])
    expect(formatTraceError(errors[0])).toBe(`${file} line 3, column "demand_mib": expected a non-negative number, found "abc"`)
    expect(errors[4].expected).toMatch(/Unix time in seconds/)
  })

  it('the Bitbrains message names the Bitbrains column', async () => {
    const file = fixture('bitbrains-bad-value.csv')
    const e = await one(file)
    expect(formatTraceError(e)).toBe(`${file} line 3, column "Memory usage [KB]": expected a non-negative number, found "abc"`)
  })

  it('a truncated last row', async () => {
    const e = await one(fixture('truncated-row.csv'))
    expect(e.line).toBe(4)
    expect(e.expected).toBe('4 fields, as in the header')
    expect(e.found).toMatch(/^3 .*truncated/)
  })

  it('a binary file', async () => {
    const e = await one(fixture('binary.csv'))
    expect(e.line).toBe(3)
    expect(e.expected).toBe('text')
    expect(e.found).toMatch(/binary/)
  })

  it('a truncated gzip', async () => {
    const file = path.join(tmp, 'cut.csv.gz')
    const rows = ['time,vm,demand_mib,configured_mib', ...Array.from({ length: 5000 }, (_, i) => `${1375308000 + i * 300},a,${i % 97},2048`)]
    const gz = gzipSync(rows.join('\n') + '\n')
    writeFileSync(file, gz.subarray(0, Math.floor(gz.length / 2)))
    const e = await one(file)
    expect(e.expected).toBe('a complete gzip stream')
    expect(e.found).toMatch(/truncated gzip/)
    expect(e.line).toBeGreaterThan(1)
  })

  it('a corrupt gzip', async () => {
    const file = path.join(tmp, 'corrupt.csv.gz')
    const gz = Buffer.from(gzipSync(readFileSync(fixture('bom-crlf.csv'))))
    for (let i = 12; i < gz.length - 8; i++) gz[i] ^= 0x5a
    writeFileSync(file, gz)
    const e = await one(file)
    expect(e.expected).toMatch(/gzip/)
    expect(e.found).toMatch(/gzip/)
  })

  it('a .gz name over data that is not gzip', async () => {
    const file = path.join(tmp, 'plain.csv.gz')
    writeFileSync(file, readFileSync(fixture('bom-crlf.csv')))
    const e = await one(file)
    expect(e.expected).toBe('valid gzip data')
  })

  it('an unknown header without a map', async () => {
    const file = path.join(tmp, 'unknown.csv')
    writeFileSync(file, 'a,b,c\n1,2,3\n')
    const e = await one(file)
    expect(e.line).toBe(1)
    expect(e.expected).toMatch(/--map/)
    expect(e.found).toBe('columns "a", "b", "c"')
  })

  it('a path that does not exist', async () => {
    const e = await one(path.join(tmp, 'nope'))
    expect(e.expected).toBe('a trace file or folder')
  })

  it('stops collecting after maxErrors', async () => {
    const file = path.join(tmp, 'many.csv')
    writeFileSync(file, ['time,vm,demand_mib,configured_mib', ...Array.from({ length: 50 }, (_, i) => `${i * 300},a,x${i},1`)].join('\n'))
    expect(await errorsOf(file)).toHaveLength(20)
    const five = await errorsOf(file, { maxErrors: 5 })
    expect(five.map((e) => e.line)).toEqual([2, 3, 4, 5, 6])
  })

  it('errors in several files of a folder are all named', async () => {
    const dir = mkdtempSync(path.join(tmp, 'folder-'))
    writeFileSync(path.join(dir, '1.csv'), readFileSync(fixture('bitbrains-bad-value.csv')))
    writeFileSync(path.join(dir, '2.csv'), readFileSync(fixture('empty.csv')))
    const errors = await errorsOf(dir)
    expect(errors.map((e) => path.basename(e.file))).toEqual(['1.csv', '2.csv'])
  })
})

describe('clean text variants', () => {
  it('a UTF-8 BOM and CRLF line ends import cleanly', async () => {
    const result = await importTrace(fixture('bom-crlf.csv'))
    if (E.isLeft(result)) throw new Error(result.left.map(formatTraceError).join('\n'))
    const trace = result.right
    expect(trace.report.format).toBe('canonical')
    expect(trace.vms.map((v) => [v.id, v.os])).toEqual([
      ['a', 'windows'],
      ['b', 'linux'],
    ])
    expect([...trace.vms[1].demand]).toEqual([50, 60.5])
    expect(Object.values(trace.report.repairs).every((n) => n === 0)).toBe(true)
  })

  it('a gzipped file with a BOM reads the same as the plain one', async () => {
    const file = path.join(tmp, 'bom-crlf.csv.gz')
    writeFileSync(file, gzipSync(readFileSync(fixture('bom-crlf.csv'))))
    const gz = await importTrace(file)
    const plain = await importTrace(fixture('bom-crlf.csv'))
    if (E.isLeft(gz) || E.isLeft(plain)) throw new Error('expected traces')
    expect(gz.right.vms.map((v) => [...v.demand])).toEqual(plain.right.vms.map((v) => [...v.demand]))
  })
})

/** Column maps: the --map string, the JSON file (io-ts), and their errors in sentences. */
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { decodeColumnMapJson, parseColumnMap } from '../../src/trace/column-map.js'
import { formatTraceError } from '../../src/trace/errors.js'

const messages = <A>(r: E.Either<ReadonlyArray<Parameters<typeof formatTraceError>[0]>, A>): string[] =>
  E.isLeft(r) ? r.left.map(formatTraceError) : []

describe('parseColumnMap', () => {
  it('reads fields, units and defaults', () => {
    expect(parseColumnMap('time=ts:ms, vm=name, demand=mem_used_kb:KiB, configured=mem_total:GiB, os=guest')).toEqual(
      E.right({
        time: { column: 'ts', unit: 'ms' },
        vm: { column: 'name' },
        demand: { column: 'mem_used_kb', unit: 'KiB' },
        configured: { column: 'mem_total', unit: 'GiB' },
        os: { column: 'guest' },
      }),
    )
    const plain = parseColumnMap('time=t,demand=d,configured=c,touched=u')
    expect(E.isRight(plain) && plain.right.time.unit).toBe('auto')
    expect(E.isRight(plain) && plain.right.touched).toEqual({ column: 'u', unit: 'MiB' })
  })

  it('takes quoted column names holding , : or =', () => {
    const r = parseColumnMap('time="Timestamp [ms]":s, demand="Memory usage [KB]":KiB, configured="a,b:c"')
    expect(E.isRight(r) && [r.right.time.column, r.right.demand.column, r.right.configured.column]).toEqual([
      'Timestamp [ms]',
      'Memory usage [KB]',
      'a,b:c',
    ])
  })

  it('says what is wrong, field by field', () => {
    expect(messages(parseColumnMap('time=ts:hours, demand=used:KX, configured=total, colour=red'))).toEqual([
      '--map, column "time": expected a time unit (s, ms, us, ns, iso, auto), found "hours"',
      '--map, column "demand": expected a size unit (B, KiB, MiB, GiB, TiB, KB, MB, GB, TB), found "KX"',
      '--map: expected a field among time, vm, demand, configured, touched, image, os, disk_read, disk_write, found "colour"',
    ])
    expect(messages(parseColumnMap('time=ts'))).toEqual([
      '--map, column "demand": expected a mapping for "demand" (e.g. demand=column), found none',
      '--map, column "configured": expected a mapping for "configured" (e.g. configured=column), found none',
    ])
  })
})

describe('decodeColumnMapJson', () => {
  it('accepts strings and objects, and a separator', () => {
    const r = decodeColumnMapJson(
      { time: 'ts:ms', vm: 'name', demand: { column: 'used', unit: 'KiB' }, configured: { column: 'total' }, separator: ';' },
      'map.json',
    )
    expect(r).toEqual(
      E.right({
        map: {
          time: { column: 'ts', unit: 'ms' },
          vm: { column: 'name' },
          demand: { column: 'used', unit: 'KiB' },
          configured: { column: 'total', unit: 'MiB' },
        },
        separator: ';',
      }),
    )
  })

  it('turns io-ts errors into one sentence per field, never a dump', () => {
    const got = messages(decodeColumnMapJson({ time: 5, demand: { unit: 'KiB' } }, 'map.json'))
    expect(got).toEqual([
      'map.json, column "time": expected a column name ("mem_used" or "mem_used:KiB") or an object {"column": "mem_used", "unit": "KiB"}, found 5',
      'map.json, column "demand": expected a column name ("mem_used" or "mem_used:KiB") or an object {"column": "mem_used", "unit": "KiB"}, found {"unit":"KiB"}',
      'map.json, column "configured": expected a column name ("mem_used" or "mem_used:KiB") or an object {"column": "mem_used", "unit": "KiB"}, found nothing (the field is missing)',
    ])
    for (const m of got) expect(m).not.toMatch(/Invalid value|\bat \d/)
    expect(messages(decodeColumnMapJson([1, 2], 'map.json'))[0]).toMatch(/^map\.json: expected an object with "time", "demand" and "configured"/)
    expect(messages(decodeColumnMapJson({ time: 't', demand: 'd', configured: 'c', demnd: 'x' }, 'map.json'))).toEqual([
      'map.json: expected a field among time, vm, demand, configured, touched, image, os, disk_read, disk_write, separator, found "demnd"',
    ])
  })
})

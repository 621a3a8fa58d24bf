import { describe, expect, it } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import { decodeHostSpec, parseHostArg, resolveHost } from '../../src/spec/host.js'
import { left, right } from './helpers.js'


describe('host spec', () => {
  it('decodes sizes and numbers of MiB, and resolves', () => {
    const spec = right(decodeHostSpec({ physical: '256GiB', reserve: '4GiB', vmOverhead: 64 }, 'host.json'))
    expect(resolveHost(spec)).toEqual({ physicalMiB: 262144, reserveMiB: 4096, vmOverheadMiB: 64 })
  })

  it('defaults reserve and overhead to 0', () => {
    expect(resolveHost(right(decodeHostSpec({ physical: '96GiB' }, 'h')))).toEqual({ physicalMiB: 98304, reserveMiB: 0, vmOverheadMiB: 0 })
  })

  it('rejects unknown keys, naming the near miss', () => {
    expect(left(decodeHostSpec({ physical: '1GiB', reserv: '1GiB' }, 'h.json'))).toEqual(['h.json: unknown key "reserv" (did you mean "reserve"?)'])
  })

  it('rejects a missing physical, a negative size and an unknown unit with sentences', () => {
    expect(left(decodeHostSpec({}, 'h.json'))).toEqual([
      'h.json: physical: missing; expected a size such as "64GiB" or "512MiB", or a number of MiB',
    ])
    expect(left(decodeHostSpec({ physical: '-4GiB' }, 'h.json'))).toEqual(['h.json: physical: a size cannot be negative, found "-4GiB"'])
    expect(left(decodeHostSpec({ physical: '4GX' }, 'h.json'))[0]).toMatch(/^h\.json: physical: unknown unit "GX" in "4GX"/)
  })

  it('rejects a reserve that leaves nothing for VMs', () => {
    expect(left(decodeHostSpec({ physical: '4GiB', reserve: '4GiB' }, 'h'))).toEqual([
      'h: reserve (4 GiB) must be below physical (4 GiB), or no VM could run',
    ])
  })

  it('--host takes a bare size', () => {
    expect(right(parseHostArg('128GiB'))).toEqual({ physical: 131072, reserve: 0, vmOverhead: 0 })
    expect(left(parseHostArg('128GX'))).toMatch(/^--host: unknown unit "GX"/)
    expect(left(parseHostArg('-1GiB'))).toBe('--host: a size cannot be negative, found "-1GiB"')
  })

  it('--host takes a path to a JSON file, read through the given reader', () => {
    const files: Record<string, string> = { 'big.json': '{ "physical": "1TiB", "reserve": "8GiB" }', 'bad.json': '{ physical' }
    const read = (p: string) => (p in files ? E.right(files[p]) : E.left(`cannot read host spec "${p}"`))
    expect(right(parseHostArg('big.json', read))).toEqual({ physical: 1048576, reserve: 8192, vmOverhead: 0 })
    expect(left(parseHostArg('bad.json', read))).toMatch(/^bad\.json: not valid JSON/)
    expect(left(parseHostArg('none.json', read))).toBe('cannot read host spec "none.json"')
  })
})

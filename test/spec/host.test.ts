import { describe, expect, it } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import { decodeHostSpec, HOST_DEFAULTS, HOST_DEFAULTS_HELP, parseHostArg, resolveHost } from '../../src/spec/host.js'
import { left, right } from './helpers.js'


describe('host spec', () => {
  it('decodes sizes and numbers of MiB, and resolves', () => {
    const spec = right(decodeHostSpec({ physical: '256GiB', reserve: '4GiB', vmOverhead: 64 }, 'host.json'))
    expect(resolveHost(spec)).toEqual({ physicalMiB: 262144, reserveMiB: 4096, vmOverheadMiB: 64 })
  })

  it('defaults reserve to 2 GiB and overhead to 64 MiB, as the bundled sample states them', () => {
    expect(resolveHost(right(decodeHostSpec({ physical: '96GiB' }, 'h')))).toEqual({ physicalMiB: 98304, reserveMiB: 2048, vmOverheadMiB: 64 })
    const sample = right(parseHostArg('traces/sample/host.json'))
    expect({ reserve: sample.reserve, vmOverhead: sample.vmOverhead }).toEqual(HOST_DEFAULTS)
  })

  it('gives a host the same defaults whether it is a size or a spec', () => {
    expect(right(parseHostArg('96GiB'))).toEqual(right(decodeHostSpec({ physical: '96GiB' }, 'h')))
    expect(HOST_DEFAULTS_HELP).toBe('A host given as a size gets the defaults a host spec gets when it leaves them out: reserve 2 GiB, vmOverhead 64 MiB per VM.')
  })

  it('says when a default leaves no room, and how to change it', () => {
    expect(left(parseHostArg('2GiB'))).toBe(
      '--host: reserve (2 GiB, the default; give "reserve" in a host spec to change it) must be below physical (2 GiB), or no VM could run',
    )
    expect(right(decodeHostSpec({ physical: '1GiB', reserve: '256MiB' }, 'h'))).toEqual({ physical: 1024, reserve: 256, vmOverhead: 64 })
    expect(left(decodeHostSpec({ physical: '4GiB', vmOverhead: '2GiB' }, 'h'))).toEqual([
      'h: vmOverhead (2 GiB) must be below physical less reserve (2 GiB), or no VM could run',
    ])
  })

  it('refuses a host above 64 TiB and a bare number on the command line, suggesting GiB', () => {
    expect(left(parseHostArg('1e305TiB'))).toBe('--host: a size must be at most 64 TiB, found "1e305TiB"')
    expect(left(decodeHostSpec({ physical: 1e305 }, 'h.json'))).toEqual(['h.json: physical: a size must be at most 64 TiB, found 1e+305'])
    expect(right(parseHostArg('64TiB')).physical).toBe(64 * 1024 * 1024)
    expect(left(parseHostArg('128'))).toBe(
      '--host: a size needs a unit, found "128" (did you mean "128GiB"? units: B, KiB, MiB, GiB, TiB, KB, MB, GB, TB, in any case)',
    )
    expect(left(parseHostArg('128G'))).toMatch(/^--host: unknown unit "G" in "128G" \(known: B, KiB, MiB, GiB, TiB, KB, MB, GB, TB, in any case; did you mean "128GiB"\?\)$/)
    expect(right(parseHostArg('128gb')).physical).toBe(131072)
    expect(left(parseHostArg('0x10GiB'))).toBe('--host: a size is a decimal number, found "0x10GiB" (hex, binary and octal are not read)')
    expect(left(parseHostArg('+5GiB'))).toBe('--host: a size is written without a sign, found "+5GiB"')
  })

  it('keeps plain numbers in a JSON spec as MiB, as the README says', () => {
    expect(right(decodeHostSpec({ physical: 131072 }, 'h')).physical).toBe(131072)
  })

  it('refuses "__proto__" and "constructor" in a host spec by name', () => {
    expect(left(parseHostArg('h.json', () => E.right('{"physical": "8GiB", "__proto__": {"reserve": 1}}')))).toBe(
      `h.json: the key "__proto__" is refused (it names JavaScript's object machinery, not a setting; memreplay has no setting called that)`,
    )
    expect(left(decodeHostSpec({ physical: '8GiB', constructor: 1 }, 'h.json'))).toEqual([
      `h.json: the key "constructor" is refused (it names JavaScript's object machinery, not a setting; memreplay has no setting called that)`,
    ])
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
    expect(right(parseHostArg('128GiB'))).toEqual({ physical: 131072, reserve: 2048, vmOverhead: 64 })
    expect(left(parseHostArg('128GX'))).toMatch(/^--host: unknown unit "GX"/)
    expect(left(parseHostArg('-1GiB'))).toBe('--host: a size cannot be negative, found "-1GiB"')
  })

  it('--host takes a path to a JSON file, read through the given reader', () => {
    const files: Record<string, string> = { 'big.json': '{ "physical": "1TiB", "reserve": "8GiB" }', 'bad.json': '{ physical' }
    const read = (p: string) => (p in files ? E.right(files[p]) : E.left(`cannot read host spec "${p}"`))
    expect(right(parseHostArg('big.json', read))).toEqual({ physical: 1048576, reserve: 8192, vmOverhead: 64 })
    expect(left(parseHostArg('bad.json', read))).toMatch(/^bad\.json: not valid JSON/)
    expect(left(parseHostArg('none.json', read))).toBe('cannot read host spec "none.json"')
    expect(right(parseHostArg('./big.json', (p) => read(p.replace('./', ''))))).toEqual({ physical: 1048576, reserve: 8192, vmOverhead: 64 })
    expect(left(parseHostArg('.5TiB', read))).toBe('--host: expected a size such as "64GiB" or "512MiB", found ".5TiB"')
  })
})

import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { MAX_HOST_MIB, MAX_VM_MIB, parseSize, parseSizeArg, unitToMiB, UNITS } from '../../src/units.js'
import { left, right } from './helpers.js'

describe('units: one list, no look-ups through Object.prototype', () => {
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'prototype'])('"%s" is no unit', (unit) => {
    expect(unitToMiB(unit)).toBeUndefined()
    expect(left(parseSize(`64${unit}`))).toMatch(/^unknown unit|^expected a size/)
  })

  it('"64constructor" is refused with the list of units, not read as NaN', () => {
    expect(left(parseSize('64constructor'))).toBe('unknown unit "constructor" in "64constructor" (known: B, KiB, MiB, GiB, TiB, KB, MB, GB, TB, in any case)')
  })

  it('accepts exactly the listed units, in any case, and no bare letters', () => {
    expect(UNITS).toEqual(['B', 'KiB', 'MiB', 'GiB', 'TiB', 'KB', 'MB', 'GB', 'TB'])
    for (const u of UNITS) for (const w of [u, u.toLowerCase(), u.toUpperCase()]) expect(unitToMiB(w)).toBeDefined()
    for (const u of ['G', 'g', 'K', 'M', 'T', 'bytes', 'gig', 'Gi']) expect(unitToMiB(u)).toBeUndefined()
    expect(right(parseSize('1.5GB'))).toBe(1536)
    expect(right(parseSize('2 tib'))).toBe(2 * 1024 * 1024)
  })

  it('the README lists the same units', () => {
    const readme = readFileSync('README.md', 'utf8')
    expect(readme.replace(/\s+/g, " ")).toContain(`units ${UNITS.map((u) => `\`${u}\``).join(', ')}`)
  })
})

describe('units: numbers as sizes are written', () => {
  it.each([
    ['0x10', 'a size is a decimal number, found "0x10" (hex, binary and octal are not read)'],
    ['0b11', 'a size is a decimal number, found "0b11" (hex, binary and octal are not read)'],
    ['0o7GiB', 'a size is a decimal number, found "0o7GiB" (hex, binary and octal are not read)'],
    ['+5', 'a size is written without a sign, found "+5"'],
    ['-5GiB', 'a size cannot be negative, found "-5GiB"'],
    ['.5GiB', 'expected a size such as "64GiB" or "512MiB", found ".5GiB"'],
    ['Infinity', 'expected a size such as "64GiB" or "512MiB", found "Infinity"'],
  ])('"%s" is not read as a number', (input, message) => {
    expect(left(parseSize(input))).toBe(message)
  })

  it('bounds sizes: 64 TiB in general, the VM bound where asked, Infinity never', () => {
    expect(MAX_HOST_MIB).toBe(64 * 1024 * 1024)
    expect(MAX_VM_MIB).toBe(24 * 1024 * 1024)
    expect(right(parseSize('64TiB'))).toBe(MAX_HOST_MIB)
    expect(left(parseSize('65TiB'))).toBe('a size must be at most 64 TiB, found "65TiB"')
    expect(left(parseSize('1e305TiB'))).toBe('a size must be at most 64 TiB, found "1e305TiB"')
    expect(left(parseSize('1e400'))).toBe('a size must be at most 64 TiB, found "1e400"')
    expect(left(parseSize(Infinity))).toBe('expected a non-negative size, found Infinity')
    expect(left(parseSize('25TiB', 'MiB', MAX_VM_MIB))).toBe('a size must be at most 24 TiB, found "25TiB"')
  })

  it('on the command line a bare number is refused and GiB suggested; in JSON it is MiB', () => {
    expect(left(parseSizeArg('128'))).toBe('a size needs a unit, found "128" (did you mean "128GiB"? units: B, KiB, MiB, GiB, TiB, KB, MB, GB, TB, in any case)')
    expect(right(parseSizeArg('128GiB'))).toBe(131072)
    expect(right(parseSize(512))).toBe(512)
    expect(right(parseSize('512'))).toBe(512)
  })
})

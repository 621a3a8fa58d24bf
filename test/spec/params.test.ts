import { describe, expect, it } from 'vitest'
import * as t from 'io-ts'
import { decodeParams, describeRange, paramsCodec, range, wholeRange } from '../../src/engine/params.js'
import { DEFAULT_WORLD, SLOWDOWN_RANGES, TOUCHED_RANGES, WORLD_RANGES, WorldParamsInput } from '../../src/engine/world.js'
import { forbiddenKeys } from '../../src/spec/keys.js'
import { left, right } from './helpers.js'

const world = (json: string) => decodeParams(WorldParamsInput, JSON.parse(json))

describe('params: keys never reach Object.prototype', () => {
  it.each(['__proto__', 'constructor', 'prototype'])('refuses "%s" by name, at the top and nested', (key) => {
    expect(left(world(`{"${key}": {"balloonMiBPerSecond": 1}}`))).toEqual([
      `world: the key "${key}" is refused (it names JavaScript's object machinery, not a setting; memreplay has no setting called that)`,
    ])
    expect(left(world(`{"slowdown": {"${key}": 1}}`))[0]).toMatch(new RegExp(`^world: slowdown: the key "${key}" is refused`))
  })

  it('refuses them through the codec alone too (the sweep decodes without decodeParams)', () => {
    const codec = paramsCodec('p', { a: t.number }, { a: 1 })
    expect(codec.is(codec.decode(JSON.parse('{"constructor": 2}')))).toBe(false)
    expect(left(decodeParams(codec, JSON.parse('{"toString": 2}')))).toEqual(['p has no parameter "toString" (known: a)'])
  })

  it('leaves Object.prototype as it was', () => {
    world('{"__proto__": {"polluted": true}}')
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('finds forbidden keys deep in arrays without recursion', () => {
    const deep: unknown = JSON.parse('{"a": [{"b": {"__proto__": 1}}]}')
    expect(forbiddenKeys(deep, 'x.json')).toEqual([expect.stringMatching(/^x\.json: a\[0\]\.b: the key "__proto__" is refused/)])
    let nested = '1'
    for (let i = 0; i < 20000; i++) nested = `[${nested}]`
    expect(forbiddenKeys(JSON.parse(nested), 'x.json')).toEqual([])
  })
})

describe('params: numbers out of range are refused by name', () => {
  it('negative rates, fractional or absurd sample counts, with every failure listed', () => {
    expect(left(world('{"pagesPerSample": -3, "balloonMiBPerSecond": -1, "touched": {"linuxCacheHours": -1}}'))).toEqual([
      'world.pagesPerSample: expected a whole number in 1..10000 (pages), found -3',
      'world.balloonMiBPerSecond: expected a number in 0..1048576 (MiB per second), found -1',
      'world.touched.linuxCacheHours: expected a number in 0..8760 (hours), found -1',
    ])
    expect(left(world('{"pagesPerSample": 2.5}'))).toEqual(['world.pagesPerSample: expected a whole number in 1..10000 (pages), found 2.5'])
    expect(left(world('{"samplePeriodSeconds": 0}'))).toEqual(['world.samplePeriodSeconds: expected a number in 1..3600 (seconds), found 0'])
  })

  it('JSON 1e400 is Infinity: refused even where no range is declared', () => {
    const codec = paramsCodec('p', { a: t.number }, { a: 1 })
    expect(left(decodeParams(codec, JSON.parse('{"a": 1e400}')))).toEqual(['p.a: expected a finite number, found Infinity'])
  })

  it('every numeric world param has a range, and the defaults lie in it', () => {
    const numericKeys = (o: object) => Object.entries(o).filter(([, v]) => typeof v === 'number').map(([k]) => k).sort()
    expect(Object.keys(WORLD_RANGES).sort()).toEqual(numericKeys(DEFAULT_WORLD))
    expect(Object.keys(TOUCHED_RANGES).sort()).toEqual(numericKeys(DEFAULT_WORLD.touched))
    expect(Object.keys(SLOWDOWN_RANGES).sort()).toEqual(numericKeys(DEFAULT_WORLD.slowdown))
    expect(right(world('{}'))).toEqual(DEFAULT_WORLD)
    expect(right(world('{"hotAddMiBPerSecond": 0, "pagesPerSample": 10000}')).pagesPerSample).toBe(10000)
  })

  it('describes a range as its messages do', () => {
    expect(describeRange(wholeRange(1, 5, 'pages'))).toBe('a whole number in 1..5 (pages)')
    expect(describeRange(range(0, 1))).toBe('a number in 0..1')
  })
})

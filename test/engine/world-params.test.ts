import { describe, expect, it } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import { decodeParams } from '../../src/engine/params.js'
import { DEFAULT_WORLD, WorldParamsInput } from '../../src/engine/world.js'
import { slowdownOf } from '../../src/engine/slowdown.js'

describe('world params as users give them', () => {
  it('fill every default, nested ones too', () => {
    const d = decodeParams(WorldParamsInput, { slowdown: { swapDevice: 'ssd' }, balloonMiBPerSecond: 32 })
    expect(d).toEqual(E.right({ ...DEFAULT_WORLD, balloonMiBPerSecond: 32, slowdown: { ...DEFAULT_WORLD.slowdown, swapDevice: 'ssd' } }))
    expect(decodeParams(WorldParamsInput, undefined)).toEqual(E.right(DEFAULT_WORLD))
  })

  it('refuse unknown keys and wrong types, naming them', () => {
    expect(decodeParams(WorldParamsInput, { touched: { linuxCacheHour: 3 } })).toEqual(E.left([expect.stringMatching(/world\.touched has no parameter "linuxCacheHour"/)]))
    expect(E.isLeft(decodeParams(WorldParamsInput, { slowdown: { swapDevice: 'tape' } }))).toBe(true)
  })

  it('an SSD swap device costs 30% less than disk (DOMAIN.md 7), everything else equal', () => {
    // 100 MiB of a 1000 MiB working set in host swap: disk 1 + 10 x 0.1 = 2.0; SSD 1 + 7 x 0.1 = 1.7.
    expect(slowdownOf(DEFAULT_WORLD.slowdown, 1000, 0, 0, 100, 0)).toBeCloseTo(2.0, 12)
    expect(slowdownOf({ ...DEFAULT_WORLD.slowdown, swapDevice: 'ssd' }, 1000, 0, 0, 100, 0)).toBeCloseTo(1.7, 12)
  })
})

import { describe, expect, it } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import { decodeParams } from '../../src/engine/params.js'
import { DEFAULT_WORLD, WorldParamsInput } from '../../src/engine/world.js'
import { slowdownOf, stallCosts } from '../../src/engine/slowdown.js'

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

  it('slowdown follows the latency of where each missing page went (DOMAIN.md 7), worked by hand', () => {
    // A 60 s step, a working-set page touched once a minute (touchSeconds 60).
    const disk = stallCosts(DEFAULT_WORLD.slowdown, 60)
    // 1 GiB of working set missing all step on disk: 262,144 pages x 1 touch x 8 ms = 2,097.152 s of
    // stall in 60 s: 1 + 2097.152 / 60 = 35.95.
    expect(slowdownOf(disk, 1024, 0, 0, 0, 0, 0)).toBeCloseTo(1 + 2097.152 / 60, 9)
    // The same GiB in host swap, or blocked, costs the same; compressed: 20 us a fault -> 1 + 5.24288 / 60.
    expect(slowdownOf(disk, 0, 1024, 0, 0, 0, 0)).toBeCloseTo(1 + 2097.152 / 60, 9)
    expect(slowdownOf(disk, 0, 0, 1024, 0, 0, 0)).toBeCloseTo(1 + 5.24288 / 60, 9)
    // 100 MiB faulted back once from disk: 25,600 faults x 8 ms = 204.8 s; from the compression cache 0.512 s.
    expect(slowdownOf(disk, 0, 0, 0, 0, 100, 0)).toBeCloseTo(1 + 204.8 / 60, 9)
    expect(slowdownOf(disk, 0, 0, 0, 0, 0, 100)).toBeCloseTo(1 + 0.512 / 60, 9)
    // On SSD (0.1 ms) the disk figures are 80 times smaller: 1 GiB missing -> 1 + 26.2144 / 60.
    const ssd = stallCosts({ ...DEFAULT_WORLD.slowdown, swapDevice: 'ssd' }, 60)
    expect(slowdownOf(ssd, 1024, 0, 0, 0, 0, 0)).toBeCloseTo(1 + 26.2144 / 60, 9)
    // The cost order per MiB of working set hit: compression < SSD < disk.
    expect(slowdownOf(disk, 0, 0, 10, 0, 0, 0)).toBeLessThan(slowdownOf(ssd, 0, 10, 0, 0, 0, 0))
    expect(slowdownOf(ssd, 0, 10, 0, 0, 0, 0)).toBeLessThan(slowdownOf(disk, 0, 10, 0, 0, 0, 0))
  })
})

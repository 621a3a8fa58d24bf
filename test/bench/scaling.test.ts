/** The scaling table's extrapolation (src/bench/run.ts largestWithin), on numbers worked by hand. */
import { describe, expect, it } from 'vitest'
import { largestWithin } from '../../src/bench/run.js'

describe('largestWithin', () => {
  it('extends the least-squares line to the limit', () => {
    // RSS = 1000 + 1 x VMs: 8192 MiB at 7192 VMs
    expect(largestWithin([100, 200, 400], [1100, 1200, 1400], 8192)).toBe(7192)
    // through (100, 300) and (300, 700): slope 2, intercept 100; (8192 - 100) / 2 = 4046
    expect(largestWithin([100, 300], [300, 700], 8192)).toBe(4046)
  })

  it('says null when memory does not grow with the fleet, 0 when the intercept is over the limit', () => {
    expect(largestWithin([100, 200], [500, 500], 8192)).toBeNull()
    expect(largestWithin([100, 200], [500, 400], 8192)).toBeNull()
    expect(largestWithin([1, 2], [9000, 9001], 8192)).toBe(0)
  })
})

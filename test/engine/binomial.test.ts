/**
 * The world's page-sample draws: Binomial(n, p) by inversion (small variance) or a normal
 * approximation (variance >= 9). Moments and point masses from the binomial's formulas.
 */
import { describe, expect, it } from 'vitest'
import { binomialSampler } from '../../src/engine/internal/binomial.js'
import { mutableRng, seedRng } from '../../src/engine/random.js'

const draws = (n: number, p: number, count: number, seed = 11): number[] => {
  const sample = binomialSampler(mutableRng(seedRng(seed, 'binomial-test')).float)
  return Array.from({ length: count }, () => sample(n, p))
}

describe('binomial page samples', () => {
  // p near 0 and near 1 take the inversion path (p > 1/2 by its complement); 0.3 and 0.5 the normal one.
  it.each([0.01, 0.05, 0.3, 0.5, 0.95, 0.99])('n = 100, p = %f: mean n p and variance n p (1 - p), within sampling error', (p) => {
    const n = 100
    const count = 20_000
    const xs = draws(n, p, count)
    expect(xs.every((k) => Number.isInteger(k) && k >= 0 && k <= n)).toBe(true)
    const mean = xs.reduce((a, b) => a + b, 0) / count
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (count - 1)
    const sd = Math.sqrt(n * p * (1 - p))
    // 5 standard errors of the mean: a seeded draw far past them is a bug, not bad luck.
    expect(Math.abs(mean - n * p)).toBeLessThan((5 * sd) / Math.sqrt(count))
    expect(variance / (n * p * (1 - p))).toBeGreaterThan(0.9)
    expect(variance / (n * p * (1 - p))).toBeLessThan(1.1)
  })

  it('p = 0.97: all 100 pages accessed with probability 0.97^100 = 0.0476', () => {
    const xs = draws(100, 0.97, 40_000)
    const share = xs.filter((k) => k === 100).length / xs.length
    const se = Math.sqrt((0.0476 * (1 - 0.0476)) / xs.length)
    expect(Math.abs(share - 0.97 ** 100)).toBeLessThan(5 * se)
  })

  it('a slot remembers its last q^n: draws with slots are the draws without, repeated p or not', () => {
    // Three slots drawing in turn, each keeping its p for a few draws (as a VM over one tick's
    // control steps) then moving; n changes once. The same uniforms, with and without slots.
    const plain = binomialSampler(mutableRng(seedRng(5, 'slots')).float)
    const slotted = binomialSampler(mutableRng(seedRng(5, 'slots')).float, 3)
    const ps = [0.02, 0.97, 0.5, 0.03, 0.93, 0.08]
    for (let i = 0; i < 600; i++) {
      const slot = i % 3
      const p = ps[(slot + Math.floor(i / 15)) % ps.length]
      const n = i < 300 ? 100 : 20
      expect(slotted(n, p, slot), `draw ${i}`).toBe(plain(n, p))
    }
  })

  it('edges: p <= 0 gives 0, p >= 1 gives n, n <= 0 gives 0', () => {
    const sample = binomialSampler(() => 0.5)
    expect(sample(100, 0)).toBe(0)
    expect(sample(100, 1)).toBe(100)
    expect(sample(0, 0.5)).toBe(0)
  })
})

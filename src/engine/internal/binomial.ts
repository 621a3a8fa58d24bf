/**
 * Binomial draws for the world's page sampling (ESX samples 100 random pages per period).
 * Exact inversion for small means, a normal approximation (with continuity) for large ones:
 * the world draws millions of these per run, and the approximation is within sampling noise there.
 */

/** Draws Binomial(n, p) from a stream of uniforms in [0, 1). `slot` (0 .. slots - 1, optional) names
 *  the caller's series of draws (the world: a VM), whose last CDF start is remembered. */
export type BinomialSampler = (n: number, p: number, slot?: number) => number

/**
 * A sampler over `uniform`. Box-Muller turns two uniforms into two independent normals; the
 * sampler keeps the second for its next normal draw (half the logs, roots and cosines: this runs for
 * every running VM at every control step of a sampling policy).
 */
export const binomialSampler = (uniform: () => number, slots = 0): BinomialSampler => {
  let spare = 0
  let hasSpare = false
  // Per slot, the last inversion's q and n and its P(X = 0) = q^n: a VM whose working-set share has
  // not moved since its last draw (the control steps of one tick hold the trace's values) reuses it;
  // the power is most of an inversion's cost. The same q and n give the same q^n: draws are unchanged.
  const memoQ = new Float64Array(slots).fill(NaN)
  const memoN = new Float64Array(slots)
  const memoP0 = new Float64Array(slots)
  const inversion = (n: number, p: number, u: number, slot: number | undefined): number => {
    const q = 1 - p
    let pk: number
    if (slot !== undefined && slot < slots) {
      if (memoQ[slot] === q && memoN[slot] === n) pk = memoP0[slot]
      else {
        pk = memoP0[slot] = q ** n
        memoQ[slot] = q
        memoN[slot] = n
      }
    } else pk = q ** n
    return walk(n, p, q, pk, u)
  }
  const normal = (): number => {
    if (hasSpare) {
      hasSpare = false
      return spare
    }
    const r = Math.sqrt(-2 * Math.log(Math.max(uniform(), 1e-12)))
    const a = 2 * Math.PI * uniform()
    spare = r * Math.sin(a)
    hasSpare = true
    return r * Math.cos(a)
  }
  return (n, p, slot) => {
    if (n <= 0 || p <= 0) return 0
    if (p >= 1) return n
    const mean = n * p
    const variance = mean * (1 - p)
    if (variance >= 9) {
      const k = Math.round(mean + normal() * Math.sqrt(variance))
      return k < 0 ? 0 : k > n ? n : k
    }
    // Inversion: walk the CDF from 0, in steps ~ the mean; for p > 1/2 draw the pages NOT accessed
    // instead (a VM whose working set is nearly all it touched would otherwise walk ~n steps).
    if (p > 0.5) return n - inversion(n, 1 - p, uniform(), slot)
    return inversion(n, p, uniform(), slot)
  }
}

/** Binomial(n, p) by inverting its CDF at u, walking up from 0 (q = 1 - p, pk = q^n). */
const walk = (n: number, p: number, q: number, pk: number, u: number): number => {
  let cdf = pk
  let k = 0
  while (u > cdf && k < n) {
    pk *= ((n - k) / (k + 1)) * (p / q)
    k++
    cdf += pk
  }
  return k
}

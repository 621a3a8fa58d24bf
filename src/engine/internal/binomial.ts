/**
 * Binomial draws for the world's page sampling (ESX samples 100 random pages per period).
 * Exact inversion for small means, a normal approximation (with continuity) for large ones:
 * the world draws millions of these per run, and the approximation is within sampling noise there.
 */
export const binomial = (n: number, p: number, uniform: () => number): number => {
  if (n <= 0 || p <= 0) return 0
  if (p >= 1) return n
  const mean = n * p
  const variance = mean * (1 - p)
  if (variance >= 9) {
    // Box-Muller: one normal variate from two uniforms.
    const u1 = Math.max(uniform(), 1e-12)
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * uniform())
    const k = Math.round(mean + z * Math.sqrt(variance))
    return k < 0 ? 0 : k > n ? n : k
  }
  // Inversion: walk the CDF from 0 (expected steps ~ mean, small here).
  const q = 1 - p
  let pk = q ** n
  let cdf = pk
  const u = uniform()
  let k = 0
  while (u > cdf && k < n) {
    pk *= ((n - k) / (k + 1)) * (p / q)
    k++
    cdf += pk
  }
  return k
}

/**
 * ESX's active-memory estimate (Waldspurger 2002, section 5.3): each sampling period the VMkernel
 * invalidates a small random set of a VM's pages (100 per 60-s period in ESX 4) and counts how many
 * are touched again; the fraction is fed to a slow and a fast exponentially weighted moving average,
 * and the estimate is the larger, so it rises quickly when the VM becomes active and falls slowly
 * when it goes idle. (The paper's third average, a fast one including the current, incomplete
 * period, is not modelled: the world reports whole ticks.)
 *
 * Time constants are seconds; the per-tick weight is alpha = 1 - exp(-stepSeconds / tau), so the
 * estimate keeps its character whether the trace has 60-s or 300-s steps. A tick's samples are
 * pooled into one fraction (the world reports the count over the tick's periods).
 */

/** Per-tick weight of a moving average with time constant `tauSeconds`. */
export const tickWeight = (stepSeconds: number, tauSeconds: number): number => (tauSeconds > 0 ? 1 - Math.exp(-stepSeconds / tauSeconds) : 1)

export interface ActiveAverages {
  readonly slow: number
  readonly fast: number
  /** false until the first sample (then both averages start from it). */
  readonly seen: boolean
}

export const NO_SAMPLE: ActiveAverages = { slow: 0, fast: 0, seen: false }

/** One tick's update from `accessed` of `sampled` pages (no samples: unchanged). */
export const updateActive = (a: ActiveAverages, sampled: number, accessed: number, alphaSlow: number, alphaFast: number): ActiveAverages => {
  if (!(sampled > 0)) return a
  const x = Math.min(1, Math.max(0, accessed / sampled))
  if (!a.seen) return { slow: x, fast: x, seen: true }
  return { slow: a.slow + alphaSlow * (x - a.slow), fast: a.fast + alphaFast * (x - a.fast), seen: true }
}

/** The active fraction: max(slow, fast); 1 (all active, no tax) before the first sample. */
export const activeFraction = (a: ActiveAverages): number => (a.seen ? Math.max(a.slow, a.fast) : 1)

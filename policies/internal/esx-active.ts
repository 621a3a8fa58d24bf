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
import type { Column } from '../../src/engine/policy.js'

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

/** The averages of every VM as columns (seen: 1 or 0), index = VM. */
export interface ActiveColumns {
  readonly slow: Float64Array
  readonly fast: Float64Array
  readonly seen: Uint8Array
}

/**
 * updateActive and activeFraction for every VM at once, as columns (no object per VM per tick: this
 * runs for every VM at every control step): a VM with running[v] = 1 is updated from `prev` and its
 * samples into `next`, and its active fraction written to `fraction`; the others are left as they
 * are in `next` and `fraction` (zeros when fresh: an estimate forgotten).
 */
export const updateActiveColumns = (
  prev: ActiveColumns,
  sampled: Column,
  accessed: Column,
  running: Uint8Array,
  alphaSlow: number,
  alphaFast: number,
  next: ActiveColumns,
  fraction: Float64Array,
): void => {
  const { slow: prevSlow, fast: prevFast, seen: prevSeen } = prev
  const { slow: nextSlow, fast: nextFast, seen: nextSeen } = next
  for (let v = 0; v < running.length; v++) {
    if (running[v] !== 1) continue
    let slow = prevSlow[v]
    let fast = prevFast[v]
    let seen = prevSeen[v] === 1
    const n = sampled[v]
    if (n > 0) {
      const x = Math.min(1, Math.max(0, accessed[v] / n))
      slow = seen ? slow + alphaSlow * (x - slow) : x
      fast = seen ? fast + alphaFast * (x - fast) : x
      seen = true
    }
    nextSlow[v] = slow
    nextFast[v] = fast
    nextSeen[v] = seen ? 1 : 0
    fraction[v] = seen ? Math.max(slow, fast) : 1
  }
}

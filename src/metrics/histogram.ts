/**
 * The fixed log-bucket histogram of slowdown used for percentiles over running VM-time.
 *
 * Buckets (identical for every run, so histograms merge by adding):
 *   bucket k, 0 <= k < SLOWDOWN_TOP_BUCKET, holds slowdown s with EDGES[k] <= s < EDGES[k+1],
 *     where EDGES[k] = 1.01^k (so bucket 0 is [1, 1.01): "no slowdown" lands there);
 *   bucket SLOWDOWN_TOP_BUCKET (the last) holds s >= EDGES[SLOWDOWN_TOP_BUCKET] = 1.01^1389 ~ 1.0e6.
 * Slowdown below 1 (or NaN) is counted as 1. Weights are seconds.
 *
 * Resolution: a percentile is reported as the LOWER edge of the bucket it falls in, so the reported
 * value v' and the true weighted percentile v satisfy v / 1.01 < v' <= v (1% relative, never above
 * the truth; exact when v is 1, the common "no slowdown" case). Above 1e6 the percentile is the
 * top edge (~1e6); the maximum is always kept exactly, separately.
 */

export const SLOWDOWN_RATIO = 1.01
/** Index of the last, open bucket; also the number of closed buckets. */
export const SLOWDOWN_TOP_BUCKET = Math.ceil(Math.log(1e6) / Math.log(SLOWDOWN_RATIO)) // 1389
export const SLOWDOWN_BUCKETS = SLOWDOWN_TOP_BUCKET + 1

/** Lower edge of each bucket: SLOWDOWN_EDGES[k] = 1.01^k; one more entry (upper edge of the last closed bucket). */
export const SLOWDOWN_EDGES: ReadonlyArray<number> = Array.from({ length: SLOWDOWN_BUCKETS + 1 }, (_, k) =>
  Math.pow(SLOWDOWN_RATIO, k),
)

const INV_LN_R = 1 / Math.log(SLOWDOWN_RATIO)
const EDGE1 = SLOWDOWN_EDGES[1]

/** Bucket of a slowdown factor, consistent with SLOWDOWN_EDGES exactly (not just up to log rounding). */
export const slowdownBucket = (s: number): number => {
  if (!(s >= EDGE1)) return 0 // also NaN and s < 1
  let k = Math.floor(Math.log(s) * INV_LN_R)
  if (k >= SLOWDOWN_TOP_BUCKET) k = SLOWDOWN_TOP_BUCKET
  if (k < 1) k = 1
  while (k > 0 && s < SLOWDOWN_EDGES[k]) k--
  while (k < SLOWDOWN_TOP_BUCKET && s >= SLOWDOWN_EDGES[k + 1]) k++
  return k
}

/**
 * Weighted percentile from a histogram laid out at `offset` in `hist` (SLOWDOWN_BUCKETS entries):
 * the lower edge of the first bucket at which the cumulative weight reaches q x total weight.
 * Returns 1 when the histogram is empty (no running time: no slowdown).
 */
export const histogramPercentile = (hist: ArrayLike<number>, q: number, offset = 0): number => {
  let total = 0
  for (let k = 0; k < SLOWDOWN_BUCKETS; k++) total += hist[offset + k]
  if (!(total > 0)) return 1
  const target = q * total
  let cum = 0
  for (let k = 0; k < SLOWDOWN_BUCKETS; k++) {
    const w = hist[offset + k]
    cum += w
    if (w > 0 && cum >= target) return SLOWDOWN_EDGES[k]
  }
  // Only reachable through rounding of q x total: the last non-empty bucket.
  for (let k = SLOWDOWN_BUCKETS - 1; k >= 0; k--) if (hist[offset + k] > 0) return SLOWDOWN_EDGES[k]
  return 1
}

/**
 * Time downsampling for charts, so that a month-long trace stays readable and light.
 *
 * A series with at most `maxPoints` samples is kept as it is (each sample its own bucket).
 * Longer series are cut into buckets of a fixed width aligned to the Unix epoch (so hourly buckets
 * start on the hour, UTC): the width is the smallest step of BUCKET_LADDER_SECONDS (1 min ... 1 week)
 * that gives at most `maxPoints` buckets, or, past the ladder, a whole number of weeks.
 * Each bucket reports, per field, the mean and the max of the samples that fall in it
 * (samples weigh equally: the engine's ticks all have the same length).
 *
 * Means keep a stacked chart honest: the mean of a sum is the sum of the means, so a stack of
 * bucket means still adds up to the host's physical memory. Maxima keep short spikes visible.
 *
 * Pure and deterministic: same rows in, same buckets out (sums are taken in row order).
 */

export const DEFAULT_MAX_POINTS = 500

/** Bucket widths tried in order, seconds: 1, 5, 15, 30 min; 1, 2, 3, 6, 12 h; 1, 2 days; 1 week. */
export const BUCKET_LADDER_SECONDS: ReadonlyArray<number> = [
  60, 300, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800,
]

/**
 * The bucket width for samples spanning [start, end] (Unix seconds) so that at most maxPoints
 * epoch-aligned buckets cover them.
 */
export const chooseBucketSeconds = (start: number, end: number, maxPoints: number): number => {
  const fits = (width: number): boolean => Math.floor(end / width) - Math.floor(start / width) + 1 <= maxPoints
  for (const width of BUCKET_LADDER_SECONDS) if (fits(width)) return width
  const week = 604800
  let weeks = Math.max(1, Math.ceil((end - start) / week / Math.max(1, maxPoints - 1)))
  while (!fits(weeks * week)) weeks += 1
  return weeks * week
}

export interface Bucket<K extends string> {
  /** Unix seconds at the start of the bucket (the sample's own time when not downsampled). */
  readonly time: number
  /** Samples in the bucket. */
  readonly count: number
  readonly mean: Readonly<Record<K, number>>
  readonly max: Readonly<Record<K, number>>
}

export interface Downsampled<K extends string> {
  /** Bucket width, seconds; 0 when the series was kept as it is. */
  readonly bucketSeconds: number
  readonly buckets: ReadonlyArray<Bucket<K>>
}

type Row<K extends string> = { readonly time: number } & { readonly [P in K]: number }

/** Numbers that are not finite (NaN, Infinity) are skipped in means and maxima. */
const finite = (x: number): boolean => Number.isFinite(x)

/**
 * Downsample `rows` (time ascending or not; buckets come out time ascending) on the given fields.
 * Rows whose time is not finite are dropped.
 */
export const downsampleByTime = <K extends string>(
  rows: ReadonlyArray<Row<K>>,
  fields: ReadonlyArray<K>,
  maxPoints: number = DEFAULT_MAX_POINTS,
): Downsampled<K> => {
  const valid = rows.filter((r) => finite(r.time))
  if (valid.length === 0) return { bucketSeconds: 0, buckets: [] }
  let start = Infinity
  let end = -Infinity
  for (const r of valid) {
    if (r.time < start) start = r.time
    if (r.time > end) end = r.time
  }
  const keep = valid.length <= Math.max(1, maxPoints)
  const width = keep ? 0 : chooseBucketSeconds(start, end, Math.max(1, maxPoints))
  const keyOf = (t: number): number => (width === 0 ? t : Math.floor(t / width) * width)

  interface Acc {
    count: number
    sum: Record<string, number>
    n: Record<string, number>
    max: Record<string, number>
  }
  const accs = new Map<number, Acc>()
  for (const r of valid) {
    const key = keyOf(r.time)
    let acc = accs.get(key)
    if (acc === undefined) {
      acc = { count: 0, sum: {}, n: {}, max: {} }
      for (const f of fields) {
        acc.sum[f] = 0
        acc.n[f] = 0
        acc.max[f] = -Infinity
      }
      accs.set(key, acc)
    }
    acc.count += 1
    for (const f of fields) {
      const v = r[f]
      if (typeof v !== 'number' || !finite(v)) continue
      acc.sum[f] += v
      acc.n[f] += 1
      if (v > acc.max[f]) acc.max[f] = v
    }
  }
  const keys = [...accs.keys()].sort((a, b) => a - b)
  const buckets = keys.map((time): Bucket<K> => {
    const acc = accs.get(time) as Acc
    const mean = {} as Record<K, number>
    const max = {} as Record<K, number>
    for (const f of fields) {
      mean[f] = acc.n[f] === 0 ? 0 : acc.sum[f] / acc.n[f]
      max[f] = acc.n[f] === 0 ? 0 : acc.max[f]
    }
    return { time, count: acc.count, mean, max }
  })
  return { bucketSeconds: width, buckets }
}

/** "1 h", "15 min", "2 days", "1 week": a bucket width for captions. */
export const describeSeconds = (seconds: number): string => {
  const units: ReadonlyArray<readonly [number, string, string]> = [
    [604800, 'week', 'weeks'],
    [86400, 'day', 'days'],
    [3600, 'h', 'h'],
    [60, 'min', 'min'],
    [1, 's', 's'],
  ]
  for (const [size, one, many] of units) {
    if (seconds >= size && seconds % size === 0) {
      const n = seconds / size
      return `${n} ${n === 1 ? one : many}`
    }
  }
  return `${seconds} s`
}

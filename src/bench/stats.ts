/** Timing helpers for the benchmark: wall-clock seconds and medians (pure but for the clock). */

export const median = (xs: ReadonlyArray<number>): number => {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** Run `f` and return its result and the seconds it took. */
export const timed = async <A>(f: () => A | Promise<A>): Promise<{ value: A; seconds: number }> => {
  const t0 = performance.now()
  const value = await f()
  return { value, seconds: (performance.now() - t0) / 1000 }
}

/** Figures rounded for JSON and tables: 3 significant digits (whole numbers kept whole). */
export const sig = (x: number, digits = 3): number => (Number.isFinite(x) ? (Math.abs(x) >= 10 ** digits ? Math.round(x) : Number(x.toPrecision(digits))) : x)

export const MB = 1e6
export const MiB = 2 ** 20

/**
 * A small seeded pseudo-random generator (mulberry32), for everything in memreplay that needs
 * randomness: the synthetic trace generator, and policies that sample (ESX's active-page sampling).
 * Math.random is never used, so a run is a function of its seed.
 *
 * Two forms over one sequence:
 * - pure: `Rng` is an immutable value; each draw returns `[value, nextRng]`. Policies carry an Rng
 *   in their state, so `step` stays pure.
 * - mutable: `MutableRng` advances in place, for hot loops (a generator drawing millions of values)
 *   where allocating a tuple per draw would dominate. It lives inside one function and never escapes
 *   as shared state; `snapshot()` turns it back into a pure Rng.
 * Both give the same numbers from the same seed (a test checks it).
 *
 * mulberry32 (Tommy Ettinger, public domain) has a 2^32 period and passes the usual small-state
 * batteries well enough for simulation; it is not cryptographic. Its state is one 32-bit integer,
 * which is why an Rng is `{ s }`.
 */

/** The generator's state: one signed 32-bit integer. Immutable. */
export interface Rng {
  readonly s: number
}

const GOLDEN = 0x6d2b79f5
const TWO_32 = 4294967296

/** The mulberry32 output function for a state already advanced. */
const output = (s: number): number => {
  let t = Math.imul(s ^ (s >>> 15), 1 | s)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return (t ^ (t >>> 14)) >>> 0
}

/**
 * A 32-bit mix of a seed (any finite number) and optional keys, so that small or adjacent seeds
 * (0, 1, 2...) and derived streams ("vm 17, workload") start far apart. MurmurHash3's finaliser.
 */
export const deriveSeed = (seed: number, ...keys: ReadonlyArray<number | string>): number => {
  let h = mix32((Math.floor(seed) >>> 0) ^ Math.floor(seed / TWO_32))
  for (const k of keys) {
    if (typeof k === 'number') h = mix32(h ^ mix32((Math.floor(k) >>> 0) + 0x9e3779b9))
    else for (let i = 0; i < k.length; i++) h = mix32(h ^ (k.charCodeAt(i) + 0x9e3779b9 + i))
  }
  return h | 0
}

const mix32 = (x: number): number => {
  let h = x | 0
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** A generator from a seed (and optional keys naming an independent stream). */
export const seedRng = (seed: number, ...keys: ReadonlyArray<number | string>): Rng => ({ s: deriveSeed(seed, ...keys) })

/** Next uniform 32-bit unsigned integer. */
export const nextUint32 = (rng: Rng): readonly [number, Rng] => {
  const s = (rng.s + GOLDEN) | 0
  return [output(s), { s }]
}

/** Next uniform float in [0, 1). */
export const nextFloat = (rng: Rng): readonly [number, Rng] => {
  const [u, next] = nextUint32(rng)
  return [u / TWO_32, next]
}

/** Next uniform integer in [0, n). */
export const nextInt = (rng: Rng, n: number): readonly [number, Rng] => {
  const [u, next] = nextFloat(rng)
  return [Math.floor(u * n), next]
}

/** Next standard normal (Box-Muller; uses two draws and keeps no spare, so the state stays one integer). */
export const nextNormal = (rng: Rng): readonly [number, Rng] => {
  const [u1, r1] = nextFloat(rng)
  const [u2, r2] = nextFloat(r1)
  return [boxMuller(u1, u2), r2]
}

const boxMuller = (u1: number, u2: number): number => Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2)

/** A generator that advances in place: the same sequence as the pure form, without allocation. */
export interface MutableRng {
  uint32(): number
  /** Uniform in [0, 1). */
  float(): number
  /** Uniform integer in [0, n). */
  int(n: number): number
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number
  /** Standard normal. */
  normal(): number
  /** true with probability p. */
  chance(p: number): boolean
  /** The current state as a pure Rng (continuing from it gives the same numbers). */
  snapshot(): Rng
}

export const mutableRng = (start: Rng): MutableRng => {
  let s = start.s
  const uint32 = (): number => {
    s = (s + GOLDEN) | 0
    return output(s)
  }
  const float = (): number => uint32() / TWO_32
  return {
    uint32,
    float,
    int: (n) => Math.floor(float() * n),
    uniform: (lo, hi) => lo + (hi - lo) * float(),
    normal: () => {
      const u1 = float()
      return boxMuller(u1, float())
    },
    chance: (p) => float() < p,
    snapshot: () => ({ s }),
  }
}

/** A permutation of 0..n-1 (Fisher-Yates), drawn from a mutable generator. */
export const shuffledIndices = (rng: MutableRng, n: number): number[] => {
  const a = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    const tmp = a[i]
    a[i] = a[j]
    a[j] = tmp
  }
  return a
}

/**
 * Touched memory, modelled where the trace does not record it. DOMAIN.md section 6: Windows guests
 * zero all their memory at boot, so touched jumps to what they can see and the zero pages are
 * shareable; Linux guests touch memory as they use it and fill the rest with page cache, and the
 * cache grows by what the guest reads and writes through it (every read that reached the virtual
 * disk was a cache miss).
 *
 * A guest's touched memory is split into its working set (demand), page cache and freed-but-dirty
 * pages (`cache`), and zeroed pages it has not used yet (`zero`). Working set that grows takes zeroed
 * pages first; working set that shrinks leaves its pages behind: Windows zeroes them again (its
 * zero-page thread), Linux keeps them as free-but-dirty or cache (freed, never returned).
 * Cache grows into the room the guest has: by the step's disk reads and writes where the trace
 * records them (Bitbrains does, per sample), otherwise toward the room with a time constant per OS
 * (the fallback), as a rate over the step so the result keeps its character when the step changes.
 * A balloon (or a smaller assignment) squeezes zero pages first, then cache, then the working set
 * (the guest then pages: see world.ts).
 *
 * Warm start: a VM already running when the recording starts has run for `warmHours` before it: its
 * cache is what that much I/O at its first sample's rate (or the fallback's time constant) filled.
 */
import * as t from 'io-ts'
import type { OsFamily } from '../trace/trace.js'

export interface TouchedParams {
  /** Hours for a Linux guest's page cache to fill 63% of its free room. */
  readonly linuxCacheHours: number
  /** Hours for a Windows guest's cache (standby list) to fill 63% of its free room. */
  readonly windowsCacheHours: number
  /** Windows guests zero all visible memory at boot. */
  readonly windowsZeroAtBoot: boolean
  /** A warm start's VMs have run this long before the recording (their cache is filled for it). */
  readonly warmHours: number
}

export const TouchedParamsCodec = t.type({
  linuxCacheHours: t.number,
  windowsCacheHours: t.number,
  windowsZeroAtBoot: t.boolean,
  warmHours: t.number,
})

export const DEFAULT_TOUCHED: TouchedParams = {
  linuxCacheHours: 6,
  windowsCacheHours: 12,
  windowsZeroAtBoot: true,
  warmHours: 24, // modelling choice: a day of the guest's first-sample I/O, or 4 of Linux's time constants
}

/**
 * Guest memory at its first tick: [cache, zero] given working set and usable memory. Booting: a
 * Windows guest has zeroed what it sees, a Linux guest has touched nothing beyond its working set.
 * Warm (it ran before the recording): also the cache that `warmHours` of the guest's first-sample
 * disk I/O (`ioMiBPerSecond`, NaN: not recorded, use the OS's time constant) filled in its room.
 */
export const touchedAtStart = (p: TouchedParams, os: OsFamily, demand: number, usable: number, warm: boolean, ioMiBPerSecond: number): readonly [number, number] => {
  const ws = Math.min(demand, usable)
  const zero = os === 'windows' && p.windowsZeroAtBoot ? usable - ws : 0
  if (!warm) return [0, zero]
  const room = Math.max(0, usable - ws - zero)
  const seconds = p.warmHours * 3600
  const cache = ioMiBPerSecond >= 0 ? Math.min(room, ioMiBPerSecond * seconds) : room * cacheFill(os === 'windows' ? p.windowsCacheHours : p.linuxCacheHours, seconds)
  return [cache, zero]
}

/** Share of its free room a guest's cache fills in `seconds` (0 if the time constant is 0). */
export const cacheFill = (hours: number, seconds: number): number => (hours > 0 ? 1 - Math.exp(-seconds / (hours * 3600)) : 0)

/** The cache fill per step for each OS family (`cacheFill` with the params' time constants). */
export const cacheFills = (p: TouchedParams, seconds: number): { readonly windows: number; readonly linux: number } => ({
  windows: cacheFill(p.windowsCacheHours, seconds),
  linux: cacheFill(p.linuxCacheHours, seconds),
})

/**
 * One step of the guest: given last tick's cache and zero pages and last working set, the new
 * working set and usable memory, writes [cache, zero] into `out` (touched = min(demand, usable) +
 * cache + zero). The cache grows by `ioMiB`, the step's recorded disk reads and writes, or, when
 * the trace has none (NaN), by `fill`, the step's share of its room for the guest's OS (cacheFills,
 * computed once per step rather than per VM); an out-array, not a returned tuple: this runs for
 * every VM at every step.
 */
export const touchedStep = (
  windows: boolean,
  fill: number,
  ioMiB: number,
  prevDemand: number,
  cache: number,
  zero: number,
  demand: number,
  usable: number,
  out: Float64Array,
): void => {
  const ws = Math.min(demand, usable)
  const prevWs = Math.min(prevDemand, usable)
  // Working set growth is served from zeroed pages, then from cache; shrinkage becomes cache.
  let z = zero
  let c = cache
  const grow = ws - prevWs
  if (grow > 0) {
    const fromZero = Math.min(z, grow)
    z -= fromZero
    c = Math.max(0, c - (grow - fromZero))
  } else if (windows) {
    // Windows' zero-page thread zeroes freed pages in the background: they are zero pages again.
    z += -grow
  } else {
    // Linux leaves freed pages as they were: touched, not zero (free-but-dirty, or page cache).
    c += -grow
  }
  // Cache fills the room left: by what the guest read and wrote, else at the OS's time constant.
  const room = Math.max(0, usable - ws - c - z)
  if (room > 0) c += ioMiB >= 0 ? Math.min(room, ioMiB) : room * fill
  // Squeeze to what the guest can use: zero pages first, then cache.
  let over = ws + c + z - usable
  if (over > 0) {
    const zCut = Math.min(z, over)
    z -= zCut
    over -= zCut
    c = Math.max(0, c - over)
  }
  out[0] = c
  out[1] = z
}

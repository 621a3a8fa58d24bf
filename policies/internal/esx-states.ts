/**
 * ESX free-memory states: minFree, the thresholds of each generation, and the state machine with
 * hysteresis. Pure functions, tested directly (test/policies/overcommit.test.ts).
 *
 * How a threshold is read (the sources agree on this, the brief's shorthand "high >= 400%" does not):
 * the host ENTERS a state when free memory falls BELOW that state's threshold. vSphere 6 (Epping,
 * "What happens at which vSphere memory state?", yellow-bricks.com 2015; running-system.com; esxtop
 * quick overview): clear < 100% of minFree, soft < 64%, hard < 32%, low < 16%. Above the clear
 * threshold the host is in the high state; the high threshold (400% of minFree) is the line below
 * which large pages are broken preemptively ("break large pages when below threshold, wait for the
 * next TPS run"). ESX 4 esxtop guide with ESX 2's percentages: soft < 4% free, hard < 2%, low < 1%,
 * high 6% (the paper's high threshold). ESXi 5.x: no clear state; high 100% of minFree is the
 * large-page line and soft, hard, low as in vSphere 6.
 *
 * Hysteresis (Waldspurger 2002: "the system transitions back to the next higher state only after
 * significantly exceeding the higher threshold"): a host in state s moves up only when free memory
 * reaches s's threshold plus a margin, max(minMarginMiB, share x threshold). The default share 0.5 is
 * anchored on ESX 2: soft is entered below 4% and left above 6% (= 4% x 1.5), the high threshold.
 * Downward moves are immediate (and may skip states); upward moves may climb several states in one
 * tick if free memory allows.
 */
import type { HostState } from '../../src/engine/account.js'

export type StatesKind = 'vsphere6' | 'esx5' | 'esx2'

/** The reclaim states below high, deepest last. */
export type ReclaimState = 'clear' | 'soft' | 'hard' | 'low'

export interface FreeThresholds {
  readonly kind: StatesKind
  /** Below this free memory (MiB), large pages are broken (vSphere 6: 400% of minFree). */
  readonly largePageLine: number
  /** Entry thresholds (MiB), highest first: the host enters `state` when free < `below`. */
  readonly levels: ReadonlyArray<{ readonly state: ReclaimState; readonly below: number }>
}

export interface Hysteresis {
  /** Margin as a share of the threshold being left (0.5: ESX 2's 4% -> 6%). */
  readonly share: number
  /** Smallest margin, MiB (keeps small hosts from flapping). */
  readonly minMiB: number
}

const GIB = 1024

/**
 * minFree (ESX 5+), MiB, of a host with `physicalMiB` of memory: 6% of the first 4 GB, 4% of the
 * next 8 GB (4..12), 2% of the next 16 GB (12..28), 1% of the rest (GB read as GiB, MB as MiB).
 */
export const minFreeMiB = (physicalMiB: number): number => {
  const band = (lo: number, hi: number): number => Math.max(0, Math.min(physicalMiB, hi) - lo)
  return 0.06 * band(0, 4 * GIB) + 0.04 * band(4 * GIB, 12 * GIB) + 0.02 * band(12 * GIB, 28 * GIB) + 0.01 * band(28 * GIB, Infinity)
}

/** The thresholds of one ESX generation for a host of `physicalMiB`. */
export const freeThresholds = (kind: StatesKind, physicalMiB: number): FreeThresholds => {
  if (kind === 'esx2') {
    // ESX 2 (Waldspurger 2002): high 6%, soft 4%, hard 2%, low 1% of host memory.
    return {
      kind,
      largePageLine: 0.06 * physicalMiB,
      levels: [
        { state: 'soft', below: 0.04 * physicalMiB },
        { state: 'hard', below: 0.02 * physicalMiB },
        { state: 'low', below: 0.01 * physicalMiB },
      ],
    }
  }
  const m = minFreeMiB(physicalMiB)
  const lower = [
    { state: 'soft' as const, below: 0.64 * m },
    { state: 'hard' as const, below: 0.32 * m },
    { state: 'low' as const, below: 0.16 * m },
  ]
  // ESXi 5.x: high at 100% of minFree, no clear state. vSphere 6: high 400%, clear 100%.
  return kind === 'esx5'
    ? { kind, largePageLine: m, levels: lower }
    : { kind, largePageLine: 4 * m, levels: [{ state: 'clear', below: m }, ...lower] }
}

/** Margin above `threshold` needed to leave upward. */
export const marginOf = (threshold: number, h: Hysteresis): number => Math.max(h.minMiB, h.share * threshold)

/** Free memory (MiB) at which a host in `state` moves up one state ('high': none). */
export const exitLevel = (th: FreeThresholds, state: HostState, h: Hysteresis): number => {
  const level = th.levels.find((l) => l.state === state)
  return level === undefined ? 0 : level.below + marginOf(level.below, h)
}

/** States from the top: high, then the levels. */
const ordered = (th: FreeThresholds): ReadonlyArray<HostState> => ['high', ...th.levels.map((l) => l.state)]

/** 0 for high, deeper states higher (-1 for a state this generation does not have). */
export const depthOf = (th: FreeThresholds, state: HostState): number => ordered(th).indexOf(state)

/**
 * The next free-memory state from the current one and free memory (MiB): down at once to the
 * deepest state whose threshold free memory is below; up only past threshold + margin.
 */
export const nextFreeState = (th: FreeThresholds, current: HostState, free: number, h: Hysteresis): HostState => {
  const states = ordered(th)
  let raw: HostState = 'high'
  for (const l of th.levels) if (free < l.below) raw = l.state
  const cur = depthOf(th, current) < 0 ? 'high' : current
  if (depthOf(th, raw) > depthOf(th, cur)) return raw
  let d = depthOf(th, cur)
  while (d > 0 && free >= exitLevel(th, states[d], h)) d--
  return states[d]
}

/**
 * Whether large pages are broken this step. Broken below the large-page line. Restored (guest
 * memory backed by 2 MB pages again) once free memory has stayed at or above the line plus its
 * margin for `restoreSeconds` (`secondsAbove`: how long it has, the caller's count). With large
 * pages back, nothing new is shared and pages already shared stay so only until written
 * (engine/world.ts, step 3), so the host loses them gradually as guests write; the margin and the
 * wait keep that from throwing it straight back below the line.
 */
export const largePagesBroken = (th: FreeThresholds, wasBroken: boolean, free: number, secondsAbove: number, restoreSeconds: number, h: Hysteresis): boolean => {
  if (free < th.largePageLine) return true
  if (!wasBroken) return false
  return !(free >= th.largePageLine + marginOf(th.largePageLine, h) && secondsAbove >= restoreSeconds)
}

/** Seconds free memory has stayed at or above the large-page line plus its margin, after a step. */
export const secondsAboveLine = (th: FreeThresholds, free: number, before: number, stepSeconds: number, h: Hysteresis): number =>
  free >= th.largePageLine + marginOf(th.largePageLine, h) ? before + stepSeconds : 0

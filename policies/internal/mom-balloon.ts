/**
 * oVirt MoM's default balloon rules (DOMAIN.md section 5), one guest and one MoM interval at a time.
 * Pure arithmetic, worked by hand in test/policies/kvm-mom.test.ts. Sizes MiB; `cur` is the guest's
 * current memory (MoM's balloon_cur: what the guest can use), `max` its full size.
 *
 *   host free share <= critical (5%)   critical: shrink, and let the guest's free memory go negative
 *                                      (guest free = host free share - 5%: the guest must page)
 *   host free share <  threshold (20%) pressure: shrink, keeping guest free = 20% x share / 20%
 *   otherwise                          grow
 *
 * Shrink: to cur x (1 - 5%), but never below max(guest minimum, used + guest free x cur).
 * Grow: to min(max, cur x (1 + 5%)).
 * A change smaller than 0.25% of cur is not worth making (MoM's change_big_enough).
 */

export interface BalloonRules {
  /** Host free share below which the host is under pressure (MoM: 0.20). */
  readonly pressureThreshold: number
  /** Host free share at or below which pressure is critical (MoM: 0.05). */
  readonly pressureCritical: number
  /** Free share a guest keeps when the host is just under the threshold (MoM: 0.20). */
  readonly minGuestFree: number
  /** Largest change per interval, as a share of the guest's size (MoM: 0.05). */
  readonly maxChange: number
  /** Smallest change worth making, as a share of the guest's size (MoM: 0.0025). */
  readonly minChange: number
}

export const MOM_BALLOON: BalloonRules = { pressureThreshold: 0.2, pressureCritical: 0.05, minGuestFree: 0.2, maxChange: 0.05, minChange: 0.0025 }

export type Pressure = 'none' | 'pressure' | 'critical'

export const pressureOf = (freeShare: number, r: BalloonRules): Pressure =>
  freeShare <= r.pressureCritical ? 'critical' : freeShare < r.pressureThreshold ? 'pressure' : 'none'

/** Free share MoM leaves a guest it shrinks (negative when critical: the guest must page). */
export const guestFreeShare = (freeShare: number, r: BalloonRules): number =>
  freeShare <= r.pressureCritical ? freeShare - r.pressureCritical : (r.minGuestFree * freeShare) / r.pressureThreshold

/** One interval under pressure: the guest's new size (cur if the change is too small or would grow). */
export const shrinkGuest = (cur: number, used: number, minimum: number, freeShare: number, r: BalloonRules): number => {
  const floor = Math.max(minimum, used + guestFreeShare(freeShare, r) * cur)
  const size = Math.max(cur * (1 - r.maxChange), floor)
  return size <= cur && cur - size > r.minChange * cur ? size : cur
}

/** One interval without pressure: the guest's new size, toward its full size. */
export const growGuest = (cur: number, max: number, r: BalloonRules): number => {
  if (cur >= max) return cur
  const size = Math.min(max, cur * (1 + r.maxChange))
  return size - cur > r.minChange * cur ? size : cur
}

/**
 * How a short Hyper-V host shares memory among running VMs (helpers of policies/dynamic-memory.ts).
 *
 * Microsoft documents only that "after all reserves have been met, the remaining memory ... is
 * allocated based on relative weights, not exceeding the limit" (DOMAIN.md 3); how the balancer
 * picks donors is not published. Both rules here are modelling choices:
 *
 *   - weightShare: every VM first gets its floor (Minimum RAM); what remains goes by relative weight,
 *     water-filling: a VM whose weighted share would take it past its cap (its target) is held at its
 *     cap, and the surplus is shared again by weight among the others.
 *   - pressureShare: assigned memory is chosen so that pressure (demand / assigned) is equal across
 *     VMs, each VM held within [floor, cap]: assigned_v = clamp(demand_v * x, floor_v, cap_v) with x
 *     chosen so the sum is the memory available.
 *
 * Pure functions of their arguments; they return new arrays and never write their inputs.
 */
import type { Column } from '../../src/engine/policy.js'

/**
 * Water-filling by weight. `members` are the indices taking part; the result has the length of
 * `floors`, with 0 for non-members. Assumes sum(floors) <= total <= sum(caps) over members (callers
 * share only when the host is short); outside that range it returns the floors or the caps.
 * A weight of 0 gets nothing above its floor while any VM with a positive weight can still grow;
 * when only weight-0 VMs are left below their caps they share what remains equally.
 */
export const weightShare = (
  members: ReadonlyArray<number>,
  floors: Column,
  caps: Column,
  weights: Column,
  total: number,
): Float64Array => {
  const out = new Float64Array(floors.length)
  let remaining = total
  for (const v of members) {
    out[v] = floors[v]
    remaining -= floors[v]
  }
  let active = members.filter((v) => caps[v] > floors[v])
  while (remaining > 0 && active.length > 0) {
    const positive = active.some((v) => weights[v] > 0)
    const w = (v: number): number => (positive ? Math.max(0, weights[v]) : 1)
    let W = 0
    for (const v of active) W += w(v)
    // VMs whose share would pass their cap are held at it; the rest share again.
    const capped = active.filter((v) => w(v) > 0 && (remaining * w(v)) / W >= caps[v] - out[v])
    if (capped.length === 0) {
      for (const v of active) out[v] += (remaining * w(v)) / W
      remaining = 0
      break
    }
    for (const v of capped) {
      remaining -= caps[v] - out[v]
      out[v] = caps[v]
    }
    active = active.filter((v) => !capped.includes(v))
  }
  return out
}

/**
 * Equal pressure: assigned_v = clamp(demand_v * x, floor_v, cap_v), with x the largest value (found
 * by bisection, kept on the side that fits) such that the sum over members is at most `total`.
 * Pressure of an unclamped VM is then 100 / x. Non-members get 0.
 */
export const pressureShare = (
  members: ReadonlyArray<number>,
  floors: Column,
  caps: Column,
  demands: Column,
  total: number,
): Float64Array => {
  const sumAt = (x: number): number => {
    let s = 0
    for (const v of members) s += Math.min(caps[v], Math.max(floors[v], demands[v] * x))
    return s
  }
  let hi = 0
  for (const v of members) if (demands[v] > 0) hi = Math.max(hi, caps[v] / demands[v])
  let lo = 0
  if (sumAt(hi) <= total) lo = hi
  else
    for (let i = 0; i < 200 && hi - lo > 0; i++) {
      const mid = (lo + hi) / 2
      if (mid === lo || mid === hi) break
      if (sumAt(mid) <= total) lo = mid
      else hi = mid
    }
  const out = new Float64Array(floors.length)
  for (const v of members) out[v] = Math.min(caps[v], Math.max(floors[v], demands[v] * lo))
  return out
}

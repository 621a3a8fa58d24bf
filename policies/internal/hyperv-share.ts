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
  const growing = members.filter((v) => caps[v] > floors[v])
  const weighted = growing.filter((v) => weights[v] > 0)
  remaining = fill(weighted, floors, caps, (v) => weights[v], remaining, out)
  // Weight-0 VMs share equally what the weighted ones could not take.
  if (remaining > 0) fill(growing.filter((v) => !(weights[v] > 0)), floors, caps, () => 1, remaining, out)
  return out
}

/**
 * Water-filling in O(n log n): at level L a VM gets min(L x w, need), need = cap - floor. VMs are
 * capped in the order of need / w; the first that is not capped sets L = remaining / (weight left).
 * Adds to `out`; returns what is left over (> 0 only when every VM reached its cap).
 */
const fill = (vs: ReadonlyArray<number>, floors: Column, caps: Column, w: (v: number) => number, remaining: number, out: Float64Array): number => {
  const order = [...vs].sort((a, b) => (caps[a] - floors[a]) / w(a) - (caps[b] - floors[b]) / w(b))
  let W = 0
  for (const v of order) W += w(v)
  let i = 0
  for (; i < order.length && remaining > 0; i++) {
    const v = order[i]
    const need = caps[v] - floors[v]
    if ((remaining * w(v)) / W < need) break
    out[v] = caps[v]
    remaining -= need
    W -= w(v)
  }
  if (remaining <= 0) return 0
  if (i === order.length) return remaining
  for (let j = i; j < order.length; j++) out[order[j]] += (remaining * w(order[j])) / W
  return 0
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

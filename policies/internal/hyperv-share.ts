/**
 * How a short Hyper-V host shares memory among running VMs (helpers of policies/dynamic-memory.ts).
 *
 * Microsoft documents only that "after all reserves have been met, the remaining memory ... is
 * allocated based on relative weights, not exceeding the limit" (DOMAIN.md 3); how the balancer
 * picks donors is not published. Both rules here are modelling choices:
 *
 *   - weightShare: every VM first gets its floor (Minimum RAM); then every VM its demand, by relative
 *     weight; then, only if every demand is met, every VM its buffer, by relative weight. Each level
 *     water-fills: a VM whose weighted share would take it past that level's cap (its demand, then its
 *     target) is held there, and the surplus is shared again by weight among the others. Demand before
 *     buffer is documented: the buffer "is not maintained" when the host cannot give every VM its
 *     requested buffer (Dynamic Memory configuration guide, 2011; DOMAIN.md 3), so one VM's buffer
 *     never makes another VM page. Only the split by weight within a level is our choice.
 *   - pressureShare: assigned memory is chosen so that pressure (demand / assigned) is equal across
 *     VMs, each VM held within [floor, cap]: assigned_v = clamp(demand_v * x, floor_v, cap_v) with x
 *     chosen so the sum is the memory available.
 *
 * Pure functions of their arguments; they return new arrays and never write their inputs.
 */
import type { Column } from '../../src/engine/policy.js'

/**
 * Water-filling by weight in two levels. `members` are the indices taking part; the result has the
 * length of `floors`, with 0 for non-members. Members get their floor, then are filled up to `needs`
 * (their demand), then, with what is left once every member has its need, up to `caps` (their
 * target: demand plus buffer). Needs within [floor, cap]. Assumes sum(floors) <= total <=
 * sum(caps) over members (callers share only when the host is short); outside that range it returns
 * the floors or the caps. With needs = caps it is one-level water-filling up to the caps.
 * A weight of 0 gets nothing above a level's start while any VM with a positive weight can still
 * grow within that level; when only weight-0 VMs are left below it they share what remains equally.
 */
export const weightShare = (members: Column, floors: Column, needs: Column, caps: Column, weights: Column, total: number): Float64Array => {
  const out = new Float64Array(floors.length)
  const m = members.length
  let remaining = total
  for (let i = 0; i < m; i++) {
    const v = members[i]
    out[v] = floors[v]
    remaining -= floors[v]
  }
  const ids = new Int32Array(m)
  remaining = level(members, floors, needs, weights, remaining, out, ids)
  // Left over only when every member reached its need: the buffers.
  if (remaining > 0) level(members, needs, caps, weights, remaining, out, ids)
  return out
}

/**
 * One level: members fill from `lows` (where `out` stands) toward `highs`, those with a positive
 * weight by weight, then the weight-0 ones equally with what the others could not take. `ids` is
 * scratch of the members' length. Returns what is left over.
 */
const level = (members: Column, lows: Column, highs: Column, weights: Column, remaining: number, out: Float64Array, ids: Int32Array): number => {
  const m = members.length
  // Growing members in member order: those with a positive weight at the front of `ids`, the
  // weight-0 ones after them.
  let weighted = 0
  for (let i = 0; i < m; i++) {
    const v = members[i]
    if (highs[v] > lows[v] && weights[v] > 0) ids[weighted++] = v
  }
  let growing = weighted
  for (let i = 0; i < m; i++) {
    const v = members[i]
    if (highs[v] > lows[v] && !(weights[v] > 0)) ids[growing++] = v
  }
  const left = fill(ids.subarray(0, weighted), lows, highs, weights, remaining, out)
  return left > 0 ? fill(ids.subarray(weighted, growing), lows, highs, undefined, left, out) : 0
}

/**
 * Water-filling in O(n log n): at level L a VM gets min(L x w, need), need = cap - floor. VMs are
 * capped in the order of need / w; the first that is not capped sets L = remaining / (weight left).
 * `weights` undefined: every weight is 1. Sorts `vs` in place; adds to `out`; returns what is left
 * over (> 0 only when every VM reached its cap).
 */
const fill = (vs: Int32Array, floors: Column, caps: Column, weights: Column | undefined, remaining: number, out: Float64Array): number => {
  const k = vs.length
  const keys = new Float64Array(k)
  for (let i = 0; i < k; i++) {
    const v = vs[i]
    keys[i] = (caps[v] - floors[v]) / (weights === undefined ? 1 : weights[v])
  }
  sortByKey(vs, keys)
  let W = 0
  for (let i = 0; i < k; i++) W += weights === undefined ? 1 : weights[vs[i]]
  let i = 0
  for (; i < k && remaining > 0; i++) {
    const v = vs[i]
    const w = weights === undefined ? 1 : weights[v]
    const need = caps[v] - floors[v]
    if ((remaining * w) / W < need) break
    out[v] = caps[v]
    remaining -= need
    W -= w
  }
  if (remaining <= 0) return 0
  if (i === k) return remaining
  for (let j = i; j < k; j++) {
    const v = vs[j]
    out[v] += (remaining * (weights === undefined ? 1 : weights[v])) / W
  }
  return 0
}

/**
 * Sorts `ids` by `keys` (keys[i] belongs to ids[i]; both are reordered), ascending and stable: equal
 * keys keep their order, as Array.prototype.sort did here before, so the shares do not change.
 * Bottom-up merge sort on typed arrays: no comparator calls, O(n log n).
 */
const sortByKey = (ids: Int32Array, keys: Float64Array): void => {
  const k = ids.length
  if (k < 2) return
  let srcIds = ids
  let srcKeys = keys
  let dstIds: Int32Array = new Int32Array(k)
  let dstKeys: Float64Array = new Float64Array(k)
  for (let width = 1; width < k; width *= 2) {
    for (let lo = 0; lo < k; lo += 2 * width) {
      const mid = Math.min(lo + width, k)
      const hi = Math.min(lo + 2 * width, k)
      let a = lo
      let b = mid
      let o = lo
      while (a < mid && b < hi) {
        // Take from the right run only when strictly smaller: stability.
        if (srcKeys[b] < srcKeys[a]) {
          dstIds[o] = srcIds[b]
          dstKeys[o++] = srcKeys[b++]
        } else {
          dstIds[o] = srcIds[a]
          dstKeys[o++] = srcKeys[a++]
        }
      }
      while (a < mid) {
        dstIds[o] = srcIds[a]
        dstKeys[o++] = srcKeys[a++]
      }
      while (b < hi) {
        dstIds[o] = srcIds[b]
        dstKeys[o++] = srcKeys[b++]
      }
    }
    const ti = srcIds
    srcIds = dstIds
    dstIds = ti
    const tk = srcKeys
    srcKeys = dstKeys
    dstKeys = tk
  }
  if (srcIds !== ids) {
    ids.set(srcIds)
    keys.set(srcKeys)
  }
}

/**
 * Equal pressure: assigned_v = clamp(demand_v * x, floor_v, cap_v), with x the largest value (found
 * by bisection, kept on the side that fits) such that the sum over members is at most `total`.
 * Pressure of an unclamped VM is then 100 / x. Non-members get 0.
 */
export const pressureShare = (members: Column, floors: Column, caps: Column, demands: Column, total: number): Float64Array => {
  // The members' columns packed together (member order), read ~200 times by the bisection.
  const m = members.length
  const packed = new Float64Array(3 * m)
  const lows = packed.subarray(0, m)
  const highs = packed.subarray(m, 2 * m)
  const ds = packed.subarray(2 * m)
  let hi = 0
  for (let i = 0; i < m; i++) {
    const v = members[i]
    lows[i] = floors[v]
    highs[i] = caps[v]
    ds[i] = demands[v]
    if (demands[v] > 0) hi = Math.max(hi, caps[v] / demands[v])
  }
  let lo = 0
  if (sumAt(lows, highs, ds, hi) <= total) lo = hi
  else
    for (let i = 0; i < 200 && hi - lo > 0; i++) {
      const mid = (lo + hi) / 2
      if (mid === lo || mid === hi) break
      if (sumAt(lows, highs, ds, mid) <= total) lo = mid
      else hi = mid
    }
  const out = new Float64Array(floors.length)
  for (let i = 0; i < m; i++) out[members[i]] = Math.min(highs[i], Math.max(lows[i], ds[i] * lo))
  return out
}

/** Sum over members of clamp(demand x x, floor, cap). */
const sumAt = (lows: Float64Array, highs: Float64Array, ds: Float64Array, x: number): number => {
  let s = 0
  for (let i = 0; i < ds.length; i++) s += Math.min(highs[i], Math.max(lows[i], ds[i] * x))
  return s
}

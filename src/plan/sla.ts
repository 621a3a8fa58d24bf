/**
 * The service level a plan must meet, stated by the user (JSON or command-line options), decoded by
 * an io-ts codec (unknown keys and bad values rejected with sentences), with defaults:
 *
 *     { "maxVmsRefused": 0, "maxPressureOver100Share": 0.001, "maxSlowdownP99": 1.1, "maxHostSwapOutGiB": 0 }
 *
 *   maxVmsRefused            VMs refused at least once (by placement or by a host's admission).
 *                            Default 0: a plan that turns VMs away is not a plan.
 *   maxPressureOver100Share  share of running VM-time with pressure over 100 (demand > assigned: the
 *                            guest is short and pages). Default 0.001 (0.1%: under 45 minutes per
 *                            VM-month), the issue's example.
 *   maxSlowdownP99           99th percentile of the estimated slowdown over running VM-time. Default
 *                            1.1: at most 1% of VM-time more than 10% slower. Tighter than 1.1 is
 *                            within the histogram's 1% resolution and the estimate's own error.
 *   maxHostSwapOutGiB        GiB written to host swap over the run. Default 0: host swapping hits
 *                            working set blindly (double paging) and is what a planner wants to avoid.
 * Any bound may be null to drop it. A run that stopped on a rule violation never meets the level.
 *
 * The same JSON may carry the constraints a planner sizes for (PlanSpecCodec; plans only, a sweep's
 * fixed host counts take the bounds alone), with defaults:
 *
 *     { "spareHosts": 0, "growth": 1.0, "headroom": 0 }
 *
 *   spareHosts   k hosts added to the count found, for HA (N+k: the fleet still meets the level
 *                with k hosts down). Default 0.
 *   growth       factor over the trace's memory: the plan replays every VM's demand, touched and
 *                configured memory times it (1.2 = 20% growth). Default 1.0.
 *   headroom     share of each host's memory for VMs (physical - reserve) kept free: the plan
 *                replays hosts with that much less (0.1 = plan to 90% utilisation). Default 0.
 *
 * Pure: evaluate(metrics) lists the violations, each with its figure and bound; margin() says how
 * far the binding figure is from its bound.
 */
import * as t from 'io-ts'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import type { RunMetrics } from '../metrics/run-metrics.js'
import { decodeWith, strictObject } from '../spec/errors.js'

export interface ServiceLevel {
  readonly maxVmsRefused: number | null
  readonly maxPressureOver100Share: number | null
  readonly maxSlowdownP99: number | null
  readonly maxHostSwapOutGiB: number | null
}

export const DEFAULT_SLA: ServiceLevel = {
  maxVmsRefused: 0,
  maxPressureOver100Share: 0.001,
  maxSlowdownP99: 1.1,
  maxHostSwapOutGiB: 0,
}

export type SlaKey = keyof ServiceLevel
export const SLA_KEYS: ReadonlyArray<SlaKey> = ['maxVmsRefused', 'maxPressureOver100Share', 'maxSlowdownP99', 'maxHostSwapOutGiB']

/** Each term: the metric it bounds, its floor (the best the figure can be), and a label. */
export const SLA_TERMS: Readonly<Record<SlaKey, { readonly figure: keyof RunMetrics; readonly floor: number; readonly label: string }>> = {
  maxVmsRefused: { figure: 'vmsRefused', floor: 0, label: 'VMs refused' },
  maxPressureOver100Share: { figure: 'pressureOver100Share', floor: 0, label: 'share of VM-time with pressure > 100' },
  maxSlowdownP99: { figure: 'slowdownP99', floor: 1, label: 'slowdown P99' },
  maxHostSwapOutGiB: { figure: 'hostSwapOutGiB', floor: 0, label: 'host swap-out (GiB)' },
}

/** A bound or null (no bound); failures carry the inner codec's sentence only. */
const nullable = <A>(c: t.Type<A, A, unknown>): t.Type<A | null, A | null, unknown> =>
  new t.Type<A | null, A | null, unknown>(
    c.name,
    (u): u is A | null => u === null || c.is(u),
    (u, ctx) => (u === null ? t.success(null) : c.validate(u, ctx)),
    (a) => a,
  )

const wholeCount = new t.Type<number, number, unknown>(
  'a whole number >= 0',
  (u): u is number => typeof u === 'number' && Number.isInteger(u) && u >= 0,
  (u, c) => (typeof u === 'number' && Number.isInteger(u) && u >= 0 ? t.success(u) : t.failure(u, c, `expected a whole number >= 0 (or null for no bound), found ${JSON.stringify(u)}`)),
  (n) => n,
)
const share = new t.Type<number, number, unknown>(
  'a share in 0..1',
  (u): u is number => typeof u === 'number' && u >= 0 && u <= 1,
  (u, c) => (typeof u === 'number' && Number.isFinite(u) && u >= 0 && u <= 1 ? t.success(u) : t.failure(u, c, `expected a share in 0..1 (0.001 = 0.1%; or null for no bound), found ${JSON.stringify(u)}`)),
  (n) => n,
)
const factor = new t.Type<number, number, unknown>(
  'a slowdown factor >= 1',
  (u): u is number => typeof u === 'number' && u >= 1,
  (u, c) => (typeof u === 'number' && Number.isFinite(u) && u >= 1 ? t.success(u) : t.failure(u, c, `expected a slowdown factor >= 1 (1 = no slowdown; or null for no bound), found ${JSON.stringify(u)}`)),
  (n) => n,
)
const gib = new t.Type<number, number, unknown>(
  'GiB >= 0',
  (u): u is number => typeof u === 'number' && u >= 0,
  (u, c) => (typeof u === 'number' && Number.isFinite(u) && u >= 0 ? t.success(u) : t.failure(u, c, `expected a number of GiB >= 0 (or null for no bound), found ${JSON.stringify(u)}`)),
  (n) => n,
)

export const ServiceLevelCodec = strictObject(
  'a service level { maxVmsRefused, maxPressureOver100Share, maxSlowdownP99, maxHostSwapOutGiB }',
  {},
  {
    maxVmsRefused: nullable(wholeCount),
    maxPressureOver100Share: nullable(share),
    maxSlowdownP99: nullable(factor),
    maxHostSwapOutGiB: nullable(gib),
  },
)

/** Decode a (partial) service level over `base` (default DEFAULT_SLA); `source` names it in sentences. */
export const decodeServiceLevel = (json: unknown, source: string, base: ServiceLevel = DEFAULT_SLA): E.Either<ReadonlyArray<string>, ServiceLevel> =>
  pipe(
    decodeWith(ServiceLevelCodec, json, source),
    E.map((given) => {
      const out: Record<string, number | null> = { ...base }
      for (const k of SLA_KEYS) if (given[k] !== undefined) out[k] = given[k] as number | null
      return out as unknown as ServiceLevel
    }),
  )

/** Parse the JSON text of a service level. */
export const parseServiceLevelText = (text: string, source: string, base: ServiceLevel = DEFAULT_SLA): E.Either<ReadonlyArray<string>, ServiceLevel> =>
  pipe(
    E.tryCatch(
      () => JSON.parse(text) as unknown,
      (err) => [`${source}: not valid JSON (${err instanceof Error ? err.message : String(err)})`],
    ),
    E.chain((json) => decodeServiceLevel(json, source, base)),
  )

export interface Violation {
  /** The SLA key, or 'error' for a run stopped on a rule violation. */
  readonly term: SlaKey | 'error'
  readonly figure: string
  readonly value: number
  readonly bound: number
  /** One sentence. */
  readonly text: string
  /** The VMs concerned, most concerned first (why.ts), when known. */
  readonly vms?: ReadonlyArray<string>
}

const fmt = (x: number): string => (Number.isInteger(x) ? String(x) : Math.abs(x) < 0.01 ? x.toPrecision(3) : String(Math.round(x * 1e4) / 1e4))

const figureOf = (m: RunMetrics, key: SlaKey): number => m[SLA_TERMS[key].figure] as number

/** The violations of a run's metrics, in SLA_KEYS order (a stopped run first, as 'error'). */
export const evaluate = (sla: ServiceLevel, m: RunMetrics): ReadonlyArray<Violation> => {
  const out: Violation[] = []
  if (m.error !== undefined) out.push({ term: 'error', figure: 'error', value: 1, bound: 0, text: `the run stopped on a rule violation: ${m.error}` })
  for (const k of SLA_KEYS) {
    const bound = sla[k]
    if (bound === null) continue
    const value = figureOf(m, k)
    if (value > bound) out.push({ term: k, figure: SLA_TERMS[k].figure, value, bound, text: `${SLA_TERMS[k].label} ${fmt(value)} > ${fmt(bound)}` })
  }
  return out
}

export interface Margin {
  /** The binding term: the one whose figure has used the largest part of its room (floor to bound). */
  readonly term: SlaKey
  readonly figure: string
  readonly value: number
  readonly bound: number
  /** bound - value (negative: violated). */
  readonly headroom: number
  /** (value - floor) / (bound - floor): 0 = at the floor, 1 = at the bound; for a bound at the floor,
   *  0 when the figure is there too, Infinity beyond. */
  readonly used: number
}

/** Share of its room a term uses (see Margin.used). */
export const usedShare = (key: SlaKey, value: number, bound: number): number => {
  const floor = SLA_TERMS[key].floor
  if (bound > floor) return Math.max(0, (value - floor) / (bound - floor))
  return value > floor ? Infinity : 0
}

/**
 * The binding figure and its margin. Terms whose bound is at the figure's floor (0 VMs refused,
 * 0 GiB swapped) are binding only if broken; among the others, the largest used share binds.
 * undefined when no term is bounded.
 */
export const margin = (sla: ServiceLevel, m: RunMetrics): Margin | undefined => {
  let best: Margin | undefined
  for (const k of SLA_KEYS) {
    const bound = sla[k]
    if (bound === null) continue
    const value = figureOf(m, k)
    const used = usedShare(k, value, bound)
    const atFloor = bound <= SLA_TERMS[k].floor
    const cand: Margin = { term: k, figure: SLA_TERMS[k].figure, value, bound, headroom: bound - value, used }
    if (best === undefined) best = cand
    else {
      const bestAtFloor = (sla[best.term] as number) <= SLA_TERMS[best.term].floor
      // Prefer a broken term, then a term with room (not at its floor), then the larger used share.
      const rank = (x: Margin, floorOnly: boolean): number => (x.used > 1 ? 2 : floorOnly ? 0 : 1)
      const rc = rank(cand, atFloor)
      const rb = rank(best, bestAtFloor)
      if (rc > rb || (rc === rb && cand.used > best.used)) best = cand
    }
  }
  return best
}

/** The worst used share over all bounded terms (1 = at a bound; > 1 violated); Infinity for a stopped run. */
export const worstUse = (sla: ServiceLevel, m: RunMetrics): number => {
  if (m.error !== undefined) return Infinity
  let w = 0
  for (const k of SLA_KEYS) {
    const bound = sla[k]
    if (bound !== null) w = Math.max(w, usedShare(k, figureOf(m, k), bound))
  }
  return w
}

/** The service level as lines for people. */
export const describeServiceLevel = (sla: ServiceLevel): ReadonlyArray<string> =>
  SLA_KEYS.map((k) => `${SLA_TERMS[k].label} <= ${sla[k] === null ? 'no bound' : fmt(sla[k] as number)}`)

// ---------------------------------------------------------------------------------------------
// Constraints (see the module note)

export interface Constraints {
  readonly spareHosts: number
  readonly growth: number
  readonly headroom: number
}

export const DEFAULT_CONSTRAINTS: Constraints = { spareHosts: 0, growth: 1, headroom: 0 }

const growthFactor = new t.Type<number, number, unknown>(
  'a growth factor above 0',
  (u): u is number => typeof u === 'number' && u > 0,
  (u, c) => (typeof u === 'number' && Number.isFinite(u) && u > 0 && u <= 100 ? t.success(u) : t.failure(u, c, `expected a growth factor above 0 and at most 100 (1.2 = 20% growth), found ${JSON.stringify(u)}`)),
  (n) => n,
)
const headroomShare = new t.Type<number, number, unknown>(
  'a headroom share in 0..0.95',
  (u): u is number => typeof u === 'number' && u >= 0 && u <= 0.95,
  (u, c) => (typeof u === 'number' && Number.isFinite(u) && u >= 0 && u <= 0.95 ? t.success(u) : t.failure(u, c, `expected a share of host memory to keep free in 0..0.95 (0.1 = 10%), found ${JSON.stringify(u)}`)),
  (n) => n,
)
const spareCount = new t.Type<number, number, unknown>(
  'a whole number of spare hosts >= 0',
  (u): u is number => typeof u === 'number' && Number.isInteger(u) && u >= 0,
  (u, c) => (typeof u === 'number' && Number.isInteger(u) && u >= 0 ? t.success(u) : t.failure(u, c, `expected a whole number of spare hosts >= 0 (1 = N+1), found ${JSON.stringify(u)}`)),
  (n) => n,
)

export const PlanSpecCodec = strictObject(
  'a service level { maxVmsRefused, maxPressureOver100Share, maxSlowdownP99, maxHostSwapOutGiB, spareHosts, growth, headroom }',
  {},
  {
    maxVmsRefused: nullable(wholeCount),
    maxPressureOver100Share: nullable(share),
    maxSlowdownP99: nullable(factor),
    maxHostSwapOutGiB: nullable(gib),
    spareHosts: spareCount,
    growth: growthFactor,
    headroom: headroomShare,
  },
)

export interface PlanSpec {
  readonly sla: ServiceLevel
  readonly constraints: Constraints
}

export const DEFAULT_PLAN_SPEC: PlanSpec = { sla: DEFAULT_SLA, constraints: DEFAULT_CONSTRAINTS }

/** Decode a (partial) plan spec over `base`; `source` names it in sentences. */
export const decodePlanSpec = (json: unknown, source: string, base: PlanSpec = DEFAULT_PLAN_SPEC): E.Either<ReadonlyArray<string>, PlanSpec> =>
  pipe(
    decodeWith(PlanSpecCodec, json, source),
    E.map((given) => {
      const sla: Record<string, number | null> = { ...base.sla }
      for (const k of SLA_KEYS) if (given[k] !== undefined) sla[k] = given[k] as number | null
      return {
        sla: sla as unknown as ServiceLevel,
        constraints: {
          spareHosts: given.spareHosts ?? base.constraints.spareHosts,
          growth: given.growth ?? base.constraints.growth,
          headroom: given.headroom ?? base.constraints.headroom,
        },
      }
    }),
  )

/** Parse the JSON text of a plan spec. */
export const parsePlanSpecText = (text: string, source: string, base: PlanSpec = DEFAULT_PLAN_SPEC): E.Either<ReadonlyArray<string>, PlanSpec> =>
  pipe(
    E.tryCatch(
      () => JSON.parse(text) as unknown,
      (err) => [`${source}: not valid JSON (${err instanceof Error ? err.message : String(err)})`],
    ),
    E.chain((json) => decodePlanSpec(json, source, base)),
  )

/** "+1 for HA; growth x1.2; headroom 10%": the constraints that are not their defaults, for people. */
export const describeConstraints = (c: Constraints): ReadonlyArray<string> => [
  `spare hosts for HA: ${c.spareHosts}${c.spareHosts === 0 ? '' : ` (N+${c.spareHosts})`}`,
  `growth over the trace: x${fmt(c.growth)}`,
  `headroom: ${fmt(c.headroom * 100)}% of each host's memory for VMs kept free`,
]

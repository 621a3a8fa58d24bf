/**
 * What a plan costs (optional; pure). A cost spec, decoded by an io-ts codec:
 *
 *     { "currency": "EUR", "perHost": 9000, "perGiB": 4, "licence": { "default": 7000, "kvm-mom": 0 } }
 *
 *   perHost   price of one host without its memory (chassis, CPUs, power over the period). Default 0.
 *   perGiB    price of one GiB of host memory. Default 0.
 *   licence   hypervisor licence per host: one number for every policy, or an object by policy name
 *             with an optional "default" for the others (a policy named nowhere pays none). Default 0.
 *   currency  a label for the figures (default "cost").
 * At least one price must be given. A plan's cost is hosts to buy (spares included) x (perHost +
 * perGiB x host GiB + licence): every figure of it is in costOf's breakdown.
 *
 * Choosing among host sizes (`--host-sizes`): for each policy the plan is searched at every size and
 * the answer is the one with fewest hosts (ties: the smaller host), or with --minimise cost the
 * cheapest (ties: fewer hosts). With one host size the two agree: cost rises with the host count.
 */
import * as t from 'io-ts'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { decodeWith, strictObject } from '../spec/errors.js'
import type { PolicyPlan } from './plan.js'

const price = new t.Type<number, number, unknown>(
  'a price >= 0',
  (u): u is number => typeof u === 'number' && u >= 0,
  (u, c) => (typeof u === 'number' && Number.isFinite(u) && u >= 0 ? t.success(u) : t.failure(u, c, `expected a price >= 0 (a plain number), found ${JSON.stringify(u)}`)),
  (n) => n,
)

const licenceCodec = new t.Type<number | Readonly<Record<string, number>>, unknown, unknown>(
  'a licence price per host, or an object of prices by policy name',
  (u): u is number | Record<string, number> => typeof u === 'number' || (typeof u === 'object' && u !== null),
  (u, c) => (typeof u === 'number' ? price.validate(u, c) : typeof u === 'object' && u !== null && !Array.isArray(u) ? t.record(t.string, price).validate(u, c) : t.failure(u, c, `expected a licence price per host, or an object of prices by policy name such as {"default": 7000, "kvm-mom": 0}, found ${JSON.stringify(u)}`)),
  (a) => a,
)

export const CostSpecCodec = strictObject(
  'a cost spec { perHost, perGiB, licence, currency }',
  {},
  { perHost: price, perGiB: price, licence: licenceCodec, currency: t.string },
)

export interface CostSpec {
  readonly currency: string
  readonly perHost: number
  readonly perGiB: number
  readonly licence: number | Readonly<Record<string, number>>
}

/** Decode a cost spec; `source` names it in sentences. */
export const decodeCostSpec = (json: unknown, source: string): E.Either<ReadonlyArray<string>, CostSpec> =>
  pipe(
    decodeWith(CostSpecCodec, json, source),
    E.chain((c) =>
      c.perHost === undefined && c.perGiB === undefined && c.licence === undefined
        ? E.left([`${source}: expected at least one of perHost, perGiB, licence, found none`])
        : E.right({ currency: c.currency ?? 'cost', perHost: c.perHost ?? 0, perGiB: c.perGiB ?? 0, licence: c.licence ?? 0 }),
    ),
  )

export const parseCostSpecText = (text: string, source: string): E.Either<ReadonlyArray<string>, CostSpec> =>
  pipe(
    E.tryCatch(
      () => JSON.parse(text) as unknown,
      (err) => [`${source}: not valid JSON (${err instanceof Error ? err.message : String(err)})`],
    ),
    E.chain((json) => decodeCostSpec(json, source)),
  )

/** The licence price per host of a policy. */
export const licenceOf = (spec: CostSpec, policy: string): number =>
  typeof spec.licence === 'number' ? spec.licence : (spec.licence[policy] ?? spec.licence.default ?? 0)

export interface PlanCost {
  readonly currency: string
  readonly hosts: number
  readonly hostGiB: number
  readonly perHost: number
  readonly memory: number
  readonly licence: number
  /** perHost + memory + licence, per host. */
  readonly eachHost: number
  readonly total: number
}

/** The cost of a plan's answer (null when it has none). */
export const costOf = (spec: CostSpec, p: PolicyPlan): PlanCost | null => {
  if (p.hostsTotal === null || p.hostGiB === null) return null
  const memory = spec.perGiB * p.hostGiB
  const licence = licenceOf(spec, p.policy)
  const eachHost = spec.perHost + memory + licence
  return { currency: spec.currency, hosts: p.hostsTotal, hostGiB: p.hostGiB, perHost: spec.perHost, memory, licence, eachHost, total: eachHost * p.hostsTotal }
}

/** 1234567.8 -> "1,234,568". */
export const money = (x: number): string => Math.round(x).toLocaleString('en-US')

/** "cost EUR 153,000 (17 x 9,000)" for the verdict line. */
export const costText = (spec: CostSpec) => (p: PolicyPlan): string | undefined => {
  const c = costOf(spec, p)
  return c === null ? undefined : `cost ${c.currency} ${money(c.total)} (${c.hosts} x ${money(c.eachHost)})`
}

export type Objective = 'hosts' | 'cost'

/** The plan to recommend among one policy's plans at several host sizes (see the module note); the first if none is met. */
export const choosePlan = (candidates: ReadonlyArray<PolicyPlan>, objective: Objective, spec: CostSpec | undefined): PolicyPlan => {
  const met = candidates.filter((p) => p.met)
  if (met.length === 0) return candidates[0]
  const key = (p: PolicyPlan): readonly [number, number] => {
    const hosts = p.hostsTotal as number
    const size = p.hostGiB as number
    if (objective === 'cost' && spec !== undefined) return [costOf(spec, p)?.total ?? Infinity, hosts]
    return [hosts, size]
  }
  return met.reduce((best, p) => {
    const [a1, a2] = key(p)
    const [b1, b2] = key(best)
    return a1 < b1 || (a1 === b1 && a2 < b2) ? p : best
  })
}

/** The cost table: header, then one row per policy. */
export const costRows = (spec: CostSpec, plans: ReadonlyArray<PolicyPlan>): ReadonlyArray<ReadonlyArray<string>> => {
  const c = spec.currency
  return [
    ['policy', 'hosts', 'host GiB', `per host (${c})`, 'of which memory', 'of which licence', `cost (${c})`],
    ...plans.map((p) => {
      const k = costOf(spec, p)
      return k === null
        ? [p.policy, 'not met', '-', '-', '-', '-', '-']
        : [p.policy, String(k.hosts), String(k.hostGiB), money(k.eachHost), money(k.memory), money(k.licence), money(k.total)]
    }),
  ]
}

/** The Markdown section: the prices and the cost column per policy. */
export const costMarkdown = (spec: CostSpec, plans: ReadonlyArray<PolicyPlan>, escape: (s: string) => string = (s) => s): string => {
  const rows = costRows(spec, plans)
  return [
    '## Cost',
    '',
    escape(`Per host: ${money(spec.perHost)} ${spec.currency} plus ${money(spec.perGiB)} ${spec.currency} per GiB of memory plus the policy's licence; hosts to buy include the spares for HA.`),
    '',
    `| ${rows[0].map(escape).join(' | ')} |`,
    `| ${rows[0].map(() => '---').join(' | ')} |`,
    ...rows.slice(1).map((r) => `| ${r.map(escape).join(' | ')} |`),
  ].join('\n')
}

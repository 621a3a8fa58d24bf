/**
 * Sweeps: an experiment file declares axes; every combination is a scenario (cartesian, in a fixed
 * order, with stable ids). Pure: decoding, expansion and shard slicing.
 *
 *     {
 *       "description": "buffer and salting what-ifs",
 *       "traces": ["../traces/sample/sample.csv"],       // paths relative to the experiment file
 *       "hostSizes": ["64GiB", "96GiB"],
 *       "hostCounts": [1, 2],
 *       "policies": ["static", "dynamic-memory", "overcommit"],   // built-in names or module paths
 *       "params": { "overcommit": { "salting": [true, false] } },  // policy params: lists of values
 *       "vmSettings": { "buffer": [10, 20] },            // fleet settings applied to every VM (fleet.ts)
 *       "seeds": [1, 2],
 *       "fleet": "fleet.json", "hostReserve": "4GiB", "vmOverhead": "64MiB",
 *       "placement": "spread", "sla": { "maxPressureOver100Share": 0.01 }
 *     }
 *
 * Order (the last axis varies fastest): trace, host size, host count, policy, that policy's params
 * (keys in the order written, values in the order written), VM settings (same), seed. Axes of params
 * apply only to their policy. Axes of VM settings cross only the policies that read them
 * (VM_SETTINGS_READ): Hyper-V's buffer varies dynamic-memory's scenarios, not static's, overcommit's
 * or kvm-mom's, which would run identical rows; a scenario of a policy that does not read a setting
 * has no value for it. A policy given as a module path reads every setting (we cannot know). A scenario's id is its index, zero-padded to the width of the count
 * ("s007"): stable for a given file, and what shards and merge key on.
 *
 * Note: a VM's memory buffer is a VM setting of Hyper-V, not a policy parameter: sweep it with
 * "vmSettings": { "buffer": [...] } (a "params" axis naming it is refused with that hint).
 */
import * as t from 'io-ts'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { decodeWith, parseJsonText, strictObject } from '../spec/errors.js'
import { Label, Size } from '../spec/size.js'
import { PLACEMENT_NAMES, type PlacementName } from './placement.js'
import { decodeServiceLevel, DEFAULT_SLA, ServiceLevelCodec, type ServiceLevel } from './sla.js'

/** A non-empty list (a ReadonlyArrayType, so failure paths read "hostSizes[0]"). */
const nonEmpty = <C extends t.Mixed>(c: C, what: string) => {
  const inner = t.readonlyArray(c)
  return new t.ReadonlyArrayType<C, ReadonlyArray<t.TypeOf<C>>, ReadonlyArray<t.OutputOf<C>>, unknown>(
    `a non-empty list of ${what}`,
    (u): u is ReadonlyArray<t.TypeOf<C>> => inner.is(u) && u.length > 0,
    (u, ctx) => {
      if (!Array.isArray(u)) return t.failure(u, ctx, `expected a non-empty list of ${what}, found ${JSON.stringify(u)}`)
      if (u.length === 0) return t.failure(u, ctx, `expected a non-empty list of ${what}, found an empty list`)
      return inner.validate(u, ctx)
    },
    inner.encode,
    c,
  )
}

const HostCount = new t.Type<number, number, unknown>(
  'a whole number of hosts >= 1',
  (u): u is number => typeof u === 'number' && Number.isInteger(u) && u >= 1,
  (u, c) => (typeof u === 'number' && Number.isInteger(u) && u >= 1 ? t.success(u) : t.failure(u, c, `expected a whole number of hosts >= 1, found ${JSON.stringify(u)}`)),
  (n) => n,
)
const Seed = new t.Type<number, number, unknown>(
  'a whole-number seed',
  (u): u is number => typeof u === 'number' && Number.isInteger(u),
  (u, c) => (typeof u === 'number' && Number.isInteger(u) ? t.success(u) : t.failure(u, c, `expected a whole-number seed, found ${JSON.stringify(u)}`)),
  (n) => n,
)
/** A size as written: kept as the user's text (it names the scenario), checked to parse. */
const SizeText = new t.Type<string, string, unknown>(
  'a host size such as "256GiB"',
  (u): u is string => typeof u === 'string',
  (u, c) => {
    const s = typeof u === 'number' ? String(u) : u
    if (typeof s !== 'string') return t.failure(u, c, `expected a host size such as "256GiB", found ${JSON.stringify(u)}`)
    const d = Size.validate(s, c)
    if (E.isLeft(d)) return d as unknown as t.Validation<string>
    return d.right > 0 ? t.success(s) : t.failure(u, c, `a host size must be above 0, found ${JSON.stringify(u)}`)
  },
  (s) => s,
)
const Axis = nonEmpty(t.unknown, 'values')
const AxisMap = new t.Type<Readonly<Record<string, ReadonlyArray<unknown>>>, unknown, unknown>(
  'an object of lists of values',
  (u): u is Record<string, ReadonlyArray<unknown>> => typeof u === 'object' && u !== null && !Array.isArray(u),
  (u, c) => {
    if (typeof u !== 'object' || u === null || Array.isArray(u)) return t.failure(u, c, `expected an object of lists of values, found ${JSON.stringify(u)}`)
    return t.record(t.string, Axis).validate(u, c) as t.Validation<Readonly<Record<string, ReadonlyArray<unknown>>>>
  },
  (a) => a,
)
const Placement = t.keyof(Object.fromEntries(PLACEMENT_NAMES.map((n) => [n, null])) as Record<PlacementName, null>, `a placement rule (${PLACEMENT_NAMES.join(' or ')})`)

export const ExperimentCodec = strictObject(
  'an experiment { traces, hostSizes, hostCounts, policies, ... }',
  {
    traces: nonEmpty(Label, 'trace paths'),
    hostSizes: nonEmpty(SizeText, 'host sizes'),
    hostCounts: nonEmpty(HostCount, 'host counts'),
    policies: nonEmpty(Label, 'policy names or module paths'),
  },
  {
    description: t.string,
    params: t.record(t.string, AxisMap),
    vmSettings: AxisMap,
    seeds: nonEmpty(Seed, 'seeds'),
    fleet: Label,
    hostReserve: Size,
    vmOverhead: Size,
    placement: Placement,
    sla: ServiceLevelCodec,
  },
)

export interface Experiment {
  readonly description: string
  readonly traces: ReadonlyArray<string>
  readonly hostSizes: ReadonlyArray<string>
  readonly hostCounts: ReadonlyArray<number>
  readonly policies: ReadonlyArray<string>
  readonly params: Readonly<Record<string, Readonly<Record<string, ReadonlyArray<unknown>>>>>
  readonly vmSettings: Readonly<Record<string, ReadonlyArray<unknown>>>
  readonly seeds: ReadonlyArray<number>
  readonly fleet: string | null
  readonly hostReserveMiB: number
  readonly vmOverheadMiB: number
  readonly placement: PlacementName | null
  readonly sla: ServiceLevel
}

/** Decode an experiment from parsed JSON, defaults filled; failures as sentences. */
export const decodeExperiment = (json: unknown, source: string): E.Either<ReadonlyArray<string>, Experiment> =>
  pipe(
    decodeWith(ExperimentCodec, json, source),
    E.chain((x) => {
      const sla = x.sla === undefined ? E.right(DEFAULT_SLA) : decodeServiceLevel(x.sla, `${source}: sla`)
      if (E.isLeft(sla)) return sla
      const params = x.params ?? {}
      const stray = Object.keys(params).filter((k) => !x.policies.some((p) => p === k || p.endsWith(`/${k}.ts`) || p.endsWith(`/${k}.js`)))
      const hint = Object.entries(params).flatMap(([p, axes]) =>
        Object.keys(axes)
          .filter((k) => /^buffer(Percent)?$/i.test(k))
          .map((k) => `${source}: params.${p}.${k}: the memory buffer is a VM setting, not a policy parameter: sweep it with "vmSettings": { "buffer": [...] }`),
      )
      const errors = [...stray.map((k) => `${source}: params names policy "${k}", which is not in "policies"`), ...hint]
      if (errors.length > 0) return E.left(errors)
      return E.right({
        description: x.description ?? '',
        traces: x.traces,
        hostSizes: x.hostSizes,
        hostCounts: x.hostCounts,
        policies: x.policies,
        params,
        vmSettings: x.vmSettings ?? {},
        seeds: x.seeds ?? [1],
        fleet: x.fleet ?? null,
        hostReserveMiB: x.hostReserve ?? 0,
        vmOverheadMiB: x.vmOverhead ?? 0,
        placement: x.placement ?? null,
        sla: sla.right,
      })
    }),
  )

export const parseExperimentText = parseJsonText(decodeExperiment)

export interface Scenario {
  readonly index: number
  readonly id: string
  readonly trace: string
  readonly hostSize: string
  readonly hosts: number
  /** As written in "policies" (a name or a module path). */
  readonly policy: string
  /** This scenario's values of the policy's params axes (only those; the codec fills the rest). */
  readonly params: Readonly<Record<string, unknown>>
  /** This scenario's values of the VM-settings axes. */
  readonly vmSettings: Readonly<Record<string, unknown>>
  readonly seed: number
}

/** Cartesian product of named axes, keys in the order given, last key fastest. */
export const combinations = (axes: Readonly<Record<string, ReadonlyArray<unknown>>>): ReadonlyArray<Readonly<Record<string, unknown>>> =>
  Object.entries(axes).reduce<ReadonlyArray<Record<string, unknown>>>(
    (acc, [k, values]) => acc.flatMap((c) => values.map((v) => ({ ...c, [k]: v }))),
    [{}],
  )

/** The params axes of a policy entry (by the name it is written as, or a module path's file stem). */
const paramsAxes = (x: Experiment, policy: string): Readonly<Record<string, ReadonlyArray<unknown>>> => {
  const direct = x.params[policy]
  if (direct !== undefined) return direct
  const stem = policy.replace(/^.*[\\/]/, '').replace(/\.(ts|js|mjs)$/, '')
  return x.params[stem] ?? {}
}

/**
 * The fleet-spec keys (spec/fleet.ts) each built-in policy reads, itself or through its placement
 * (admission.ts: spread balances max(static, maximum)) or the fleet's defaults (startup and minimum
 * default from each other and from maximum). WORLD_SETTINGS are read by the world for every policy.
 */
export const VM_SETTINGS_READ: Readonly<Record<string, ReadonlyArray<string>>> = {
  static: ['static'],
  'dynamic-memory': ['static', 'startup', 'minimum', 'maximum', 'buffer', 'weight', 'priority'],
  overcommit: ['static', 'maximum', 'reservation', 'limit', 'shares'],
  'kvm-mom': ['static', 'startup', 'minimum', 'maximum', 'reservation'],
}
export const WORLD_SETTINGS: ReadonlyArray<string> = ['image', 'os', 'content']
/** Keys the table knows; any other key (a setting added later) crosses every policy, to be safe. */
const KNOWN_SETTINGS = new Set([...Object.values(VM_SETTINGS_READ).flat(), ...WORLD_SETTINGS])

/** The VM-settings axes a policy entry reads (all of them for a module path or an unknown name). */
export const vmSettingsAxes = (x: Experiment, policy: string): Readonly<Record<string, ReadonlyArray<unknown>>> => {
  const reads = VM_SETTINGS_READ[policy]
  if (reads === undefined) return x.vmSettings
  return Object.fromEntries(Object.entries(x.vmSettings).filter(([k]) => reads.includes(k) || WORLD_SETTINGS.includes(k) || !KNOWN_SETTINGS.has(k)))
}

/** Every scenario, in order. */
export const expandExperiment = (x: Experiment): ReadonlyArray<Scenario> => {
  const raw: Array<Omit<Scenario, 'index' | 'id'>> = []
  for (const trace of x.traces)
    for (const hostSize of x.hostSizes)
      for (const hosts of x.hostCounts)
        for (const policy of x.policies)
          for (const params of combinations(paramsAxes(x, policy)))
            for (const vmSettings of combinations(vmSettingsAxes(x, policy))) for (const seed of x.seeds) raw.push({ trace, hostSize, hosts, policy, params, vmSettings, seed })
  const width = Math.max(3, String(Math.max(0, raw.length - 1)).length)
  return raw.map((s, index) => ({ index, id: `s${String(index).padStart(width, '0')}`, ...s }))
}

export interface Shard {
  readonly k: number
  readonly n: number
}

/** `--shard k/N`: 1 <= k <= N. */
export const parseShard = (s: string): E.Either<string, Shard> => {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(s)
  if (m === null) return E.left(`--shard: expected k/N such as 2/4, found "${s}"`)
  const k = Number(m[1])
  const n = Number(m[2])
  if (!(n >= 1 && k >= 1 && k <= n)) return E.left(`--shard: expected 1 <= k <= N, found "${s}"`)
  return E.right({ k, n })
}

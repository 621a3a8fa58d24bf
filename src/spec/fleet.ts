/**
 * The fleet spec: per-VM settings for every policy, written once, resolved against a trace.
 *
 *     {
 *       "defaults": { "buffer": 25, "shares": "normal" },
 *       "vms": [
 *         { "match": "web-*", "image": "win2012-web", "os": "windows", "minimum": "1GiB" },
 *         { "match": "55|57|6[0-6]", "reservation": "2GiB", "priority": 80 }
 *       ]
 *     }
 *
 * Settings (every one optional, sizes "64GiB"-style or plain numbers of MiB):
 *   static                      the size a VM holds under static allocation
 *   startup, minimum, maximum   Hyper-V Dynamic Memory RAM settings
 *   buffer                      Hyper-V memory buffer, percent, 5..2000
 *   weight | priority           Hyper-V memory weight, WMI scale 0..10000, or priority 0..100 (= weight / 100)
 *   reservation, limit          ESX floor and ceiling of host memory
 *   shares                      ESX shares: a number, or "low" | "normal" | "high" = 5 | 10 | 20 per MiB of configured
 *   image, os                   image label (VMs of one image share pages) and "windows" | "linux"
 *   content                     { intraVm, image }: page-content fractions 0..1 (see DEFAULT_CONTENT)
 *
 * Precedence, lowest first: defaults derived from the trace (below), then `defaults`, then each rule
 * of `vms` whose `match` fits the VM id, in order (a later rule overrides an earlier one). Fields merge
 * one by one (and `content` by its two fractions), so a rule changes only what it names.
 *
 * `match`: a glob ("web-*", "vm-0?", "6[0-6]") or a regular expression ("55|57|6[0-6]", or written as
 * "/.../" to be explicit), always matched against the whole VM id. A pattern is read as a regular
 * expression when it holds a character globs do not use: | ( ) ^ $ + { } \ or ".*" / ".+".
 * Regular expressions are RE2's (re2js): matched in linear time whatever the pattern, so they have no
 * backreferences or lookarounds.
 *
 * Strictness: unknown keys are rejected (a typo must not silently leave the default in place); a rule
 * that matches no VM is an error from `resolveFleet` (the same reason) and a warning from
 * `resolveFleetDetailed(..., { unmatched: 'warn' })`, for specs shared between traces.
 */
import * as t from 'io-ts'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { readFileSync } from 'node:fs'
import { RE2JS } from 're2js'
import type { ContentModel, VmSettings } from './settings.js'
import { peakConfigured, type OsFamily, type Trace, type VmTrace } from '../trace/trace.js'
import { formatSize, type MiB } from '../units.js'
import { decodeWith, formatFound, parseJsonText, strictObject } from './errors.js'
import { boundedNumber, Fraction, Label, VmSize } from './size.js'

// ---------------------------------------------------------------------------------------------
// Defaults. Modelling choices, not vendor facts, except where a comment cites one.

/** Hyper-V Manager's default Startup RAM for a new VM is 1024 MB. */
export const DEFAULT_STARTUP_MIB = 1024
/** Hyper-V's default Minimum RAM is 512 MB. */
export const DEFAULT_MINIMUM_MIB = 512
/** Hyper-V's default memory buffer, percent (DOMAIN.md 3). */
export const DEFAULT_BUFFER_PERCENT = 20
/** Hyper-V's default memory weight on the WMI scale (DOMAIN.md 3). */
export const DEFAULT_WEIGHT = 5000
/** ESX share presets per MiB of configured memory; Normal = 10 (DOMAIN.md 4). */
export const SHARES_PER_MIB = { low: 5, normal: 10, high: 20 } as const
export type SharesPreset = keyof typeof SHARES_PER_MIB
/**
 * The most shares a VM may be given as a number: 1e9, twice High (20 per MiB) of the largest VM
 * (24 TiB), so any real setting fits and the fleet's sum stays far from overflow.
 */
export const MAX_SHARES = 1e9

/**
 * Default page-content model, calibrated to DOMAIN.md section 6. Fractions of a VM's non-zero
 * touched pages (zero pages are the touched model's business, not counted here):
 *
 * - intraVm = 0.04: a VM with no same-image peer saves only its internal duplicates, so "diverse
 *   workloads save under 5%" (vSphere 4.1) bounds it below 0.05; Barker et al. (zero pages aside,
 *   under 15%) is met with room.
 * - image = 0.35: N near-identical VMs of one image save intraVm + image x (N - 1) / N of their
 *   non-zero pages: 0.22 for a pair, 0.30 for 4, 0.35 for 8, 0.37 for 16, so a group of four or more
 *   "saves over 30%" as VMware reports for nearly identical VMs.
 * - "about 90% of sharing is within one VM" (Barker): in a fleet of unrelated images (the default,
 *   where each VM is its own image) all sharing here is within one VM; Barker's remaining ~10% across
 *   unrelated VMs (common libraries) is left out, an undercount of at most 0.04 / 9 = 0.4% of memory.
 *   Where the user labels VMs with a common image, the cross-VM share rises, as it should.
 */
export const DEFAULT_CONTENT: ContentModel = { intraVm: 0.04, image: 0.35 }

/** OS assumed when neither the trace nor the spec says (Linux touches memory lazily: the cautious choice for sharing). */
export const DEFAULT_OS: OsFamily = 'linux'

// ---------------------------------------------------------------------------------------------
// Codecs

const SharesCodec = new t.Type<number | SharesPreset, number | SharesPreset, unknown>(
  `shares: a number in 0..${MAX_SHARES} or "low" | "normal" | "high"`,
  (u): u is number | SharesPreset => (typeof u === 'number' && u >= 0 && u <= MAX_SHARES) || (typeof u === 'string' && Object.hasOwn(SHARES_PER_MIB, u)),
  (u, c) => {
    if (typeof u === 'number' && Number.isFinite(u) && u >= 0 && u <= MAX_SHARES) return t.success(u)
    if (typeof u === 'string' && Object.hasOwn(SHARES_PER_MIB, u.toLowerCase()))
      return t.success(u.toLowerCase() as SharesPreset)
    return t.failure(u, c)
  },
  (s) => s,
)

const OsCodec = t.keyof({ windows: null, linux: null }, '"windows" | "linux"')

const ContentCodec = strictObject('a content model { intraVm, image }', {}, { intraVm: Fraction, image: Fraction })

const Pattern = new t.Type<string, string, unknown>(
  'a VM id pattern (glob or regular expression)',
  (u): u is string => typeof u === 'string',
  (u, c) => {
    if (typeof u !== 'string' || u.trim() === '') return t.failure(u, c)
    const compiled = compilePattern(u)
    return E.isRight(compiled) ? t.success(u) : t.failure(u, c, compiled.left)
  },
  (s) => s,
)

// VM sizes are bounded by MAX_VM_MIB (units.ts): a larger one is a typo or a unit slip.
const settingProps = {
  static: VmSize,
  startup: VmSize,
  minimum: VmSize,
  maximum: VmSize,
  buffer: boundedNumber(5, 2000, 'a buffer percent'),
  weight: boundedNumber(0, 10000, 'a memory weight (WMI scale)'),
  priority: boundedNumber(0, 100, 'a memory priority'),
  reservation: VmSize,
  limit: VmSize,
  shares: SharesCodec,
  image: Label,
  os: OsCodec,
  content: ContentCodec,
}

const DefaultsCodec = strictObject('VM settings', {}, settingProps)
const RuleCodec = strictObject('a VM rule { "match": ..., settings }', { match: Pattern }, settingProps)
const FleetSpecCodec = strictObject('a fleet spec { "defaults", "vms" }', {}, {
  defaults: DefaultsCodec,
  vms: t.readonlyArray(RuleCodec, 'a list of VM rules'),
  description: Label,
})

// ---------------------------------------------------------------------------------------------
// Decoded spec

/** Settings one layer (defaults or a rule) gives; sizes MiB; priority already turned into weight. */
export interface VmFields {
  readonly static?: MiB
  readonly startup?: MiB
  readonly minimum?: MiB
  readonly maximum?: MiB
  readonly buffer?: number
  readonly weight?: number
  readonly reservation?: MiB
  readonly limit?: MiB
  readonly shares?: number | SharesPreset
  readonly image?: string
  readonly os?: OsFamily
  readonly content?: Partial<ContentModel>
}

export interface FleetRule extends VmFields {
  /** The pattern as written. */
  readonly match: string
}

export interface FleetSpec {
  readonly defaults: VmFields
  readonly vms: ReadonlyArray<FleetRule>
}

export const emptyFleetSpec: FleetSpec = { defaults: {}, vms: [] }

type RawFields = t.TypeOf<typeof DefaultsCodec>

/** Drop undefined entries and turn priority into weight; both given is an error (which one meant?). */
const normalizeFields = (raw: RawFields, where: string): E.Either<string, VmFields> => {
  const { priority, ...rest } = raw
  if (priority !== undefined && rest.weight !== undefined)
    return E.left(`${where}: give weight (0..10000) or priority (0..100), not both`)
  const fields: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) fields[k] = v
  if (priority !== undefined) fields.weight = priority * 100
  return E.right(fields as VmFields)
}

/** Decode a fleet spec from parsed JSON; `source` names it in messages. */
export const decodeFleetSpec = (json: unknown, source: string): E.Either<ReadonlyArray<string>, FleetSpec> =>
  pipe(
    decodeWith(FleetSpecCodec, json, source),
    E.chain((raw) => {
      const defaults = normalizeFields(raw.defaults ?? {}, `${source}: defaults`)
      const rules = (raw.vms ?? []).map((r, i) => {
        const { match, ...rest } = r
        return pipe(
          normalizeFields(rest, `${source}: vms[${i}]`),
          E.map((f): FleetRule => ({ ...f, match })),
        )
      })
      const errors = [defaults, ...rules].flatMap((e) => (E.isLeft(e) ? [e.left] : []))
      if (errors.length > 0 || E.isLeft(defaults)) return E.left(errors)
      return E.right({ defaults: defaults.right, vms: rules.flatMap((r) => (E.isRight(r) ? [r.right] : [])) })
    }),
  )

/** Parse the JSON text of a fleet spec. */
export const parseFleetSpecText = parseJsonText(decodeFleetSpec)

/** Shell: read and decode a fleet spec file. */
export const loadFleetSpec = (path: string): E.Either<ReadonlyArray<string>, FleetSpec> =>
  pipe(
    E.tryCatch(
      () => readFileSync(path, 'utf8'),
      (err) => [`cannot read fleet spec "${path}": ${err instanceof Error ? err.message : String(err)}`],
    ),
    E.chain((text) => parseFleetSpecText(text, path)),
  )

// ---------------------------------------------------------------------------------------------
// Patterns

const REGEX_ONLY = /[|()^$+{}\\]|\.\*|\.\+/

/** A compiled `match` pattern: does it fit the whole of a VM id? */
export interface IdPattern {
  readonly test: (id: string) => boolean
}

/**
 * A pattern as an anchored regular expression (see the module comment for how it is read), compiled
 * by RE2 (re2js) rather than JavaScript's RegExp: RE2 matches in time linear in the id, so a pattern
 * such as "(a+)+$" cannot hang a run on a long id as a backtracking engine does. RE2 has no
 * backreferences or lookarounds (they are what make linear time impossible); a pattern using them
 * is refused with a sentence that says so.
 */
export const compilePattern = (pattern: string): E.Either<string, IdPattern> => {
  const explicit = /^\/(.*)\/$/.exec(pattern)
  const source = explicit !== null ? explicit[1] : REGEX_ONLY.test(pattern) ? pattern : globToRegex(pattern)
  return E.tryCatch(
    () => {
      const re = RE2JS.compile(`^(?:${source})$`)
      return { test: (id: string) => re.matches(id) }
    },
    (err) =>
      `"${pattern}" is not a valid pattern (${err instanceof Error ? err.message : String(err)}; patterns are matched by RE2, which takes linear time and so has no backreferences or lookarounds)`,
  )
}

const globToRegex = (glob: string): string => {
  let out = ''
  let inClass = false
  for (const ch of glob) {
    if (inClass) {
      out += ch
      if (ch === ']') inClass = false
    } else if (ch === '*') out += '.*'
    else if (ch === '?') out += '.'
    else if (ch === '[') {
      out += ch
      inClass = true
    } else out += ch.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Resolution

export interface ResolveOptions {
  /** A rule matching no VM: an error (default) or a warning. */
  readonly unmatched?: 'error' | 'warn'
  /** At most this many errors are listed; the rest are counted (a defaults mistake repeats per VM). */
  readonly maxErrors?: number
}

export interface ResolvedFleet {
  /** Settings per VM, in the trace's VM order. */
  readonly vms: ReadonlyArray<VmSettings>
  readonly warnings: ReadonlyArray<string>
}

/** A field's value and where it came from, for messages ("set by vms[1] "web-*"", "default"). */
interface Sourced<A> {
  readonly value: A
  readonly from: string
}

interface Layer {
  readonly fields: VmFields
  readonly from: string
}

type SizeField = 'static' | 'startup' | 'minimum' | 'maximum' | 'reservation' | 'limit'

/**
 * Settings for every VM of the trace. With no spec, every VM gets the defaults derived from the trace:
 *
 * - configured C = the VM's peak configured memory in the trace (`peakConfigured`);
 * - static = C; maximum = C (the trace's provisioned size is the most the guest was ever given);
 * - startup = min(maximum, 1024 MiB) (Hyper-V Manager's default startup);
 *   minimum = min(startup, maximum, 512 MiB) (Hyper-V's default minimum);
 * - buffer = 20 %, weight = 5000 (Hyper-V defaults);
 * - reservation = 0, limit = C (that is, unlimited), shares = 10 x C (ESX Normal);
 * - image = the trace's image label, else the VM's own id (no sharing across VMs unless they share
 *   an image); os = the trace's os, else 'linux'; content = DEFAULT_CONTENT.
 *
 * A derived default never contradicts a value the user gave: an explicit minimum above 1024 MiB lifts
 * the default startup to it; only explicit values can conflict, and then the error names both.
 * These are modelling choices for a user who has only a trace; a fleet spec overrides any of them.
 */
export const resolveFleet = (trace: Trace, spec: FleetSpec | undefined): E.Either<ReadonlyArray<string>, ReadonlyArray<VmSettings>> =>
  pipe(
    resolveFleetDetailed(trace, spec, { unmatched: 'error' }),
    E.map((r) => r.vms),
  )

/** As `resolveFleet`, with warnings returned and the unmatched-rule policy chosen. */
export const resolveFleetDetailed = (
  trace: Trace,
  spec: FleetSpec | undefined,
  options: ResolveOptions = {},
): E.Either<ReadonlyArray<string>, ResolvedFleet> => {
  const s = spec ?? emptyFleetSpec
  const unmatchedMode = options.unmatched ?? 'error'
  const maxErrors = options.maxErrors ?? 20

  const compiled = s.vms.map((rule, i) => ({
    rule,
    from: `vms[${i}] "${rule.match}"`,
    re: compilePattern(rule.match),
  }))
  const patternErrors = compiled.flatMap((c) => (E.isLeft(c.re) ? [`${c.from}: ${c.re.left}`] : []))
  if (patternErrors.length > 0) return E.left(patternErrors)
  const rules = compiled.map((c) => ({ ...c, re: (c.re as E.Right<IdPattern>).right }))

  const unmatched = rules.filter((r) => !trace.vms.some((vm) => r.re.test(vm.id)))
  const unmatchedMessages = unmatched.map(
    (r) => `${r.from} matches no VM of the trace "${trace.name}" (ids such as ${sampleIds(trace)})`,
  )

  const results = trace.vms.map((vm) => {
    const layers: Layer[] = [{ fields: s.defaults, from: 'defaults' }, ...rules.filter((r) => r.re.test(vm.id)).map((r) => ({ fields: r.rule, from: r.from }))]
    return resolveVm(vm, layers)
  })
  const vmErrors = results.flatMap((r) => (E.isLeft(r) ? r.left : []))
  const errors = [...(unmatchedMode === 'error' ? unmatchedMessages : []), ...vmErrors]
  if (errors.length > 0) {
    const shown = errors.slice(0, maxErrors)
    return E.left(errors.length > maxErrors ? [...shown, `... and ${errors.length - maxErrors} more errors`] : shown)
  }
  return E.right({
    vms: results.map((r) => (r as E.Right<VmSettings>).right),
    warnings: unmatchedMode === 'warn' ? unmatchedMessages : [],
  })
}

const sampleIds = (trace: Trace): string => {
  const ids = trace.vms.slice(0, 3).map((vm) => `"${vm.id}"`)
  return trace.vms.length > 3 ? `${ids.join(', ')}, ...` : ids.join(', ') || 'none'
}

/** The last layer's value of a field, if any layer gives it. */
const pick = <K extends keyof VmFields>(layers: ReadonlyArray<Layer>, key: K): Sourced<NonNullable<VmFields[K]>> | undefined => {
  for (let i = layers.length - 1; i >= 0; i--) {
    const v = layers[i].fields[key]
    if (v !== undefined) return { value: v as NonNullable<VmFields[K]>, from: `set by ${layers[i].from}` }
  }
  return undefined
}

const pickContent = (layers: ReadonlyArray<Layer>, key: keyof ContentModel): Sourced<number> => {
  for (let i = layers.length - 1; i >= 0; i--) {
    const v = layers[i].fields.content?.[key]
    if (v !== undefined) return { value: v, from: `set by ${layers[i].from}` }
  }
  return { value: DEFAULT_CONTENT[key], from: 'default' }
}

const dflt = <A>(value: A, how: string): Sourced<A> => ({ value, from: `default: ${how}` })

const resolveVm = (vm: VmTrace, layers: ReadonlyArray<Layer>): E.Either<ReadonlyArray<string>, VmSettings> => {
  const C = peakConfigured(vm)
  const size = (key: SizeField): Sourced<MiB> | undefined => pick(layers, key)

  const maximum = size('maximum') ?? dflt(C, 'configured')
  const explicitStartup = size('startup')
  const explicitMinimum = size('minimum')
  // Startup and minimum default from each other; an explicit value always wins over a derived one.
  const startup =
    explicitStartup ??
    dflt(Math.min(maximum.value, Math.max(DEFAULT_STARTUP_MIB, explicitMinimum?.value ?? 0)), `min(maximum, ${DEFAULT_STARTUP_MIB} MiB)`)
  const minimum =
    explicitMinimum ??
    dflt(Math.min(startup.value, maximum.value, DEFAULT_MINIMUM_MIB), `min(startup, maximum, ${DEFAULT_MINIMUM_MIB} MiB)`)
  const staticSize = size('static') ?? dflt(C, 'configured')
  const reservation = size('reservation') ?? dflt(0, 'none')
  const limit = size('limit') ?? dflt(C, 'configured, that is unlimited')
  const buffer = pick(layers, 'buffer') ?? dflt(DEFAULT_BUFFER_PERCENT, 'Hyper-V')
  const weight = pick(layers, 'weight') ?? dflt(DEFAULT_WEIGHT, 'Hyper-V')
  const sharesSpec = pick(layers, 'shares') ?? dflt<number | SharesPreset>('normal', 'Normal')
  const shares = typeof sharesSpec.value === 'number' ? sharesSpec.value : SHARES_PER_MIB[sharesSpec.value] * C
  const os = pick(layers, 'os')?.value ?? vm.os ?? DEFAULT_OS
  const image = pick(layers, 'image')?.value ?? vm.image ?? vm.id
  const intraVm = pickContent(layers, 'intraVm')
  const imageShare = pickContent(layers, 'image')

  const who = `VM "${vm.id}"`
  const show = (name: string, s: Sourced<MiB>): string => `${name} ${formatSize(s.value)} (${s.from})`
  const errors: string[] = []
  if (minimum.value > maximum.value) errors.push(`${who}: ${show('minimum', minimum)} is above ${show('maximum', maximum)}.`)
  else if (startup.value < minimum.value || startup.value > maximum.value)
    errors.push(`${who}: ${show('startup', startup)} is outside [${show('minimum', minimum)}, ${show('maximum', maximum)}].`)
  if (reservation.value > limit.value) errors.push(`${who}: ${show('reservation', reservation)} is above ${show('limit', limit)}.`)
  // A VM never on in the trace has C = 0; there is nothing to check its reservation against.
  if (C > 0 && reservation.value > C)
    errors.push(`${who}: ${show('reservation', reservation)} is above its configured memory ${formatSize(C)} (peak in the trace).`)
  if (intraVm.value + imageShare.value > 1)
    errors.push(
      `${who}: content intraVm ${intraVm.value} (${intraVm.from}) plus image ${imageShare.value} (${imageShare.from}) is ${formatFound(Number((intraVm.value + imageShare.value).toFixed(4)))}, above 1; they are shares of the same pages.`,
    )
  if (errors.length > 0) return E.left(errors)

  return E.right({
    id: vm.id,
    image,
    os,
    content: { intraVm: intraVm.value, image: imageShare.value },
    staticMiB: staticSize.value,
    startupMiB: startup.value,
    minimumMiB: minimum.value,
    maximumMiB: maximum.value,
    bufferPercent: buffer.value,
    weight: weight.value,
    reservationMiB: reservation.value,
    limitMiB: limit.value,
    shares,
  })
}

export { FleetSpecCodec }

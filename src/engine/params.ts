/**
 * Policy and world params: users give a partial object; a codec fills the documented defaults and
 * rejects unknown keys (a typo must not pass silently as "the default") and numbers outside their
 * declared range (a negative rate or an absurd sample count must not pass silently either).
 */
import * as t from 'io-ts'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { forbiddenKeyMessage, forbiddenKeys, isForbiddenKey } from '../spec/keys.js'

/** The valid values of a numeric param: min..max, whole numbers only if `integer`; `unit` for messages. */
export interface Range {
  readonly min: number
  readonly max: number
  readonly integer?: boolean
  readonly unit?: string
}

/** A range of any number in min..max. */
export const range = (min: number, max: number, unit?: string): Range => ({ min, max, ...(unit === undefined ? {} : { unit }) })
/** A range of whole numbers in min..max. */
export const wholeRange = (min: number, max: number, unit?: string): Range => ({ ...range(min, max, unit), integer: true })

/** Ranges for some of a codec's numeric props (the others need only be finite). */
export type Ranges<P extends t.Props> = { readonly [K in keyof P]?: Range }

/** "a whole number in 1..10000 (pages)" */
export const describeRange = (r: Range): string =>
  `${r.integer === true ? 'a whole number' : 'a number'} in ${r.min}..${r.max}${r.unit === undefined ? '' : ` (${r.unit})`}`

const inRange = (v: number, r: Range): boolean => Number.isFinite(v) && v >= r.min && v <= r.max && (r.integer !== true || Number.isInteger(v))

/**
 * A codec that decodes a partial object of `props`, fills `defaults`, rejects unknown keys, and
 * checks each given number against `ranges` (every given number must at least be finite: JSON's
 * 1e400 parses to Infinity).
 */
export const paramsCodec = <P extends t.Props>(
  name: string,
  props: P,
  defaults: t.TypeOf<t.TypeC<P>>,
  ranges: Ranges<P> = {},
): t.Type<t.TypeOf<t.TypeC<P>>, unknown, unknown> => {
  const partial = t.partial(props)
  const full = t.type(props)
  // Own keys only: `k in props` would take "constructor" for a parameter.
  const known = (k: string): boolean => Object.hasOwn(props, k)
  const rangeOf = (k: string): Range | undefined => (Object.hasOwn(ranges, k) ? (ranges as Record<string, Range | undefined>)[k] : undefined)
  return new t.Type<t.TypeOf<t.TypeC<P>>, unknown, unknown>(
    name,
    full.is,
    (u, c) => {
      const input = u === undefined || u === null ? {} : u
      if (typeof input !== 'object' || Array.isArray(input)) return t.failure(u, c, `${name} params must be an object`)
      const keys = Object.keys(input)
      const forbidden = keys.filter(isForbiddenKey)
      if (forbidden.length > 0) return t.failures(forbidden.map((k) => ({ value: u, context: c, message: forbiddenKeyMessage(name, k) })))
      const unknownKeys = keys.filter((k) => !known(k))
      if (unknownKeys.length > 0)
        return t.failure(u, c, `${name} has no parameter ${unknownKeys.map((k) => `"${k}"`).join(', ')} (known: ${Object.keys(props).join(', ')})`)
      const record = input as Readonly<Record<string, unknown>>
      const outOfRange: t.Errors = keys.flatMap((k) => {
        const v = record[k]
        if (typeof v !== 'number') return []
        const r = rangeOf(k)
        if (r === undefined ? Number.isFinite(v) : inRange(v, r)) return []
        const expected = r === undefined ? 'a finite number' : describeRange(r)
        return [{ value: v, context: c, message: `${name}.${k}: expected ${expected}, found ${v}` }]
      })
      // Range failures and those of nested params are reported together, not one per run.
      const decoded = partial.validate(input, c)
      if (outOfRange.length > 0) return t.failures(E.isLeft(decoded) ? [...outOfRange, ...decoded.left] : outOfRange)
      return pipe(
        decoded,
        E.map((given) => ({ ...defaults, ...stripUndefined(given) }) as t.TypeOf<t.TypeC<P>>),
      )
    },
    (a) => a,
  )
}

const stripUndefined = (o: object): object => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))

/** io-ts errors as sentences: "overcommit.tax: expected number, found "high"". */
export const formatDecodeErrors = (errors: t.Errors): ReadonlyArray<string> =>
  errors.map((e) => {
    if (e.message) return e.message
    const path = e.context
      .map((c) => c.key)
      .filter((k) => k !== '')
      .join('.')
    const expected = e.context[e.context.length - 1]?.type.name ?? 'a valid value'
    return `${path === '' ? 'value' : path}: expected ${expected}, found ${JSON.stringify(e.value)}`
  })

/**
 * Decode params for a policy, as an Either of sentences. Forbidden keys ("__proto__", ...) are refused
 * at any depth first, whatever codec the policy brings.
 */
export const decodeParams = <A>(codec: t.Type<A, unknown, unknown>, input: unknown): E.Either<ReadonlyArray<string>, A> => {
  const forbidden = forbiddenKeys(input, codec.name)
  if (forbidden.length > 0) return E.left(forbidden)
  return pipe(codec.decode(input), E.mapLeft(formatDecodeErrors))
}

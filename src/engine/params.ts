/**
 * Policy params: users give a partial object; a codec fills the documented defaults and rejects
 * unknown keys (a typo must not pass silently as "the default").
 */
import * as t from 'io-ts'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'

/** A codec that decodes a partial object of `props`, fills `defaults`, and rejects unknown keys. */
export const paramsCodec = <P extends t.Props>(
  name: string,
  props: P,
  defaults: t.TypeOf<t.TypeC<P>>,
): t.Type<t.TypeOf<t.TypeC<P>>, unknown, unknown> => {
  const partial = t.partial(props)
  const full = t.type(props)
  return new t.Type<t.TypeOf<t.TypeC<P>>, unknown, unknown>(
    name,
    full.is,
    (u, c) => {
      const input = u === undefined || u === null ? {} : u
      if (typeof input !== 'object' || Array.isArray(input)) return t.failure(u, c, `${name} params must be an object`)
      const unknownKeys = Object.keys(input).filter((k) => !(k in props))
      if (unknownKeys.length > 0)
        return t.failure(u, c, `${name} has no parameter ${unknownKeys.map((k) => `"${k}"`).join(', ')} (known: ${Object.keys(props).join(', ')})`)
      return pipe(
        partial.validate(input, c),
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

/** Decode params for a policy, as an Either of sentences. */
export const decodeParams = <A>(codec: t.Type<A, unknown, unknown>, input: unknown): E.Either<ReadonlyArray<string>, A> =>
  pipe(codec.decode(input), E.mapLeft(formatDecodeErrors))

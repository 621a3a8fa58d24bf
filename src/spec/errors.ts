/**
 * Turning io-ts failures into sentences people can act on: where (the path in the spec), what was
 * expected, what was found. Never a raw dump of contexts.
 *
 *     fleet.json: vms[1].buffer: expected a buffer percent in 5..2000, found 3
 *     fleet.json: vms[0]: unknown key "bufer" (did you mean "buffer"?)
 *
 * Also the strict-object combinator: io-ts's own `exact` strips unknown keys silently, which would
 * let a typo ("minumum") pass unnoticed and the default apply instead; `strictObject` rejects them.
 */
import * as t from 'io-ts'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { forbiddenKeyReason, forbiddenKeys, isForbiddenKey } from './keys.js'

/** The path of a failure: `vms[2].content.image`; io-ts's union/intersection branches are left out. */
export const formatPath = (context: t.Context): string => {
  let path = ''
  for (let i = 1; i < context.length; i++) {
    const { key } = context[i]
    const parent = context[i - 1].type
    if (key === '' || parent instanceof t.UnionType || parent instanceof t.IntersectionType) continue
    const isIndex = (parent instanceof t.ArrayType || parent instanceof t.ReadonlyArrayType) && /^\d+$/.test(key)
    path += isIndex ? `[${key}]` : path === '' ? key : `.${key}`
  }
  return path
}

/** A value as it appears in a message: JSON, cut short. */
export const formatFound = (value: unknown): string => {
  if (value === undefined) return 'nothing'
  let s: string
  try {
    s = JSON.stringify(value) ?? String(value)
  } catch {
    s = String(value)
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s
}

/** One sentence per failure, prefixed with the source (a file name, "--host"). Duplicates removed. */
export const formatErrors = (errors: t.Errors, source: string): ReadonlyArray<string> => {
  const lines = errors.map((e) => {
    const path = formatPath(e.context)
    const where = path === '' ? source : `${source}: ${path}`
    if (e.message !== undefined) return `${where}: ${e.message}`
    const expected = e.context[e.context.length - 1]?.type.name ?? 'a valid value'
    if (e.value === undefined) return `${where}: missing; expected ${expected}`
    return `${where}: expected ${expected}, found ${formatFound(e.value)}`
  })
  return [...new Set(lines)]
}

/** Decode with a codec, failures as sentences. */
export const decodeWith = <A>(codec: t.Decoder<unknown, A>, value: unknown, source: string): E.Either<ReadonlyArray<string>, A> =>
  pipe(
    codec.decode(value),
    E.mapLeft((errors) => formatErrors(errors, source)),
  )

/**
 * An object codec with required and optional properties that rejects keys it does not know.
 * Unknown keys and failures inside known keys are reported together.
 */
export const strictObject = <R extends t.Props, O extends t.Props>(name: string, required: R, optional: O) => {
  const inner = t.intersection([t.type(required), t.partial(optional)])
  const known = [...Object.keys(required), ...Object.keys(optional)]
  type A = t.TypeOf<typeof inner>
  return new t.Type<A, t.OutputOf<typeof inner>, unknown>(
    name,
    (u): u is A => inner.is(u) && Object.keys(u as object).every((k) => known.includes(k)),
    (u, c) => {
      if (typeof u !== 'object' || u === null || Array.isArray(u)) return t.failure(u, c)
      const record = u as Record<string, unknown>
      const unknownKeys: t.Errors = Object.keys(record)
        .filter((k) => !known.includes(k))
        .map((k) => ({
          value: record[k],
          context: c,
          message: isForbiddenKey(k) ? forbiddenKeyReason(k) : `unknown key "${k}" (${suggest(k, known)})`,
        }))
      // An empty-keyed entry for the intersection, so its branch indices stay out of paths.
      const result = inner.validate(u, t.appendContext(c, '', inner, u))
      if (unknownKeys.length === 0) return result
      return t.failures(E.isLeft(result) ? [...unknownKeys, ...result.left] : unknownKeys)
    },
    inner.encode,
  )
}

/** "did you mean ..." for a near miss, else the list of known keys. */
const suggest = (key: string, known: ReadonlyArray<string>): string => {
  const scored = known.map((k) => [k, editDistance(key.toLowerCase(), k.toLowerCase())] as const).sort((a, b) => a[1] - b[1])
  const best = scored[0]
  if (best !== undefined && best[1] <= Math.max(1, Math.floor(best[0].length / 3))) return `did you mean "${best[0]}"?`
  return `known keys: ${known.join(', ')}`
}

const editDistance = (a: string, b: string): number => {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    prev = cur
  }
  return prev[b.length]
}

/**
 * JSON text decoded by `decode`; text that is not JSON is a sentence naming the source, and so is a
 * key such as "__proto__" anywhere in it (keys.ts).
 */
export const parseJsonText =
  <A>(decode: (json: unknown, source: string) => E.Either<ReadonlyArray<string>, A>) =>
  (text: string, source: string): E.Either<ReadonlyArray<string>, A> =>
    pipe(
      E.tryCatch(
        () => JSON.parse(text) as unknown,
        (err) => [`${source}: not valid JSON (${err instanceof Error ? err.message : String(err)})`],
      ),
      E.chain((json) => {
        // Before decoding: a codec that reads a free-form record (sweep params) must never see them.
        const forbidden = forbiddenKeys(json, source)
        return forbidden.length > 0 ? E.left(forbidden) : decode(json, source)
      }),
    )

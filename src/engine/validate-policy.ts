/**
 * Checking a policy module before it can do harm (oVirt MoM rejects a policy that fails to load):
 * does it export a policy, is its params codec an io-ts codec, do its defaults and the given params
 * decode. Pure: works on the module object, whoever imported it.
 */
import * as E from 'fp-ts/lib/Either.js'
import type { AnyPolicy } from './policy.js'
import { decodeParams } from './params.js'

const isFn = (x: unknown): x is (...a: unknown[]) => unknown => typeof x === 'function'

const looksLikePolicy = (x: unknown): x is AnyPolicy =>
  typeof x === 'object' && x !== null && typeof (x as AnyPolicy).name === 'string' && isFn((x as AnyPolicy).step)

/** The policy a module exports: its default export, or its single named export that is a policy. */
export const policyOfModule = (mod: unknown, source: string): E.Either<ReadonlyArray<string>, AnyPolicy> => {
  if (typeof mod !== 'object' || mod === null) return E.left([`${source}: not a module`])
  const m = mod as Record<string, unknown>
  if (looksLikePolicy(m.default)) return checkPolicyShape(m.default, source)
  const named = Object.values(m).filter(looksLikePolicy)
  if (named.length === 1) return checkPolicyShape(named[0], source)
  if (named.length > 1) return E.left([`${source}: exports ${named.length} policies; export the one to use as default`])
  return E.left([`${source}: exports no policy (expected a default export made with definePolicy({ name, description, params, defaults, traits, init, step }))`])
}

/** Every field of the contract present and of the right kind. */
export const checkPolicyShape = (p: AnyPolicy, source: string): E.Either<ReadonlyArray<string>, AnyPolicy> => {
  const errs: string[] = []
  const where = `${source}: policy "${String(p.name)}"`
  if (!/^[a-z][a-z0-9-]*$/.test(p.name)) errs.push(`${where}: name must be lower-case letters, digits and dashes`)
  if (typeof p.description !== 'string') errs.push(`${where}: description must be a string`)
  if (!isFn(p.init)) errs.push(`${where}: init must be a function (context, params) => state`)
  if (!isFn(p.step)) errs.push(`${where}: step must be a function (state, observation) => [state, decision]`)
  const c = p.params as unknown as Record<string, unknown> | undefined
  if (!c || !isFn(c.decode) || !isFn(c.validate) || !isFn(c.is)) errs.push(`${where}: params must be an io-ts codec (see src/engine/params.ts paramsCodec)`)
  const tr = p.traits as unknown as Record<string, unknown> | undefined
  if (!tr || ['overcommit', 'reservations', 'states', 'minMax'].some((k) => typeof tr[k] !== 'boolean'))
    errs.push(`${where}: traits must say { overcommit, reservations, states, minMax } as booleans`)
  if (errs.length === 0) {
    const d = decodeParams(p.params, p.defaults)
    if (E.isLeft(d)) errs.push(...d.left.map((e) => `${where}: its defaults do not decode: ${e}`))
  }
  return errs.length > 0 ? E.left(errs) : E.right(p)
}

/** Decode user params for a policy (defaults filled), with the policy named in each message. */
export const policyParams = (p: AnyPolicy, given: unknown): E.Either<ReadonlyArray<string>, unknown> => {
  const d = decodeParams(p.params, given)
  return E.isLeft(d) ? E.left(d.left.map((e) => `policy "${p.name}" params: ${e}`)) : d
}

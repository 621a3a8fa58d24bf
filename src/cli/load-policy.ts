/**
 * Loading policies by name or path (the shell's part: the import). A built-in name resolves to
 * policies/; anything else is a path to a .ts or .js module, checked before any replay starts.
 */
import * as path from 'node:path'
import * as fs from 'node:fs'
import * as E from 'fp-ts/lib/Either.js'
import type { AnyPolicy } from '../engine/policy.js'
import { policyOfModule } from '../engine/validate-policy.js'
import { BUILT_IN_POLICIES, builtInPolicy } from '../../policies/index.js'
import { resolvePolicyRef } from './resolve-policy.js'
import { importUserModule } from '../runtime.js'

export const loadPolicy = async (given: string): Promise<E.Either<ReadonlyArray<string>, AnyPolicy>> => {
  const nameOrPath = resolvePolicyRef(given, (n) => builtInPolicy(n) !== undefined) // a bare name may be policies/<name>.ts
  const builtIn = builtInPolicy(nameOrPath)
  if (builtIn) return E.right(builtIn)
  const looksLikePath = /[./\\]/.test(nameOrPath)
  if (!looksLikePath)
    return E.left([`unknown policy "${nameOrPath}" (built in: ${BUILT_IN_POLICIES.map((p) => p.name).join(', ')}; or give a path to a policy module)`])
  const file = path.resolve(nameOrPath)
  if (!fs.existsSync(file)) return E.left([`policy module ${nameOrPath}: no such file`])
  let mod: unknown
  try {
    mod = await importUserModule(file)
  } catch (err) {
    return E.left([`policy module ${nameOrPath} failed to load: ${err instanceof Error ? err.message : String(err)}`])
  }
  return policyOfModule(mod, nameOrPath)
}

/** Load several, collecting every error. */
export const loadPolicies = async (names: ReadonlyArray<string>): Promise<E.Either<ReadonlyArray<string>, ReadonlyArray<AnyPolicy>>> => {
  const loaded = await Promise.all(names.map(loadPolicy))
  const errors = loaded.flatMap((l) => (E.isLeft(l) ? l.left : []))
  return errors.length > 0 ? E.left(errors) : E.right(loaded.map((l) => (l as E.Right<AnyPolicy>).right))
}

/**
 * The built-in policies, by name. User policies load through src/engine/load-policy.ts.
 */
import type { AnyPolicy } from '../src/engine/policy.js'
import { staticPolicy } from './static.js'
import { kvmMomPolicy } from './kvm-mom.js'
import { dynamicMemoryPolicy } from './dynamic-memory.js'
import { overcommitPolicy } from './overcommit.js'

export const BUILT_IN_POLICIES: ReadonlyArray<AnyPolicy> = [staticPolicy, dynamicMemoryPolicy, overcommitPolicy, kvmMomPolicy]

export const builtInPolicy = (name: string): AnyPolicy | undefined => BUILT_IN_POLICIES.find((p) => p.name === name)

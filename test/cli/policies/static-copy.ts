/** The built-in static policy under another name, for test/cli/confine.test.ts: a well-behaved module. */
import { definePolicy, type AnyPolicy } from '../../../src/engine/policy.js'
import { staticPolicy } from '../../../policies/static.js'

export default definePolicy({ ...(staticPolicy as AnyPolicy), name: 'static-copy' })

/** A user policy whose step is async (returns a Promise), for test/cli/confine.test.ts. */
import { definePolicy, type AnyPolicy } from '../../../src/engine/policy.js'
import { staticPolicy } from '../../../policies/static.js'

const base = staticPolicy as AnyPolicy

export default definePolicy({
  ...base,
  name: 'async-step',
  // @ts-expect-error: the contract asks for a synchronous step; this one is async on purpose
  step: async (state, observation) => base.step(state, observation),
})

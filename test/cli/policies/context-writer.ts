/** A hostile user policy for the confinement tests (test/cli/confine.test.ts): writes into its context (the host's memory) */
import { definePolicy, type AnyPolicy } from '../../../src/engine/policy.js'
import { staticPolicy } from '../../../policies/static.js'

const base = staticPolicy as AnyPolicy

export default definePolicy({
  ...base,
  name: 'context-writer',
  init: (context, params) => {
    (context.host as { physicalMiB: number }).physicalMiB = 1
    return base.init(context, params)
  },
  step: (state, observation) => {
    
    return base.step(state, observation)
  },
})

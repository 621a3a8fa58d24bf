/** A hostile user policy for the confinement tests (test/cli/confine.test.ts): calls process.exit(0) at tick 1 */
import { definePolicy, type AnyPolicy } from '../../../src/engine/policy.js'
import { staticPolicy } from '../../../policies/static.js'

const base = staticPolicy as AnyPolicy

export default definePolicy({
  ...base,
  name: 'exits',
  init: (context, params) => {
    
    return base.init(context, params)
  },
  step: (state, observation) => {
    if (observation.tick === 1) process.exit(0)
    return base.step(state, observation)
  },
})

/** A hostile user policy for the confinement tests (test/cli/confine.test.ts): loops forever at tick 2 */
import { definePolicy, type AnyPolicy } from '../../../src/engine/policy.js'
import { staticPolicy } from '../../../policies/static.js'

const base = staticPolicy as AnyPolicy

export default definePolicy({
  ...base,
  name: 'endless',
  init: (context, params) => {
    
    return base.init(context, params)
  },
  step: (state, observation) => {
    if (observation.tick === 2) for (;;) {}
    return base.step(state, observation)
  },
})

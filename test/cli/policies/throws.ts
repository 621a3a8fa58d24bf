/** A hostile user policy for the confinement tests (test/cli/confine.test.ts): throws at tick 3 */
import { definePolicy, type AnyPolicy } from '../../../src/engine/policy.js'
import { staticPolicy } from '../../../policies/static.js'

const base = staticPolicy as AnyPolicy

export default definePolicy({
  ...base,
  name: 'throws',
  init: (context, params) => {
    
    return base.init(context, params)
  },
  step: (state, observation) => {
    if (observation.tick === 3) throw new Error('boom at tick 3')
    return base.step(state, observation)
  },
})

/** A hostile user policy for the confinement tests (test/cli/confine.test.ts): allocates without end */
import { definePolicy, type AnyPolicy } from '../../../src/engine/policy.js'
import { staticPolicy } from '../../../policies/static.js'

const base = staticPolicy as AnyPolicy

export default definePolicy({
  ...base,
  name: 'hog',
  init: (context, params) => {
    
    return base.init(context, params)
  },
  step: (state, observation) => {
    const hoard: number[][] = []; for (;;) hoard.push(new Array(100_000).fill(observation.tick))
    return base.step(state, observation)
  },
})

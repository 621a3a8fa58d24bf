/** A user policy module that calls process.exit(0) as it loads, for test/cli/confine.test.ts. */
import { staticPolicy } from '../../../policies/static.js'

process.exit(0)
export default { ...staticPolicy, name: 'exits-on-load' }

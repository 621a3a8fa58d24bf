// Piscina worker entry for a plan's pool (as TypeScript, in tests): registers tsx's ESM loader in
// this thread, then loads the TypeScript worker. Compiled, dist/cli/workers/plan-worker.js is the
// entry itself.
import { register } from 'tsx/esm/api'

register()
const worker = await import('./plan-worker.ts')

export default worker.default

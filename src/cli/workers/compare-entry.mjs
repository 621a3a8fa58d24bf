// Piscina worker entry for a comparison's pool (as TypeScript, in tests): registers tsx's ESM loader
// in this thread, then loads the TypeScript worker. Compiled, dist/cli/workers/compare-worker.js is
// the entry itself.
import { register } from 'tsx/esm/api'

register()
const worker = await import('./compare-worker.ts')

export default worker.default

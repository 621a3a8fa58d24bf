// Piscina worker entry: registers tsx's ESM loader in this worker thread, then loads the
// TypeScript worker. (Node 20: `register` from tsx/esm/api works per thread; no execArgv needed.)
import { register } from 'tsx/esm/api'

register()
const worker = await import('./scenario-worker.ts')

export default worker.runTask

// Worker entry for a user's policy (confine.ts): registers tsx's ESM loader in this thread, then
// runs the TypeScript task module, which reads workerData and posts one outcome.
import { register } from 'tsx/esm/api'

register()
await import('./policy-worker.ts')

/**
 * Child process of the benchmark: one sweep on N workers, as `npm run sweep -- --workers N` runs it
 * (a fresh process: cold JIT, the trace read through the cache); prints its own time as one JSON
 * line. Both the 1-worker and the 2-worker sweeps run this way, so that neither borrows the
 * benchmark's warm code or its in-process trace cache.
 *
 *   node dist/bench/sweep-child.js (or node --import tsx src/bench/sweep-child.ts) <experiment.json> <workers> <out-dir>
 */
import { runSweep } from '../cli/sweep.js'

const [experiment, workers, out] = process.argv.slice(2)
const t0 = performance.now()
await runSweep(experiment, { workers, out, quiet: true })
// CPU time of every thread of the process: over the wall time, the CPUs the run really had.
const cpu = process.cpuUsage()
process.stdout.write(JSON.stringify({ seconds: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 }) + '\n')

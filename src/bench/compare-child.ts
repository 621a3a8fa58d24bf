/**
 * Child process of the benchmark: one comparison end to end, trace read through the cache as a
 * second run would, report folder written; prints its own figures as one JSON line. Run as a child
 * so that its peak RSS is the comparison's alone, not the benchmark's: read from /proc/self/status's
 * VmHWM (this process's own high-water mark), not getrusage's maxRSS, which Linux carries over from
 * the parent at fork (every child of a 556 MiB bench read at least 556 MiB). Every built-in policy on as many threads as `compare` takes by default, unless
 * `policies` (a comma list, as --policies) or `workers` (as --workers) say otherwise.
 *
 *   node dist/bench/compare-child.js (or node --import tsx src/bench/compare-child.ts) <trace> <host.json> <out-dir> [policies|all] [workers|default]
 */
import { readFileSync } from 'node:fs'
import { runCompare } from '../cli/compare.js'

/** This process's peak resident set (KiB): VmHWM where Linux gives it, else getrusage's maxRSS. */
const peakRssKiB = (): number => {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))
    if (m) return Number(m[1])
  } catch {
    // not Linux: fall through
  }
  return process.resourceUsage().maxRSS
}

const [trace, host, out, policies, workers] = process.argv.slice(2)
const t0 = performance.now()
await runCompare({
  trace,
  host,
  out,
  title: 'memreplay bench',
  ...(policies === undefined || policies === 'all' ? {} : { policies }),
  ...(workers === undefined || workers === 'default' ? {} : { workers }),
})
const seconds = (performance.now() - t0) / 1000
// CPU time of every thread of the process: over the wall time, the CPUs the run really had.
const cpu = process.cpuUsage()
process.stdout.write(JSON.stringify({ seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssKiB: peakRssKiB() }) + '\n')

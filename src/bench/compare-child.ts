/**
 * Child process of the benchmark: one full comparison (all built-in policies) end to end, trace
 * read through the cache as a second run would, report folder written; prints its own figures as
 * one JSON line. Run as a child so that its peak RSS (process.resourceUsage().maxRSS) is the
 * comparison's alone, not the benchmark's.
 *
 *   node dist/bench/compare-child.js (or node --import tsx src/bench/compare-child.ts) <trace> <host.json> <out-dir>
 */
import { runCompare } from '../cli/compare.js'

const [trace, host, out] = process.argv.slice(2)
const t0 = performance.now()
await runCompare({ trace, host, out, title: 'memreplay bench' })
const seconds = (performance.now() - t0) / 1000
process.stdout.write(JSON.stringify({ seconds, maxRssKiB: process.resourceUsage().maxRSS }) + '\n')

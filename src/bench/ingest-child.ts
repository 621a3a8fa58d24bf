/**
 * Child process of the benchmark: the ingest pairs (ingest.ts measureIngest) on one source, in a
 * fresh process, its figures as the last JSON line and its progress on stderr. In the benchmark's own
 * process, after it has built its inputs, both passes ran slower and the import about twice as slow
 * (0.53 against 0.67-0.73 alone on the synthetic month): a fresh process measures the importer, not
 * the benchmark's heap.
 *
 *   node dist/bench/ingest-child.js (or node --import tsx src/bench/ingest-child.ts) <source> <repeats>
 */
import { measureIngest } from './ingest.js'

const [source, repeats] = process.argv.slice(2)
const figures = await measureIngest(source, Number(repeats), (s) => void process.stderr.write(s + '\n'))
process.stdout.write(JSON.stringify(figures) + '\n')

/**
 * `npm run bench` (and `npm run bench -- --quick`): the performance benchmark (src/bench/run.ts).
 * Prints a table and writes reports/bench/bench.json. Never fails for being slow.
 */
import * as path from 'node:path'
import { writeFile } from 'node:fs/promises'
import { Command } from 'commander'
import { runBench } from '../bench/run.js'
import { benchTable } from '../bench/table.js'

const program = new Command()
program
  .name('bench')
  .description('measure ingest, the trace cache, replay, a full comparison and a sweep; write reports/bench/bench.json')
  .option('--quick', 'a short run: 100 VMs x 7 days, fewer repeats')
  .option('--out <dir>', 'output folder', path.join('reports', 'bench'))
  .action(async (flags: { quick?: boolean; out: string }) => {
    const log = (s: string): void => void process.stderr.write(s + '\n')
    const result = await runBench({ quick: flags.quick === true, out: flags.out, log })
    const json = path.join(flags.out, 'bench.json')
    await writeFile(json, JSON.stringify(result, null, 2) + '\n')
    const table = benchTable(result)
    await writeFile(path.join(flags.out, 'bench.txt'), table + '\n')
    process.stdout.write(`${table}\n\nFigures: ${json}\n`)
  })

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})

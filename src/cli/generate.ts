/**
 * `memreplay generate`: write a seeded synthetic fleet (trace/synthetic.ts) as canonical CSV.
 * Same options, same bytes: the committed sample in traces/sample/ is regenerated this way.
 */
import { randomBytes } from 'node:crypto'
import { lstatSync } from 'node:fs'
import { mkdir, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { Command } from 'commander'
import * as E from 'fp-ts/lib/Either.js'
import { writeCanonicalCsv } from '../trace/canonical.js'
import { checkSyntheticOptions, DEFAULT_START, generateFleet, type SyntheticOptions } from '../trace/synthetic.js'

interface GenerateFlags {
  readonly seed: string
  readonly vms: string
  readonly days: string
  readonly step: string
  readonly start?: string
  readonly groups: boolean
  readonly out: string
  readonly force?: boolean
}

/**
 * Where generate may write: a new file, or with --force an existing regular file (a trace is a file
 * memreplay cannot tell from the user's own, hence the explicit flag). Never a folder, a link, the
 * working folder or the root.
 */
export const checkGenerateOut = (out: string, force: boolean): E.Either<string, void> => {
  let st
  try {
    st = lstatSync(out)
  } catch {
    return E.right(undefined)
  }
  if (st.isSymbolicLink()) return E.left(`--out ${out} is a symbolic link; generate never writes through a link: give another file name`)
  if (st.isDirectory()) return E.left(`--out ${out} is a folder; generate writes one CSV file and never replaces a folder: give a file name such as ${join(out, 'fleet.csv')}`)
  if (!st.isFile()) return E.left(`--out ${out} is not a regular file; generate will not replace it`)
  if (!force) return E.left(`--out ${out} exists; generate does not overwrite a file unless --force is given`)
  return E.right(undefined)
}

/** "--start" as Unix seconds or an ISO date ("2013-08-05", "2013-08-05T00:00:00Z", read as UTC). */
export const parseStart = (arg: string): E.Either<string, number> => {
  if (/^\s*-?\d+\s*$/.test(arg)) return E.right(Number(arg))
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(arg.trim()) ? `${arg.trim()}T00:00:00Z` : arg
  const ms = Date.parse(iso)
  return Number.isNaN(ms) ? E.left(`--start: expected Unix seconds or an ISO date such as 2013-08-05, found "${arg}"`) : E.right(Math.floor(ms / 1000))
}

const numberFlag = (name: string, value: string): E.Either<string, number> => {
  const n = Number(value)
  return value.trim() !== '' && Number.isFinite(n) ? E.right(n) : E.left(`--${name}: expected a number, found "${value}"`)
}

/** The options a command line stands for, or every reason it does not make sense. */
export const generateOptions = (flags: GenerateFlags): E.Either<ReadonlyArray<string>, SyntheticOptions> => {
  const parsed = {
    seed: numberFlag('seed', flags.seed),
    vms: numberFlag('vms', flags.vms),
    days: numberFlag('days', flags.days),
    step: numberFlag('step', flags.step),
    start: flags.start === undefined ? E.right(DEFAULT_START) : parseStart(flags.start),
  }
  const errors = Object.values(parsed).flatMap((e) => (E.isLeft(e) ? [e.left] : []))
  if (errors.length > 0) return E.left(errors)
  const get = (e: E.Either<string, number>): number => (E.isRight(e) ? e.right : NaN)
  const options: SyntheticOptions = {
    seed: get(parsed.seed),
    vms: get(parsed.vms),
    days: get(parsed.days),
    stepSeconds: get(parsed.step),
    start: get(parsed.start),
    ...(flags.groups ? {} : { groups: [] }),
  }
  const problems = checkSyntheticOptions(options)
  return problems.length > 0 ? E.left(problems) : E.right(options)
}

export const registerGenerate = (program: Command): void => {
  program
    .command('generate')
    .description('write a seeded synthetic fleet (calibrated to the Bitbrains trace) as canonical CSV')
    .requiredOption('--out <file>', 'output file (canonical CSV; gzipped when it ends in .gz)')
    .option('--seed <n>', 'seed: the same seed and options give the same bytes', '42')
    .option('--vms <n>', 'number of VMs', '24')
    .option('--days <n>', 'length of the trace, days', '7')
    .option('--step <seconds>', 'seconds per sample (the workload underneath is the same at any step)', '300')
    .option('--start <time>', 'start, Unix seconds or an ISO date (default 2013-08-05, a Monday, UTC)')
    .option('--no-groups', 'no image groups (win2012-web, ubuntu-db): every VM unrelated')
    .option('--force', 'replace --out if it is an existing file (never a folder or a link)')
    .addHelpText(
      'after',
      `
Example:
  npm run generate -- --seed 42 --vms 500 --days 30 --step 300 --out traces/big.csv
  (the committed sample: npm run generate -- --seed 42 --vms 24 --days 7 --step 300 --out traces/sample/sample.csv --force)`,
    )
    .action(async (flags: GenerateFlags) => {
      const options = generateOptions(flags)
      if (E.isLeft(options)) {
        process.stderr.write(options.left.map((m) => `memreplay generate: ${m}`).join('\n') + '\n')
        process.exit(1)
      }
      const refused = checkGenerateOut(flags.out, flags.force === true)
      if (E.isLeft(refused)) {
        process.stderr.write(`memreplay generate: ${refused.left}\n`)
        process.exit(1)
      }
      const trace = generateFleet(options.right)
      await mkdir(dirname(flags.out), { recursive: true })
      // Written beside the target, then renamed: a failed run leaves no half file, and --force
      // replaces the old file in one step.
      const tmp = join(dirname(flags.out), `.${randomBytes(6).toString('hex')}.tmp-${basename(flags.out)}`)
      try {
        await writeCanonicalCsv(trace, tmp)
        await rename(tmp, flags.out)
      } catch (err) {
        await rm(tmp, { force: true })
        throw err
      }
      process.stderr.write(`wrote ${trace.name}: ${trace.vms.length} VMs, ${trace.ticks} ticks of ${trace.step} s, ${trace.report.rows} samples -> ${flags.out}\n`)
    })
}

/**
 * `npm run fingerprint`: a fingerprint of each built-in policy's replay on fixed fleets (the synthetic
 * one, and the sample in traces/sample with its host and fleet), one line each. Run it before and
 * after a change meant only to be faster: the lines must not change (src/bench/fingerprint.ts).
 */
import { Command } from 'commander'
import { BUILT_IN_POLICIES } from '../../policies/index.js'
import { fingerprint, syntheticCases, type FingerprintCase } from '../bench/fingerprint.js'
import { SCRATCH_MODES, type ScratchMode } from '../engine/replay-api.js'
import { InputError, readFleet, readHost, readTrace } from './inputs.js'

const names = BUILT_IN_POLICIES.map((p) => p.name)

const run = async (only: ReadonlyArray<string>, scratch: string): Promise<void> => {
  const unknown = only.filter((n) => !names.includes(n))
  if (unknown.length > 0) throw new InputError(unknown.map((n) => `unknown policy "${n}" (built in: ${names.join(', ')})`))
  if (!(SCRATCH_MODES as ReadonlyArray<string>).includes(scratch)) throw new InputError([`--scratch: expected one of ${SCRATCH_MODES.join(', ')}, found "${scratch}"`])
  const trace = await readTrace('traces/sample/sample.csv', {})
  const sample: FingerprintCase = { label: 'traces/sample', trace, host: readHost('traces/sample/host.json'), vms: readFleet(trace, 'traces/sample/fleet.json') }
  for (const c of [...syntheticCases(), sample]) {
    for (const p of BUILT_IN_POLICIES) {
      if (only.length > 0 && !only.includes(p.name)) continue
      process.stdout.write(`${fingerprint(c, p.name, scratch as ScratchMode)}  ${p.name.padEnd(15)} ${c.label}\n`)
    }
  }
}

const program = new Command()
program
  .name('fingerprint')
  .description(
    "print a SHA-256 of every tick's account of each built-in policy's replay on fixed fleets (a synthetic one on three host sizes, and the sample): a change meant only to be faster must leave every line as it was",
  )
  .argument('[policy...]', `built-in policies to fingerprint (default: all: ${names.join(', ')})`)
  .option('--scratch <mode>', `how the engine offers policies scratch columns: ${SCRATCH_MODES.join(', ')} (default recycle, as every run; every mode must print the same lines)`, 'recycle')
  .addHelpText(
    'after',
    `
Examples:
  npm run fingerprint > before.txt     (then make the change)
  npm run fingerprint | diff before.txt -
  npm run fingerprint -- overcommit
  npm run fingerprint -- --scratch withhold | diff before.txt -`,
  )
  .action((only: string[], flags: { scratch: string }) => run(only, flags.scratch))

program.parseAsync(process.argv).catch((err: unknown) => {
  const lines = err instanceof InputError ? err.lines : [err instanceof Error ? err.message : String(err)]
  process.stderr.write(`fingerprint: ${lines.join('\n  ')}\n`)
  process.exit(1)
})

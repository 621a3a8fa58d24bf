#!/usr/bin/env node
/**
 * memreplay's command line: one program, one subcommand per job (npm scripts call these).
 * The shell of the toolkit: it parses options, reads and writes files, and calls the pure core.
 */
import { Command } from 'commander'
import { InputError } from './inputs.js'
import { HOST_DEFAULTS_HELP } from '../spec/host.js'
import { UNITS_TEXT } from '../units.js'
import { staleSource } from '../runtime.js'

type Register = (program: Command) => void

// Each command's module is loaded only when that command runs: a command pays for its own imports
// (compare's report and charts, plan's search, the policy kit's TypeScript), not for every other one.
// `memreplay --help`, an unknown word or none loads them all, so the list of commands stays whole.
const COMMANDS: Readonly<Record<string, () => Promise<Register>>> = {
  validate: () => import('./validate.js').then((m) => m.registerValidate),
  compare: () => import('./compare.js').then((m) => m.registerCompare),
  generate: () => import('./generate.js').then((m) => m.registerGenerate),
  plan: () => import('./plan.js').then((m) => m.registerPlan),
  sweep: () => import('./sweep.js').then((m) => m.registerSweep),
  merge: () => import('./merge.js').then((m) => m.registerMerge),
  'new-policy': () => import('./new-policy.js').then((m) => m.registerNewPolicy),
  'check-policy': () => import('./check-policy.js').then((m) => m.registerCheckPolicy),
}
// The order `memreplay --help` lists them in.
const ORDER = ['validate', 'compare', 'generate', 'plan', 'sweep', 'merge', 'new-policy', 'check-policy']

const stale = staleSource()
if (stale !== undefined) process.stderr.write(`memreplay: ${stale} is newer than the build in dist/: run \`npm run build\` (this run uses the build)\n`)

const program = new Command()
program
  .name('memreplay')
  .description('Replay recorded VM memory traces against hypervisor memory policies and compare what each costs.')
  .showHelpAfterError()

const asked = process.argv[2]
for (const name of asked !== undefined && Object.hasOwn(COMMANDS, asked) ? [asked] : ORDER) (await COMMANDS[name]!())(program)

// What every command that takes a host says about sizes and host defaults (declared once, here).
const SIZES_HELP = `
Sizes need a unit: ${UNITS_TEXT} (e.g. 128GiB; a bare 128 is refused). ${HOST_DEFAULTS_HELP}`
for (const c of program.commands) if (['compare', 'plan'].includes(c.name())) c.addHelpText('after', SIZES_HELP)

// A command that ends the process before its action finished (process.exit(0) in code it ran, such
// as a policy module loaded in this process) must not look like success. --help exits before any
// action, so the guard is armed only while one runs.
let acting = false
program.hook('preAction', () => {
  acting = true
})
process.on('exit', (code) => {
  if (acting && code === 0) {
    process.stderr.write('memreplay: the run ended before the command finished (did code it ran, such as a policy module, call process.exit?); nothing it reported should be trusted\n')
    process.exitCode = 1
  }
})

program.parseAsync(process.argv).then(() => {
  acting = false
}, (err: unknown) => {
  acting = false
  if (err instanceof InputError) process.stderr.write(`memreplay: cannot run:\n${err.lines.map((l) => `  ${l}`).join('\n')}\n`)
  else process.stderr.write(`memreplay: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})

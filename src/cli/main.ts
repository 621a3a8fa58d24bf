#!/usr/bin/env node
/**
 * memreplay's command line: one program, one subcommand per job (npm scripts call these).
 * The shell of the toolkit: it parses options, reads and writes files, and calls the pure core.
 */
import { Command } from 'commander'
import { registerValidate } from './validate.js'
import { registerCompare } from './compare.js'
import { registerGenerate } from './generate.js'
import { registerPolicyKit } from './check-policy.js'
import { InputError } from './inputs.js'
import { registerPlan } from './plan.js'
import { registerSweep } from './sweep.js'
import { registerMerge } from './merge.js'
import { HOST_DEFAULTS_HELP } from '../spec/host.js'
import { UNITS_TEXT } from '../units.js'

const program = new Command()
program
  .name('memreplay')
  .description('Replay recorded VM memory traces against hypervisor memory policies and compare what each costs.')
  .showHelpAfterError()

registerValidate(program)
registerCompare(program)
registerGenerate(program)
registerPlan(program)
registerSweep(program)
registerMerge(program)
registerPolicyKit(program)

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

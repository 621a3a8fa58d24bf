import type { Command } from 'commander'

export const registerValidate = (program: Command): void => {
  program.command('validate <trace>').description('validate a trace and print its import report (not yet built)').action(() => {
    process.stderr.write('not yet built\n')
    process.exit(2)
  })
}

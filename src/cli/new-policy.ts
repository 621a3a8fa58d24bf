/**
 * `memreplay new-policy <name>`: scaffold a policy module from a working template
 * (src/cli/templates/policy.template.ts: it runs and passes check-policy as it stands) and a vitest
 * test beside it. Refuses to overwrite anything.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import type { Command } from 'commander'
import { InputError } from './inputs.js'
import { BUILT_IN_POLICIES } from '../../policies/index.js'
import { resolvePolicyRef } from './resolve-policy.js'
import { PROJECT_ROOT } from '../runtime.js'

const repoRoot = PROJECT_ROOT
// Read from the checkout's src/ (the build does not carry it): the template is TypeScript the user edits.
const TEMPLATE = path.join(repoRoot, 'src', 'cli', 'templates', 'policy.template.ts')
const ENGINE = path.join(repoRoot, 'src', 'engine')

export const POLICY_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/

/** Why a name cannot be used, or undefined. */
export const badName = (name: string): string | undefined => {
  if (!POLICY_NAME.test(name))
    return `"${name}" is not a policy name: use lower-case letters, digits and single dashes, starting with a letter (e.g. my-balloon)`
  if (name === 'index' || name === 'internal') return `"${name}" is reserved in policies/`
  if (BUILT_IN_POLICIES.some((p) => p.name === name)) return `"${name}" is a built-in policy's name; choose another`
  return undefined
}

const camel = (name: string): string => name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase())
const constant = (name: string): string => name.replace(/-/g, '_').toUpperCase()
const pascal = (name: string): string => camel(name).replace(/^./, (c) => c.toUpperCase())

/** An import specifier from `dir` to the engine (posix separators, leading ./ or ../). */
const engineImport = (dir: string): string => {
  const rel = path.relative(dir, ENGINE).split(path.sep).join('/')
  return rel.startsWith('.') ? rel : `./${rel}`
}

/** The policy module's text for `name`, to live in `dir`. */
export const policySource = (name: string, dir: string): string =>
  fs
    .readFileSync(TEMPLATE, 'utf8')
    .replaceAll("'../../engine/", `'${engineImport(dir)}/`)
    .replaceAll('template-policy', name)
    .replaceAll('templatePolicy', `${camel(name)}Policy`)
    .replaceAll('TemplatePolicyParams', `${pascal(name)}Params`)
    .replaceAll('TEMPLATE_POLICY_DEFAULTS', `${constant(name)}_DEFAULTS`)

/** The test module's text for `name`, to live in `dir` beside the policy. */
export const testSource = (name: string, dir: string): string => {
  const engine = engineImport(dir)
  return `/**
 * Tests for the ${name} policy (scaffolded by \`npm run new-policy\`). The first test is the
 * conformance check; the second is a worked example of what the template does: change it when you
 * change the policy, with figures you work out by hand.
 */
import { describe, expect, it } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import { buildTrace, checkConformance, formatReport, hostOf, settingsOf } from '${engine}/conformance/index.js'
import { replay } from '${engine}/replay.js'
import policy from './${name}.js'

describe('${name}', () => {
  it('passes the conformance check', () => {
    const report = checkConformance(policy, undefined, { runs: 50 })
    expect(report.ok, formatReport(report)).toBe(true)
  })

  it('admits a VM that fits and refuses one that does not (worked by hand)', () => {
    // Host 4096 MiB. a (2048 MiB) runs from tick 0; b (4096 MiB) starts at tick 1:
    // 2048 + 4096 > 4096, so b is refused (status 2) while a keeps running (status 1).
    const trace = buildTrace([
      { id: 'a', demand: [100, 100], configured: 2048 },
      { id: 'b', demand: [NaN, 100], configured: 4096 },
    ])
    const status: number[][] = []
    const res = replay(
      { trace, host: hostOf(4096), vms: [settingsOf('a', 2048), settingsOf('b', 4096)], policy, params: policy.defaults, seed: 1, checkInvariants: true },
      (account) => status.push([...account.status]),
    )
    expect(E.isRight(res)).toBe(true)
    expect(status).toEqual([
      [1, 0],
      [1, 2],
    ])
  })
})
`
}

export interface Scaffolded {
  readonly policyFile: string
  readonly testFile: string
}

/** Write the two files; throws InputError (nothing written) on a bad name or an existing file. */
export const scaffoldPolicy = (name: string, dir: string): Scaffolded => {
  const bad = badName(name)
  if (bad) throw new InputError([bad])
  const absDir = path.resolve(dir)
  const policyFile = path.join(absDir, `${name}.ts`)
  const testFile = path.join(absDir, `${name}.test.ts`)
  const existing = [policyFile, testFile].filter((f) => fs.existsSync(f))
  if (existing.length > 0) throw new InputError(existing.map((f) => `${path.relative(process.cwd(), f)} already exists: not overwritten (choose another name, or remove it first)`))
  fs.mkdirSync(absDir, { recursive: true })
  // 'wx': fail rather than overwrite, should the file appear meanwhile.
  fs.writeFileSync(policyFile, policySource(name, absDir), { flag: 'wx' })
  fs.writeFileSync(testFile, testSource(name, absDir), { flag: 'wx' })
  return { policyFile, testFile }
}

/**
 * What to do next, as printed after scaffolding. The policy is named by its bare name where
 * `--policy` and check-policy will find it (policies/<name>.ts), else by its path; the comparison
 * writes to reports/<name>, never over the sample's report in reports/sample.
 */
export const nextSteps = (name: string, { policyFile, testFile }: Scaffolded, cwd: string = process.cwd()): string => {
  const rel = (f: string): string => path.relative(cwd, f).split(path.sep).join('/') || f
  const ref = resolvePolicyRef(name, (n) => BUILT_IN_POLICIES.some((p) => p.name === n), fs.existsSync, cwd) === rel(policyFile) ? name : rel(policyFile)
  return [
    `wrote ${rel(policyFile)}`,
    `wrote ${rel(testFile)}`,
    '',
    'Next:',
    `  edit ${rel(policyFile)} (the contract: policies/README.md)`,
    `  npm run check-policy -- ${ref}`,
    `  npx vitest run ${rel(testFile)}`,
    `  npm run compare -- --sample --policies static --policy ${ref} --out reports/${name}`,
    '',
  ].join('\n')
}

export const registerNewPolicy = (program: Command): void => {
  program
    .command('new-policy')
    .description('scaffold a policy module (a working template that passes check-policy) and its test')
    .argument('<name>', 'policy name: lower-case letters, digits and dashes (e.g. my-balloon)')
    .option('--dir <dir>', 'where to write <name>.ts and <name>.test.ts', 'policies')
    .addHelpText(
      'after',
      `
Refuses to overwrite an existing file. A policy in policies/ is then named by its name alone:
  npm run new-policy -- my-policy
  npm run check-policy -- my-policy
  npm run compare -- --sample --policies static --policy my-policy --out reports/my-policy`,
    )
    .action((name: string, flags: { dir: string }) => {
      process.stdout.write(nextSteps(name, scaffoldPolicy(name, flags.dir)))
    })
}

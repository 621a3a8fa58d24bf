/**
 * `memreplay check-policy <name or path>`: the conformance check (src/engine/conformance) on a
 * built-in policy or a policy module of one's own. Prints one line per check and, for a failure, the
 * rule, the tick, the VM and a shrunk counterexample; exits non-zero when a check fails.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import type { Command } from 'commander'
import { checkConformance, formatReport, type ConformanceReport, type SampleInput } from '../engine/conformance/index.js'
import { InputError, readFleet, readHost, readParamsArg, readTrace } from './inputs.js'
import { loadPolicy } from './load-policy.js'
import { resolvePolicyRef } from './resolve-policy.js'
import { typeCheckPolicy } from './typecheck-policy.js'
import { builtInPolicy } from '../../policies/index.js'
import { SAMPLE } from './sample.js'
import { PROJECT_ROOT } from '../runtime.js'

const repoRoot = PROJECT_ROOT

export interface CheckFlags {
  readonly params?: string
  readonly runs?: string
  readonly seed?: string
  readonly sample?: boolean
  readonly sampleTrace?: string
  readonly sampleHost?: string
  /** False (`--no-type-check`): skip the TypeScript check of a .ts module. */
  readonly typeCheck?: boolean
}

const wholeNumber = (flag: string, s: string | undefined, min: number): number | undefined => {
  if (s === undefined) return undefined
  // Digits only: Number() would also read "0x10", "+5", "1e3" and " ".
  const n = /^\s*[0-9]+\s*$/.test(s) ? Number(s) : NaN
  if (!Number.isSafeInteger(n) || n < min) throw new InputError([`${flag}: expected a whole number >= ${min}, found "${s}"`])
  return n
}

/** The bundled sample (or the given one), loaded; or why the sample run is skipped. */
const loadSample = async (flags: CheckFlags): Promise<SampleInput | { skip: string }> => {
  if (flags.sample === false) return { skip: 'turned off (--no-sample)' }
  const tracePath = flags.sampleTrace ?? path.join(repoRoot, SAMPLE.trace)
  const hostPath = flags.sampleHost ?? path.join(repoRoot, SAMPLE.host)
  const missing = [tracePath, hostPath].filter((p) => !fs.existsSync(p))
  if (missing.length > 0) return { skip: `sample not found (${missing.map((p) => path.relative(process.cwd(), p)).join(', ')}); the sample run is skipped` }
  const fleetPath = flags.sampleTrace === undefined && fs.existsSync(path.join(repoRoot, SAMPLE.fleet)) ? path.join(repoRoot, SAMPLE.fleet) : undefined
  const trace = await readTrace(tracePath)
  return { label: path.relative(process.cwd(), tracePath), trace, host: readHost(hostPath), vms: readFleet(trace, fleetPath) }
}

/** A .ts module that does not type-check stops here, its errors with file and line; built-ins and .js modules pass. */
const typeCheckFirst = async (nameOrPath: string): Promise<void> => {
  const ref = resolvePolicyRef(nameOrPath, (n) => builtInPolicy(n) !== undefined)
  if (builtInPolicy(ref) !== undefined || !/\.(ts|mts|cts)$/.test(ref)) return
  if (!fs.existsSync(ref)) return // the loader says "no such file"
  const checked = await typeCheckPolicy(ref)
  if (E.isLeft(checked)) throw new InputError([checked.left])
  if (checked.right.length > 0)
    throw new InputError([
      `${ref} does not type-check (${checked.right.length} error${checked.right.length === 1 ? '' : 's'}; the conformance check runs once it does, or with --no-type-check):`,
      ...checked.right,
    ])
}

export const runCheckPolicy = async (nameOrPath: string, flags: CheckFlags): Promise<ConformanceReport> => {
  if (flags.typeCheck !== false) await typeCheckFirst(nameOrPath)
  const loaded = await loadPolicy(nameOrPath)
  if (E.isLeft(loaded)) throw new InputError(loaded.left)
  const policy = loaded.right
  const given = readParamsArg(flags.params)
  // --params takes this policy's params, or an object keyed by its name (as compare takes them).
  const keys = Object.keys(given)
  const params = keys.length === 1 && keys[0] === policy.name ? given[policy.name] : given
  const runs = wholeNumber('--runs', flags.runs, 1)
  const seed = wholeNumber('--seed', flags.seed, 0)
  const report = checkConformance(policy, params, {
    ...(runs === undefined ? {} : { runs }),
    ...(seed === undefined ? {} : { seed }),
    sample: await loadSample(flags),
  })
  return { ...report, source: nameOrPath }
}

export const registerCheckPolicy = (program: Command): void => {
  program
    .command('check-policy')
    .description("check a policy against the contract: invariants over random fleets, purity, determinism, the same account with the engine's scratch offer withheld, recycled and poisoned, a run on the sample")
    .argument('<policy>', 'a built-in policy name, a name in policies/ (my-policy = policies/my-policy.ts), or a path to a policy module (.ts or .js)')
    .option('--params <json|file>', 'the policy\'s params, e.g. \'{"headroomPercent": 10}\' (default: its defaults)')
    .option('--runs <n>', 'random fleets and traces per property (default 100)')
    .option('--seed <n>', 'fast-check seed, to reproduce a run (default fixed)')
    .option('--sample-trace <path>', 'trace for the sample run (default traces/sample/sample.csv)')
    .option('--sample-host <size|spec.json>', 'host for the sample run (default traces/sample/host.json)')
    .option('--no-sample', 'skip the run on the sample')
    .option('--no-type-check', 'do not type-check a .ts module first (with the project\'s tsconfig.json)')
    .addHelpText(
      'after',
      `
A .ts module is type-checked first (errors with file and line), then checked against the contract.

Examples:
  npm run check-policy -- kvm-mom
  npm run check-policy -- my-policy
  npm run check-policy -- policies/my-policy.ts --params '{"headroomPercent": 10}'`,
    )
    .action(async (nameOrPath: string, flags: CheckFlags) => {
      const report = await runCheckPolicy(nameOrPath, flags)
      process.stdout.write(formatReport(report) + '\n')
      if (!report.ok) process.exitCode = 1
    })
}

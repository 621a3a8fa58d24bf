/**
 * `memreplay plan`: for each policy, the fewest hosts of a size that meet a service level (or, with
 * --hosts N, the smallest host size), found by replays on a cluster; prints the recommendation and
 * writes the capacity report (plan.json, index.html, summary.md, charts).
 * Everything is read and checked before the first replay; failures are sentences.
 */
import * as path from 'node:path'
import { readFileSync } from 'node:fs'
import * as E from 'fp-ts/lib/Either.js'
import type { Command } from 'commander'
import type { HostSettings } from '../spec/settings.js'
import { parseSize } from '../units.js'
import { InputError, policyNames, policyOptions, readFleet, readHost, readParamsArg, readPolicies, readTrace, readWorldArg, type LoadedPolicy } from './inputs.js'
import { traceOptions } from './trace-options.js'
import { progressBar } from './progress.js'
import { DEFAULT_SLA, describeServiceLevel, parseServiceLevelText, type ServiceLevel } from '../plan/sla.js'
import { PLACEMENT_NAMES, type PlacementName } from '../plan/placement.js'
import { fleetFigures, planHostSize, planHosts, type PolicyPlan } from '../plan/plan.js'
import { buildCapacityFiles, marginText, recommendationRows, type CapacityInput } from '../report/capacity.js'
import { writeFolderAtomically } from '../report/write-folder.js'
import { admissionModel } from '../plan/admission.js'
import { guardOut } from './out-guard.js'

export interface PlanFlags {
  readonly trace?: string
  readonly host?: string
  readonly fleet?: string
  readonly world?: string
  readonly sla?: string
  readonly maxVmsRefused?: string
  readonly maxPressureShare?: string
  readonly maxSlowdownP99?: string
  readonly maxHostSwapGib?: string
  readonly policies?: string
  readonly policy?: ReadonlyArray<string>
  readonly params?: string
  readonly placement?: string
  readonly maxOverAllocation?: string
  readonly hostReserve?: string
  readonly vmOverhead?: string
  readonly hosts?: string
  readonly granularity?: string
  readonly maxHostSize?: string
  readonly maxHosts?: string
  readonly seed?: string
  readonly out?: string
  readonly format?: string
  readonly map?: string
  readonly separator?: string
  readonly maxGap?: string
  readonly cache?: boolean
  readonly title?: string
}

const sizeArg = (flag: string, v: string): number => {
  const r = parseSize(v)
  if (E.isLeft(r)) throw new InputError([`${flag}: ${r.left}`])
  return r.right
}

const wholeArg = (flag: string, v: string, min: number): number => {
  const n = Number(v)
  if (!Number.isInteger(n) || n < min) throw new InputError([`${flag}: expected a whole number >= ${min}, found "${v}"`])
  return n
}

const numberArg = (flag: string, v: string): number => {
  const n = Number(v)
  if (v.trim() === '' || !Number.isFinite(n)) throw new InputError([`${flag}: expected a number, found "${v}"`])
  return n
}

/** `--sla` (inline JSON or a file) then the single-term options over it; all through the codec. */
export const readServiceLevel = (flags: PlanFlags): ServiceLevel => {
  let sla = DEFAULT_SLA
  if (flags.sla !== undefined) {
    let text = flags.sla
    let source = '--sla'
    if (!flags.sla.trim().startsWith('{')) {
      try {
        text = readFileSync(flags.sla, 'utf8')
        source = flags.sla
      } catch (err) {
        throw new InputError([`--sla: cannot read "${flags.sla}": ${(err as Error).message}`])
      }
    }
    const r = parseServiceLevelText(text, source)
    if (E.isLeft(r)) throw new InputError(r.left)
    sla = r.right
  }
  const terms: Record<string, unknown> = {}
  const opt = (flag: string, key: string, v: string | undefined): void => {
    if (v === undefined) return
    terms[key] = v.trim() === 'none' ? null : numberArg(flag, v)
  }
  opt('--max-vms-refused', 'maxVmsRefused', flags.maxVmsRefused)
  opt('--max-pressure-share', 'maxPressureOver100Share', flags.maxPressureShare)
  opt('--max-slowdown-p99', 'maxSlowdownP99', flags.maxSlowdownP99)
  opt('--max-host-swap-gib', 'maxHostSwapOutGiB', flags.maxHostSwapGib)
  if (Object.keys(terms).length === 0) return sla
  const json = JSON.stringify(terms)
  const r = parseServiceLevelText(json, 'service-level options', sla)
  if (E.isLeft(r)) throw new InputError(r.left)
  return r.right
}

/** Host template: --host (size or spec), with --host-reserve / --vm-overhead over it. */
export const readHostTemplate = (flags: { host?: string; hostReserve?: string; vmOverhead?: string }, required: boolean): HostSettings => {
  if (flags.host === undefined && required) throw new InputError(['--host <size or host spec> is required, e.g. --host 256GiB'])
  const base: HostSettings = flags.host === undefined ? { physicalMiB: 0, reserveMiB: 0, vmOverheadMiB: 0 } : readHost(flags.host)
  const host = {
    ...base,
    ...(flags.hostReserve === undefined ? {} : { reserveMiB: sizeArg('--host-reserve', flags.hostReserve) }),
    ...(flags.vmOverhead === undefined ? {} : { vmOverheadMiB: sizeArg('--vm-overhead', flags.vmOverhead) }),
  }
  if (base.physicalMiB > 0 && host.reserveMiB >= host.physicalMiB)
    throw new InputError([`--host-reserve (${host.reserveMiB} MiB) must be below the host's memory (${host.physicalMiB} MiB)`])
  return host
}

export const readPlacement = (v: string | undefined): PlacementName | undefined => {
  if (v === undefined) return undefined
  if (!(PLACEMENT_NAMES as ReadonlyArray<string>).includes(v)) throw new InputError([`--placement: expected one of ${PLACEMENT_NAMES.join(', ')}, found "${v}"`])
  return v as PlacementName
}

/** Rows as fixed-width text: first row the header, first column left-aligned, the rest right. */
export const textTable = (rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((c, j) => (j === 0 || j === cells.length - 1 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join('  ').trimEnd()
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n')
}

const pct = (x: number | null): string => (x === null ? '-' : `${Math.round(x * 100) / 100}`)

export const runPlan = async (flags: PlanFlags): Promise<{ out: string; dir: string; plans: ReadonlyArray<PolicyPlan> }> => {
  if (flags.trace === undefined) throw new InputError(['--trace <path> is required'])
  const sizeMode = flags.hosts !== undefined
  const fixedHosts = sizeMode ? wholeArg('--hosts', flags.hosts as string, 1) : undefined
  const host = readHostTemplate(flags, !sizeMode)
  const sla = readServiceLevel(flags)
  const placement = readPlacement(flags.placement)
  const cap = flags.maxOverAllocation === undefined ? undefined : numberArg('--max-over-allocation', flags.maxOverAllocation)
  if (cap !== undefined && !(cap > 0)) throw new InputError([`--max-over-allocation: expected a multiple of host memory above 0, found ${cap}`])
  const granularity = flags.granularity === undefined ? 1024 : sizeArg('--granularity', flags.granularity)
  if (!(granularity > 0)) throw new InputError(['--granularity must be above 0'])
  const maxHosts = flags.maxHosts === undefined ? undefined : wholeArg('--max-hosts', flags.maxHosts, 1)
  const seed = flags.seed === undefined ? 1 : Number(flags.seed)
  if (!Number.isInteger(seed)) throw new InputError([`--seed: expected a whole number, found "${flags.seed}"`])
  const traceBase = path.basename(path.resolve(flags.trace)).replace(/\.(csv(\.gz)?)$/i, '')
  const outDir = flags.out ?? path.join('reports', `plan-${traceBase}`)
  guardOut(outDir, [
    { what: 'trace', path: flags.trace },
    { what: 'host spec', path: flags.host },
    { what: 'fleet spec', path: flags.fleet },
    { what: '--sla file', path: flags.sla },
    { what: '--params file', path: flags.params },
    { what: '--world file', path: flags.world },
    ...(flags.policy ?? []).map((p) => ({ what: 'policy module', path: p })),
  ])
  const policies: ReadonlyArray<LoadedPolicy> = await readPolicies(policyNames(flags), readParamsArg(flags.params))
  const trace = await readTrace(flags.trace, flags)
  const vms = readFleet(trace, flags.fleet)
  const fleet = fleetFigures(trace)
  // Size mode: the largest size tried holds the whole fleet at configured size plus overheads.
  const maxSize =
    flags.maxHostSize !== undefined
      ? sizeArg('--max-host-size', flags.maxHostSize)
      : Math.ceil((host.reserveMiB + vms.reduce((s, v) => s + Math.max(v.staticMiB, v.maximumMiB) + host.vmOverheadMiB, 0)) / granularity) * granularity
  const options = { world: readWorldArg(flags.world), ...(placement === undefined ? {} : { placement }), ...(cap === undefined ? {} : { overAllocationCap: cap }), ...(maxHosts === undefined ? {} : { maxHosts }) }
  const bar = progressBar('plan', policies.length)
  const plans = policies.map(({ policy, params }) => {
    const run = { policy, params }
    const p = sizeMode
      ? planHostSize(trace, host, fixedHosts as number, vms, run, seed, sla, granularity, maxSize, options)
      : planHosts(trace, host, vms, run, seed, sla, options)
    bar.tick()
    return p
  })
  bar.stop()
  const notes = [
    'Placement is done once, when each VM starts (no live migration); a VM keeps its host slot from its first tick to its last.',
    ...policies.map(({ policy, params }) => admissionModel(policy.name, params).description).map((d) => `Placement: ${d}.`),
    'Cluster metrics merge the hosts: VM figures as they are, host memory summed, state shares as shares of host-time. VMs placement refused count as refused.',
    'The slowdown figures are an estimate from the unavailable part of each working set (see the comparison report for the model).',
  ]
  const input: CapacityInput = {
    title: flags.title ?? `memreplay capacity plan: ${path.basename(trace.name)}`,
    traceName: trace.name,
    mode: sizeMode ? 'size' : 'hosts',
    host: { physicalGiB: host.physicalMiB / 1024, reserveGiB: host.reserveMiB / 1024, vmOverheadGiB: host.vmOverheadMiB / 1024 },
    ...(sizeMode ? { hosts: fixedHosts, granularityGiB: granularity / 1024 } : {}),
    fleet: { vms: fleet.vms, configuredGiB: fleet.configuredMiB / 1024 },
    sla,
    seed,
    plans,
    notes,
  }
  const files = await buildCapacityFiles(input)
  const dir = await writeFolderAtomically(outDir, files, `--out ${outDir}`)
  const lines: string[] = []
  lines.push(
    sizeMode
      ? `Smallest host size for ${fixedHosts} hosts (steps of ${granularity / 1024} GiB), per policy:`
      : `Fewest hosts of ${host.physicalMiB / 1024} GiB (reserve ${host.reserveMiB / 1024} GiB, overhead ${host.vmOverheadMiB} MiB per VM), per policy:`,
  )
  lines.push('', 'Service level:', ...describeServiceLevel(sla).map((l) => `  ${l}`), '')
  lines.push(textTable(recommendationRows(input)))
  lines.push('')
  for (const p of plans) {
    lines.push(`${p.policy}: ${p.placementNote}.`)
    for (const r of p.scan)
      lines.push(
        `  ${sizeMode ? `${r.hostGiB} GiB` : `${r.hosts} host${r.hosts === 1 ? '' : 's'}`}: ${r.meets ? 'meets' : r.violations.map((v) => v.text).join('; ')}`,
      )
    if (p.met) lines.push(`  -> ${sizeMode ? `${p.hostGiB} GiB` : `${p.hostsNeeded} host${p.hostsNeeded === 1 ? "" : "s"}`}, ${pct(p.vmsPerHost)} VMs per host, ${pct(p.configuredPerPhysical)} configured GiB per physical GiB; margin ${marginText(p)}`)
    for (const n of p.notes) lines.push(`  (${n})`)
  }
  lines.push('', `Report: ${path.join(outDir, 'index.html')}`)
  return { out: lines.join('\n'), dir, plans }
}

export const registerPlan = (program: Command): void => {
  const cmd = program
    .command('plan')
    .description('how many hosts (or what host size) each policy needs to meet a service level, found by replays on a cluster')
    .option('--trace <path>', 'trace: a Bitbrains folder or file, a canonical CSV, or any CSV with --map')
    .option('--host <size|spec.json>', 'host size such as 256GiB, or a JSON host spec {"physical","reserve","vmOverhead"}')
    .option('--fleet <spec.json>', 'fleet spec (default: derived from the trace)')
  traceOptions(policyOptions(cmd))
    .option('--sla <json|file>', `service level, e.g. '{"maxPressureOver100Share":0.01}' (default ${JSON.stringify(DEFAULT_SLA)}; null drops a bound)`)
    .option('--max-vms-refused <n>', 'service level: VMs refused at most ("none": no bound)')
    .option('--max-pressure-share <share>', 'service level: share of VM-time with pressure > 100 at most (0.001 = 0.1%)')
    .option('--max-slowdown-p99 <x>', 'service level: slowdown P99 at most')
    .option('--max-host-swap-gib <GiB>', 'service level: GiB written to host swap at most')
    .option('--placement <rule>', `placement rule: ${PLACEMENT_NAMES.join(' or ')} (default: ffd for static, spread for policies that admit on less than the VM's size)`)
    .option('--max-over-allocation <x>', 'placement: cap on configured memory per host, as a multiple of its memory')
    .option('--host-reserve <size>', "hypervisor's own memory per host (overrides the host spec)")
    .option('--vm-overhead <size>', 'hypervisor memory per running VM (overrides the host spec)')
    .option('--hosts <n>', 'reverse question: the smallest host size meeting the service level with n hosts')
    .option('--granularity <size>', 'host-size search step with --hosts (default 1GiB)')
    .option('--max-host-size <size>', 'largest host size tried with --hosts (default: one host holding the whole fleet)')
    .option('--max-hosts <n>', 'largest host count tried (default: the number of VMs)')
    .option('--seed <n>', 'seed (default 1)')
    .option('--out <dir>', 'report folder (default reports/plan-<trace name>)')
    .option('--title <text>', 'report title')
    .addHelpText(
      'after',
      `
Examples:
  npm run plan -- --trace ../shared/traces/bitbrains-rnd-2013-08 --host 256GiB
  npm run plan -- --trace ../shared/traces/bitbrains-rnd-2013-08 --host 256GiB --host-reserve 8GiB --vm-overhead 64MiB --sla '{"maxPressureOver100Share":0.01}'
  npm run plan -- --trace ../shared/traces/bitbrains-rnd-2013-08 --hosts 2 --policies static,dynamic-memory`,
    )
    .action(async (flags: PlanFlags) => {
      const { out } = await runPlan(flags)
      process.stdout.write(out + '\n')
    })
}

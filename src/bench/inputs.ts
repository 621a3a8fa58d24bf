/**
 * The benchmark's inputs, built on every run into reports/bench/inputs/ (git-ignored):
 * - a synthetic fleet (generateFleet, seed 1) written as canonical CSV: 500 VMs x 30 days at 5
 *   minutes (--quick: 100 VMs x 7 days);
 * - when ../shared/traces/bitbrains-rnd-2013-08 is there, the real sample repeated to the same number
 *   of rows: its own gzipped files copied byte for byte as `<vm>-c<copy>.csv.gz` (the VM ids carry
 *   the copy number), so the Bitbrains reader and gunzip are measured on real bytes;
 * - a host spec and a sweep experiment sized to the synthetic fleet.
 */
import { copyFile, mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import * as path from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { generateFleet } from '../trace/synthetic.js'
import { writeCanonicalCsv } from '../trace/canonical.js'
import { importTrace } from '../trace/import.js'
import { peakConfigured, type Trace } from '../trace/trace.js'

export const REAL_SAMPLE = path.resolve('../shared/traces/bitbrains-rnd-2013-08')

export interface BenchSize {
  readonly vms: number
  readonly days: number
  readonly stepSeconds: number
}

export const FULL: BenchSize = { vms: 500, days: 30, stepSeconds: 300 }
export const QUICK: BenchSize = { vms: 100, days: 7, stepSeconds: 300 }

export interface BenchInputs {
  readonly dir: string
  readonly size: BenchSize
  readonly synthetic: string
  readonly syntheticTrace: Trace
  /** The real sample repeated (a folder), when the sample is present. */
  readonly real: { readonly path: string; readonly vms: number; readonly copies: number } | undefined
  readonly hostSpec: string
  readonly hostGiB: number
  readonly experiment: string
  readonly scenarios: number
}

const GiB = 1024

/** Build every input; `log` tells what is being built. */
export const buildInputs = async (root: string, size: BenchSize, log: (s: string) => void): Promise<BenchInputs> => {
  const dir = path.join(root, 'inputs')
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true })
  log(`building a synthetic fleet of ${size.vms} VMs x ${size.days} days at ${size.stepSeconds} s`)
  const trace = generateFleet({ seed: 1, vms: size.vms, days: size.days, stepSeconds: size.stepSeconds })
  const synthetic = path.join(dir, `synthetic-${size.vms}vm-${size.days}d.csv`)
  await writeCanonicalCsv(trace, synthetic)

  let real: BenchInputs['real']
  if (existsSync(REAL_SAMPLE)) {
    const sample = await importTrace(REAL_SAMPLE)
    if (E.isRight(sample)) {
      const perVm = sample.right.report.rows / sample.right.vms.length
      const wanted = Math.max(1, Math.round((size.vms * trace.ticks) / perVm))
      const files = (await readdir(REAL_SAMPLE)).filter((n) => /\.csv(\.gz)?$/i.test(n)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
      const folder = path.join(dir, `bitbrains-x${wanted}vm`)
      await mkdir(folder)
      log(`repeating the real sample (${files.length} VMs, ${Math.round(perVm)} rows each) to ${wanted} VMs`)
      for (let i = 0; i < wanted; i++) {
        const name = files[i % files.length]
        const copy = Math.floor(i / files.length) + 1
        const m = /^(.*?)(\.csv(\.gz)?)$/i.exec(name)!
        await copyFile(path.join(REAL_SAMPLE, name), path.join(folder, `${m[1]}-c${copy}${m[2]}`))
      }
      real = { path: folder, vms: wanted, copies: Math.ceil(wanted / files.length) }
    }
  }

  // A host of 40% of the fleet's configured memory: static refuses, the others must reclaim.
  const configuredGiB = trace.vms.reduce((s, v) => s + peakConfigured(v), 0) / GiB
  const hostGiB = Math.max(8, Math.round(configuredGiB * 0.4))
  const hostSpec = path.join(dir, 'host.json')
  await writeFile(hostSpec, JSON.stringify({ physical: `${hostGiB}GiB`, reserve: '2GiB', vmOverhead: '64MiB' }, null, 2) + '\n')
  // 8 scenarios: 4 cluster sizes x 2 policies, hosts of half that size each.
  const clusterHost = Math.max(8, Math.round(hostGiB / 2))
  const experiment = path.join(dir, 'sweep.json')
  const x = {
    description: 'memreplay bench: 8 scenarios on the synthetic fleet',
    traces: [path.basename(synthetic)],
    hostSizes: [`${clusterHost}GiB`],
    hostCounts: [2, 3, 4, 5],
    hostReserve: '2GiB',
    vmOverhead: '64MiB',
    policies: ['static', 'overcommit'],
    seeds: [1],
    sla: { maxVmsRefused: 0, maxPressureOver100Share: 0.001 },
  }
  await writeFile(experiment, JSON.stringify(x, null, 2) + '\n')
  return { dir, size, synthetic, syntheticTrace: trace, real, hostSpec, hostGiB, experiment, scenarios: 8 }
}

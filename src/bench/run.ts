/**
 * The benchmark (issue 7): builds its inputs, measures ingest, the trace cache, replay, a full
 * comparison and a sweep in one run on the same bytes, and returns every figure. Issue 17 added the
 * fair figures: static replayed on a host that admits every VM, the cache on the real-format folder
 * (in process and end to end through `validate`), and `compare --policies static` on the cached month
 * in a fresh process, as a user runs it. Medians of repeated
 * runs; ratios of figures measured side by side in this run are what count on a noisy machine.
 * It never fails for being slow: it measures and reports.
 */
import { execFile } from 'node:child_process'
import { statSync } from 'node:fs'
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { promisify } from 'node:util'
import { nodeArgs } from '../runtime.js'
import * as E from 'fp-ts/lib/Either.js'
import { importTraceWithCache } from '../trace/cache.js'
import { readFleet, readHost } from '../cli/inputs.js'
import { buildInputs, FULL, QUICK, type BenchInputs } from './inputs.js'
import { generateFleet } from '../trace/synthetic.js'
import { writeCanonicalCsv } from '../trace/canonical.js'
import { peakConfigured } from '../trace/trace.js'
import type { IngestFigures } from './ingest.js'
import { measureReplay, type ReplayFigures } from './replay.js'
import { median, sig, timed } from './stats.js'

const run = promisify(execFile)

export interface BenchOptions {
  readonly quick: boolean
  /** Output folder (reports/bench). */
  readonly out: string
  readonly log: (s: string) => void
}

export interface CacheFigures {
  readonly source: string
  readonly entryMB: number
  /** Parse (import, no cache): the ingest median. */
  readonly parseSeconds: number
  /** First run: parse + write the entry. */
  readonly missSeconds: number
  /** Later runs: hash the source, read and check the entry. */
  readonly loadSeconds: number
  readonly repeats: number
}

/** The cache end to end on the real-format folder: `validate` in a fresh process, as a user runs it. */
export interface CacheFolderFigures extends CacheFigures {
  readonly files: number
  /** `validate --no-cache <folder>`, a fresh process (node + the build + parse), wall seconds. */
  readonly validateParseSeconds: number
  /** `validate <folder>` with the entry in the cache, a fresh process, wall seconds (median). */
  readonly validateCachedSeconds: number
  readonly validateRepeats: number
}

/** `compare --policies static` on the cached month, a fresh process as a user runs it (wall seconds, medians). */
export interface CompareStaticFigures {
  readonly trace: string
  readonly vms: number
  /** Charts as SVG (the default). */
  readonly seconds: number
  /** With --png (each chart as PNG too); null when not measured (--quick). */
  readonly pngSeconds: number | null
  /** `compare --help` in a fresh process: node and the modules loaded, nothing run (null with --quick). */
  readonly helpSeconds: number | null
  readonly repeats: number
}

export interface CompareFigures {
  readonly policies: number
  /** As `compare` runs by default: the policies side by side on `workers` threads (wall seconds, median). */
  readonly seconds: number
  readonly workers: number
  /** The same with --workers 1 (one policy after the other, in the main thread), interleaved with the above. */
  readonly serialSeconds: number
  readonly peakRssMiB: number
  readonly serialPeakRssMiB: number
  /**
   * CPU seconds over wall seconds of the threaded runs (median): the CPUs they really had. Near 1 on
   * a 2-CPU machine means another session was busy (Linux autogroup shares the CPUs between sessions,
   * not threads): the ratio then says nothing about parallelism.
   */
  readonly cpusUsed: number
  readonly repeats: number
}

/** One comparison of one policy on one synthetic fleet, in a fresh process (src/bench/compare-child.ts). */
export interface ScalingRow {
  readonly vms: number
  readonly ticks: number
  readonly policy: string
  /** The comparison's own seconds (trace from the cache, replay, report written), start-up excluded. */
  readonly seconds: number
  readonly peakRssMiB: number
  /** seconds / (VMs x ticks), in microseconds. */
  readonly usPerVmTick: number
  /** peak RSS / (VMs x ticks), in bytes. */
  readonly rssBytesPerVmTick: number
  /** What the VM-ticks added since the next smaller fleet cost, per VM-tick (fixed costs cancel): microseconds and bytes; null for the smallest. */
  readonly marginalUsPerVmTick: number | null
  readonly marginalRssBytesPerVmTick: number | null
}

/**
 * Cost as the fleet grows (issue 14): `compare --policies <one>` on synthetic fleets of growing size
 * (seed 1, the bench's host rule: 40% of the fleet's configured memory), one fresh process each.
 */
export interface ScalingFigures {
  readonly days: number
  readonly stepSeconds: number
  readonly sizes: ReadonlyArray<number>
  readonly rows: ReadonlyArray<ScalingRow>
  /**
   * Per policy, the largest fleet (VMs over the same days) whose comparison stays within 8 GiB of
   * peak RSS: the measured sizes' least-squares line of RSS against VMs, extrapolated (floor); null
   * when RSS does not grow.
   */
  readonly largestVmsWithin8GiB: Readonly<Record<string, number | null>>
}

export interface SweepFigures {
  readonly scenarios: number
  readonly oneWorkerSeconds: number
  readonly twoWorkerSeconds: number
  /** CPU seconds over wall seconds of the 2-worker sweeps (median): see CompareFigures.cpusUsed. */
  readonly twoWorkerCpus: number
  readonly repeats: number
}

export interface BenchResult {
  readonly schemaVersion: 1
  readonly mode: 'quick' | 'full'
  readonly date: string
  readonly machine: {
    readonly cpus: number
    readonly cpuModel: string
    readonly availableParallelism: number
    readonly totalMemGiB: number
    readonly node: string
    readonly platform: string
    readonly loadAverage: ReadonlyArray<number>
  }
  readonly inputs: { readonly vms: number; readonly days: number; readonly stepSeconds: number; readonly synthetic: string; readonly real: string | null; readonly hostGiB: number }
  /** The headline ratios. */
  readonly ingestRatio: number
  readonly ingestRatioReal: number | null
  readonly replayRatio: Readonly<Record<string, number>>
  /** The same per control step (VM-control-steps/s over the baseline's VM-ticks/s): the targets' figure (issue 14). */
  readonly replayStepRatio: Readonly<Record<string, number>>
  readonly cacheSpeedup: number
  /** End to end on the real-format folder: validate without the cache / validate from it (null without the sample). */
  readonly cacheSpeedupFolder: number | null
  /** `compare --policies static` on the cached month (the real-format folder when present), fresh process, wall seconds. */
  readonly compareStaticCachedSeconds: number
  readonly sweepSpeedup: number
  /** The 4-policy comparison on its default threads over the same with --workers 1 (wall seconds). */
  readonly compareParallelRatio: number
  readonly peakRssMiB: number
  /** The raw figures. */
  readonly ingest: { readonly synthetic: IngestFigures; readonly real: IngestFigures | null }
  readonly cache: CacheFigures
  readonly cacheFolder: CacheFolderFigures | null
  readonly replay: ReplayFigures
  readonly compare: CompareFigures
  readonly compareStatic: CompareStaticFigures
  readonly sweep: SweepFigures
  readonly scaling: ScalingFigures
  readonly targets: Readonly<Record<string, string>>
}


/** Run the CLI (`memreplay <args>`) in a fresh process as `npm run` does (the compiled build); its wall seconds. */
const cliSeconds = async (args: ReadonlyArray<string>, cacheDir: string): Promise<number> => {
  const t0 = performance.now()
  await run(process.execPath, [...nodeArgs('cli/main'), ...args], { env: { ...process.env, MEMREPLAY_CACHE_DIR: cacheDir }, maxBuffer: 1 << 26 })
  return (performance.now() - t0) / 1000
}

const measureCache = async (source: string, parseSeconds: number, dir: string, repeats: number, log: (s: string) => void): Promise<CacheFigures> => {
  await rm(dir, { recursive: true, force: true })
  const miss = await timed(() => importTraceWithCache(source, {}, { dir }))
  if (miss.value.cache.kind !== 'miss' || !miss.value.cache.written) throw new Error(`bench: the cache did not write an entry (${JSON.stringify(miss.value.cache)})`)
  const entry = miss.value.cache.file
  const loads: number[] = []
  for (let i = 0; i < repeats; i++) {
    const r = await timed(() => importTraceWithCache(source, {}, { dir }))
    if (r.value.cache.kind !== 'hit') throw new Error(`bench: expected a cache hit, got ${JSON.stringify(r.value.cache)}`)
    loads.push(r.seconds)
  }
  const { size } = statSync(entry)
  log(`  cache: parse ${parseSeconds.toFixed(2)} s, first run ${miss.seconds.toFixed(2)} s, load ${median(loads).toFixed(3)} s`)
  return { source, entryMB: sig(size / 1e6), parseSeconds, missSeconds: sig(miss.seconds), loadSeconds: sig(median(loads)), repeats }
}

/**
 * The cache on the real-format folder (one gzipped file per VM): in process (parse vs cached load,
 * as measureCache), and end to end: `validate` in a fresh process without the cache, and with it.
 */
const measureCacheFolder = async (
  folder: string,
  parseSeconds: number,
  dir: string,
  repeats: number,
  validateRepeats: number,
  log: (s: string) => void,
): Promise<CacheFolderFigures> => {
  const inProcess = await measureCache(folder, parseSeconds, dir, repeats, log)
  const files = (await readdir(folder)).length
  const validateParseSeconds = await cliSeconds(['validate', '--no-cache', folder], dir)
  const cached: number[] = []
  for (let i = 0; i < validateRepeats; i++) cached.push(await cliSeconds(['validate', folder], dir))
  log(`  cache on the ${files}-file folder, end to end: validate ${validateParseSeconds.toFixed(1)} s without the cache, ${median(cached).toFixed(1)} s from it`)
  return { ...inProcess, files, validateParseSeconds: sig(validateParseSeconds), validateCachedSeconds: sig(median(cached)), validateRepeats }
}

/**
 * `compare --policies static` on the cached month, in a fresh process each time (the cache entry
 * written by an untimed first run): the fixed costs a user pays around a fast replay.
 */
const measureCompareStatic = async (
  trace: string,
  vms: number,
  hostSpec: string,
  out: string,
  cacheDir: string,
  repeats: number,
  o: { readonly cached: boolean; readonly full: boolean },
  log: (s: string) => void,
): Promise<CompareStaticFigures> => {
  const args = ['compare', '--trace', trace, '--host', hostSpec, '--policies', 'static', '--out', path.join(out, 'compare-static')]
  if (!o.cached) await cliSeconds(args, cacheDir) // fills the cache
  const png = o.full
  const svg: number[] = []
  const withPng: number[] = []
  const help: number[] = []
  for (let i = 0; i < repeats; i++) {
    if (o.full) help.push(await cliSeconds(['compare', '--help'], cacheDir))
    svg.push(await cliSeconds(args, cacheDir))
    if (png) withPng.push(await cliSeconds([...args, '--png'], cacheDir))
    log(`  compare --policies static ${i + 1}/${repeats}: ${svg[i].toFixed(1)} s${png ? `, ${withPng[i].toFixed(1)} s with --png` : ''}${o.full ? ` (compare --help: ${help[i].toFixed(1)} s)` : ''}`)
  }
  return {
    trace: path.relative(process.cwd(), trace),
    vms,
    seconds: sig(median(svg)),
    pngSeconds: png ? sig(median(withPng)) : null,
    helpSeconds: o.full ? sig(median(help)) : null,
    repeats,
  }
}

/** One comparison in a fresh child process (src/bench/compare-child.ts): its own seconds and peak RSS (MiB). */
const compareInChild = async (trace: string, hostSpec: string, out: string, cacheDir: string, policies = 'all', workers = 'default'): Promise<{ seconds: number; cpus: number; rssMiB: number }> => {
  const { stdout } = await run(process.execPath, [...nodeArgs('bench/compare-child'), trace, hostSpec, out, policies, workers], {
    env: { ...process.env, MEMREPLAY_CACHE_DIR: cacheDir },
    maxBuffer: 1 << 26,
  })
  const r = JSON.parse(stdout.trim().split('\n').pop()!) as { seconds: number; cpuSeconds: number; maxRssKiB: number }
  return { seconds: r.seconds, cpus: r.cpuSeconds / r.seconds, rssMiB: r.maxRssKiB / 1024 }
}

/**
 * The 4-policy comparison as `compare` runs it by default (its policies side by side on one thread
 * per core) and with --workers 1, interleaved, each in a fresh process: the ratio is the parallel
 * one's figure (target 0.6 on 2 cores).
 */
const measureCompare = async (inputs: BenchInputs, out: string, cacheDir: string, repeats: number, log: (s: string) => void): Promise<CompareFigures> => {
  const par: Array<{ seconds: number; cpus: number; rssMiB: number }> = []
  const ser: Array<{ seconds: number; cpus: number; rssMiB: number }> = []
  for (let i = 0; i < repeats; i++) {
    ser.push(await compareInChild(inputs.synthetic, inputs.hostSpec, path.join(out, 'compare-serial'), cacheDir, 'all', '1'))
    par.push(await compareInChild(inputs.synthetic, inputs.hostSpec, path.join(out, 'compare'), cacheDir))
    log(`  compare ${i + 1}/${repeats}: ${par[i].seconds.toFixed(1)} s on ${Math.min(4, os.availableParallelism())} threads (${par[i].cpus.toFixed(2)} CPUs used, peak RSS ${par[i].rssMiB.toFixed(0)} MiB), ${ser[i].seconds.toFixed(1)} s with --workers 1 (${ser[i].rssMiB.toFixed(0)} MiB)`)
  }
  return {
    policies: 4,
    seconds: sig(median(par.map((r) => r.seconds))),
    workers: Math.min(4, os.availableParallelism()),
    serialSeconds: sig(median(ser.map((r) => r.seconds))),
    peakRssMiB: sig(Math.max(...par.map((r) => r.rssMiB))),
    serialPeakRssMiB: sig(Math.max(...ser.map((r) => r.rssMiB))),
    cpusUsed: sig(median(par.map((r) => r.cpus))),
    repeats,
  }
}

export const SCALING_FULL = { sizes: [100, 500, 2000], days: 30, stepSeconds: 300 } as const
export const SCALING_QUICK = { sizes: [20, 40], days: 2, stepSeconds: 300 } as const
const SCALING_POLICIES = ['static', 'dynamic-memory', 'overcommit', 'kvm-mom']

/** The largest whole x with a + b x <= limit for the least-squares line through (xs, ys); null when b <= 0. */
export const largestWithin = (xs: ReadonlyArray<number>, ys: ReadonlyArray<number>, limit: number): number | null => {
  const n = xs.length
  const mx = xs.reduce((s, x) => s + x, 0) / n
  const my = ys.reduce((s, y) => s + y, 0) / n
  const sxx = xs.reduce((s, x) => s + (x - mx) ** 2, 0)
  const b = sxx === 0 ? 0 : xs.reduce((s, x, i) => s + (x - mx) * (ys[i] - my), 0) / sxx
  if (!(b > 0)) return null
  return Math.max(0, Math.floor((limit - (my - b * mx)) / b))
}

/** Scaling: for each fleet size, the fleet written as canonical CSV, its cache entry filled (untimed), then each policy alone in a fresh process. */
export const measureScaling = async (
  spec: { readonly sizes: ReadonlyArray<number>; readonly days: number; readonly stepSeconds: number },
  work: string,
  log: (s: string) => void,
): Promise<ScalingFigures> => {
  const dir = path.join(work, 'scaling')
  await mkdir(dir, { recursive: true })
  const cacheDir = path.join(dir, 'cache')
  const rows: ScalingRow[] = []
  for (const vms of spec.sizes) {
    const trace = generateFleet({ seed: 1, vms, days: spec.days, stepSeconds: spec.stepSeconds })
    const csv = path.join(dir, `synthetic-${vms}vm-${spec.days}d.csv`)
    await writeCanonicalCsv(trace, csv)
    const configuredGiB = trace.vms.reduce((s, v) => s + peakConfigured(v), 0) / 1024
    const hostSpec = path.join(dir, `host-${vms}vm.json`)
    await writeFile(hostSpec, JSON.stringify({ physical: `${Math.max(8, Math.round(configuredGiB * 0.4))}GiB`, reserve: '2GiB', vmOverhead: '64MiB' }) + '\n')
    const ticks = trace.ticks
    await cliSeconds(['validate', csv], cacheDir) // fills the cache: each comparison below reads the entry, as a second run would
    for (const policy of SCALING_POLICIES) {
      const r = await compareInChild(csv, hostSpec, path.join(dir, `out-${vms}-${policy}`), cacheDir, policy, '1')
      const vmTicks = vms * ticks
      const prev = rows.filter((x) => x.policy === policy).pop()
      const added = prev === undefined ? 0 : vmTicks - prev.vms * prev.ticks
      rows.push({
        vms,
        ticks,
        policy,
        seconds: sig(r.seconds),
        peakRssMiB: sig(r.rssMiB),
        usPerVmTick: sig((r.seconds / vmTicks) * 1e6),
        rssBytesPerVmTick: sig((r.rssMiB * 2 ** 20) / vmTicks),
        marginalUsPerVmTick: prev === undefined ? null : sig(((r.seconds - prev.seconds) / added) * 1e6),
        marginalRssBytesPerVmTick: prev === undefined ? null : sig(((r.rssMiB - prev.peakRssMiB) * 2 ** 20) / added),
      })
      log(`  ${vms} VMs x ${spec.days} days, ${policy}: ${r.seconds.toFixed(1)} s, peak RSS ${r.rssMiB.toFixed(0)} MiB (${((r.seconds / vmTicks) * 1e6).toFixed(2)} us and ${((r.rssMiB * 2 ** 20) / vmTicks).toFixed(0)} B per VM-tick)`)
    }
    await rm(csv, { force: true })
  }
  const largestVmsWithin8GiB = Object.fromEntries(
    SCALING_POLICIES.map((p) => {
      const mine = rows.filter((r) => r.policy === p)
      return [p, largestWithin(mine.map((r) => r.vms), mine.map((r) => r.peakRssMiB), 8 * 1024)]
    }),
  )
  return { days: spec.days, stepSeconds: spec.stepSeconds, sizes: spec.sizes, rows, largestVmsWithin8GiB }
}

/** The ingest pairs on one source in a fresh child process (src/bench/ingest-child.ts): the importer measured, not this process's heap. */
const ingestInChild = async (source: string, repeats: number, log: (s: string) => void): Promise<IngestFigures> => {
  const { stdout, stderr } = await run(process.execPath, [...nodeArgs('bench/ingest-child'), source, String(repeats)], { maxBuffer: 1 << 26 })
  for (const line of stderr.split('\n').filter((l) => l !== '')) log(line)
  return JSON.parse(stdout.trim().split('\n').pop()!) as IngestFigures
}

/** One sweep in a fresh child process (src/bench/sweep-child.ts); its own time, in seconds. */
const sweepInChild = async (experiment: string, workers: number, out: string, cacheDir: string): Promise<{ seconds: number; cpus: number }> => {
  const { stdout } = await run(process.execPath, [...nodeArgs('bench/sweep-child'), experiment, String(workers), out], {
    env: { ...process.env, MEMREPLAY_CACHE_DIR: cacheDir }, // worker threads inherit it
    maxBuffer: 1 << 26,
  })
  const r = JSON.parse(stdout.trim().split('\n').pop()!) as { seconds: number; cpuSeconds: number }
  return { seconds: r.seconds, cpus: r.cpuSeconds / r.seconds }
}

/**
 * The sweep on one worker and on two, each in a fresh process as a user runs it: run in the
 * benchmark's own process, the 1-worker sweep (serial, in-process) would reuse code the replay
 * measurements warmed and traces its earlier repeats loaded, which the 2-worker sweep's new threads
 * cannot.
 */
const measureSweep = async (inputs: BenchInputs, out: string, cacheDir: string, repeats: number, log: (s: string) => void): Promise<SweepFigures> => {
  const one: number[] = []
  const two: number[] = []
  const cpus: number[] = []
  for (let i = 0; i < repeats; i++) {
    const a = await sweepInChild(inputs.experiment, 1, path.join(out, 'sweep-1'), cacheDir)
    const b = await sweepInChild(inputs.experiment, 2, path.join(out, 'sweep-2'), cacheDir)
    one.push(a.seconds)
    two.push(b.seconds)
    cpus.push(b.cpus)
    log(`  sweep ${i + 1}/${repeats}: ${a.seconds.toFixed(1)} s on 1 worker, ${b.seconds.toFixed(1)} s on 2 (${b.cpus.toFixed(2)} CPUs used)`)
  }
  return { scenarios: inputs.scenarios, oneWorkerSeconds: sig(median(one)), twoWorkerSeconds: sig(median(two)), twoWorkerCpus: sig(median(cpus)), repeats }
}

export const runBench = async (o: BenchOptions): Promise<BenchResult> => {
  const { log } = o
  const size = o.quick ? QUICK : FULL
  const repeats = o.quick ? 2 : 3
  await mkdir(o.out, { recursive: true })
  const work = path.join(o.out, 'work')
  await rm(work, { recursive: true, force: true })
  const cacheDir = path.join(work, 'cache')
  const inputs = await buildInputs(o.out, size, log)

  log('ingest (import without cache vs a bare csv-parse split of the same bytes)')
  const synthetic = await ingestInChild(inputs.synthetic, repeats, log)
  const real = inputs.real === undefined ? null : await ingestInChild(inputs.real.path, repeats, log)

  log('trace cache')
  const cache = await measureCache(inputs.synthetic, synthetic.importSeconds, path.join(work, 'cache-bench'), repeats + 2, log)
  // The real-format folder's entry stays in cacheFolderDir: compare --policies static reads it below.
  const cacheFolderDir = path.join(work, 'cache-folder')
  const cacheFolder =
    inputs.real === undefined || real === null ? null : await measureCacheFolder(inputs.real.path, real.importSeconds, cacheFolderDir, repeats, o.quick ? 1 : 3, log)

  log('replay')
  const loaded = await importTraceWithCache(inputs.synthetic, {}, { dir: cacheDir })
  if (E.isLeft(loaded.result)) throw new Error('bench: cannot import the synthetic fleet')
  const trace = loaded.result.right
  const host = readHost(inputs.hostSpec)
  const vms = readFleet(trace, undefined)
  const replay = await measureReplay(trace, host, vms, repeats, log)

  log('full comparison (all policies, child process)')
  const compare = await measureCompare(inputs, work, cacheDir, o.quick ? 1 : 2, log)

  const month = inputs.real === undefined ? { path: inputs.synthetic, vms: size.vms } : { path: inputs.real.path, vms: inputs.real.vms }
  log(`compare --policies static on the cached month (${path.basename(month.path)}, fresh processes)`)
  const compareStatic = await measureCompareStatic(month.path, month.vms, inputs.hostSpec, work, cacheFolderDir, o.quick ? 1 : 3, { cached: cacheFolder !== null, full: !o.quick }, log)

  log(`sweep (${inputs.scenarios} scenarios, 1 worker vs 2)`)
  const sweep = await measureSweep(inputs, work, cacheDir, o.quick ? 1 : 3, log)

  const scalingSpec = o.quick ? SCALING_QUICK : SCALING_FULL
  log(`scaling (compare per policy on ${scalingSpec.sizes.join(', ')} VMs x ${scalingSpec.days} days, fresh processes)`)
  const scaling = await measureScaling(scalingSpec, work, log)

  const replayRatio = Object.fromEntries(Object.entries(replay.policies).map(([k, v]) => [k, v.ratio]))
  const replayStepRatio = Object.fromEntries(Object.entries(replay.policies).map(([k, v]) => [k, v.stepRatio]))
  return {
    schemaVersion: 1,
    mode: o.quick ? 'quick' : 'full',
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      availableParallelism: os.availableParallelism(),
      totalMemGiB: sig(os.totalmem() / 2 ** 30),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      loadAverage: os.loadavg().map((x) => sig(x)),
    },
    inputs: {
      vms: size.vms,
      days: size.days,
      stepSeconds: size.stepSeconds,
      synthetic: path.relative(process.cwd(), inputs.synthetic),
      real: inputs.real === undefined ? null : path.relative(process.cwd(), inputs.real.path),
      hostGiB: inputs.hostGiB,
    },
    ingestRatio: synthetic.ratio,
    ingestRatioReal: real?.ratio ?? null,
    replayRatio,
    replayStepRatio,
    cacheSpeedup: sig(cache.parseSeconds / cache.loadSeconds),
    cacheSpeedupFolder: cacheFolder === null ? null : sig(cacheFolder.validateParseSeconds / cacheFolder.validateCachedSeconds),
    compareStaticCachedSeconds: compareStatic.seconds,
    sweepSpeedup: sig(sweep.oneWorkerSeconds / sweep.twoWorkerSeconds),
    compareParallelRatio: sig(compare.seconds / compare.serialSeconds),
    peakRssMiB: compare.peakRssMiB,
    ingest: { synthetic, real },
    cache,
    cacheFolder,
    replay,
    compare,
    compareStatic,
    sweep,
    scaling,
    targets: {
      ingestRatio: '>= 0.8',
      replayRatio: 'per tick: see replayStepRatio',
      replayStepRatio: '>= 0.25 per control step for a policy acting once a tick (static, dynamic-memory, kvm-mom), >= 0.05 for one acting more often (overcommit)',
      cacheSpeedup: 'a second run loads in a small fraction of the parse time',
      cacheSpeedupFolder: '>= 20 end to end (validate) on the real-format folder',
      compareStaticCachedSeconds: '<= 3 s wall on the cached 500-VM month (a quiet machine)',
      sweepSpeedup: '>= 1.7 with 2 workers',
      compareParallelRatio: '<= 0.6 of the serial time for the 4-policy comparison on 2 cores',
      scaling: 'time and peak RSS per VM-tick flat as the fleet grows (cost linear in VMs x ticks)',
      peakRssMiB: '< 2048 for the full comparison on the 500-VM month',
    },
  }
}


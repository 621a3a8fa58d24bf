/**
 * A seeded synthetic fleet: a Trace with the statistics of a real one, for demos, tests and
 * benchmarks where the real trace cannot be shipped. Pure and deterministic: the same options give
 * the same trace, to the bit.
 *
 * Calibrated to the Bitbrains Rnd figures in ../shared/traces/README.md (percentiles across VMs,
 * p10 / p25 / p50 / p75 / p90):
 *   provisioned memory, GiB             0.16 / 1 / 3.9 / 8 / 20
 *   mean usage / provisioned            0.012 / 0.030 / 0.052 / 0.11 / 0.22
 *   p95 usage / mean usage              1.26 / 1.46 / 1.8 / 2.4 / 4.0
 *   daily swing (hour-of-day means)     0.05 / 0.15 / 0.35 / 0.77 / 1.27
 * Each VM draws its targets from these distributions (interpolated between the percentiles on a log
 * scale), then a workload that realises them:
 *
 *   demand(t) = m x C x diurnal(t) x weekly(t) x noise(t) x drift(t) x episode(t) / normaliser
 *
 * - diurnal: 1 + a cos(2 pi (hour - peak) / 24), a from the VM's daily swing; peaks at business
 *   hours for most VMs, evenings or nights (batch, backup) for some;
 * - weekly: weekends quieter (a drop of 0..40% on Saturday and Sunday for most VMs);
 * - noise: log-normal, an Ornstein-Uhlenbeck process with a correlation time of minutes; drift: the
 *   same over days (slow level changes);
 * - episode: busy spells (a two-state Markov chain) that multiply demand, for the bursty tail that
 *   log-normal noise alone cannot reach (its p95 / mean is at most about 3.9);
 * - demand is capped at 97% of configured memory, so it never exceeds configured.
 *
 * Sampling: the workload is generated at a fixed base resolution of 60 s on an absolute clock, and
 * each tick is the time-average of the base process over the tick. A 60 s and a 300 s trace of the
 * same seed are therefore the same workload: their demand-hours agree to rounding. Lifecycle events
 * (arrival, departure, off spells, a capacity change) fall on whole hours, so any step dividing an
 * hour sees them exactly; with a longer step a tick is on when the VM runs for at least half of it.
 *
 * Disk throughput (read and write, MiB/s per tick) comes from its own random streams, so adding it
 * left demand as it was. Calibrated to the 36-VM Bitbrains Rnd extract in ../shared/traces (August
 * 2013; per-VM mean KiB/s, p10 / p25 / p50 / p75 / p90): read 0.7 / 1.8 / 3.2 / 22 / 1000, write
 * 2.1 / 2.2 / 10.6 / 60 / 1800; reads are zero in most 5-minute samples of most VMs (median 85%),
 * writes almost never. Reads come in bursts (a two-state Markov chain, minutes long) over nothing;
 * writes are a steady trickle plus bursts; both follow the VM's activity (daily and weekly cycles and
 * busy spells) loosely, and a VM busy on disk for reads is usually busy for writes (a copula, 0.7).
 *
 * Fleet structure: groups of VMs of one image (near-identical: same size, similar workload, own
 * noise), by default 'win2012-web' (Windows, 4 GiB) and 'ubuntu-db' (Linux, 16 GiB); the rest are
 * unrelated VMs with no image label and a Windows or Linux guest. A few VMs arrive part-way, leave
 * early, are off for a spell, or change capacity once.
 */
import { mutableRng, seedRng, shuffledIndices, type MutableRng } from '../engine/random.js'
import { emptyRepairCounts, recordedCounts, type ImportReport, type VmImportReport } from './import-report.js'
import type { OsFamily, Trace, VmTrace } from './trace.js'

/** A group of VMs cloned from one image. */
export interface SyntheticGroup {
  readonly image: string
  readonly os: OsFamily
  readonly count: number
  /** Configured memory of each VM of the group, MiB. */
  readonly configuredMiB: number
  /** VM ids are `${prefix}-01`, `${prefix}-02`, ... */
  readonly prefix: string
}

export interface SyntheticOptions {
  readonly seed: number
  readonly vms: number
  readonly days: number
  readonly stepSeconds: number
  /** Unix seconds of tick 0; default 2013-08-05 00:00 UTC, a Monday (the weekly cycle starts on a weekday). */
  readonly start?: number
  /** Image groups; default `defaultGroups(vms)`. Groups are filled first; more VMs than `vms` are cut. */
  readonly groups?: ReadonlyArray<SyntheticGroup>
}

export const DEFAULT_START = 1375660800
/** Resolution of the underlying process, seconds. */
export const BASE_SECONDS = 60

/** About 15% of the fleet in a Windows web group, 8% in a Linux database group (none below 8 VMs). */
export const defaultGroups = (vms: number): ReadonlyArray<SyntheticGroup> =>
  vms < 8
    ? []
    : [
        { image: 'win2012-web', os: 'windows', count: Math.round(vms * 0.15), configuredMiB: 4096, prefix: 'web' },
        { image: 'ubuntu-db', os: 'linux', count: Math.max(2, Math.round(vms * 0.08)), configuredMiB: 16384, prefix: 'db' },
      ]

/** Why options cannot be generated (empty when they can); the CLI reports these. */
export const checkSyntheticOptions = (o: SyntheticOptions): ReadonlyArray<string> => [
  ...(Number.isInteger(o.seed) ? [] : [`seed must be an integer, found ${o.seed}`]),
  ...(Number.isInteger(o.vms) && o.vms >= 1 ? [] : [`vms must be a whole number of at least 1, found ${o.vms}`]),
  ...(o.days > 0 && Number.isFinite(o.days) ? [] : [`days must be above 0, found ${o.days}`]),
  ...(Number.isInteger(o.stepSeconds) && o.stepSeconds >= 1 ? [] : [`step must be a whole number of seconds, at least 1, found ${o.stepSeconds}`]),
  ...(o.start === undefined || Number.isFinite(o.start) ? [] : [`start must be Unix seconds, found ${o.start}`]),
  ...(o.groups ?? []).flatMap((g) =>
    Number.isInteger(g.count) && g.count >= 0 && g.configuredMiB > 0 ? [] : [`group "${g.image}": count and configured size must be positive`],
  ),
]

// ---------------------------------------------------------------------------------------------
// Calibration tables: [cumulative probability, value]; values are interpolated on a log scale.
// The inner points are the README percentiles; the end points are modelling choices (the range of
// the README's observed extremes, trimmed).

type Quantiles = ReadonlyArray<readonly [number, number]>

const PROVISIONED_GIB: Quantiles = [[0, 0.1], [0.1, 0.16], [0.25, 1], [0.5, 3.9], [0.75, 8], [0.9, 20], [0.98, 48], [1, 128]]
const MEAN_SHARE: Quantiles = [[0, 0.004], [0.1, 0.012], [0.25, 0.03], [0.5, 0.052], [0.75, 0.11], [0.9, 0.22], [1, 0.53]]
const BURSTINESS: Quantiles = [[0, 1.1], [0.1, 1.26], [0.25, 1.46], [0.5, 1.8], [0.75, 2.4], [0.9, 4.0], [1, 9.2]]
const DAILY_SWING: Quantiles = [[0, 0.01], [0.1, 0.05], [0.25, 0.15], [0.5, 0.35], [0.75, 0.77], [0.9, 1.27], [1, 2.2]]

/** Sizes people configure, MiB: memory is provisioned in round sizes, not 3.9 GiB. */
export const REALISTIC_SIZES_MIB: ReadonlyArray<number> = [
  128, 256, 512, 1024, 2048, 3072, 4096, 6144, 8192, 12288, 16384, 24576, 32768, 49152, 65536, 131072, 262144,
]

const quantile = (table: Quantiles, u: number): number => {
  for (let i = 1; i < table.length; i++) {
    const [p1, v1] = table[i]
    if (u <= p1 || i === table.length - 1) {
      const [p0, v0] = table[i - 1]
      const f = Math.min(1, Math.max(0, (u - p0) / (p1 - p0)))
      return Math.exp(Math.log(v0) + f * (Math.log(v1) - Math.log(v0)))
    }
  }
  return table[table.length - 1][1]
}

/** The realistic size nearest on a log scale. */
export const roundToRealisticSize = (mib: number): number => {
  let best = REALISTIC_SIZES_MIB[0]
  for (const s of REALISTIC_SIZES_MIB) if (Math.abs(Math.log(s / mib)) < Math.abs(Math.log(best / mib))) best = s
  return best
}

/** Standard normal CDF (Abramowitz-Stegun 26.2.17, error < 1e-7): turns correlated normals into uniforms. */
const normalCdf = (z: number): number => {
  const t = 1 / (1 + 0.2316419 * Math.abs(z))
  const d = 0.3989422804014327 * Math.exp((-z * z) / 2)
  const p = d * t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))))
  return z > 0 ? 1 - p : p
}

/** Inverse standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
const normalQuantile = (p: number): number => {
  const q = Math.min(1 - 1e-12, Math.max(1e-12, p))
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239]
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771466, -13.28068155288572]
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783]
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416]
  const low = 0.02425
  if (q < low) {
    const r = Math.sqrt(-2 * Math.log(q))
    return (((((c[0] * r + c[1]) * r + c[2]) * r + c[3]) * r + c[4]) * r + c[5]) / ((((d[0] * r + d[1]) * r + d[2]) * r + d[3]) * r + 1)
  }
  if (q > 1 - low) return -normalQuantile(1 - q)
  const r = q - 0.5
  const r2 = r * r
  return ((((((a[0] * r2 + a[1]) * r2 + a[2]) * r2 + a[3]) * r2 + a[4]) * r2 + a[5]) * r) /
    (((((b[0] * r2 + b[1]) * r2 + b[2]) * r2 + b[3]) * r2 + b[4]) * r2 + 1)
}

/**
 * Stratified uniforms: n values, one in each of n equal strata, in random order. Drawing a fleet's
 * parameters this way (Latin hypercube) makes even a small fleet's percentiles land near the
 * targets, where independent draws would scatter them.
 */
const stratified = (rng: MutableRng, n: number): number[] => shuffledIndices(rng, n).map((k) => (k + rng.float()) / n)

/**
 * Stratified uniforms for the whole fleet, less the ones nearest to what the group members already
 * took: the members stand in for the VMs they displace, so the fleet as a whole keeps the target
 * distribution instead of gaining a clump at the groups' values.
 */
const stratifiedRest = (rng: MutableRng, n: number, taken: ReadonlyArray<number>): number[] => {
  const all = stratified(rng, n)
  const removed = new Uint8Array(n)
  for (const u of taken) {
    let best = -1
    for (let j = 0; j < n; j++) if (removed[j] === 0 && (best < 0 || Math.abs(all[j] - u) < Math.abs(all[best] - u))) best = j
    if (best >= 0) removed[best] = 1
  }
  return all.filter((_, j) => removed[j] === 0)
}

/** Where a value sits in a quantile table: the inverse of `quantile`. */
const cumulative = (table: Quantiles, value: number): number => {
  for (let i = 1; i < table.length; i++) {
    const [p1, v1] = table[i]
    if (value <= v1 || i === table.length - 1) {
      const [p0, v0] = table[i - 1]
      const f = Math.min(1, Math.max(0, (Math.log(value) - Math.log(v0)) / (Math.log(v1) - Math.log(v0))))
      return p0 + f * (p1 - p0)
    }
  }
  return 1
}

/** Per-VM mean disk throughput, KiB/s (see the module comment); the ends are modelling choices. */
const READ_KIBPS: Quantiles = [[0, 0.05], [0.1, 0.7], [0.25, 1.8], [0.5, 3.2], [0.75, 22], [0.9, 1000], [1, 8500]]
const WRITE_KIBPS: Quantiles = [[0, 0.2], [0.1, 2.1], [0.25, 2.2], [0.5, 10.6], [0.75, 60], [0.9, 1800], [1, 8000]]
/** Share of base intervals (minutes) in a read burst, by where the VM's read mean sits: busier VMs read more often. */
const READ_BUSY_SHARE: Quantiles = [[0, 0.01], [0.25, 0.03], [0.5, 0.05], [0.75, 0.15], [0.9, 0.6], [1, 0.95]]
/** How strongly a VM's read and write means go together (a Gaussian copula); a modelling choice. */
const READ_WRITE_CORRELATION = 0.7

/** A VM's disk profile: mean rates (MiB/s) and how they come. */
interface DiskProfile {
  readonly readMean: number
  readonly writeMean: number
  /** Share of minutes in a read burst, and the bursts' mean length (minutes). */
  readonly readShare: number
  readonly readBurstMinutes: number
  /** Share of the write mean that is a steady trickle (the rest comes in bursts of 2% of the time). */
  readonly writeSteady: number
}

const WRITE_BURST_SHARE = 0.02
const WRITE_BURST_MINUTES = 3
/** Log-normal spread of a minute's rate around its level. */
const DISK_SIGMA = 0.8

/** Its own stream per VM: drawing it takes nothing from the workload's streams. */
const drawDisk = (seed: number, id: string): DiskProfile => {
  const rng = mutableRng(seedRng(seed, 'disk-profile', id))
  const uRead = rng.float()
  const z = READ_WRITE_CORRELATION * normalQuantile(uRead) + Math.sqrt(1 - READ_WRITE_CORRELATION ** 2) * rng.normal()
  return {
    readMean: quantile(READ_KIBPS, uRead) / 1024,
    writeMean: quantile(WRITE_KIBPS, normalCdf(z)) / 1024,
    readShare: quantile(READ_BUSY_SHARE, uRead),
    readBurstMinutes: rng.uniform(1, 6),
    writeSteady: rng.uniform(0.3, 0.9),
  }
}

// ---------------------------------------------------------------------------------------------
// Per-VM workload profile

interface Workload {
  /** Mean demand as a share of the initial configured size. */
  readonly meanShare: number
  readonly diurnalAmp: number
  /** Hour of day (UTC) of the daily peak. */
  readonly peakHour: number
  readonly weekendDrop: number
  readonly noiseSigma: number
  /** Correlation time of the fast noise, base intervals (minutes). */
  readonly noiseTau: number
  readonly driftSigma: number
  /** Busy spells: share of time busy, mean length (minutes), demand multiplier while busy. */
  readonly busyShare: number
  readonly busyMinutes: number
  readonly busyHeight: number
}

/** How strongly a VM's burstiness and daily swing go together (a Gaussian copula); a modelling choice. */
const BURST_SWING_CORRELATION = 0.7

/** The uniforms that place a VM in the calibration distributions (stratified across the fleet). */
interface Placement {
  readonly meanShare: number
  readonly burst: number
  readonly swing: number
}

const drawWorkload = (u: Placement, rng: MutableRng): Workload => {
  const meanShare = quantile(MEAN_SHARE, u.meanShare)
  const burst = quantile(BURSTINESS, u.burst)
  // Burstiness and swing go together (busy VMs have both): a Gaussian copula on their uniforms.
  const zs = BURST_SWING_CORRELATION * normalQuantile(u.burst) + Math.sqrt(1 - BURST_SWING_CORRELATION ** 2) * normalQuantile(u.swing)
  const swing = quantile(DAILY_SWING, normalCdf(zs))
  // Peak: business hours (Europe, UTC+1/+2) for most, evenings or night batch for the rest.
  const kind = rng.float()
  const peakHour = kind < 0.6 ? rng.uniform(11, 15) : kind < 0.8 ? rng.uniform(17, 21) : rng.uniform(0, 4)
  const weekendShare = rng.chance(0.7) ? rng.uniform(0, 0.4) : 0
  const driftSigma = rng.uniform(0, 0.12)
  const noiseTau0 = rng.uniform(2, 12)
  const busyDraw = rng.float()
  const busyMinutes = rng.uniform(20, 90)

  // p95/mean = (from the daily cycle) x (from noise and busy spells). A cosine of amplitude a gives
  // about 1 + 0.7a (weekends, noise and averaging shave the 0.99 of a pure cosine; fitted); noise covers the rest up
  // to 1.7, busy spells beyond (log-normal noise cannot pass about 3.9).
  const burstParts = (a: number) => {
    const rest = Math.max(1.02, burst / (1 + 0.7 * a))
    if (rest <= 1.7) return { noiseSigma: lognormalSigmaFor(rest), busyShare: 0, busyHeight: 1 }
    const busyShare = Math.min(0.07 + 0.08 * busyDraw, 0.8 / rest)
    return { noiseSigma: 0.15, busyShare, busyHeight: (rest * (1 - busyShare)) / (1 - rest * busyShare) }
  }
  // The measured swing is the cycle's 2a plus what noise and busy spells leave in the hour-of-day
  // means; take their share out (in quadrature) so low-swing VMs stay low. One refinement suffices.
  // (2.3 rather than 2: the estimate undercounts what noise adds; fitted on 200-VM months.)
  const first = burstParts(Math.min(0.9, swing * 0.45))
  const estimate = (tau: number) => noiseSwingEstimate(first.noiseSigma, tau, first.busyShare, first.busyHeight, busyMinutes)
  // A steady VM (small swing) gets faster noise, so that its hour-of-day means stay flat; the noise
  // swing grows about as the square root of the correlation time.
  const rawSwing = estimate(noiseTau0)
  const noiseTau = rawSwing > 0.6 * swing ? Math.max(1, noiseTau0 * ((0.6 * swing) / rawSwing) ** 2) : noiseTau0
  const noiseSwing = estimate(noiseTau)
  const diurnalAmp = Math.min(0.9, Math.sqrt(Math.max(0, swing * swing - noiseSwing * noiseSwing)) / 2.3)
  const parts = burstParts(diurnalAmp)
  return {
    meanShare,
    diurnalAmp,
    peakHour,
    // Quieter weekends mostly for VMs with a marked daily cycle (people use them on workdays).
    weekendDrop: weekendShare * Math.min(1, 0.3 + diurnalAmp * 2),
    noiseSigma: parts.noiseSigma,
    noiseTau,
    driftSigma,
    busyShare: parts.busyShare,
    busyMinutes,
    busyHeight: parts.busyHeight,
  }
}

/**
 * Expected swing of the hour-of-day means that noise alone leaves over a calibration month (30
 * days): each bucket averages one hour a day of a process with variance v and correlation time tau
 * (minutes); the expected range of 24 such means is about 3.9 standard deviations.
 */
const noiseSwingEstimate = (sigma: number, tau: number, busyShare: number, busyHeight: number, busyMinutes: number): number => {
  const hourFactor = (tauMin: number): number => {
    const r = tauMin / 60
    return Math.min(1, 2 * r * (1 - r * (1 - Math.exp(-1 / r))))
  }
  const busyMean = 1 - busyShare + busyShare * busyHeight
  const vNoise = (Math.exp(sigma * sigma) - 1) * hourFactor(tau)
  const vBusy = ((busyHeight - 1) ** 2 * busyShare * (1 - busyShare) * hourFactor(busyMinutes * (1 - busyShare))) / busyMean ** 2
  return 3.9 * Math.sqrt((vNoise + vBusy) / 30)
}

/** Sigma of a mean-one log-normal whose p95 / mean is `ratio` (ratio <= 3.8). */
const lognormalSigmaFor = (ratio: number): number => {
  // Solve 1.645 s - s^2 / 2 = ln(ratio) for the smaller root.
  const c = Math.log(ratio)
  const disc = 1.645 ** 2 - 2 * c
  return disc <= 0 ? 1.645 : 1.645 - Math.sqrt(disc)
}

/** A group member: the group's workload, jittered a little. */
const jitter = (w: Workload, rng: MutableRng): Workload => ({
  ...w,
  meanShare: w.meanShare * Math.exp(0.1 * rng.normal()),
  diurnalAmp: Math.min(0.9, w.diurnalAmp * rng.uniform(0.9, 1.1)),
  peakHour: w.peakHour + rng.uniform(-0.5, 0.5),
  noiseTau: w.noiseTau * rng.uniform(0.8, 1.2),
})

// ---------------------------------------------------------------------------------------------
// Fleet layout: ids, sizes, lifecycle

interface Lifecycle {
  /** Hours from the start: the VM runs in [arrive, leave), except in [offFrom, offTo). */
  readonly arriveHour: number
  readonly leaveHour: number
  readonly offFrom: number
  readonly offTo: number
  /** Hour at which configured memory changes, and the new size (MiB); none when changeHour is Infinity. */
  readonly changeHour: number
  readonly changedMiB: number
}

interface VmPlan {
  readonly id: string
  readonly image: string | undefined
  readonly os: OsFamily
  readonly configuredMiB: number
  readonly workload: Workload
  readonly lifecycle: Lifecycle
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0')

const planFleet = (o: SyntheticOptions): ReadonlyArray<VmPlan> => {
  const hours = Math.ceil((o.days * 86400) / 3600)
  const groups = o.groups ?? defaultGroups(o.vms)
  const slots: Array<Omit<VmPlan, 'lifecycle'>> = []
  const taken: { size: number[]; mean: number[]; burst: number[]; swing: number[] } = { size: [], mean: [], burst: [], swing: [] }
  groups.forEach((g, gi) => {
    // A group's template sits near the middle of the distributions: a fleet's clones are its
    // typical workload, and clumping many VMs at an extreme would skew the fleet's percentiles.
    const t = mutableRng(seedRng(o.seed, 'group', gi))
    const u = { meanShare: t.uniform(0.35, 0.65), burst: t.uniform(0.35, 0.65), swing: t.uniform(0.35, 0.65) }
    const template = drawWorkload(u, t)
    const width = Math.max(2, String(g.count).length)
    for (let k = 0; k < g.count && slots.length < o.vms; k++) {
      const rng = mutableRng(seedRng(o.seed, 'member', gi, k))
      slots.push({ id: `${g.prefix}-${pad(k + 1, width)}`, image: g.image, os: g.os, configuredMiB: g.configuredMiB, workload: jitter(template, rng) })
      taken.size.push(cumulative(PROVISIONED_GIB, g.configuredMiB / 1024))
      taken.mean.push(u.meanShare)
      taken.burst.push(u.burst)
      taken.swing.push(u.swing)
    }
  })
  const loners = o.vms - slots.length
  const width = Math.max(3, String(loners).length)
  const strata = mutableRng(seedRng(o.seed, 'strata'))
  const uSize = stratifiedRest(strata, o.vms, taken.size)
  const uMean = stratifiedRest(strata, o.vms, taken.mean)
  const uBurst = stratifiedRest(strata, o.vms, taken.burst)
  const uSwing = stratifiedRest(strata, o.vms, taken.swing)
  for (let k = 0; k < loners; k++) {
    const rng = mutableRng(seedRng(o.seed, 'vm', k))
    const configuredMiB = roundToRealisticSize(quantile(PROVISIONED_GIB, uSize[k]) * 1024)
    const os: OsFamily = rng.chance(0.55) ? 'windows' : 'linux'
    const workload = drawWorkload({ meanShare: uMean[k], burst: uBurst[k], swing: uSwing[k] }, rng)
    slots.push({ id: `vm-${pad(k + 1, width)}`, image: undefined, os, configuredMiB, workload })
  }

  // Lifecycle events go to distinct VMs, drawn from one fleet-level stream.
  const fleet = mutableRng(seedRng(o.seed, 'fleet'))
  const order = shuffledIndices(fleet, slots.length)
  const n = slots.length
  const count = (share: number): number => (n >= 10 ? Math.max(1, Math.round(n * share)) : 0)
  const late = new Set(order.splice(0, count(0.08)))
  const early = new Set(order.splice(0, count(0.05)))
  const spell = new Set(order.splice(0, count(0.04)))
  const resized = new Set(order.splice(0, count(0.03)))
  const between = (lo: number, hi: number): number => Math.max(1, Math.min(hours - 1, Math.floor(lo + fleet.float() * (hi - lo))))

  return slots.map((s, i) => {
    const arriveHour = late.has(i) ? between(hours * 0.05, hours * 0.7) : 0
    const leaveHour = early.has(i) ? between(hours * 0.4, hours * 0.95) : hours
    const offFrom = spell.has(i) ? between(hours * 0.2, hours * 0.7) : Infinity
    const offTo = spell.has(i) ? offFrom + 2 + Math.floor(fleet.float() * 46) : Infinity
    const changeHour = resized.has(i) ? between(hours * 0.3, hours * 0.8) : Infinity
    const changedMiB = resized.has(i) ? resize(s.configuredMiB, fleet) : s.configuredMiB
    return { ...s, lifecycle: { arriveHour, leaveHour, offFrom, offTo, changeHour, changedMiB } }
  })
}

/** A capacity change: usually up one or two realistic sizes, sometimes down one. */
const resize = (mib: number, rng: MutableRng): number => {
  const i = Math.max(0, REALISTIC_SIZES_MIB.indexOf(mib))
  const j = rng.chance(0.75) ? i + 1 + rng.int(2) : i - 1
  return REALISTIC_SIZES_MIB[Math.min(REALISTIC_SIZES_MIB.length - 1, Math.max(0, j))]
}

// ---------------------------------------------------------------------------------------------
// The base process (60 s) and its averaging into ticks

/** Demand cap as a share of configured: the guest always keeps some memory outside its working set. */
const DEMAND_CAP = 0.97

/**
 * One VM's base process: demand and configured per base interval (0 where off). Its random numbers
 * come from the VM's own stream, one draw sequence per base interval, whatever the step.
 */
const baseProcess = (plan: VmPlan, o: SyntheticOptions, start: number, base: number): BaseSeries => {
  const w = plan.workload
  const L = plan.lifecycle
  const demand = new Float64Array(base)
  const configured = new Float64Array(base)
  const diskRead = new Float64Array(base)
  const diskWrite = new Float64Array(base)
  const rng = mutableRng(seedRng(o.seed, 'process', plan.id))
  // disk from a stream of its own: the workload's draws are what they were before disk was added
  const disk = drawDisk(o.seed, plan.id)
  const diskRng = mutableRng(seedRng(o.seed, 'disk-process', plan.id))
  const diskShift = (DISK_SIGMA * DISK_SIGMA) / 2
  const readEnter = disk.readShare < 1 ? disk.readShare / ((1 - disk.readShare) * disk.readBurstMinutes) : 1
  const readLeave = 1 / disk.readBurstMinutes
  const writeEnter = WRITE_BURST_SHARE / ((1 - WRITE_BURST_SHARE) * WRITE_BURST_MINUTES)
  const writeLeave = 1 / WRITE_BURST_MINUTES
  let reading = diskRng.chance(disk.readShare)
  let writing = diskRng.chance(WRITE_BURST_SHARE)
  const fastA = Math.exp(-1 / w.noiseTau)
  const fastB = Math.sqrt(1 - fastA * fastA)
  const slowA = Math.exp(-1 / (3 * 24)) // drift: correlation time of 3 days, updated hourly
  const slowB = Math.sqrt(1 - slowA * slowA)
  const meanWeekly = 1 - (2 / 7) * w.weekendDrop
  const normaliser = meanWeekly * (1 - w.busyShare + w.busyShare * w.busyHeight)
  const level = (w.meanShare * plan.configuredMiB) / normaliser
  const enterBusy = w.busyShare > 0 ? w.busyShare / ((1 - w.busyShare) * w.busyMinutes) : 0
  const leaveBusy = 1 / w.busyMinutes
  const noiseShift = (w.noiseSigma * w.noiseSigma) / 2
  const driftShift = (w.driftSigma * w.driftSigma) / 2
  let fast = rng.normal()
  let slow = rng.normal()
  let busy = rng.chance(w.busyShare)
  const perHour = 3600 / BASE_SECONDS
  for (let i = 0; i < base; i++) {
    // Draws happen every interval, on or off, so the sequence never depends on the lifecycle.
    fast = fastA * fast + fastB * rng.normal()
    if (i % perHour === 0) slow = slowA * slow + slowB * rng.normal()
    busy = busy ? !rng.chance(leaveBusy) : rng.chance(enterBusy)
    reading = reading ? !diskRng.chance(readLeave) : diskRng.chance(readEnter)
    writing = writing ? !diskRng.chance(writeLeave) : diskRng.chance(writeEnter)
    const readNoise = Math.exp(DISK_SIGMA * diskRng.normal() - diskShift)
    const writeNoise = Math.exp(DISK_SIGMA * diskRng.normal() - diskShift)
    const hour = Math.floor(i / perHour)
    const running = hour >= L.arriveHour && hour < L.leaveHour && !(hour >= L.offFrom && hour < L.offTo)
    if (!running) continue
    const t = start + (i + 0.5) * BASE_SECONDS
    const hourOfDay = (t % 86400) / 3600
    const weekday = (Math.floor(t / 86400) + 4) % 7 // 1970-01-01 was a Thursday; 0 = Sunday
    const diurnal = 1 + w.diurnalAmp * Math.cos((2 * Math.PI * (hourOfDay - w.peakHour)) / 24)
    const weekly = weekday === 0 || weekday === 6 ? 1 - w.weekendDrop : 1
    const noise = Math.exp(w.noiseSigma * fast - noiseShift) * Math.exp(w.driftSigma * slow - driftShift)
    const cap = hour >= L.changeHour ? L.changedMiB : plan.configuredMiB
    configured[i] = cap
    const activity = (diurnal * weekly * (busy ? w.busyHeight : 1)) / normaliser
    demand[i] = Math.min(DEMAND_CAP * cap, level * diurnal * weekly * noise * (busy ? w.busyHeight : 1))
    // Disk follows activity loosely (its square root): a busy hour reads more, an idle one still writes logs.
    const loose = Math.sqrt(activity)
    if (reading) diskRead[i] = (disk.readMean / disk.readShare) * loose * readNoise
    diskWrite[i] =
      disk.writeMean * loose * writeNoise * (disk.writeSteady + (writing ? (1 - disk.writeSteady) / WRITE_BURST_SHARE : 0))
  }
  return { demand, configured, diskRead, diskWrite }
}

interface BaseSeries {
  readonly demand: Float64Array
  readonly configured: Float64Array
  /** MiB/s. */
  readonly diskRead: Float64Array
  readonly diskWrite: Float64Array
}

/** Disk rates are rounded to 0.001 MiB/s (about 1 KiB/s), which keeps the written trace small. */
const roundRate = (mibps: number): number => Math.round(mibps * 1000) / 1000

/** Prefix sums, for exact integrals of a piecewise-constant base series. */
const prefix = (xs: Float64Array): Float64Array => {
  const p = new Float64Array(xs.length + 1)
  for (let i = 0; i < xs.length; i++) p[i + 1] = p[i] + xs[i]
  return p
}

/** Integral of a piecewise-constant series (unit intervals) from 0 to x, x in base intervals. */
const integral = (p: Float64Array, xs: ArrayLike<number>, x: number): number => {
  const i = Math.min(Math.floor(x), xs.length)
  return p[i] + (i < xs.length ? (x - i) * xs[i] : 0)
}

const toTicks = (
  process: BaseSeries,
  ticks: number,
  step: number,
): { demand: Float32Array; configured: Float32Array; diskRead: Float32Array; diskWrite: Float32Array; on: Uint8Array } => {
  const base = process.demand.length
  const onBase = new Float64Array(base)
  for (let i = 0; i < base; i++) onBase[i] = process.configured[i] > 0 ? 1 : 0
  const pDemand = prefix(process.demand)
  const pOn = prefix(onBase)
  const pRead = prefix(process.diskRead)
  const pWrite = prefix(process.diskWrite)
  const demand = new Float32Array(ticks)
  const configured = new Float32Array(ticks)
  const diskRead = new Float32Array(ticks)
  const diskWrite = new Float32Array(ticks)
  const on = new Uint8Array(ticks)
  for (let t = 0; t < ticks; t++) {
    const x0 = (t * step) / BASE_SECONDS
    const x1 = Math.min(base, ((t + 1) * step) / BASE_SECONDS)
    const onTime = integral(pOn, onBase, x1) - integral(pOn, onBase, x0)
    if (onTime < 0.5 * (x1 - x0) || onTime <= 0) continue
    on[t] = 1
    // Rounded to 0.1 MiB: finer is noise, and it keeps the written trace small.
    demand[t] = Math.round(((integral(pDemand, process.demand, x1) - integral(pDemand, process.demand, x0)) / onTime) * 10) / 10
    diskRead[t] = roundRate((integral(pRead, process.diskRead, x1) - integral(pRead, process.diskRead, x0)) / onTime)
    diskWrite[t] = roundRate((integral(pWrite, process.diskWrite, x1) - integral(pWrite, process.diskWrite, x0)) / onTime)
    let cap = 0
    for (let i = Math.floor(x0); i < Math.ceil(x1); i++) if (process.configured[i] > cap) cap = process.configured[i]
    configured[t] = cap
  }
  return { demand, configured, diskRead, diskWrite, on }
}

// ---------------------------------------------------------------------------------------------

/** A synthetic trace (see the module comment). Options are assumed valid: see `checkSyntheticOptions`. */
export const generateFleet = (options: SyntheticOptions): Trace => {
  const start = options.start ?? DEFAULT_START
  const step = options.stepSeconds
  const horizon = Math.round(options.days * 86400)
  const base = Math.ceil(horizon / BASE_SECONDS)
  const ticks = Math.ceil(horizon / step)
  const plans = planFleet(options)

  const vms: VmTrace[] = plans.map((plan) => {
    const cols = toTicks(baseProcess(plan, options, start, base), ticks, step)
    let firstTick = ticks
    let endTick = ticks
    for (let t = 0; t < ticks; t++) if (cols.on[t] === 1) { firstTick = t; break }
    for (let t = ticks - 1; t >= 0; t--) if (cols.on[t] === 1) { endTick = t + 1; break }
    if (firstTick === ticks) endTick = ticks
    return {
      id: plan.id,
      image: plan.image,
      os: plan.os,
      demand: cols.demand,
      configured: cols.configured,
      touched: undefined,
      diskRead: cols.diskRead,
      diskWrite: cols.diskWrite,
      on: cols.on,
      firstTick,
      endTick,
    }
  })

  const name = `synthetic(seed=${options.seed}, vms=${options.vms}, days=${options.days}, step=${step})`
  return { name, start, step, ticks, vms, report: syntheticReport(name, start, step, ticks, vms) }
}

/** The import report of a generated trace: format 'synthetic', nothing read from disk, nothing repaired. */
const syntheticReport = (source: string, start: number, step: number, ticks: number, vms: ReadonlyArray<VmTrace>): ImportReport => {
  const perVm: VmImportReport[] = vms.map((vm) => {
    let rows = 0
    for (let t = vm.firstTick; t < vm.endTick; t++) rows += vm.on[t]
    return {
      id: vm.id,
      source,
      rows,
      firstTime: start + vm.firstTick * step,
      lastTime: start + Math.max(vm.firstTick, vm.endTick - 1) * step,
      repairs: emptyRepairCounts(),
    }
  })
  const running = perVm.filter((r) => r.rows > 0)
  return {
    format: 'synthetic',
    source,
    vms: vms.length,
    firstTime: running.length > 0 ? Math.min(...running.map((r) => r.firstTime)) : start,
    lastTime: running.length > 0 ? Math.max(...running.map((r) => r.lastTime)) : start,
    step,
    ticks,
    rows: perVm.reduce((s, r) => s + r.rows, 0),
    maxGapSeconds: 0,
    repairs: emptyRepairCounts(),
    perVm,
    recorded: recordedCounts(vms),
  }
}

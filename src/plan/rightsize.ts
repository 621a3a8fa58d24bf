/**
 * Per-VM right-sizing (pure, over the trace and the resolved VM settings): for each VM that runs,
 * its configured size against the size that would have held its working set at a percentile of its
 * running ticks, and the settings that would follow. The rule (every size rounded UP to the
 * granularity, default 256 MiB, except the minimum, rounded down):
 *
 *   demand pP             the P-th percentile (default 99) of demand over the ticks the VM runs,
 *                         nearest rank: the smallest demand d with at least P% of running ticks <= d
 *   right size            demand pP: the static size (or any fixed size) that would have held the
 *                         working set P% of the time
 *   Hyper-V maximum       demand pP x (1 + buffer%): Dynamic Memory assigns demand plus the buffer,
 *                         so the ceiling must leave room for the buffer at pP (the VM's own buffer)
 *   Hyper-V minimum       the least demand over running ticks, rounded down, at least 512 MiB (Hyper-V's
 *                         default minimum) and at most the maximum: the balloon never takes a VM below
 *                         the least working set it ever had
 *   ESX reservation       demand p50: the typical working set is guaranteed; bursts above it rely on
 *                         shares (a reservation at pP would be static allocation)
 *   freed                 configured - right size: positive frees memory, negative means the VM was
 *                         configured too small for its working set at pP
 *
 * Estate-wide: configured and right-sized totals, memory freed (sum of positive freed), memory
 * wanted (sum of negative freed, as a positive figure) and the net.
 */
import type { VmSettings } from '../spec/settings.js'
import type { Trace } from '../trace/trace.js'
import { peakConfigured } from '../trace/trace.js'
import { csvField } from '../metrics/format.js'

export interface RightsizeOptions {
  /** Percentile of running-tick demand to size for, in (0, 100]. */
  readonly percentile: number
  /** Sizes are multiples of this, MiB. */
  readonly granularityMiB: number
}

export const DEFAULT_RIGHTSIZE: RightsizeOptions = { percentile: 99, granularityMiB: 256 }

/** Hyper-V's default minimum RAM, MiB: the floor of the minimum the rule sets. */
export const HYPERV_MIN_FLOOR_MIB = 512

export interface VmRightsize {
  readonly vm: string
  readonly configuredMiB: number
  readonly runningHours: number
  readonly demandP50MiB: number
  /** Demand at the chosen percentile. */
  readonly demandPMiB: number
  readonly demandPeakMiB: number
  readonly rightSizeMiB: number
  readonly freedMiB: number
  readonly hypervBufferPercent: number
  readonly hypervMinimumMiB: number
  readonly hypervMaximumMiB: number
  readonly esxReservationMiB: number
}

export interface Rightsizing {
  readonly options: RightsizeOptions
  /** VMs that run, in trace order. */
  readonly vms: ReadonlyArray<VmRightsize>
  readonly totals: {
    readonly configuredMiB: number
    readonly rightSizedMiB: number
    /** Sum of positive freed. */
    readonly freedMiB: number
    /** Sum of negative freed, as a positive figure: memory undersized VMs lacked. */
    readonly wantedMiB: number
    /** configured - right-sized. */
    readonly netMiB: number
  }
}

/** Nearest-rank percentile of a sorted list (p in (0, 100]). */
export const nearestRank = (sorted: ArrayLike<number>, p: number): number => {
  if (sorted.length === 0) return 0
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length))
  return sorted[Math.min(sorted.length, rank) - 1]
}

const up = (x: number, g: number): number => Math.ceil(x / g - 1e-9) * g
const down = (x: number, g: number): number => Math.floor(x / g + 1e-9) * g

/** The right-sizing of every VM that runs (see the module note). */
export const rightsize = (trace: Trace, vms: ReadonlyArray<VmSettings>, options: RightsizeOptions = DEFAULT_RIGHTSIZE): Rightsizing => {
  const g = options.granularityMiB
  const rows: VmRightsize[] = []
  trace.vms.forEach((v, i) => {
    if (!(v.firstTick < v.endTick)) return
    const running: number[] = []
    for (let t = v.firstTick; t < v.endTick; t++) if (v.on[t]) running.push(v.demand[t])
    if (running.length === 0) return
    const sorted = Float64Array.from(running).sort()
    const p = nearestRank(sorted, options.percentile)
    const configured = peakConfigured(v)
    const rightSize = up(p, g)
    const buffer = vms[i]?.bufferPercent ?? 20
    const maximum = up(p * (1 + buffer / 100), g)
    rows.push({
      vm: v.id,
      configuredMiB: configured,
      runningHours: (running.length * trace.step) / 3600,
      demandP50MiB: nearestRank(sorted, 50),
      demandPMiB: p,
      demandPeakMiB: sorted[sorted.length - 1],
      rightSizeMiB: rightSize,
      freedMiB: configured - rightSize,
      hypervBufferPercent: buffer,
      hypervMinimumMiB: Math.min(maximum, Math.max(HYPERV_MIN_FLOOR_MIB, down(sorted[0], g))),
      hypervMaximumMiB: maximum,
      esxReservationMiB: up(nearestRank(sorted, 50), g),
    })
  })
  const sum = (f: (r: VmRightsize) => number): number => rows.reduce((s, r) => s + f(r), 0)
  return {
    options,
    vms: rows,
    totals: {
      configuredMiB: sum((r) => r.configuredMiB),
      rightSizedMiB: sum((r) => r.rightSizeMiB),
      freedMiB: sum((r) => Math.max(0, r.freedMiB)),
      wantedMiB: sum((r) => Math.max(0, -r.freedMiB)),
      netMiB: sum((r) => r.freedMiB),
    },
  }
}

const COLUMNS = [
  'vm', 'configured_mib', 'running_hours', 'demand_p50_mib', 'demand_p_mib', 'demand_peak_mib', 'right_size_mib', 'freed_mib',
  'hyperv_buffer_percent', 'hyperv_minimum_mib', 'hyperv_maximum_mib', 'esx_reservation_mib',
] as const

const n = (x: number): string => String(Math.round(x * 100) / 100)

/** rightsizing.csv: one row per VM (demand_p_mib is the chosen percentile, named in the header comment-free: see plan.json). */
export const rightsizingCsv = (r: Rightsizing): string =>
  [
    COLUMNS.join(','),
    ...r.vms.map((v) =>
      [csvField(v.vm), n(v.configuredMiB), n(v.runningHours), n(v.demandP50MiB), n(v.demandPMiB), n(v.demandPeakMiB), n(v.rightSizeMiB), n(v.freedMiB), n(v.hypervBufferPercent), n(v.hypervMinimumMiB), n(v.hypervMaximumMiB), n(v.esxReservationMiB)].join(','),
    ),
  ].join('\n') + '\n'

const gib = (mib: number): string => String(Math.round((mib / 1024) * 10) / 10)

/** One paragraph: what right-sizing frees estate-wide. */
export const rightsizingSentence = (r: Rightsizing): string =>
  `Right-sizing ${r.vms.length} VMs to their p${r.options.percentile} working set (steps of ${r.options.granularityMiB} MiB) frees ${gib(r.totals.freedMiB)} GiB of ${gib(r.totals.configuredMiB)} GiB configured` +
  (r.totals.wantedMiB > 0 ? `; VMs configured below it want ${gib(r.totals.wantedMiB)} GiB more; net ${gib(r.totals.netMiB)} GiB` : '') +
  '.'

/** The summary.md section: the sentence, the rule, and the `top` VMs that free the most. */
export const rightsizingMarkdown = (r: Rightsizing, escape: (s: string) => string, top = 20): string => {
  const p = r.options.percentile
  const rows = [...r.vms].sort((a, b) => b.freedMiB - a.freedMiB || a.vm.localeCompare(b.vm)).slice(0, top)
  return [
    '## Right-sizing',
    '',
    rightsizingSentence(r),
    '',
    `Rule: right size = demand p${p} over the VM's running ticks; Hyper-V maximum = p${p} x (1 + its buffer); Hyper-V minimum = its least working set (at least 512 MiB); ESX reservation = demand p50; sizes rounded up to ${r.options.granularityMiB} MiB (the minimum down). Every VM is in rightsizing.csv.`,
    '',
    `| VM | configured GiB | p${p} GiB | right size GiB | freed GiB | Hyper-V min / max GiB | ESX reservation GiB |`,
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((v) => `| ${escape(v.vm)} | ${gib(v.configuredMiB)} | ${gib(v.demandPMiB)} | ${gib(v.rightSizeMiB)} | ${gib(v.freedMiB)} | ${gib(v.hypervMinimumMiB)} / ${gib(v.hypervMaximumMiB)} | ${gib(v.esxReservationMiB)} |`),
    ...(r.vms.length > top ? ['', `The ${top} VMs that free the most of ${r.vms.length}.`] : []),
  ].join('\n')
}

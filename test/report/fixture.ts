/**
 * A small ReportInput built by hand: three policies, 50 hourly ticks, four VMs, two of them with
 * hostile names.
 */
import type { RunMetrics } from '../../src/metrics/run-metrics.js'
import { emptyRepairCounts, type ImportReport } from '../../src/trace/import-report.js'
import type { HeatmapCell, HostSeriesRow, ReportInput, ReportRun, SlowdownBucket, VmSummaryRow } from '../../src/report/model.js'

export const EVIL_VM = '<img src=x onerror=alert(1)>'
export const SCRIPT_VM = '</script><img src=x onerror=alert(2)>'
export const VMS = ['web-01', 'db-01', EVIL_VM, SCRIPT_VM]

const START = 1_376_314_800 // 2013-08-12 13:40 UTC
const STEP = 3600
const TICKS = 50

const importReport = (): ImportReport => {
  const repairs = emptyRepairCounts()
  repairs.gapHeld = 7
  repairs.repeatedTimestamp = 2
  repairs.usageAboveCapacity = 1
  return {
    format: 'synthetic',
    source: 'fixture <b>bold</b>.csv',
    vms: VMS.length,
    firstTime: START,
    lastTime: START + (TICKS - 1) * STEP,
    step: STEP,
    ticks: TICKS,
    rows: VMS.length * TICKS,
    maxGapSeconds: 3 * STEP,
    repairs,
    perVm: VMS.map((id, i) => {
      const r = emptyRepairCounts()
      if (i === 2) {
        r.gapHeld = 7
        r.repeatedTimestamp = 2
        r.usageAboveCapacity = 1
      }
      return { id, source: `${id}.csv`, rows: TICKS, firstTime: START, lastTime: START + (TICKS - 1) * STEP, repairs: r }
    }),
  }
}

const metrics = (policy: string, k: number, error?: string): RunMetrics => ({
  policy,
  params: { k },
  hostMemoryGiB: 64,
  vmsTotal: 4,
  vmsAdmitted: k === 0 ? 3 : 4,
  vmsRefused: k === 0 ? 1 : 0,
  overAllocationRatio: 1 + 0.2 * k,
  overCommitRatio: 0.9 + 0.1 * k,
  peakResidentGiB: 50 + k,
  meanResidentGiB: 40 + k,
  demandGiBh: 1500,
  shortfallGiBh: 3 * k,
  guestPagingGiBh: k,
  hostSwapGiBh: k,
  hostSwapOutGiB: 2 * k,
  compressedGiBh: 0.5 * k,
  balloonedGiBh: 4 * k,
  sharedSavedGiBh: 10 * k,
  blockedGiBh: 0,
  stateShare: k === 2 ? { high: 0.8, soft: 0.15, hard: 0.05 } : {},
  pressureOver100Share: 0.01 * k,
  slowdownP50: 1,
  slowdownP95: 1 + 0.1 * k,
  slowdownP99: 1 + 0.3 * k,
  slowdownMax: 1 + k,
  fairness: 1 - 0.05 * k,
  overCommitTimeShare: 0.1 * k,
  shortOfMemoryShare: 0.02 * k,
  refusedVmHours: k === 0 ? 50 : 0,
  shortOrRefusedShare: k === 0 ? 0.25 : 0.02 * k,
  ...(error === undefined ? {} : { error }),
})

const hostSeries = (k: number): HostSeriesRow[] =>
  Array.from({ length: TICKS }, (_, i) => {
    const wave = Math.sin((i / TICKS) * Math.PI * 2)
    const ws = 30 + 8 * wave
    const idle = 10 - 2 * k
    const free = 60 - ws - idle
    const pressure = Math.max(0, wave) * k
    return {
      time: START + i * STEP,
      residentWorkingSet: ws,
      residentIdle: idle,
      sharedAway: 2 * k,
      ballooned: pressure * 2,
      compressed: pressure,
      swapped: pressure * 0.5,
      free,
      shortfallGuestPaging: pressure * 0.3,
      shortfallHostSwap: pressure * 0.2,
      shortfallCompressed: pressure * 0.1,
      shortfallBlocked: 0,
      demand: ws + pressure,
      ...(k === 2 ? { state: pressure > 1 ? 'soft' : 'high' } : {}),
    }
  })

const vmSummaries = (k: number): VmSummaryRow[] =>
  VMS.map((vm, i) => ({
    vm,
    refused: k === 0 && i === 3,
    runningHours: k === 0 && i === 3 ? 0 : TICKS,
    configuredGiB: 16,
    peakDemandGiB: 10 + i,
    shortfallGiBh: k * (i + 1) * 0.3,
    hostSwapGiBh: k * i * 0.1,
    pressureOver100Share: 0.01 * k * i,
    shortOfMemoryShare: 0.02 * k * i,
    slowdownP95: 1 + 0.05 * k * i,
    slowdownMax: 1 + 0.2 * k * i,
  }))

const heatmap = (k: number): HeatmapCell[] =>
  VMS.flatMap((vm, v) =>
    k === 0 && v === 3
      ? []
      : Array.from({ length: TICKS }, (_, i) => ({
          vm,
          bucketStart: START + i * STEP,
          value: 1 + k * 0.1 * v * Math.max(0, Math.sin((i / TICKS) * Math.PI * 2)),
        })),
  )

const histogram = (k: number): SlowdownBucket[] => [
  { lower: 1, upper: 1.05, vmHours: 150 - 10 * k },
  { lower: 1.05, upper: 1.2, vmHours: 20 + 4 * k },
  { lower: 1.2, upper: 1.5, vmHours: 5 + 3 * k },
  { lower: 1.5, upper: 2, vmHours: 2 * k },
  { lower: 2, upper: null, vmHours: k },
]

const run = (policy: string, k: number, extra: Partial<ReportRun> = {}): ReportRun => ({
  metrics: metrics(policy, k, extra.error),
  params: { policy, level: k, label: '<b>not bold</b>' },
  hostSeries: hostSeries(k),
  vmSummaries: vmSummaries(k),
  heatmap: heatmap(k),
  slowdownHistogram: histogram(k),
  ...extra,
})

export const fixtureInput = (): ReportInput => ({
  title: 'Fixture comparison <script>alert(3)</script>',
  traceName: 'fixture & friends',
  importReport: importReport(),
  host: { physicalGiB: 64, reserveGiB: 4, vmOverheadGiB: 0.25 },
  runs: [
    run('static', 0, { description: 'Static memory: every VM holds its configured size.' }),
    run('hyperv-dm', 1, { description: 'Hyper-V Dynamic Memory' }),
    run('esx', 2, { description: 'VMware ESX overcommit', error: 'rule <x> broken at tick 49' }),
  ],
  heatmapMeasure: 'slowdown',
  slowdownModel: { name: 'linear', description: 'Slowdown grows with unavailable working set.', params: { alpha: 2 } },
  worldModel: { name: 'world', description: 'Touched memory grows towards demand.', params: { seed: 1, note: '</script>' } },
  notes: ['Ballooning reclaims idle memory first.', `VM ${EVIL_VM} is hostile on purpose.`],
  seriesCsv: [{ fileName: 'host-series.csv', csv: 'run,time,free\nstatic,0,30\n' }],
})

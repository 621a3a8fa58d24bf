/**
 * Per-VM statistics as the traces README computes them (one figure per VM, over its on ticks), and
 * percentiles across VMs: what the generator is calibrated against.
 */
import type { Trace, VmTrace } from '../../src/trace/trace.js'

export interface VmFigures {
  readonly provisionedGiB: number
  readonly meanShare: number
  readonly burstiness: number
  readonly dailySwing: number
}

export const vmFigures = (trace: Trace, vm: VmTrace): VmFigures | undefined => {
  const demand: number[] = []
  let cap = 0
  const hourSum = new Float64Array(24)
  const hourCount = new Float64Array(24)
  for (let t = vm.firstTick; t < vm.endTick; t++) {
    if (vm.on[t] !== 1) continue
    demand.push(vm.demand[t])
    cap += vm.configured[t]
    const h = Math.floor(((trace.start + t * trace.step) % 86400) / 3600)
    hourSum[h] += vm.demand[t]
    hourCount[h] += 1
  }
  if (demand.length === 0) return undefined
  const mean = demand.reduce((a, b) => a + b, 0) / demand.length
  const sorted = [...demand].sort((a, b) => a - b)
  const p95 = sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))]
  const hourMeans = [...hourSum].map((s, h) => (hourCount[h] > 0 ? s / hourCount[h] : NaN)).filter((x) => !Number.isNaN(x))
  return {
    provisionedGiB: cap / demand.length / 1024,
    meanShare: mean / (cap / demand.length),
    burstiness: p95 / mean,
    dailySwing: (Math.max(...hourMeans) - Math.min(...hourMeans)) / mean,
  }
}

export const percentile = (xs: ReadonlyArray<number>, p: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  const pos = p * (s.length - 1)
  const lo = Math.floor(pos)
  const hi = Math.min(s.length - 1, lo + 1)
  return s[lo] + (pos - lo) * (s[hi] - s[lo])
}

export const PERCENTILES = [0.1, 0.25, 0.5, 0.75, 0.9] as const

/** The README's calibration figures. */
export const CALIBRATION: Readonly<Record<keyof VmFigures, ReadonlyArray<number>>> = {
  provisionedGiB: [0.16, 1, 3.9, 8, 20],
  meanShare: [0.012, 0.03, 0.052, 0.11, 0.22],
  burstiness: [1.26, 1.46, 1.8, 2.4, 4.0],
  dailySwing: [0.05, 0.15, 0.35, 0.77, 1.27],
}

export const fleetPercentiles = (trace: Trace): Record<keyof VmFigures, number[]> => {
  const figs = trace.vms.map((vm) => vmFigures(trace, vm)).filter((f): f is VmFigures => f !== undefined)
  const keys = Object.keys(CALIBRATION) as Array<keyof VmFigures>
  return Object.fromEntries(keys.map((k) => [k, PERCENTILES.map((p) => percentile(figs.map((f) => f[k]), p))])) as Record<
    keyof VmFigures,
    number[]
  >
}

/**
 * Small hand-built traces, hosts and VM settings: what the conformance check's random scenarios
 * are made of, and what policy tests build worked examples from. All sizes MiB.
 */
import type { Trace, VmTrace, OsFamily } from '../../trace/trace.js'
import type { HostSettings, VmSettings } from '../../spec/settings.js'
import { emptyImportReport } from '../../trace/import-report.js'

export interface VmSpecLite {
  readonly id: string
  /** MiB per tick; NaN or undefined entries mean off. */
  readonly demand: ReadonlyArray<number>
  readonly configured: number | ReadonlyArray<number>
  readonly image?: string
  readonly os?: OsFamily
  /** Recorded touched memory (MiB per tick), and disk reads / writes (MiB/s per tick), if any. */
  readonly touched?: ReadonlyArray<number>
  readonly diskRead?: ReadonlyArray<number>
  readonly diskWrite?: ReadonlyArray<number>
}

/** A trace of the given VMs on one grid (tick 0 at 2013-08-01 00:00 UTC). */
export const buildTrace = (vms: ReadonlyArray<VmSpecLite>, step = 300, name = 'test'): Trace => {
  const ticks = Math.max(...vms.map((v) => v.demand.length))
  const built: VmTrace[] = vms.map((v) => {
    const demand = new Float32Array(ticks)
    const configured = new Float32Array(ticks)
    const on = new Uint8Array(ticks)
    const column = (xs: ReadonlyArray<number> | undefined): Float32Array | undefined => (xs === undefined ? undefined : new Float32Array(ticks))
    const touched = column(v.touched)
    const diskRead = column(v.diskRead)
    const diskWrite = column(v.diskWrite)
    let first = ticks
    let end = 0
    for (let t = 0; t < ticks; t++) {
      const d = v.demand[t]
      if (d === undefined || Number.isNaN(d)) continue
      on[t] = 1
      demand[t] = d
      if (touched) touched[t] = v.touched![t] ?? 0
      if (diskRead) diskRead[t] = v.diskRead![t] ?? 0
      if (diskWrite) diskWrite[t] = v.diskWrite![t] ?? 0
      configured[t] = typeof v.configured === 'number' ? v.configured : v.configured[t]
      first = Math.min(first, t)
      end = t + 1
    }
    return { id: v.id, image: v.image, os: v.os, demand, configured, touched, diskRead, diskWrite, on, firstTick: Math.min(first, end), endTick: end }
  })
  return {
    name,
    start: 1_375_315_200,
    step,
    ticks,
    vms: built,
    report: emptyImportReport(name, vms.length, 1_375_315_200, step, ticks),
  }
}

export const hostOf = (physicalMiB: number, reserveMiB = 0, vmOverheadMiB = 0): HostSettings => ({ physicalMiB, reserveMiB, vmOverheadMiB })

/** Settings with the documented trace-derived defaults, for a VM of configured size C. */
export const settingsOf = (id: string, C: number, over: Partial<VmSettings> = {}): VmSettings => {
  const startup = Math.min(C, 1024)
  return {
    id,
    image: id,
    os: 'linux',
    content: { intraVm: 0.05, image: 0.3 },
    staticMiB: C,
    startupMiB: startup,
    minimumMiB: Math.min(startup, 512),
    maximumMiB: C,
    bufferPercent: 20,
    weight: 5000,
    reservationMiB: 0,
    limitMiB: C,
    shares: 10 * C,
    ...over,
  }
}

/**
 * The in-memory form of a trace: what the replay engine folds over.
 *
 * Columnar: per VM, typed arrays over one common time grid (tick t covers
 * [start + t*step, start + (t+1)*step)). A 500-VM month at 5 minutes is 500 x 8640 ticks; each
 * Float32Array column is 35 KB per VM, 17 MB per column for the fleet, and ten times that still
 * fits comfortably. Per-VM arrays (rather than one tick-major matrix) let a placement hand a host
 * a subset of the fleet without copying a byte.
 *
 * Sizes are MiB, times are Unix seconds. Values at ticks where the VM is off are 0.
 */
import type { ImportReport } from './import-report.js'

export type OsFamily = 'windows' | 'linux'

export interface VmTrace {
  /** The VM's name in the trace (Bitbrains: its file name without extension). */
  readonly id: string
  /** Image / template label for page sharing (VMs of one image have identical pages), if known. */
  readonly image: string | undefined
  /** Guest OS family, if known: decides how the guest touches memory (see engine/touched). */
  readonly os: OsFamily | undefined
  /** Working set (demand), MiB, per tick; 0 where off. */
  readonly demand: Float32Array
  /** Configured (provisioned) memory, MiB, per tick; a series because real traces change it. */
  readonly configured: Float32Array
  /** Touched memory, MiB, per tick, when the trace records it (rare); otherwise undefined and modelled. */
  readonly touched: Float32Array | undefined
  /**
   * Disk read and write throughput, MiB per second (1 MiB = 1024 KiB), the tick's average, per tick,
   * when the trace records it (Bitbrains does, in every file: "Disk read/write throughput [KB/s]");
   * otherwise undefined. 0 where off. What the guest read from / wrote to its virtual disks, so the
   * rate its page cache can grow at (DOMAIN.md section 6).
   */
  readonly diskRead: Float32Array | undefined
  readonly diskWrite: Float32Array | undefined
  /** 1 where the VM is running at tick t, 0 where it is off (before its start, after its stop, in off periods). */
  readonly on: Uint8Array
  /** First tick the VM is on (inclusive) and last tick + 1; firstTick === endTick for a VM never on. */
  readonly firstTick: number
  readonly endTick: number
}

export interface Trace {
  /** A name for reports: the folder or file it came from, or the generator and its seed. */
  readonly name: string
  /** Unix seconds at the start of tick 0. */
  readonly start: number
  /** Seconds per tick. */
  readonly step: number
  /** Number of ticks on the grid. */
  readonly ticks: number
  readonly vms: ReadonlyArray<VmTrace>
  /** What the importer read, and what it repaired. */
  readonly report: ImportReport
}

/** Peak configured memory of a VM over its lifetime (0 for a VM never on). */
export const peakConfigured = (vm: VmTrace): number => {
  let peak = 0
  for (let t = vm.firstTick; t < vm.endTick; t++) if (vm.configured[t] > peak) peak = vm.configured[t]
  return peak
}

/** The same trace restricted to some of its VMs (no copying: columns are shared). */
export const selectVms = (trace: Trace, keep: (vm: VmTrace, index: number) => boolean): Trace => ({
  ...trace,
  vms: trace.vms.filter(keep),
})

/**
 * The import report: what an importer read and every repair it made, by kind, per VM and in total.
 * Nothing is repaired silently: each repair kind here is counted where it happens.
 */

/** Kinds of repair an importer makes to defects that real traces have. */
export const REPAIR_KINDS = [
  'repeatedTimestamp', // a row whose timestamp equals an earlier row's (dropped; the first is kept)
  'outOfOrderTimestamp', // a row whose timestamp is earlier than the row before it (sorted into place)
  'tickCollision', // two distinct timestamps falling on one grid tick (the later one kept)
  'allZeroRow', // a row of all zeros: the VM was off at that time
  'zeroCapacity', // memory capacity provisioned is 0 while usage is not: capacity held from the last good row
  'usageAboveCapacity', // usage above provisioned capacity: usage clamped to capacity
  'gapHeld', // ticks inside a short gap (<= maxGap) filled by holding the last value
  'gapOff', // ticks inside a long gap (> maxGap) counted as off
  'capacityChange', // provisioned capacity changed mid-trace (kept as a series; counted per change)
  'lateStart', // the VM's first sample comes after the trace's start (counted once per VM)
  'earlyStop', // the VM's last sample comes before the trace's end (counted once per VM)
  'repeatedHeader', // a header line repeated in mid-file (skipped)
] as const

export type RepairKind = (typeof REPAIR_KINDS)[number]

export type RepairCounts = Readonly<Record<RepairKind, number>>

/** VMs with each optional column recorded. */
export interface RecordedCounts {
  readonly touched: number
  readonly diskRead: number
  readonly diskWrite: number
}

/** Count the VMs that have each optional column. */
export const recordedCounts = (
  vms: ReadonlyArray<{ readonly touched: unknown; readonly diskRead: unknown; readonly diskWrite: unknown }>,
): RecordedCounts => ({
  touched: vms.filter((v) => v.touched !== undefined).length,
  diskRead: vms.filter((v) => v.diskRead !== undefined).length,
  diskWrite: vms.filter((v) => v.diskWrite !== undefined).length,
})

export const emptyRepairCounts = (): Record<RepairKind, number> =>
  Object.fromEntries(REPAIR_KINDS.map((k) => [k, 0])) as Record<RepairKind, number>

export interface VmImportReport {
  readonly id: string
  /** Source file of this VM (Bitbrains) or of the whole trace (canonical, mapped). */
  readonly source: string
  readonly rows: number
  readonly firstTime: number
  readonly lastTime: number
  readonly repairs: RepairCounts
}

export interface ImportReport {
  readonly format: 'bitbrains' | 'canonical' | 'mapped' | 'synthetic'
  readonly source: string
  readonly vms: number
  /** Unix seconds of the first and the last sample of any VM. */
  readonly firstTime: number
  readonly lastTime: number
  readonly step: number
  readonly ticks: number
  /** Data rows read (header lines excluded). */
  readonly rows: number
  /** Longest gap held by repeating the last value, seconds (the importer's setting). */
  readonly maxGapSeconds: number
  readonly repairs: RepairCounts
  readonly perVm: ReadonlyArray<VmImportReport>
  /**
   * How many VMs have each optional column recorded (touched memory, disk read and write throughput):
   * a reader sees that a column was read, not only that the format can carry it. Absent on a report
   * made in memory without counting them.
   */
  readonly recorded?: RecordedCounts
  /** Named accounts of lines skipped, e.g. "x.csv line 120: a repeated header line, skipped" (importers only). */
  readonly notes?: ReadonlyArray<string>
}

/** The report of a trace made in memory (hand-built or generated without reading rows): no repairs. */
export const emptyImportReport = (source: string, vms: number, start: number, step: number, ticks: number): ImportReport => ({
  format: 'synthetic',
  source,
  vms,
  firstTime: start,
  lastTime: start + (ticks - 1) * step,
  step,
  ticks,
  rows: 0,
  maxGapSeconds: 0,
  repairs: emptyRepairCounts(),
  perVm: [],
})

/**
 * The Bitbrains GWA-T-12 format: one file per VM (the VM id is the file name), a header line, rows
 * separated by ";" and a tab. "Timestamp [ms]" holds Unix seconds despite its name; memory is KiB.
 * Demand is "Memory usage [KB]" (the active working set), configured is "Memory capacity provisioned [KB]".
 */
import type { ColumnMap } from './column-map.js'

export const BITBRAINS_TIME = 'Timestamp [ms]'
export const BITBRAINS_DEMAND = 'Memory usage [KB]'
export const BITBRAINS_CONFIGURED = 'Memory capacity provisioned [KB]'
/** KB/s meaning KiB/s, as the memory columns' KB are KiB. */
export const BITBRAINS_DISK_READ = 'Disk read throughput [KB/s]'
export const BITBRAINS_DISK_WRITE = 'Disk write throughput [KB/s]'

/**
 * A header is Bitbrains' when it names any of its three columns we read: a file missing one of them is
 * still recognised, so that the error names the missing column rather than "unknown format".
 */
export const isBitbrainsHeader = (names: ReadonlyArray<string>): boolean =>
  names.includes(BITBRAINS_TIME) || names.includes(BITBRAINS_DEMAND) || names.includes(BITBRAINS_CONFIGURED)

/** No vm column: each file is one VM. */
export const BITBRAINS_MAP: ColumnMap = {
  time: { column: BITBRAINS_TIME, unit: 's' },
  demand: { column: BITBRAINS_DEMAND, unit: 'KiB' },
  configured: { column: BITBRAINS_CONFIGURED, unit: 'KiB' },
}

/**
 * The map for one Bitbrains header: the memory columns, and the disk columns when the header has them.
 * Every published file has them; a file cut down to the memory columns is still read (with no disk
 * throughput for its VM) rather than refused, as the disk columns are optional in the other formats too.
 */
export const bitbrainsColumnMap = (names: ReadonlyArray<string>): ColumnMap => ({
  ...BITBRAINS_MAP,
  ...(names.includes(BITBRAINS_DISK_READ) ? { disk_read: { column: BITBRAINS_DISK_READ, unit: 'KiB' } } : {}),
  ...(names.includes(BITBRAINS_DISK_WRITE) ? { disk_write: { column: BITBRAINS_DISK_WRITE, unit: 'KiB' } } : {}),
})

/** The VM id of a per-VM file: its name without .csv / .csv.gz (or any other extension). */
export const vmIdFromFile = (fileName: string): string =>
  fileName.replace(/\.gz$/i, '').replace(/\.(csv|tsv|txt)$/i, '')

/**
 * What an import accepts at most, so that a bounded input takes bounded memory and time and a slip
 * (milliseconds read as seconds, a unit off by 1024^3, one row three thousand years after the rest, a
 * gzip bomb) is an error naming where it is, never a hang, a crash or a grid of a billion ticks.
 *
 * The defaults are well above real fleets (a 500-VM month at 5 minutes is 4.3 M rows and 8,640
 * ticks; the whole public Bitbrains trace, 1,750 VMs, is 15 M rows a month). The ones a large real
 * trace could reach can be raised per run through ImportOptions or the environment:
 *
 *   MEMREPLAY_MAX_TICKS, MEMREPLAY_MAX_VM_TICKS, MEMREPLAY_MAX_ROWS, MEMREPLAY_MAX_FILE_BYTES
 *
 * (e.g. `MEMREPLAY_MAX_ROWS=100000000 npm run validate -- big/`). The value ranges below are not
 * settings: they are what the quantities can physically be.
 */
import { MAX_VM_MIB, MIB_PER_TIB } from '../units.js'

/** Ticks on the grid: 10 M is 95 years at 5 minutes, 115 days at 1 s. */
export const DEFAULT_MAX_TICKS = 10_000_000
/**
 * VMs x ticks: each costs at least 9 bytes (demand and configured float32, on), so 250 M is about
 * 2.3 GB, a year of 2,400 VMs at 5 minutes.
 */
export const DEFAULT_MAX_VM_TICKS = 250_000_000
/** Data rows in one import: 30 M is two months of the whole Bitbrains trace; a row holds 24-40 bytes while read. */
export const DEFAULT_MAX_ROWS = 30_000_000
/** Text bytes of one file after gunzip: 16 GiB, a hundred times a 500-VM month of canonical CSV. */
export const DEFAULT_MAX_FILE_BYTES = 16 * 2 ** 30
/**
 * Characters in one record (line): 1 Mi, where trace lines are a few hundred. An endless line, or a
 * quote never closed, stops here instead of growing one string without end. Not a setting.
 */
export const MAX_RECORD_CHARS = 1 << 20

/** A size (demand, configured, touched) above this is an error: 24 TiB, the most vSphere 8 gives one VM (units.ts). */
export const MAX_SIZE_MIB = MAX_VM_MIB
/** A disk throughput above 1 TiB/s is an error: far beyond any virtual disk (NVMe arrays give tens of GiB/s). */
export const MAX_THROUGHPUT_MIBPS = MIB_PER_TIB
/**
 * Unix times at or after 2200-01-01 are errors: a trace of the future is a unit slip, usually
 * milliseconds (2013 in ms is 1.4e12, read as seconds the year 45,000).
 */
export const MAX_TIME_SECONDS = 7_258_118_400

export interface ImportLimits {
  readonly maxTicks: number
  readonly maxVmTicks: number
  readonly maxRows: number
  readonly maxFileBytes: number
}

export const DEFAULT_LIMITS: ImportLimits = {
  maxTicks: DEFAULT_MAX_TICKS,
  maxVmTicks: DEFAULT_MAX_VM_TICKS,
  maxRows: DEFAULT_MAX_ROWS,
  maxFileBytes: DEFAULT_MAX_FILE_BYTES,
}

/** The environment variable that raises each limit (named in the errors). */
export const LIMIT_ENV: Readonly<Record<keyof ImportLimits, string>> = {
  maxTicks: 'MEMREPLAY_MAX_TICKS',
  maxVmTicks: 'MEMREPLAY_MAX_VM_TICKS',
  maxRows: 'MEMREPLAY_MAX_ROWS',
  maxFileBytes: 'MEMREPLAY_MAX_FILE_BYTES',
}

/** "10,000,000": limits are read by people. */
export const grouped = (n: number): string => n.toLocaleString('en-US')

/** How to raise a limit, for the end of an error. */
export const raiseHint = (k: keyof ImportLimits): string => `(a limit: ${LIMIT_ENV[k]} raises it)`

/**
 * Memory sizes. Inside memreplay every size is a plain number of MiB (binary: 1 MiB = 1024 KiB);
 * this module is the one place that converts to and from what people write ("64GiB", "512MiB").
 *
 * SIZE_UNITS is the one list of units a size may be written in: errors and the README list exactly
 * it. Units match regardless of case ("gib", "GB"). Decimal units (KB, MB, GB, TB) are read as their
 * binary namesakes, because that is what hypervisor vendors and the Bitbrains trace mean by them
 * (Bitbrains "KB" = KiB; Hyper-V "MB" = MiB). Bare letters ("128G") are not units: "G" could be read
 * as GiB or GB, and the list stays short enough to print in every error.
 */
import * as E from 'fp-ts/lib/Either.js'

export type MiB = number

export const KIB_PER_MIB = 1024
export const MIB_PER_GIB = 1024
export const MIB_PER_TIB = 1024 * 1024

/**
 * The largest host memory memreplay accepts: 64 TiB. The largest x86 servers sold take 32-48 TiB
 * (e.g. HPE Superdome Flex, 48 TiB), so anything above is a typo or a unit slip (1e305 TiB would be
 * Infinity in every metric).
 */
export const MAX_HOST_MIB: MiB = 64 * MIB_PER_TIB
/** The largest VM memory memreplay accepts: 24 TiB, the most vSphere 8 gives one VM. */
export const MAX_VM_MIB: MiB = 24 * MIB_PER_TIB

/** The accepted units, as written in messages, and their multipliers to MiB. */
export const SIZE_UNITS: ReadonlyArray<readonly [unit: string, mib: number]> = [
  ['B', 1 / (1024 * 1024)],
  ['KiB', 1 / 1024],
  ['MiB', 1],
  ['GiB', MIB_PER_GIB],
  ['TiB', MIB_PER_TIB],
  ['KB', 1 / 1024],
  ['MB', 1],
  ['GB', MIB_PER_GIB],
  ['TB', MIB_PER_TIB],
]

export const UNITS: ReadonlyArray<string> = SIZE_UNITS.map(([u]) => u)

/** The list as a sentence fragment, the same in every message. */
export const UNITS_TEXT = `${UNITS.join(', ')}, in any case`

/** Keyed by the lower-cased unit; a Map, so "constructor" or "__proto__" is no unit. */
const UNIT_TO_MIB: ReadonlyMap<string, number> = new Map(SIZE_UNITS.map(([u, m]) => [u.toLowerCase(), m]))

/** Multiplier from a unit name to MiB, or undefined for a unit we do not know. */
export const unitToMiB = (unit: string): number | undefined => UNIT_TO_MIB.get(unit.trim().toLowerCase())

// Plain decimal notation only: no sign, no 0x/0b/0o prefix, no leading or trailing dot.
const SIZE_RE = /^\s*([0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z]*)\s*$/

/** Why `input` is not a number as sizes are written, for the forms people try (a sign, hex, binary). */
const notDecimal = (input: string): string | undefined => {
  const s = input.trim()
  if (/^-/.test(s)) return `a size cannot be negative, found "${input}"`
  if (/^\+/.test(s)) return `a size is written without a sign, found "${input}"`
  if (/^0[xXbBoO]/.test(s)) return `a size is a decimal number, found "${input}" (hex, binary and octal are not read)`
  return undefined
}

/** "128GiB" for a unit people meant ("128G", "128gig", "128Gi"), or undefined. */
const suggestUnit = (value: string, unit: string): string | undefined => {
  const first = unit.slice(0, 1).toUpperCase()
  return ['K', 'M', 'G', 'T'].includes(first) ? `${value}${first}iB` : undefined
}

/**
 * Parse a size such as "64GiB", "512 MiB", "1.5GB", or a bare number taken in `defaultUnit`
 * (JSON specs: plain numbers are MiB). Sizes are non-negative and at most `max` MiB (default
 * MAX_HOST_MIB, above any memory a single machine has). Fails with a sentence naming what was found.
 */
export const parseSize = (input: string | number, defaultUnit = 'MiB', max: MiB = MAX_HOST_MIB): E.Either<string, MiB> => {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) return E.left(`expected a non-negative size, found ${input}`)
    return bounded(input * (unitToMiB(defaultUnit) ?? 1), String(input), max)
  }
  const why = notDecimal(input)
  if (why !== undefined) return E.left(why)
  const m = SIZE_RE.exec(input)
  if (m === null) return E.left(`expected a size such as "64GiB" or "512MiB", found "${input}"`)
  const unit = m[2] === '' ? defaultUnit : m[2]
  const mult = unitToMiB(unit)
  if (mult === undefined) {
    const hint = suggestUnit(m[1], unit)
    return E.left(`unknown unit "${unit}" in "${input}" (known: ${UNITS_TEXT}${hint === undefined ? '' : `; did you mean "${hint}"?`})`)
  }
  return bounded(Number(m[1]) * mult, `"${input}"`, max)
}

/**
 * A size as given on the command line: the unit is required, since a bare "128" has been read as
 * 128 MiB by people who meant 128 GiB.
 */
export const parseSizeArg = (input: string, max: MiB = MAX_HOST_MIB): E.Either<string, MiB> => {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*$/.exec(input)
  if (m !== null) return E.left(`a size needs a unit, found "${input}" (did you mean "${m[1]}GiB"? units: ${UNITS_TEXT})`)
  return parseSize(input, 'MiB', max)
}

const bounded = (mib: number, shown: string, max: MiB): E.Either<string, MiB> =>
  !Number.isFinite(mib) || mib > max ? E.left(`a size must be at most ${formatLimit(max)}, found ${shown}`) : E.right(mib)

/** A limit in whole TiB where it is one ("64 TiB", not "65536 GiB"). */
export const formatLimit = (mib: MiB): string =>
  mib >= MIB_PER_TIB && Number.isInteger(mib / MIB_PER_TIB) ? `${mib / MIB_PER_TIB} TiB` : formatSize(mib)

export const gib = (n: number): MiB => n * MIB_PER_GIB
export const toGiB = (mib: MiB): number => mib / MIB_PER_GIB

/** A size for people to read: "1.5 GiB", "512 MiB". */
export const formatSize = (mib: MiB): string =>
  Math.abs(mib) >= MIB_PER_GIB ? `${round(mib / MIB_PER_GIB, 2)} GiB` : `${round(mib, 1)} MiB`

const round = (x: number, digits: number): number => {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

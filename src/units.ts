/**
 * Memory sizes. Inside memreplay every size is a plain number of MiB (binary: 1 MiB = 1024 KiB);
 * this module is the one place that converts to and from what people write ("64GiB", "512MiB").
 *
 * Decimal units (KB, MB, GB, TB) are read as their binary namesakes, because that is what
 * hypervisor vendors and the Bitbrains trace mean by them (Bitbrains "KB" = KiB; Hyper-V "MB" = MiB).
 */
import * as E from 'fp-ts/lib/Either.js'

export type MiB = number

export const KIB_PER_MIB = 1024
export const MIB_PER_GIB = 1024

/** Multipliers to MiB, keyed by the lower-cased unit. */
const UNIT_TO_MIB: Readonly<Record<string, number>> = {
  b: 1 / (1024 * 1024),
  byte: 1 / (1024 * 1024),
  bytes: 1 / (1024 * 1024),
  k: 1 / 1024,
  kb: 1 / 1024,
  kib: 1 / 1024,
  m: 1,
  mb: 1,
  mib: 1,
  g: 1024,
  gb: 1024,
  gib: 1024,
  t: 1024 * 1024,
  tb: 1024 * 1024,
  tib: 1024 * 1024,
}

export const UNITS: ReadonlyArray<string> = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'KB', 'MB', 'GB', 'TB']

/** Multiplier from a unit name to MiB, or undefined for a unit we do not know. */
export const unitToMiB = (unit: string): number | undefined => UNIT_TO_MIB[unit.trim().toLowerCase()]

const SIZE_RE = /^\s*([0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z]*)\s*$/

/**
 * Parse a size such as "64GiB", "512 MiB", "1.5GB" or a bare number (taken in `defaultUnit`).
 * Fails with a sentence naming what was found.
 */
export const parseSize = (input: string | number, defaultUnit = 'MiB'): E.Either<string, MiB> => {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) return E.left(`expected a non-negative size, found ${input}`)
    return E.right(input * (unitToMiB(defaultUnit) ?? 1))
  }
  const m = SIZE_RE.exec(input)
  if (m === null) return E.left(`expected a size such as "64GiB" or "512MiB", found "${input}"`)
  const value = Number(m[1])
  const unit = m[2] === '' ? defaultUnit : m[2]
  const mult = unitToMiB(unit)
  if (mult === undefined) return E.left(`unknown unit "${unit}" in "${input}" (known: ${UNITS.join(', ')})`)
  if (!Number.isFinite(value)) return E.left(`expected a finite size, found "${input}"`)
  return E.right(value * mult)
}

export const gib = (n: number): MiB => n * MIB_PER_GIB
export const toGiB = (mib: MiB): number => mib / MIB_PER_GIB

/** A size for people to read: "1.5 GiB", "512 MiB". */
export const formatSize = (mib: MiB): string =>
  Math.abs(mib) >= MIB_PER_GIB ? `${round(mib / MIB_PER_GIB, 2)} GiB` : `${round(mib, 1)} MiB`

const round = (x: number, digits: number): number => {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

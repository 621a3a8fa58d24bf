/**
 * io-ts codecs for the values a spec file holds: sizes ("64GiB", "512MiB", or a plain number of MiB),
 * bounded numbers and fractions. Each failure carries a sentence (see errors.ts), so a user reads
 * "unknown unit "GX" in "2GX"" rather than an io-ts dump.
 */
import * as t from 'io-ts'
import * as E from 'fp-ts/lib/Either.js'
import { formatSize, MAX_HOST_MIB, MAX_VM_MIB, parseSize, type MiB } from '../units.js'

const SIZE_EXPECTED = 'a size such as "64GiB" or "512MiB", or a number of MiB'

/**
 * A size in MiB of at most `max`: decodes "64GiB", "512 MiB", "1.5GB" (decimal units read as binary,
 * see units.ts) or a number of MiB.
 */
export const boundedSize = (max: MiB): t.Type<MiB, string, unknown> =>
  new t.Type<MiB, string, unknown>(
    SIZE_EXPECTED,
    (u): u is MiB => typeof u === 'number' && Number.isFinite(u) && u >= 0 && u <= max,
    (u, c) => {
      if (typeof u === 'number') {
        if (!Number.isFinite(u)) return t.failure(u, c, `expected ${SIZE_EXPECTED}, found ${u}`)
        if (u < 0) return t.failure(u, c, `a size cannot be negative, found ${u}`)
      } else if (typeof u !== 'string') return t.failure(u, c)
      const parsed = parseSize(u, 'MiB', max)
      return E.isRight(parsed) ? t.success(parsed.right) : t.failure(u, c, parsed.left)
    },
    (mib) => formatSize(mib).replace(' ', ''),
  )

/** Any size in a spec: at most MAX_HOST_MIB (no machine has more). */
export const Size = boundedSize(MAX_HOST_MIB)

/** A VM's size (its settings in a fleet spec): at most MAX_VM_MIB. */
export const VmSize = boundedSize(MAX_VM_MIB)

/** A finite number in [lo, hi]; `what` names it in the failure ("a buffer percent"). */
export const boundedNumber = (lo: number, hi: number, what: string): t.Type<number, number, unknown> =>
  new t.Type<number, number, unknown>(
    `${what} in ${lo}..${hi}`,
    (u): u is number => typeof u === 'number' && u >= lo && u <= hi,
    (u, c) => {
      if (typeof u !== 'number' || !Number.isFinite(u)) return t.failure(u, c)
      if (u < lo || u > hi) return t.failure(u, c, `expected ${what} in ${lo}..${hi}, found ${u}`)
      return t.success(u)
    },
    (n) => n,
  )

/** A fraction in [0, 1]. */
export const Fraction = boundedNumber(0, 1, 'a fraction')

/** A non-empty label (image names, patterns). */
export const Label = new t.Type<string, string, unknown>(
  'a non-empty string',
  (u): u is string => typeof u === 'string' && u.trim() !== '',
  (u, c) => (typeof u === 'string' && u.trim() !== '' ? t.success(u) : t.failure(u, c)),
  (s) => s,
)

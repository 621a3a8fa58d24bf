/**
 * Field parsers for the hot loop: plain numbers out, NaN for "not a value here" (the caller turns
 * that into a TraceError with the line and column), so that a good row allocates nothing.
 */
import type { TimeUnit } from '../column-map.js'

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15]

/**
 * Plain decimal notation, what traces and exports write: digits with an optional fraction and
 * exponent, spaces around. Number() also reads "0x10", "0b11", "0o7", "+5", "Infinity" and "  ": a
 * field holding those is a slip (or a different column) and is refused, not read as 16, 3, 7 or 5.
 */
const DECIMAL = /^\s*(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/

/**
 * A finite non-negative number in plain decimal notation, or NaN (an empty field is not a zero).
 *
 * Fast path for what traces hold (digits with at most one "."; 15 characters at most): the digits as
 * an integer m < 10^15 < 2^53 (exact) over an exact power of ten, one correctly rounded division, so
 * exactly the double that Number(s) gives. Anything else (exponents, spaces, longer) is checked
 * against DECIMAL and read by Number.
 */
export const nonNegative = (s: string): number => {
  const n = s.length
  if (n > 0 && n <= 15) {
    let m = 0
    let frac = -1
    let i = 0
    for (; i < n; i++) {
      const c = s.charCodeAt(i)
      if (c >= 48 && c <= 57) {
        m = m * 10 + (c - 48)
        if (frac >= 0) frac++
      } else if (c === 46 && frac < 0) frac = 0
      else break
    }
    if (i === n && (frac < 0 || n > 1)) return frac <= 0 ? m : m / POW10[frac]
  }
  if (!DECIMAL.test(s)) return NaN
  const v = +s
  return v === Infinity ? NaN : v
}

// ISO-8601 date-time; a space for the T is accepted (spreadsheet exports write it so).
const ISO_RE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/

/** ISO-8601 text to Unix seconds; without an offset it is UTC (never the machine's local time). */
export const isoSeconds = (s: string): number => {
  const v = s.trim()
  const m = ISO_RE.exec(v)
  if (m === null) return NaN
  let text = v.replace(' ', 'T').replace(',', '.')
  if (m[1] === undefined) text += text.length === 10 ? 'T00:00:00Z' : 'Z'
  else if (/^[+-]\d{2}$/.test(m[1])) text += ':00'
  else if (/^[+-]\d{4}$/.test(m[1])) text = text.slice(0, -2) + ':' + text.slice(-2)
  const ms = Date.parse(text)
  return Number.isNaN(ms) ? NaN : ms / 1000
}

const TIME_DIVISOR: Readonly<Record<TimeUnit, number>> = { s: 1, ms: 1e3, us: 1e6, ns: 1e9, iso: 1, auto: 1 }

/** A time field to Unix seconds, or NaN. */
export const timeSeconds = (s: string, unit: TimeUnit): number => {
  if (unit === 'iso') return isoSeconds(s)
  const v = nonNegative(s)
  if (unit === 'auto' && Number.isNaN(v)) return isoSeconds(s)
  return v / TIME_DIVISOR[unit]
}

export const describeTimeUnit = (unit: TimeUnit): string =>
  unit === 'iso'
    ? 'an ISO-8601 time such as "2013-08-01T12:00:00Z"'
    : unit === 'auto'
      ? 'a time (Unix seconds or ISO-8601)'
      : `a non-negative Unix time in ${{ s: 'seconds', ms: 'milliseconds', us: 'microseconds', ns: 'nanoseconds' }[unit]}`

/** Guest OS family from what exports write ("Microsoft Windows Server 2012 (64-bit)", "linux", "Ubuntu"). */
export const osFamily = (s: string): 'windows' | 'linux' | undefined | null => {
  const v = s.trim().toLowerCase()
  if (v === '') return undefined
  if (v.includes('windows')) return 'windows'
  if (/linux|ubuntu|debian|centos|red ?hat|rhel|suse|fedora|rocky|alma|oracle/.test(v)) return 'linux'
  return null
}

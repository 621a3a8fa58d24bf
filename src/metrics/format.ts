/**
 * Deterministic number formatting for CSV and tables: fixed decimals, '.' as the decimal point, no
 * grouping, no locale, no exponent below 1e21. Negative zero and values that round to zero print
 * without a sign. NaN prints as the empty string (a missing value to spreadsheets and pandas),
 * infinities as "inf" / "-inf".
 */
export const formatFixed = (x: number, decimals: number): string => {
  if (Number.isNaN(x)) return ''
  if (x === Infinity) return 'inf'
  if (x === -Infinity) return '-inf'
  const s = x.toFixed(decimals)
  // only a negative that rounds to zero ("-0", "-0.000") loses its sign: the test is skipped for the rest (a CSV calls this 10^5 times)
  return s.charCodeAt(0) === 45 && /^-0(\.0*)?$/.test(s) ? s.slice(1) : s
}

/** A number as a spreadsheet reads it: sign, digits, decimals, exponent. */
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/

/**
 * A text field for a CSV that people open in spreadsheets. Names come from the user's traces and
 * specs, and a spreadsheet runs a field that starts with =, +, -, @, tab or CR as a formula
 * (`=cmd|' /C calc'!A0`): such a field is prefixed with a single quote and quoted, as OWASP advises
 * for CSV exports, unless it is a plain number ("-5" is a number, not a formula). Otherwise quoted
 * (RFC 4180) if it holds a comma, quote, CR or LF, or leading/trailing spaces.
 */
export const csvField = (s: string): string => {
  if (/^[=+\-@\t\r]/.test(s) && !NUMBER.test(s)) return `"'${s.replace(/"/g, '""')}"`
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s
}

/** Lines joined with '\n', ending with one. */
export const csvText = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string =>
  [header, ...rows].map((r) => r.join(',')).join('\n') + '\n'

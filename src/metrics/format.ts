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
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s
}

/** Quote a CSV field (RFC 4180) if it holds a comma, quote, CR or LF, or leading/trailing spaces. */
export const csvField = (s: string): string =>
  /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s

/** Lines joined with '\n', ending with one. */
export const csvText = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string =>
  [header, ...rows].map((r) => r.join(',')).join('\n') + '\n'

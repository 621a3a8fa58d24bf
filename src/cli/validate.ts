/**
 * `memreplay validate <trace>`: import a trace and print what was read and repaired (exit 0), or the
 * structural errors that make it unusable (exit 1).
 */
import type { Command } from 'commander'
import * as E from 'fp-ts/lib/Either.js'
import type { ColumnMap } from '../trace/column-map.js'
import { type TraceError, formatTraceErrors, traceError } from '../trace/errors.js'
import { DEFAULT_MAX_ERRORS, DEFAULT_MAX_GAP_SECONDS, formatImportReport, type TraceFormat } from '../trace/import.js'
import { loadColumnMap, separatorArg, traceOptions } from './trace-options.js'
import { importTraceCached } from '../trace/cache.js'

const FORMATS: ReadonlyArray<TraceFormat> = ['bitbrains', 'canonical', 'mapped']

interface ValidateFlags {
  readonly format?: string
  readonly map?: string
  readonly maxGap?: string
  readonly separator?: string
  readonly maxErrors?: string
  readonly cache?: boolean
}

/** The whole command as a function of its arguments: text to print and an exit code. */
export const runValidate = async (path: string, flags: ValidateFlags): Promise<{ out: string; code: 0 | 1 }> => {
  const fail = (errors: ReadonlyArray<TraceError>, max?: number) => ({ out: formatTraceErrors(errors, max), code: 1 as const })
  if (flags.format !== undefined && !FORMATS.includes(flags.format as TraceFormat))
    return fail([traceError('--format', undefined, undefined, FORMATS.join(', '), JSON.stringify(flags.format))])
  const maxGapSeconds = flags.maxGap === undefined ? DEFAULT_MAX_GAP_SECONDS : Number(flags.maxGap)
  if (!(maxGapSeconds >= 0) || !Number.isFinite(maxGapSeconds))
    return fail([traceError('--max-gap', undefined, undefined, 'a non-negative number of seconds', JSON.stringify(flags.maxGap))])
  const maxErrors = flags.maxErrors === undefined ? DEFAULT_MAX_ERRORS : Number(flags.maxErrors)
  if (!Number.isInteger(maxErrors) || maxErrors < 1)
    return fail([traceError('--max-errors', undefined, undefined, 'a whole number of at least 1', JSON.stringify(flags.maxErrors))])
  let map: ColumnMap | undefined
  let separator = flags.separator === undefined ? undefined : separatorArg(flags.separator)
  if (flags.map !== undefined) {
    const loaded = await loadColumnMap(flags.map)
    if (E.isLeft(loaded)) return fail(loaded.left)
    map = loaded.right.map
    separator = separator ?? loaded.right.separator
  }
  const result = await importTraceCached(path, {
    format: flags.format as TraceFormat | undefined,
    map,
    maxGapSeconds,
    maxErrors,
    separator,
  }, flags.cache === false ? { enabled: false } : {})
  return E.isLeft(result) ? fail(result.left, maxErrors) : { out: formatImportReport(result.right.report), code: 0 }
}

export const registerValidate = (program: Command): void => {
  traceOptions(
    program
      .command('validate <trace>')
      .description('import a trace (Bitbrains folder or file, canonical CSV, or any CSV with --map) and print what was read and repaired'),
  )
    .option('--max-errors <n>', `stop after this many errors (default ${DEFAULT_MAX_ERRORS})`)
    .action(async (trace: string, flags: ValidateFlags) => {
      const { out, code } = await runValidate(trace, flags)
      ;(code === 0 ? process.stdout : process.stderr).write(out + '\n')
      process.exitCode = code
    })
}

/**
 * How a command reads a trace: the options every trace-reading command shares, and what they mean.
 */
import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import * as E from 'fp-ts/lib/Either.js'
import { type ColumnMap, decodeColumnMapJson, parseColumnMap } from '../trace/column-map.js'
import { type TraceError, traceError } from '../trace/errors.js'
import { DEFAULT_MAX_GAP_SECONDS } from '../trace/import.js'

/** How the trace is read: format, column map, separator, gaps, cache. */
export const traceOptions = (cmd: Command): Command =>
  cmd
    .option('--format <format>', 'trace format: bitbrains, canonical or mapped (default: detected from the header)')
    .option('--map <map>', 'column map for other CSVs, e.g. "time=ts:ms, vm=name, demand=mem_used_kb:KiB, configured=mem_total:GiB", or a JSON file')
    .option('--separator <sep>', 'field separator: "," ";" or tab (default: detected)')
    .option('--max-gap <seconds>', `longest gap held at the last value, seconds (default ${DEFAULT_MAX_GAP_SECONDS}); longer counts as off`)
    .option('--no-cache', 'parse the trace, neither reading nor writing the trace cache (.cache/traces; also MEMREPLAY_NO_CACHE=1)')

/** "tab" and "\t" as typed on a command line mean a tab character. */
export const separatorArg = (s: string): string => (s === 'tab' || s === '\\t' ? '\t' : s)

/** --map is a mapping string, or the path of a JSON file holding one (when it names no "=" it is a path). */
export const loadColumnMap = async (
  arg: string,
): Promise<E.Either<ReadonlyArray<TraceError>, { map: ColumnMap; separator: string | undefined }>> => {
  if (arg.includes('=')) return E.map((map: ColumnMap) => ({ map, separator: undefined }))(parseColumnMap(arg))
  let text: string
  try {
    text = await readFile(arg, 'utf8')
  } catch (err) {
    return E.left([traceError(arg, undefined, undefined, 'a column map ("time=ts, demand=used:KiB, ...") or a JSON file', `no readable file (${(err as Error).message})`)])
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    return E.left([traceError(arg, undefined, undefined, 'JSON', `text that is not JSON (${(err as Error).message})`)])
  }
  return decodeColumnMapJson(json, arg)
}


/**
 * Reading what every command needs (trace, host, fleet, policies and their params), turning every
 * failure into sentences; the commands print them and exit non-zero before writing anything.
 */
import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import { BUILT_IN_POLICIES } from '../../policies/index.js'
import * as E from 'fp-ts/lib/Either.js'
import { formatTraceErrors, type ImportOptions } from '../trace/import.js'
import { importTraceCached } from '../trace/cache.js'
import { loadColumnMap, separatorArg } from './trace-options.js'
import type { Trace } from '../trace/trace.js'
import { parseHostArg, resolveHost } from '../spec/host.js'
import { loadFleetSpec, resolveFleet } from '../spec/fleet.js'
import { forbiddenKeys } from '../spec/keys.js'
import type { HostSettings, VmSettings } from '../spec/settings.js'
import { decodeParams } from '../engine/params.js'
import { DEFAULT_WORLD, WorldParamsInput, type WorldParams } from '../engine/world.js'
import { depthProblem, guardJsonDepth } from './json-depth.js'

/** A failure for people: each line a sentence. */
export class InputError extends Error {
  constructor(readonly lines: ReadonlyArray<string>) {
    super(lines.join('\n'))
  }
}

const orThrow = <A>(e: E.Either<ReadonlyArray<string> | string, A>): A => {
  if (E.isLeft(e)) throw new InputError(typeof e.left === 'string' ? [e.left] : e.left)
  return e.right
}

export interface TraceOptions {
  readonly format?: string
  readonly map?: string
  readonly maxGap?: string
  readonly separator?: string
  /** False (`--no-cache`): parse the trace, neither reading nor writing the trace cache. */
  readonly cache?: boolean
}

export const readTrace = async (path: string, o: TraceOptions = {}): Promise<Trace> => {
  let map: ImportOptions['map']
  let separator = o.separator === undefined ? undefined : separatorArg(o.separator)
  if (o.map !== undefined) {
    const loaded = await loadColumnMap(o.map)
    if (E.isLeft(loaded)) throw new InputError(formatTraceErrors(loaded.left).split('\n'))
    map = loaded.right.map
    separator = separator ?? loaded.right.separator
  }
  const options: ImportOptions = {
    ...(o.format === undefined ? {} : { format: o.format as ImportOptions['format'] }),
    ...(map === undefined ? {} : { map }),
    ...(separator === undefined ? {} : { separator }),
    ...(o.maxGap === undefined ? {} : { maxGapSeconds: Number(o.maxGap) }),
  }
  const res = await importTraceCached(path, options, o.cache === false ? { enabled: false } : {})
  if (E.isLeft(res)) throw new InputError(formatTraceErrors(res.left).split('\n'))
  return res.right
}

export const readHost = (arg: string): HostSettings => {
  guardJsonDepth([{ option: '--host', arg }])
  return resolveHost(orThrow(parseHostArg(arg)))
}

export const readFleet = (trace: Trace, path: string | undefined): ReadonlyArray<VmSettings> => {
  guardJsonDepth([{ option: '--fleet', arg: path }])
  return orThrow(resolveFleet(trace, path === undefined ? undefined : orThrow(loadFleetSpec(path))))
}

/** Inline JSON or a JSON file, for an option; a failure is a sentence naming the option. */
const readJsonArg = (option: string, arg: string): unknown => {
  let text = arg
  if (!arg.trim().startsWith('{')) {
    try {
      text = readFileSync(arg, 'utf8')
    } catch (err) {
      throw new InputError([`${option}: cannot read "${arg}": ${(err as Error).message}`])
    }
  }
  // Checked before parsing: the key check and the decoders recurse, and a deep enough text would
  // exhaust the stack ("Maximum call stack size exceeded", naming nothing).
  const deep = depthProblem(text === arg ? option : `${option} ${arg}`, text)
  if (deep !== undefined) throw new InputError([deep])
  let json: unknown
  try {
    json = JSON.parse(text) as unknown
  } catch (err) {
    throw new InputError([`${option}: not valid JSON (${(err as Error).message})`])
  }
  // "__proto__" and its kin, at any depth, refused by name before anything indexes with them.
  const forbidden = forbiddenKeys(json, option)
  if (forbidden.length > 0) throw new InputError(forbidden)
  return json
}

/** `--world`: the world model's params (rates, touched memory, slowdown weights and swap device). */
export const readWorldArg = (arg: string | undefined): WorldParams => {
  if (arg === undefined) return DEFAULT_WORLD
  const d = decodeParams(WorldParamsInput, readJsonArg('--world', arg))
  if (E.isLeft(d)) throw new InputError(d.left.map((l) => `--world: ${l}`))
  return d.right
}

/** `--params`: inline JSON or a JSON file, keyed by policy name: {"overcommit": {"salting": false}}. */
export const readParamsArg = (arg: string | undefined): Readonly<Record<string, unknown>> => {
  if (arg === undefined) return {}
  const json = readJsonArg('--params', arg)
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new InputError([`--params: expected an object keyed by policy name, found ${Array.isArray(json) ? 'an array' : typeof json}`])
  return json as Record<string, unknown>
}

/** The policies a command runs: --policies (default: every built-in one unless --policy names modules) and each --policy. */
export const policyNames = (flags: { readonly policies?: string; readonly policy?: ReadonlyArray<string> }): ReadonlyArray<string> => [
  ...(flags.policies === undefined ? (flags.policy?.length ? [] : BUILT_IN_POLICIES.map((p) => p.name)) : splitList(flags.policies)),
  ...(flags.policy ?? []),
]

export const splitList = (s: string): ReadonlyArray<string> =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '')

// ---------------------------------------------------------------------------------------------
// Options every command that replays shares, declared once (the trace's: trace-options.ts).

/** Which policies run, with which params. */
export const policyOptions = (cmd: Command): Command =>
  cmd
    .option('--policies <list>', `comma-separated built-in policies (default: all: ${BUILT_IN_POLICIES.map((p) => p.name).join(',')})`)
    .option('--policy <module>', 'a policy module of your own (.ts or .js); repeatable', (v: string, acc: string[] = []) => [...acc, v])
    .option('--params <json|file>', 'policy params keyed by policy name, e.g. \'{"overcommit":{"salting":false}}\'')
    .option('--world <json|file>', 'world model params: rates, touched memory, slowdown weights, e.g. \'{"slowdown":{"swapDevice":"ssd"}}\' (defaults in src/engine/world.ts)')

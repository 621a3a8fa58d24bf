/**
 * The host spec: what a capacity planner writes about the machine the fleet is replayed on.
 *
 *     { "physical": "256GiB", "reserve": "4GiB", "vmOverhead": "64MiB" }
 *
 * - physical: the host's physical memory (required).
 * - reserve: memory the hypervisor keeps for itself, never given to VMs. Default 0.
 * - vmOverhead: memory the hypervisor spends per running VM (page tables, device state). Default 0.
 * reserve and vmOverhead default to 0 on purpose: they differ by hypervisor, version and VM size, and
 * a guess would silently shift every result; a planner who knows them states them.
 * Sizes are "64GiB"-style strings or plain numbers of MiB. Unknown keys are rejected.
 *
 * On the command line `--host` takes either a bare size (`--host 128GiB`) or a path to such a file.
 */
import * as t from 'io-ts'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { readFileSync } from 'node:fs'
import type { HostSettings } from './settings.js'
import { formatSize, parseSize, type MiB } from '../units.js'
import { decodeWith, parseJsonText, strictObject } from './errors.js'
import { Label, Size } from './size.js'

/** A decoded host spec; defaults already applied (sizes MiB). */
export interface HostSpec {
  readonly physical: MiB
  readonly reserve: MiB
  readonly vmOverhead: MiB
}

export const HOST_DEFAULTS = { reserve: 0, vmOverhead: 0 } as const

const HostSpecJson = strictObject('a host spec', { physical: Size }, { reserve: Size, vmOverhead: Size, description: Label })

/** Decode a host spec from parsed JSON; `source` names it in messages (a file name, "--host"). */
export const decodeHostSpec = (json: unknown, source: string): E.Either<ReadonlyArray<string>, HostSpec> =>
  pipe(
    decodeWith(HostSpecJson, json, source),
    E.map((j) => ({ physical: j.physical, reserve: j.reserve ?? HOST_DEFAULTS.reserve, vmOverhead: j.vmOverhead ?? HOST_DEFAULTS.vmOverhead })),
    E.chain((spec) => {
      const errors = checkHostSpec(spec, source)
      return errors.length === 0 ? E.right(spec) : E.left(errors)
    }),
  )

const checkHostSpec = (spec: HostSpec, source: string): ReadonlyArray<string> => [
  ...(spec.physical <= 0 ? [`${source}: physical must be above 0, found ${formatSize(spec.physical)}`] : []),
  ...(spec.physical > 0 && spec.reserve >= spec.physical
    ? [`${source}: reserve (${formatSize(spec.reserve)}) must be below physical (${formatSize(spec.physical)}), or no VM could run`]
    : []),
]

/** A host spec from a bare size: everything but physical at its default. */
export const hostSpecOfSize = (physical: MiB): HostSpec => ({ physical, ...HOST_DEFAULTS })

/** Parse JSON text of a host spec. */
export const parseHostSpecText = parseJsonText(decodeHostSpec)

/** Reads a file as text; the one impure dependency of `parseHostArg`, injectable for tests. */
export type ReadText = (path: string) => E.Either<string, string>

export const readTextFile: ReadText = (path) =>
  E.tryCatch(
    () => readFileSync(path, 'utf8'),
    (err) => `cannot read host spec "${path}": ${err instanceof Error ? err.message : String(err)}`,
  )

/**
 * `--host` argument: a size ("128GiB", "131072") or a path to a JSON host spec.
 * Something that starts like a number is taken as a size, so "128GX" reports its unknown unit
 * rather than "no such file".
 */
export const parseHostArg = (arg: string, read: ReadText = readTextFile): E.Either<string, HostSpec> => {
  if (/^\s*-?[0-9.]/.test(arg)) {
    return pipe(
      /^\s*-/.test(arg) ? E.left(`a size cannot be negative, found "${arg}"`) : parseSize(arg),
      E.chain((mib) => (mib > 0 ? E.right(hostSpecOfSize(mib)) : E.left(`physical must be above 0, found "${arg}"`))),
      E.mapLeft((msg) => `--host: ${msg}`),
    )
  }
  return pipe(
    read(arg),
    E.chain((text) => pipe(parseHostSpecText(text, arg), E.mapLeft((errors) => errors.join('\n')))),
  )
}

/** The settings the engine reads. */
export const resolveHost = (spec: HostSpec): HostSettings => ({
  physicalMiB: spec.physical,
  reserveMiB: spec.reserve,
  vmOverheadMiB: spec.vmOverhead,
})

// Re-exported for callers that only want the codec (documentation generators, tests).
export { HostSpecJson }
export type HostSpecJsonType = t.TypeOf<typeof HostSpecJson>

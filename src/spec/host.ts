/**
 * The host spec: what a capacity planner writes about the machine the fleet is replayed on.
 *
 *     { "physical": "256GiB", "reserve": "4GiB", "vmOverhead": "64MiB" }
 *
 * - physical: the host's physical memory (required).
 * - reserve: memory the hypervisor keeps for itself, never given to VMs. Default 2 GiB.
 * - vmOverhead: memory the hypervisor spends per running VM (page tables, device state). Default 64 MiB.
 * The defaults are the bundled sample's figures (traces/sample/host.json), the same whether the host
 * is a bare size (`--host 128GiB`) or a spec that leaves them out: they differ by hypervisor, version
 * and VM size, but 0 and 0 would overstate every host, and a size and a spec of the same machine must
 * not give different answers. A planner who knows the real figures states them in a spec.
 * Sizes are "64GiB"-style strings or plain numbers of MiB (in JSON); physical is at most MAX_HOST_MIB.
 * Unknown keys are rejected.
 *
 * On the command line `--host` takes either a size with its unit (`--host 128GiB`; a bare `128` is
 * refused, as people mean GiB by it) or a path to such a file.
 */
import * as t from 'io-ts'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { readFileSync } from 'node:fs'
import type { HostSettings } from './settings.js'
import { formatSize, MAX_HOST_MIB, parseSizeArg, type MiB } from '../units.js'
import { decodeWith, parseJsonText, strictObject } from './errors.js'
import { Label, Size } from './size.js'

/** A decoded host spec; defaults already applied (sizes MiB). */
export interface HostSpec {
  readonly physical: MiB
  readonly reserve: MiB
  readonly vmOverhead: MiB
}

/** Memory the hypervisor keeps for itself when the host does not say: 2 GiB (see the module comment). */
export const DEFAULT_HOST_RESERVE_MIB: MiB = 2048
/** Memory the hypervisor spends per running VM when the host does not say: 64 MiB. */
export const DEFAULT_VM_OVERHEAD_MIB: MiB = 64

export const HOST_DEFAULTS = { reserve: DEFAULT_HOST_RESERVE_MIB, vmOverhead: DEFAULT_VM_OVERHEAD_MIB } as const

/** The host defaults as `--help` states them. */
export const HOST_DEFAULTS_HELP = `A host given as a size gets the defaults a host spec gets when it leaves them out: reserve ${formatSize(DEFAULT_HOST_RESERVE_MIB)}, vmOverhead ${formatSize(DEFAULT_VM_OVERHEAD_MIB)} per VM.`

const HostSpecJson = strictObject('a host spec', { physical: Size }, { reserve: Size, vmOverhead: Size, description: Label })

/** Decode a host spec from parsed JSON; `source` names it in messages (a file name, "--host"). */
export const decodeHostSpec = (json: unknown, source: string): E.Either<ReadonlyArray<string>, HostSpec> =>
  pipe(
    decodeWith(HostSpecJson, json, source),
    E.chain((j) => {
      const spec: HostSpec = { physical: j.physical, reserve: j.reserve ?? HOST_DEFAULTS.reserve, vmOverhead: j.vmOverhead ?? HOST_DEFAULTS.vmOverhead }
      const errors = checkHostSpec(spec, source, { reserve: j.reserve !== undefined, vmOverhead: j.vmOverhead !== undefined })
      return errors.length === 0 ? E.right(spec) : E.left(errors)
    }),
  )

const checkHostSpec = (spec: HostSpec, source: string, given: { readonly reserve: boolean; readonly vmOverhead: boolean }): ReadonlyArray<string> => {
  const dflt = (isGiven: boolean, key: string): string => (isGiven ? '' : `, the default; give "${key}" in a host spec to change it`)
  if (spec.physical <= 0) return [`${source}: physical must be above 0, found ${formatSize(spec.physical)}`]
  if (spec.reserve >= spec.physical)
    return [`${source}: reserve (${formatSize(spec.reserve)}${dflt(given.reserve, 'reserve')}) must be below physical (${formatSize(spec.physical)}), or no VM could run`]
  if (spec.vmOverhead >= spec.physical - spec.reserve)
    return [
      `${source}: vmOverhead (${formatSize(spec.vmOverhead)}${dflt(given.vmOverhead, 'vmOverhead')}) must be below physical less reserve (${formatSize(spec.physical - spec.reserve)}), or no VM could run`,
    ]
  return []
}

/** A host spec from a bare size: everything but physical at its default, checked as a spec is. */
export const hostSpecOfSize = (physical: MiB, source = '--host'): E.Either<string, HostSpec> => {
  const spec: HostSpec = { physical, ...HOST_DEFAULTS }
  const errors = checkHostSpec(spec, source, { reserve: false, vmOverhead: false })
  return errors.length === 0 ? E.right(spec) : E.left(errors.join('\n'))
}

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
 * `--host` argument: a size with its unit ("128GiB") or a path to a JSON host spec.
 * Something that starts like a number is taken as a size, so "128GX" reports its unknown unit and
 * "128" that it needs one, rather than "no such file".
 */
export const parseHostArg = (arg: string, read: ReadText = readTextFile): E.Either<string, HostSpec> => {
  // "./host.json" is a path; ".5TiB" and "-1GiB" are (bad) sizes.
  if (/^\s*[-+]?(?:[0-9]|\.[0-9])/.test(arg)) {
    return pipe(
      parseSizeArg(arg, MAX_HOST_MIB),
      E.mapLeft((msg) => `--host: ${msg}`),
      E.chain((mib) => (mib > 0 ? hostSpecOfSize(mib) : E.left(`--host: physical must be above 0, found "${arg}"`))),
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

/**
 * The policy contract. A policy is a module: a name, a params codec with documented defaults, and
 * two pure functions,
 *
 *     init(context, params)          -> state
 *     step(state, observation)       -> [state, decision]
 *
 * evaluated afresh every tick from what the hypervisor could observe (oVirt MoM style; one pure
 * (state, observation) -> (state, decision) step as in dslab-iaas). Pure: no I/O, no clock, no
 * Math.random (carry a seeded generator in the state: see engine/random.ts), no mutation of the
 * observation, the context or the previous state.
 *
 * Policies decide; the world accounts (engine/world.ts). The world applies a decision within
 * physical limits and rates and records what happened; a policy cannot report its own metrics.
 *
 * Purity stays at this interface, but a step may be offered scratch the engine guarantees dead
 * (`Scratch`, step's third argument): columns nothing else can see, which the step owns and may
 * overwrite ("functional but in place", as Koka and Lean reuse what has no other reference). A
 * policy that ignores the offer is correct; check-policy replays every policy with the offer and
 * without it and requires the same account.
 */
import type * as t from 'io-ts'
import type { HostSettings, VmSettings } from '../spec/settings.js'
import type { HostState } from './account.js'

/** A read-only view of a numeric column (typed arrays satisfy it). */
export interface Column {
  readonly length: number
  readonly [index: number]: number
}

/** What a policy is given once, before the first tick. */
export interface PolicyContext {
  readonly host: HostSettings
  /** Resolved settings of each VM, index = VM index in every column. */
  readonly vms: ReadonlyArray<VmSettings>
  /** Seconds per tick (the trace's step). */
  readonly stepSeconds: number
  /** Seed for any randomness the policy needs (derive a generator from it: engine/random.ts). */
  readonly seed: number
  /** The recording began while VMs were already running (the world's `start`, default "warm"): a VM
   *  powered on at tick 0 has been running for a while and should start in its steady state (a
   *  Hyper-V VM at its target, not at Startup RAM; ESX estimates as if sampled before). VMs that
   *  power on later boot. false ("cold"): every VM boots at its first tick. */
  readonly warmStart: boolean
  /** The world's physical rates, MiB/s (a hypervisor knows its own mechanisms' speed): a
   *  non-overcommitting policy needs them to keep what it assigns within the host after rates. */
  readonly rates: {
    readonly hotAddMiBPerSecond: number
    readonly balloonMiBPerSecond: number
    readonly swapOutMiBPerSecond: number
    readonly compressMiBPerSecond: number
  }
}

/**
 * What the hypervisor can observe at the start of a tick. Quantities are those at the end of the
 * previous tick, except `configured`, `poweredOn` and `committed`, which are this tick's.
 * The working set itself is NOT observable in general: Hyper-V and KVM learn it from the guest
 * (`committed`, reported by integration services or a guest agent); ESX estimates it by sampling
 * (`sampledPages` / `accessedPages`).
 */
export interface Observation {
  readonly tick: number
  /** Unix seconds at the start of the tick. */
  readonly time: number
  readonly stepSeconds: number
  readonly host: {
    readonly physicalMiB: number
    readonly reserveMiB: number
    /** Free host memory at the end of the previous tick. */
    readonly freeMiB: number
  }
  readonly vmCount: number
  /** 1 if the VM is powered on in the trace at this tick (wants to run), else 0. */
  readonly poweredOn: Column
  /** Status at the end of the previous tick: VmStatus codes (0 off, 1 running, 2 refused). */
  readonly status: Column
  readonly configured: Column
  readonly visible: Column
  readonly assigned: Column
  readonly ballooned: Column
  /** Pages the guest has touched (ESX "consumed" plus what sharing saved). */
  readonly touched: Column
  readonly resident: Column
  readonly shared: Column
  readonly compressed: Column
  readonly swapped: Column
  /** Guest-reported committed memory (Hyper-V integration services, KVM guest agent). */
  readonly committed: Column
  /** Pages sampled at random from the VM's touched memory this tick, and how many were accessed. */
  readonly sampledPages: Column
  readonly accessedPages: Column
  /** Sampling periods that fit in this tick (ESX: 60 s periods; 5 at a 300 s step). */
  readonly samplePeriods: number
}

export type SharingScope = 'none' | 'intraVm' | 'interVm'

/** No page sharing: what a policy that does not overcommit must decide (and any policy may). */
export const NO_SHARING: Decision['sharing'] = { scope: 'none', breakLargePages: false, scanMiBPerSecond: 0 }

/**
 * What a policy wants this tick. Per-VM targets are columns of length vmCount. The world moves each
 * quantity toward its target at its physical rate (engine/world.ts WorldParams). It applies, and
 * checks against the rules, the values of VMs starting or running; other VMs' values are ignored.
 */
export interface Decision {
  /** For VMs powered on but not running: 1 to admit, 0 to refuse. Ignored for others. */
  readonly admit: Column
  /** Target guest-visible memory (static/ESX: configured; Hyper-V: startup plus hot-add). */
  readonly visible: Column
  /** Target memory held by the balloon driver. */
  readonly balloon: Column
  /** Touched memory to hold compressed (uncompressed size), at least: the world compresses private
   *  pages, chosen blind, up to it; a lower target decompresses nothing (a page comes back when the
   *  guest touches it). */
  readonly compress: Column
  /** Touched memory to hold in host swap, at least, as for `compress`. */
  readonly swap: Column
  /** Host memory the VM may hold at most (ESX limit): touched pages beyond it go straight to swap.
   *  Applies to overcommitting policies only (a host that does not overcommit backs what it assigns). */
  readonly cap: Column
  /** Transparent page sharing: scope, whether large pages are broken, scan rate (MiB/s per host).
   *  Overcommitting policies only: a host that backs all it assigns gains nothing by sharing. */
  readonly sharing: {
    readonly scope: SharingScope
    readonly breakLargePages: boolean
    readonly scanMiBPerSecond: number
  }
  /** Host memory a compressed MiB occupies (ESX keeps a page compressed to 2 KB or less: 0.5). */
  readonly compressedStoreRatio: number
  /** Block guests' new allocations (ESX low state). */
  readonly block: boolean
  /** The free-memory state the policy is in (for ESX-like policies; 'none' otherwise). */
  readonly state: HostState
}

/**
 * Scratch: columns the engine offers a step, which the step owns while it runs ("functional but in
 * place": memory reused because nothing else can see it). The engine lends the same `columns` to
 * every step of a run; once the world has applied a decision, any of them the decision returned are
 * dead, so the next step may have them again. The contract:
 *
 *   - It may be absent (`undefined`): a step must work without it (`scratchColumn` allocates then).
 *     A step that ignores it is correct.
 *   - The values are left over from earlier steps (NaN under check-policy): write every element you
 *     read, and every element of a column you return in the decision (`fill(0)` first if you set only
 *     some: a new Float64Array is zeros, a scratch column is not).
 *   - A scratch column is the step's only until it returns: return it in the decision (the world reads
 *     it and drops it) or use it as a temporary, but never keep it, or a view of it (`subarray`), in
 *     the state, nor read it on a later step: the next step overwrites it. Copy what you keep.
 *   - Each column is distinct; do not return one column as two decision fields, nor hand the same
 *     columns to two callees that both write them.
 *   - Observation, context, params and the previous state stay read-only, offer or not.
 *
 * `check-policy` replays each policy three ways, the offer withheld, recycled as in a normal run, and
 * recycled with every column poisoned (NaN) and the columns' order rotated each step, and requires the
 * three accounts to be identical (rule "scratch-is-dead"); its purity check also fails a state that
 * keeps a scratch column.
 */
export interface Scratch {
  /** SCRATCH_COLUMNS distinct Float64Arrays of length vmCount; the array itself is frozen. */
  readonly columns: ReadonlyArray<Float64Array>
}

/** Scratch columns offered per step: as many as a decision has per-VM columns (admit, visible, balloon, compress, swap, cap). */
export const SCRATCH_COLUMNS = 6

/**
 * Column `i` of the offer, or a new zeroed Float64Array of length n when there is no offer (or no
 * column i). Its values are unspecified: write before you read, and fill what you return.
 */
export const scratchColumn = (scratch: Scratch | undefined, i: number, n: number): Float64Array => {
  const c = scratch?.columns[i]
  return c !== undefined && c.length === n ? c : new Float64Array(n)
}

/** What a policy promises about itself; the world enforces these as rules. */
export interface PolicyTraits {
  /** May the host hold less than what guests have touched (swap, compress, share pages)? false:
   *  the world stops the run if assigned memory would exceed the host or the policy asks to page or
   *  share. */
  readonly overcommit: boolean
  /** Does the policy honour ESX reservations and limits (checked as invariants)? */
  readonly reservations: boolean
  /** Does it have free-memory states (reported as stateShare)? */
  readonly states: boolean
  /** Does it keep each VM's assigned memory within [minimum, maximum] (Hyper-V; checked)? */
  readonly minMax: boolean
}

export interface Policy<P = unknown, S = unknown> {
  readonly name: string
  /** One line: the real system it models. */
  readonly description: string
  /** Decodes user params (a partial object) into full params, filling documented defaults. */
  readonly params: t.Type<P, unknown, unknown>
  readonly defaults: P
  readonly traits: PolicyTraits
  /** How often the real system re-evaluates, seconds (e.g. ESX: its 60 s sampling period). When the
   *  trace's step is longer, the replay runs the policy and the world that often within each tick,
   *  with the trace's values held, so a control loop keeps its character at coarse steps. Default:
   *  once per tick. */
  readonly controlSeconds?: number
  /** Does the policy read `sampledPages`/`accessedPages`? Drawing them costs time; a policy that
   *  says false sees zeros there. Default true. */
  readonly pageSamples?: boolean
  /** Modelling choices the policy made where no source pins the behaviour down (shown in reports). */
  readonly notes?: ReadonlyArray<string>
  readonly init: (context: PolicyContext, params: P) => S
  /** One control step. `scratch`, when given, is dead memory the step may overwrite (see Scratch):
   *  a step that ignores it is correct. */
  readonly step: (state: S, observation: Observation, scratch?: Scratch) => readonly [S, Decision]
}

/** Erase a policy's types for registries and the engine. */
export type AnyPolicy = Policy<any, any>

export const definePolicy = <P, S>(policy: Policy<P, S>): Policy<P, S> => policy

/**
 * The replay's public signature (the implementation lives in replay.ts).
 */
import type { Trace } from '../trace/trace.js'
import type { HostSettings, VmSettings } from '../spec/settings.js'
import type { AnyPolicy } from './policy.js'
import type { RunHeader, TickAccount } from './account.js'

export interface ReplayInput {
  readonly trace: Trace
  readonly host: HostSettings
  /** Settings of each VM, same order as trace.vms. */
  readonly vms: ReadonlyArray<VmSettings>
  readonly policy: AnyPolicy
  /** Params already decoded by policy.params (defaults filled). */
  readonly params: unknown
  /** Seed for the world's sampling and for the policy. */
  readonly seed: number
  /** Check the engine's invariants every tick (slower; tests and check-policy turn it on). */
  readonly checkInvariants?: boolean
  /** The engine's offer of scratch to each step (policy.ts Scratch). Default 'recycle'. */
  readonly scratch?: ScratchMode
}

/**
 * How the replay offers scratch (policy.ts Scratch) to the policy's steps:
 *   recycle   the same SCRATCH_COLUMNS columns every step, as left by the step before (the default:
 *             what every run does);
 *   withhold  no offer: step's third argument is undefined (the policy allocates its own columns);
 *   poison    as recycle, but every column is filled with NaN before each step and the columns'
 *             order rotates step by step, so a step that reads a column it did not write this step,
 *             or keeps one past the step, shows it (check-policy).
 * A policy that keeps the contract gives the same account in every mode.
 */
export type ScratchMode = 'recycle' | 'withhold' | 'poison'

export const SCRATCH_MODES: ReadonlyArray<ScratchMode> = ['recycle', 'withhold', 'poison']

/** A decision or an outcome that breaks a rule: the run stops, naming what broke. */
export interface RuleViolation {
  readonly _tag: 'RuleViolation'
  readonly policy: string
  readonly tick: number
  readonly time: number
  /** VM id, or undefined for a host-wide rule. */
  readonly vm: string | undefined
  readonly rule: string
  readonly detail: string
}

export type AccountSink = (account: TickAccount) => void

export type { RunHeader, TickAccount }

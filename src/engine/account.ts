/**
 * The world's account: what physically happened, per VM and per host, at one tick.
 * Every metric is folded from this stream; nothing a policy says about itself enters it.
 *
 * Streaming contract: the replay hands each TickAccount to the consumer and then reuses its
 * arrays for the next tick, so a consumer that keeps a value must copy it. This keeps a month of
 * 500 VMs in constant memory (see replay.ts, `collect` to keep everything).
 *
 * Per-VM identities (all MiB, all >= 0), for a VM that is running:
 *   touched   = resident + shared + compressed + swapped - compressedStore
 *                 (touched pages are backed by a private resident page, a shared copy, a compressed
 *                  slot, or host swap; compressed pages occupy compressedStore of resident memory)
 *   assigned  = visible - ballooned           (what the guest can use now)
 *   touched  <= assigned <= configured-or-maximum
 *   unavailable working set = guestPaging + hostSwapHit + compressedHit + blocked
 * Per-host identity:
 *   sum(resident + overhead) + reserve + free = physical
 */

export const VM_FIELDS = [
  'configured', // C: configured memory at this tick (from the trace)
  'demand', // D: working set (from the trace)
  'touched', // T: pages the guest has written (modelled unless the trace has it)
  'visible', // guest-physical memory the guest OS sees (Hyper-V: startup + hot-added)
  'assigned', // A = visible - ballooned: memory the guest can use
  'resident', // R: host memory backing the VM (private pages + its compressed store)
  'overhead', // hypervisor overhead for the VM
  'shared', // touched pages backed by another copy (saved by page sharing)
  'ballooned', // pinned by the balloon driver
  'compressed', // touched pages held compressed (their uncompressed size)
  'compressedStore', // host memory the compressed pages occupy (part of resident)
  'swapped', // touched pages in host swap
  'swapOut', // MiB written to host swap during this tick
  'guestPaging', // working set not available because the guest pages inside itself (D > A)
  'hostSwapHit', // working set not available because it is in host swap
  'compressedHit', // working set not available because it is compressed
  'blocked', // working set not available because allocation was blocked (host out of memory)
  'slowdown', // estimated slowdown factor (>= 1; 1 = none); 0 when not running
] as const

export type VmField = (typeof VM_FIELDS)[number]

/** VM status at a tick. */
export const VmStatus = {
  /** Not running (before start, after stop, or off). */
  off: 0,
  /** Running. */
  running: 1,
  /** Wanted to run but was refused admission (and is not running). */
  refused: 2,
} as const
export type VmStatusCode = (typeof VmStatus)[keyof typeof VmStatus]

/** Host free-memory states (ESX); policies without states report 'none'. */
export const HOST_STATES = ['none', 'high', 'clear', 'soft', 'hard', 'low'] as const
export type HostState = (typeof HOST_STATES)[number]

export interface HostAccount {
  readonly physical: number
  readonly reserve: number
  readonly free: number
  /** Index into HOST_STATES. */
  readonly state: number
}

export type VmColumns = { readonly [K in VmField]: Float64Array }

export interface TickAccount {
  readonly tick: number
  /** Unix seconds at the start of the tick. */
  readonly time: number
  /** Seconds in the tick. */
  readonly seconds: number
  readonly host: HostAccount
  readonly status: Uint8Array
  /** Per-VM columns, index = VM index in the run's fleet. Valid only during the callback. */
  readonly vm: VmColumns
  /** VMs that started this tick and were refused admission (event, not state). */
  readonly refusedNow: number
  /** VMs that started and were admitted this tick. */
  readonly admittedNow: number
}

/** Header of a run's account stream: who is in it. */
export interface RunHeader {
  readonly policy: string
  readonly params: unknown
  readonly traceName: string
  readonly host: { readonly physical: number; readonly reserve: number; readonly vmOverhead: number }
  readonly vmIds: ReadonlyArray<string>
  readonly start: number
  readonly step: number
  readonly ticks: number
  /** Whether the policy has free-memory states (ESX-like). */
  readonly hasStates: boolean
}

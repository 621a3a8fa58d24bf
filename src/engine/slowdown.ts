/**
 * A slowdown estimate per VM per control step, from where its missing working-set pages went and
 * what a fault on each costs (DOMAIN.md section 7).
 *
 * It is an estimate, not a measurement: a trace records how much memory a VM used, not how its
 * accesses spread over its pages. The model:
 *   - a working-set page is touched about once every `touchSeconds` (default 60 s: ESX calls a page
 *     active when it is touched within its 60 s sampling period, DOMAIN.md 4);
 *   - a page of the working set that stays missing (guest paging: demand above what the guest has;
 *     working set left in host swap or compressed; allocation blocked) faults once per touch, and
 *     under random access every touch of a missing page misses (the guest evicts another page of
 *     its working set to take it: thrashing);
 *   - a page brought back from host swap or the compression cache costs one fault (its fault-in);
 *   - a fault costs the latency of where the page was: the guest's page file and host swap on the
 *     swap device (disk ~8 ms, SSD ~0.1 ms: guest page files live on the same storage as host swap),
 *     the compression cache tens of microseconds (decompressing 4 KiB), against tens of nanoseconds
 *     for DRAM, which is negligible here. A blocked allocation waits as long as a disk fault.
 *
 *     slowdown = 1 + stall seconds / seconds of the step,
 *     stall    = sum over causes of 4 KiB pages faulted x latency of the cause.
 *
 * So the cost order per technique (sharing < balloon < compression < SSD swap < disk swap) follows
 * from how many working-set pages each one hits (the world counts them) times the latency of a hit,
 * not from a weight per missing page. Examples: 1 GiB of working set missing for a whole step
 * (262,144 pages, each touched once a minute) on disk stalls 35 s per second (slowdown ~36: a
 * thrashing guest); the same GiB faulted back once from disk within a 60 s step stalls 2,097 s
 * (~36 for that step); from the compression cache at 20 us, 5.2 s (~1.09).
 */
import * as t from 'io-ts'

export interface SlowdownParams {
  /** Latency of a 4 KiB fault from disk, milliseconds (DOMAIN.md 7: about 8 ms). */
  readonly diskLatencyMs: number
  /** Latency of a 4 KiB fault from SSD, milliseconds (DOMAIN.md 7: about 0.1 ms). */
  readonly ssdLatencyMs: number
  /** Latency of a fault served from the compression cache, microseconds (DOMAIN.md 7: a few to tens). */
  readonly compressionLatencyUs: number
  /** Seconds between two touches of a working-set page (modelling choice: ESX's 60 s active period). */
  readonly touchSeconds: number
  /** Where host swap and the guests' page files live: SSD or disk. */
  readonly swapDevice: 'ssd' | 'disk'
}

export const SlowdownParamsCodec = t.type({
  diskLatencyMs: t.number,
  ssdLatencyMs: t.number,
  compressionLatencyUs: t.number,
  touchSeconds: t.number,
  swapDevice: t.union([t.literal('ssd'), t.literal('disk')]),
})

export const DEFAULT_SLOWDOWN: SlowdownParams = {
  diskLatencyMs: 8,
  ssdLatencyMs: 0.1,
  compressionLatencyUs: 20,
  touchSeconds: 60,
  swapDevice: 'disk',
}

export const SLOWDOWN_MODEL_DESCRIPTION =
  'Estimate: slowdown = 1 + stall / time, stall = 4 KiB faults x latency of where each page was. ' +
  'A missing working-set page (guest paging, left in host swap or compressed, blocked) faults once per touch ' +
  '(a working-set page is touched once every touchSeconds); a page brought back from host swap or the ' +
  'compression cache faults once. Guest page files and host swap are on the swap device.'

/** 4 KiB pages per MiB. */
const PAGES_PER_MIB = 256

/** Per-MiB stall costs of a step (seconds of stall per MiB), computed once per step, not per VM. */
export interface StallCosts {
  /** A MiB of working set missing for the whole step on the swap device (guest paging, host swap, blocked). */
  readonly missingDevice: number
  /** A MiB of working set missing for the whole step in the compression cache. */
  readonly missingCompressed: number
  /** A MiB faulted back once from the swap device / the compression cache. */
  readonly faultDevice: number
  readonly faultCompressed: number
  readonly seconds: number
}

export const stallCosts = (p: SlowdownParams, seconds: number): StallCosts => {
  const device = (p.swapDevice === 'ssd' ? p.ssdLatencyMs : p.diskLatencyMs) / 1000
  const comp = p.compressionLatencyUs / 1e6
  const touches = p.touchSeconds > 0 ? seconds / p.touchSeconds : 0
  return {
    missingDevice: PAGES_PER_MIB * device * touches,
    missingCompressed: PAGES_PER_MIB * comp * touches,
    faultDevice: PAGES_PER_MIB * device,
    faultCompressed: PAGES_PER_MIB * comp,
    seconds,
  }
}

/**
 * Slowdown of one VM in one step: working set missing at the step's end (MiB: guest paging, in
 * host swap, compressed, blocked) and pages faulted back during it (MiB, from swap and compressed).
 */
export const slowdownOf = (
  c: StallCosts,
  guestPaging: number,
  hostSwapMissing: number,
  compressedMissing: number,
  blocked: number,
  swapFaults: number,
  compressedFaults: number,
): number => {
  if (!(c.seconds > 0)) return 1
  const stall =
    c.missingDevice * (guestPaging + hostSwapMissing + blocked) +
    c.missingCompressed * compressedMissing +
    c.faultDevice * swapFaults +
    c.faultCompressed * compressedFaults
  return 1 + stall / c.seconds
}

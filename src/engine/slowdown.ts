/**
 * A slowdown estimate per VM per tick from the part of its working set that is not available.
 *
 *     slowdown = 1 + sum over causes k of  weight_k x (unavailable_k / demand)
 *
 * It is an estimate, not a measurement: a trace records how much memory a VM used, not how its
 * accesses spread over its pages. The weights encode DOMAIN.md section 7's cost ordering per MiB of
 * working set that is not available:
 *   sharing (0: shared pages are read at DRAM speed) < guest paging (1: the guest chooses its
 *   coldest pages) < compression (2: blind choice, but a fault costs microseconds) < host swap to
 *   SSD (7: 30% better than disk) < host swap to disk (10: blind choice plus double paging; VSwapper
 *   measured up to 10x from avoiding it).
 * A VM with all its working set on disk swap thus runs ~11x slower; one short by 10% paging in
 * its own page file ~1.1x. Blocked allocations cost as much as disk swap (the VM waits).
 */
import * as t from 'io-ts'

export interface SlowdownParams {
  readonly guestPaging: number
  readonly compression: number
  readonly swapSsd: number
  readonly swapDisk: number
  readonly blocked: number
  /** Where host swap lives: the SSD host cache or disk. */
  readonly swapDevice: 'ssd' | 'disk'
}

export const SlowdownParamsCodec = t.type({
  guestPaging: t.number,
  compression: t.number,
  swapSsd: t.number,
  swapDisk: t.number,
  blocked: t.number,
  swapDevice: t.union([t.literal('ssd'), t.literal('disk')]),
})

export const DEFAULT_SLOWDOWN: SlowdownParams = {
  guestPaging: 1,
  compression: 2,
  swapSsd: 7,
  swapDisk: 10,
  blocked: 10,
  swapDevice: 'disk',
}

export const SLOWDOWN_MODEL_DESCRIPTION =
  'Estimate: slowdown = 1 + sum of weight x (unavailable working set / working set), by cause. ' +
  'Weights keep the cost order sharing < balloon (guest paging) < compression < SSD swap < disk swap.'

/** Slowdown of one VM at one tick. Demand 0 means nothing to slow down. */
export const slowdownOf = (
  p: SlowdownParams,
  demand: number,
  guestPaging: number,
  compressedHit: number,
  hostSwapHit: number,
  blocked: number,
): number => {
  if (demand <= 0) return 1
  const swapWeight = p.swapDevice === 'ssd' ? p.swapSsd : p.swapDisk
  return (
    1 +
    (p.guestPaging * guestPaging + p.compression * compressedHit + swapWeight * hostSwapHit + p.blocked * blocked) / demand
  )
}

/**
 * The trace read tick by tick. A trace keeps each VM's columns apart (so a host can be handed a
 * subset of VMs without copying), but a replay walks all VMs at each tick: reading 500 separate
 * arrays at one index is a cache miss per VM per column. Frames copy the trace into tick-major
 * buffers (reading each VM's columns sequentially, a block of ticks at a time so that what is
 * written stays in cache), so each tick is then read as one contiguous row.
 *
 * The copy costs about as much as one pass over the trace. A trace replayed several times (a
 * comparison runs every policy over the same trace; the benchmark repeats each replay) keeps its
 * whole copy, made once and held while the trace's VM list lives, up to WHOLE_FRAMES_MAX_BYTES; a
 * larger trace is copied a block at a time, in a fixed small buffer, by each replay.
 */
import type { VmTrace } from '../../trace/trace.js'

export interface Frames {
  /** Make `tick` readable; returns the offset of its row (index of VM 0) in the buffers. */
  readonly row: (tick: number) => number
  readonly on: Uint8Array
  readonly demand: Float32Array
  readonly configured: Float32Array
}

/** Bytes of one VM-tick in frames: on (1) + demand (4) + configured (4). */
const BYTES_PER_VM_TICK = 9

/** A trace whose whole copy would take more than this is copied a block at a time instead. */
export const WHOLE_FRAMES_MAX_BYTES = 256 * 1024 * 1024

/** Ticks copied together: 64 ticks of 500 VMs write 288 KB, which stays in cache. */
const BLOCK = 64

/** Copy ticks [from, from + count) of every VM into rows 0.. of the buffers (zeros past a VM's end). */
const transpose = (traces: ReadonlyArray<VmTrace>, from: number, count: number, on: Uint8Array, demand: Float32Array, configured: Float32Array, rowOffset: number): void => {
  const n = traces.length
  for (let v = 0; v < n; v++) {
    const tr = traces[v]
    const end = Math.min(from + count, tr.on.length)
    let i = rowOffset + v
    for (let t = from; t < end; t++, i += n) {
      on[i] = tr.on[t]
      demand[i] = tr.demand[t]
      configured[i] = tr.configured[t]
    }
    for (let t = Math.max(from, end); t < from + count; t++, i += n) {
      on[i] = 0
      demand[i] = 0
      configured[i] = 0
    }
  }
}

const whole = new WeakMap<ReadonlyArray<VmTrace>, Frames>()

export const tickFrames = (traces: ReadonlyArray<VmTrace>, block = BLOCK): Frames => {
  const cached = whole.get(traces)
  if (cached) return cached
  const n = traces.length
  let ticks = 0
  for (const tr of traces) ticks = Math.max(ticks, tr.on.length)
  if (ticks * n * BYTES_PER_VM_TICK <= WHOLE_FRAMES_MAX_BYTES) {
    const on = new Uint8Array(ticks * n)
    const demand = new Float32Array(ticks * n)
    const configured = new Float32Array(ticks * n)
    for (let from = 0; from < ticks; from += block) transpose(traces, from, Math.min(block, ticks - from), on, demand, configured, from * n)
    const frames: Frames = { row: (tick) => tick * n, on, demand, configured }
    whole.set(traces, frames)
    return frames
  }
  const on = new Uint8Array(block * n)
  const demand = new Float32Array(block * n)
  const configured = new Float32Array(block * n)
  let first = -1
  let last = -1
  return {
    row: (tick) => {
      if (tick < first || tick >= last) {
        first = tick - (tick % block)
        last = first + block
        transpose(traces, first, block, on, demand, configured, 0)
      }
      return (tick - first) * n
    },
    on,
    demand,
    configured,
  }
}

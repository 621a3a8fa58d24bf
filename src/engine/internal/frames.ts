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
  /** Recorded touched memory, MiB; -1 where the trace does not record it. */
  readonly touched: Float32Array
  /** Recorded disk reads + writes, MiB/s; -1 where the trace does not record them. */
  readonly io: Float32Array
}

/** Bytes of one VM-tick in frames: on (1) + demand, configured, touched, io (4 each). */
const BYTES_PER_VM_TICK = 17

interface Buffers {
  readonly on: Uint8Array
  readonly demand: Float32Array
  readonly configured: Float32Array
  readonly touched: Float32Array
  readonly io: Float32Array
}

const buffers = (size: number): Buffers => ({
  on: new Uint8Array(size),
  demand: new Float32Array(size),
  configured: new Float32Array(size),
  touched: new Float32Array(size),
  io: new Float32Array(size),
})

/** A trace whose whole copy would take more than this is copied a block at a time instead. */
export const WHOLE_FRAMES_MAX_BYTES = 256 * 1024 * 1024

/** Ticks copied together: 64 ticks of 500 VMs write 288 KB, which stays in cache. */
const BLOCK = 64

/** Copy ticks [from, from + count) of every VM into rows 0.. of the buffers (zeros past a VM's end). */
const transpose = (traces: ReadonlyArray<VmTrace>, from: number, count: number, b: Buffers, rowOffset: number): void => {
  const n = traces.length
  const { on, demand, configured, touched, io } = b
  for (let v = 0; v < n; v++) {
    const tr = traces[v]
    const end = Math.min(from + count, tr.on.length)
    const rt = tr.touched
    const rd = tr.diskRead
    const wr = tr.diskWrite
    const hasIo = rd !== undefined || wr !== undefined
    let i = rowOffset + v
    for (let t = from; t < end; t++, i += n) {
      on[i] = tr.on[t]
      demand[i] = tr.demand[t]
      configured[i] = tr.configured[t]
      touched[i] = rt === undefined ? -1 : rt[t]
      io[i] = hasIo ? (rd === undefined ? 0 : rd[t]) + (wr === undefined ? 0 : wr[t]) : -1
    }
    for (let t = Math.max(from, end); t < from + count; t++, i += n) {
      on[i] = 0
      demand[i] = 0
      configured[i] = 0
      touched[i] = -1
      io[i] = -1
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
    const b = buffers(ticks * n)
    for (let from = 0; from < ticks; from += block) transpose(traces, from, Math.min(block, ticks - from), b, from * n)
    const frames: Frames = { row: (tick) => tick * n, ...b }
    whole.set(traces, frames)
    return frames
  }
  const b = buffers(block * n)
  let first = -1
  let last = -1
  return {
    row: (tick) => {
      if (tick < first || tick >= last) {
        first = tick - (tick % block)
        last = first + block
        transpose(traces, first, block, b, 0)
      }
      return (tick - first) * n
    },
    ...b,
  }
}

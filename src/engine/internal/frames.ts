/**
 * The trace read tick by tick. A trace keeps each VM's columns apart (so a host can be handed a
 * subset of VMs without copying), but a replay walks all VMs at each tick: reading 500 separate
 * arrays at one index is a cache miss per VM per column. Frames copy a block of ticks at a time into
 * tick-major buffers (reading each VM's columns sequentially), so each tick is then read as one
 * contiguous row.
 */
import type { VmTrace } from '../../trace/trace.js'

export interface Frames {
  /** Make `tick` readable; returns the offset of its row (index of VM 0) in the buffers. */
  readonly row: (tick: number) => number
  readonly on: Uint8Array
  readonly demand: Float32Array
  readonly configured: Float32Array
}

export const tickFrames = (traces: ReadonlyArray<VmTrace>, block = 64): Frames => {
  const n = traces.length
  const on = new Uint8Array(block * n)
  const demand = new Float32Array(block * n)
  const configured = new Float32Array(block * n)
  let first = -1
  let last = -1
  const load = (from: number): void => {
    for (let v = 0; v < n; v++) {
      const tr = traces[v]
      const end = Math.min(from + block, tr.on.length)
      for (let t = from, i = v; t < end; t++, i += n) {
        on[i] = tr.on[t]
        demand[i] = tr.demand[t]
        configured[i] = tr.configured[t]
      }
      for (let t = Math.max(from, end), i = v + (Math.max(from, end) - from) * n; t < from + block; t++, i += n) {
        on[i] = 0
        demand[i] = 0
        configured[i] = 0
      }
    }
    first = from
    last = from + block
  }
  return {
    row: (tick) => {
      if (tick < first || tick >= last) load(tick - (tick % block))
      return (tick - first) * n
    },
    on,
    demand,
    configured,
  }
}

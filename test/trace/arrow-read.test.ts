/**
 * The cache's own Arrow reader (src/trace/internal/arrow-read.ts): it reads what apache-arrow wrote
 * exactly as apache-arrow reads it, and a damaged entry (any byte flipped, any length cut) is refused
 * or decodes to the very same trace: never a throw, never other values.
 */
import { tableFromIPC } from 'apache-arrow'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { readArrowFile } from '../../src/trace/internal/arrow-read.js'
import { decodeTrace, encodeTrace } from '../../src/trace/internal/cache-arrow.js'
import { generateFleet } from '../../src/trace/synthetic.js'
import type { Trace } from '../../src/trace/trace.js'

const key = '{"test":true}'
const small = generateFleet({ seed: 3, vms: 3, days: 0.25, stepSeconds: 300 })
// touched recorded for one VM only: an optional column, zeros for the others
const trace: Trace = { ...small, vms: small.vms.map((v, i) => (i === 1 ? { ...v, touched: v.demand.map((x) => x * 1.5) } : { ...v, touched: undefined })) }
const entry = encodeTrace(trace, { key, sources: [] })

const plain = (t: Trace) => ({
  ...t,
  vms: t.vms.map((v) => ({ ...v, demand: [...v.demand], configured: [...v.configured], on: [...v.on], touched: v.touched && [...v.touched], diskRead: v.diskRead && [...v.diskRead], diskWrite: v.diskWrite && [...v.diskWrite] })),
})

describe('arrow-read', () => {
  it('reads an entry as apache-arrow does: fields, schema metadata, every column in place', () => {
    const mine = readArrowFile(entry)
    const lib = tableFromIPC(entry)
    expect(mine.fields.map((f) => f.name)).toEqual(lib.schema.fields.map((f) => f.name))
    expect(mine.fields.map((f) => f.type)).toEqual(['float32', 'float32', 'uint8', 'float32', 'float32', 'float32']) // demand, configured, on, touched, disk read, disk write
    expect(new Map(mine.metadata)).toEqual(new Map(lib.schema.metadata))
    expect(mine.batches).toHaveLength(lib.batches.length)
    mine.batches.forEach((b, i) => {
      expect(b.length).toBe(lib.batches[i].numRows)
      b.columns.forEach((c, k) => {
        const theirs = lib.batches[i].getChildAt(k)!.data[0].values as Float32Array | Uint8Array
        expect(c.buffer).toBe(entry.buffer) // a view, not a copy
        expect([...c]).toEqual([...theirs.subarray(0, b.length)])
      })
    })
  })

  it('round-trips a trace through encodeTrace / decodeTrace', () => {
    const d = decodeTrace(entry, { key })
    expect(E.isRight(d) && plain(d.right.trace)).toStrictEqual(plain(trace))
  })

  it('every single flipped byte is refused as corrupt, or changes nothing that is read', () => {
    const truth = plain(trace)
    let refused = 0
    for (let at = 0; at < entry.length; at++) {
      const bad = new Uint8Array(entry)
      bad[at] ^= 0x5a
      const d = decodeTrace(bad, { key })
      if (E.isLeft(d)) {
        expect(d.left, `byte ${at}`).toMatch(/^corrupt: /)
        refused++
      } else expect(plain(d.right.trace), `byte ${at}`).toStrictEqual(truth)
    }
    // Padding and unused fields (a validity buffer's offset, the schema message the footer repeats) may change freely.
    expect(refused).toBeGreaterThan(entry.length * 0.8)
  })

  it('every cut length is refused as corrupt', () => {
    for (let keep = 0; keep < entry.length; keep++) {
      const d = decodeTrace(entry.slice(0, keep), { key })
      expect(E.isLeft(d) && d.left, `cut to ${keep}`).toMatch(/^corrupt: /)
    }
  })
})

/**
 * A small reader of Arrow IPC files (the "file" format) whose columns are all primitive and flat:
 * the trace cache's layout (cache-arrow.ts). The cache writes its entries with apache-arrow, but a
 * cached load reads them here: loading apache-arrow and building its Table cost more than reading
 * the columns (about 0.2 CPU-s to load the library and 0.1 s to decode a 474-VM month, against a few
 * ms here). It reads the footer's schema and blocks and each record batch's header, and returns
 * views into the file's bytes: no copy, no per-value work.
 *
 * What it does not expect is an error (ArrowReadError), never a guess: a bad magic, an offset or a
 * length outside the file, a nested, dictionary or compressed column, nulls, a misaligned buffer.
 * Flatbuffers: a table starts with a signed offset back to its vtable (u16 size of the vtable, u16
 * size of the table, then a u16 offset per field, 0 for absent); tables, vectors and strings are
 * reached by u32 offsets relative to where the offset is stored. Everything is little-endian.
 */

export class ArrowReadError extends Error {}

export type ArrowType = 'float32' | 'uint8'

export interface ArrowFile {
  readonly fields: ReadonlyArray<{ readonly name: string; readonly type: ArrowType }>
  /** The schema's custom metadata (key -> value), as stored in the footer. */
  readonly metadata: ReadonlyMap<string, string>
  /** One entry per record batch: its row count and one view per field, of exactly that many values. */
  readonly batches: ReadonlyArray<{ readonly length: number; readonly columns: ReadonlyArray<Float32Array | Uint8Array> }>
}

const MAGIC = [0x41, 0x52, 0x52, 0x4f, 0x57, 0x31] // "ARROW1"
// Schema.fbs: Type union tags, FloatingPoint precision; Message.fbs: MessageHeader union tag.
const TYPE_INT = 2
const TYPE_FLOATING_POINT = 3
const PRECISION_SINGLE = 1
const HEADER_RECORD_BATCH = 3
const BLOCK_BYTES = 24 // struct Block { offset: long; metaDataLength: int; (pad) ; bodyLength: long }
const NODE_BYTES = 16 // struct FieldNode { length: long; null_count: long }
const BUFFER_BYTES = 16 // struct Buffer { offset: long; length: long }

const fail = (what: string): never => {
  throw new ArrowReadError(what)
}

/** Read an Arrow IPC file of flat primitive columns (float32, uint8) without nulls. Throws ArrowReadError. */
export const readArrowFile = (bytes: Uint8Array): ArrowFile => {
  const n = bytes.byteLength
  const view = new DataView(bytes.buffer, bytes.byteOffset, n)
  const need = (at: number, len: number): number => (Number.isInteger(at) && at >= 0 && len >= 0 && at + len <= n ? at : fail(`offset ${at} (+${len}) outside the file`))
  const u8 = (at: number): number => view.getUint8(need(at, 1))
  const u16 = (at: number): number => view.getUint16(need(at, 2), true)
  const i32 = (at: number): number => view.getInt32(need(at, 4), true)
  const u32 = (at: number): number => view.getUint32(need(at, 4), true)
  /** A non-negative int64 that fits a double exactly. */
  const i64 = (at: number): number => {
    const lo = u32(at)
    const hi = i32(at + 4)
    return hi >= 0 && hi < 2 ** 21 ? hi * 2 ** 32 + lo : fail(`a length or offset out of range at ${at}`)
  }
  const ref = (at: number): number => at + u32(at)
  /** Where field `i` of the table at `t` is stored, or undefined when absent. */
  const slot = (t: number, i: number): number | undefined => {
    const vt = t - i32(t)
    const size = u16(vt)
    if (size < 4 || size % 2 !== 0) fail(`a flatbuffer vtable of ${size} bytes`)
    need(vt, size)
    const at = 4 + 2 * i
    if (at >= size) return undefined
    const o = u16(vt + at)
    return o === 0 ? undefined : t + o
  }
  const table = (t: number, i: number): number | undefined => {
    const s = slot(t, i)
    return s === undefined ? undefined : ref(s)
  }
  /** A vector field: where its elements start and how many there are (0 when absent). */
  const vector = (t: number, i: number, elementBytes: number): { readonly at: number; readonly length: number } => {
    const s = slot(t, i)
    if (s === undefined) return { at: 0, length: 0 }
    const v = ref(s)
    const length = u32(v)
    need(v + 4, length * elementBytes)
    return { at: v + 4, length }
  }
  const utf8 = new TextDecoder('utf-8', { fatal: true })
  const string = (t: number, i: number): string | undefined => {
    const s = slot(t, i)
    if (s === undefined) return undefined
    const v = ref(s)
    const length = u32(v)
    need(v + 4, length)
    return utf8.decode(bytes.subarray(v + 4, v + 4 + length))
  }
  const scalar = (t: number, i: number, read: (at: number) => number, otherwise: number): number => {
    const s = slot(t, i)
    return s === undefined ? otherwise : read(s)
  }

  const magicAt = (at: number): boolean => at >= 0 && at + MAGIC.length <= n && MAGIC.every((b, k) => bytes[at + k] === b)
  if (n < 2 * 8 + 4 || !magicAt(0)) fail('not an Arrow IPC file (bad magic)')
  if (!magicAt(n - MAGIC.length)) fail('truncated (no closing Arrow magic)')
  const footerLength = i32(n - MAGIC.length - 4)
  const footerStart = n - MAGIC.length - 4 - footerLength
  if (footerLength <= 0 || footerStart < 8) fail('a footer length outside the file')
  const footer = ref(need(footerStart, 4))

  // Footer { version: short; schema: Schema; dictionaries: [Block]; recordBatches: [Block]; custom_metadata }
  const schema = table(footer, 1) ?? fail('no schema in the footer')
  if (vector(footer, 2, BLOCK_BYTES).length !== 0) fail('dictionary batches (not expected)')
  // Schema { endianness: short (0 little); fields: [Field]; custom_metadata: [KeyValue]; features }
  if (scalar(schema, 0, u16, 0) !== 0) fail('a big-endian file')
  const fieldVector = vector(schema, 1, 4)
  const fields: Array<{ name: string; type: ArrowType }> = []
  for (let k = 0; k < fieldVector.length; k++) {
    // Field { name; nullable: bool; type_type: ubyte; type; dictionary; children: [Field]; custom_metadata }
    const f = ref(fieldVector.at + 4 * k)
    const name = string(f, 0) ?? fail(`field ${k} has no name`)
    if (table(f, 4) !== undefined || vector(f, 5, 4).length !== 0) fail(`field ${name} is dictionary-encoded or nested`)
    const typeTag = scalar(f, 2, u8, 0)
    const type = table(f, 3) ?? fail(`field ${name} has no type`)
    let t: ArrowType | undefined
    // Int { bitWidth: int; is_signed: bool }; FloatingPoint { precision: short }
    if (typeTag === TYPE_INT && scalar(type, 0, i32, 0) === 8 && scalar(type, 1, u8, 0) === 0) t = 'uint8'
    else if (typeTag === TYPE_FLOATING_POINT && scalar(type, 0, u16, 0) === PRECISION_SINGLE) t = 'float32'
    fields.push({ name, type: t ?? fail(`field ${name} is neither float32 nor uint8`) })
  }
  const metadata = new Map<string, string>()
  const kv = vector(schema, 2, 4)
  for (let k = 0; k < kv.length; k++) {
    const e = ref(kv.at + 4 * k)
    metadata.set(string(e, 0) ?? fail('a metadata entry without a key'), string(e, 1) ?? '')
  }

  const blocks = vector(footer, 3, BLOCK_BYTES)
  const batches: Array<{ length: number; columns: Array<Float32Array | Uint8Array> }> = []
  for (let b = 0; b < blocks.length; b++) {
    const at = blocks.at + BLOCK_BYTES * b
    const offset = i64(at)
    const metaLength = i32(at + 8)
    const bodyLength = i64(at + 16)
    const bodyStart = offset + metaLength
    // the message and its body lie between the opening magic and the footer
    if (offset < 8 || offset % 8 !== 0 || metaLength < 8 || bodyStart % 8 !== 0 || bodyStart + bodyLength > footerStart) fail(`record batch ${b} lies outside the file`)
    // encapsulated message: 0xFFFFFFFF, the flatbuffer's length, the flatbuffer Message
    if (u32(offset) !== 0xffffffff || i32(offset + 4) > metaLength - 8) fail(`record batch ${b} has no message marker`)
    const message = ref(offset + 8)
    // Message { version: short; header_type: ubyte; header; bodyLength: long; custom_metadata }
    if (scalar(message, 1, u8, 0) !== HEADER_RECORD_BATCH) fail(`block ${b} is not a record batch`)
    if (scalar(message, 3, i64, 0) !== bodyLength) fail(`record batch ${b}'s body length differs from its block's`)
    const batch = table(message, 2) ?? fail(`record batch ${b} has no header`)
    // RecordBatch { length: long; nodes: [FieldNode]; buffers: [Buffer]; compression; ... }
    const length = scalar(batch, 0, i64, 0)
    const nodes = vector(batch, 1, NODE_BYTES)
    const buffers = vector(batch, 2, BUFFER_BYTES)
    if (table(batch, 3) !== undefined) fail(`record batch ${b} is compressed`)
    if (nodes.length !== fields.length || buffers.length !== 2 * fields.length) fail(`record batch ${b} has ${nodes.length} columns for ${fields.length} fields`)
    const columns: Array<Float32Array | Uint8Array> = []
    for (let c = 0; c < fields.length; c++) {
      const node = nodes.at + NODE_BYTES * c
      if (i64(node) !== length || i64(node + 8) !== 0) fail(`column ${fields[c].name} of record batch ${b} has another length, or nulls`)
      // buffers: validity bitmap (unused without nulls), values
      const values = buffers.at + BUFFER_BYTES * (2 * c + 1)
      const from = i64(values)
      const bytesLength = i64(values + 8)
      const size = fields[c].type === 'float32' ? 4 : 1
      if (from + bytesLength > bodyLength || bytesLength < length * size) fail(`column ${fields[c].name} of record batch ${b} is shorter than its length`)
      const start = bytes.byteOffset + bodyStart + from
      if (start % size !== 0) fail(`column ${fields[c].name} of record batch ${b} is misaligned`)
      columns.push(size === 4 ? new Float32Array(bytes.buffer, start, length) : new Uint8Array(bytes.buffer, start, length))
    }
    batches.push({ length, columns })
  }
  return { fields, metadata, batches }
}

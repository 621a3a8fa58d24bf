/**
 * A growable typed array: rows are appended without knowing how many a file holds, and without one
 * JS object per row. Internal machinery; mutable on purpose, never escapes the importer.
 */
export class GrowableF64 {
  private buf: Float64Array
  length = 0

  constructor(capacity = 1024) {
    this.buf = new Float64Array(capacity)
  }

  push(v: number): void {
    if (this.length === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2)
      next.set(this.buf)
      this.buf = next
    }
    this.buf[this.length++] = v
  }

  /** The values so far (a view, not a copy). */
  view(): Float64Array {
    return this.buf.subarray(0, this.length)
  }
}

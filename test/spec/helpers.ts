import * as E from 'fp-ts/lib/Either.js'
import type { Trace, VmTrace, OsFamily } from '../../src/trace/trace.js'
import { emptyImportReport } from '../../src/trace/import-report.js'

/** A tiny hand-made trace: each VM on for all `ticks` with a constant configured size (MiB). */
export const tinyTrace = (
  vms: ReadonlyArray<{ id: string; configured: number; image?: string; os?: OsFamily; on?: boolean }>,
  ticks = 4,
): Trace => ({
  name: 'tiny',
  start: 0,
  step: 300,
  ticks,
  vms: vms.map(
    (v): VmTrace => ({
      id: v.id,
      image: v.image,
      os: v.os,
      demand: new Float32Array(ticks).fill(v.on === false ? 0 : v.configured / 10),
      configured: new Float32Array(ticks).fill(v.on === false ? 0 : v.configured),
      touched: undefined,
      diskRead: undefined,
      diskWrite: undefined,
      on: new Uint8Array(ticks).fill(v.on === false ? 0 : 1),
      firstTick: v.on === false ? 0 : 0,
      endTick: v.on === false ? 0 : ticks,
    }),
  ),
  report: emptyImportReport('test', vms.length, 0, 300, ticks),
})

/** The failure of an Either a test expects to fail. */
export const left = <L, R>(e: E.Either<L, R>): L => {
  if (E.isRight(e)) throw new Error(`expected a failure, got ${JSON.stringify(e.right)}`)
  return e.left
}

/** The value of an Either a test expects to succeed. */
export const right = <L, R>(e: E.Either<L, R>): R => {
  if (E.isLeft(e)) throw new Error(`expected success, got ${JSON.stringify(e.left)}`)
  return e.right
}

import type { Trace, VmTrace, OsFamily } from '../../src/trace/trace.js'
import { emptyRepairCounts } from '../../src/trace/import-report.js'

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
      on: new Uint8Array(ticks).fill(v.on === false ? 0 : 1),
      firstTick: v.on === false ? 0 : 0,
      endTick: v.on === false ? 0 : ticks,
    }),
  ),
  report: {
    format: 'synthetic',
    source: 'test',
    vms: vms.length,
    firstTime: 0,
    lastTime: (ticks - 1) * 300,
    step: 300,
    ticks,
    rows: 0,
    maxGapSeconds: 0,
    repairs: emptyRepairCounts(),
    perVm: [],
  },
})

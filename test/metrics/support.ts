/** Hand-built TickAccount values and random runs for the metrics tests. */
import fc from 'fast-check'
import { VM_FIELDS, type RunHeader, type TickAccount, type VmField } from '../../src/engine/account.js'
import type { RunPartial } from '../../src/metrics/partial.js'

export type VmRow = Partial<Record<VmField, number>> & { readonly status: number }

export interface TickSpec {
  readonly tick: number
  readonly time: number
  readonly seconds: number
  readonly physical: number
  readonly reserve: number
  readonly free: number
  readonly state: number
  readonly vms: ReadonlyArray<VmRow>
}

export const accountOf = (t: TickSpec): TickAccount => {
  const n = t.vms.length
  const vm = Object.fromEntries(
    VM_FIELDS.map((f) => [f, Float64Array.from(t.vms, (r) => r[f] ?? 0)]),
  ) as unknown as TickAccount['vm']
  void n
  return {
    tick: t.tick,
    time: t.time,
    seconds: t.seconds,
    host: { physical: t.physical, reserve: t.reserve, free: t.free, state: t.state },
    status: Uint8Array.from(t.vms, (r) => r.status),
    vm,
    refusedNow: 0,
    admittedNow: 0,
  }
}

/**
 * A stream like the replay's: ONE set of arrays, overwritten for every tick (so a reducer that
 * keeps a reference instead of a copy fails the tests).
 */
export function* reusedStream(ticks: ReadonlyArray<TickSpec>): Generator<TickAccount> {
  if (ticks.length === 0) return
  const n = ticks[0].vms.length
  const vm = Object.fromEntries(VM_FIELDS.map((f) => [f, new Float64Array(n)])) as unknown as Record<VmField, Float64Array>
  const status = new Uint8Array(n)
  for (const t of ticks) {
    for (const f of VM_FIELDS) for (let v = 0; v < n; v++) vm[f][v] = t.vms[v][f] ?? 0
    for (let v = 0; v < n; v++) status[v] = t.vms[v].status
    yield {
      tick: t.tick,
      time: t.time,
      seconds: t.seconds,
      host: { physical: t.physical, reserve: t.reserve, free: t.free, state: t.state },
      status,
      vm,
      refusedNow: 0,
      admittedNow: 0,
    }
  }
}

export const headerFor = (vmIds: ReadonlyArray<string>, ticks: number, over: Partial<RunHeader> = {}): RunHeader => ({
  policy: 'test',
  params: {},
  traceName: 'hand',
  host: { physical: 8192, reserve: 512, vmOverhead: 64 },
  vmIds,
  start: 1000,
  step: 300,
  ticks,
  hasStates: true,
  ...over,
})

// ---------------------------------------------------------------------------------------------
// Random runs

/** Dyadic MiB (whole KiB, up to 16 GiB): sums of a few hundred of them are exact in float64. */
const dyadicMiB = fc.integer({ min: 0, max: 16 * 1024 * 1024 }).map((k) => k / 1024)
/** Any double in [0, 16 GiB]. */
const anyMiB = fc.double({ min: 0, max: 16 * 1024, noNaN: true, noDefaultInfinity: true })

const vmRowArb = (mib: fc.Arbitrary<number>, slowdown: fc.Arbitrary<number>): fc.Arbitrary<VmRow> =>
  fc.record({
    status: fc.constantFrom(0, 1, 1, 1, 2),
    configured: mib,
    demand: mib,
    touched: mib,
    visible: mib,
    assigned: fc.oneof(mib, fc.constant(0)),
    resident: mib,
    overhead: mib,
    shared: fc.oneof(fc.constant(0), mib),
    ballooned: fc.oneof(fc.constant(0), mib),
    compressed: fc.oneof(fc.constant(0), mib),
    compressedStore: fc.oneof(fc.constant(0), mib),
    swapped: fc.oneof(fc.constant(0), mib),
    swapOut: fc.oneof(fc.constant(0), mib),
    guestPaging: fc.oneof(fc.constant(0), mib),
    hostSwapHit: fc.oneof(fc.constant(0), mib),
    compressedHit: fc.oneof(fc.constant(0), mib),
    blocked: fc.oneof(fc.constant(0), mib),
    slowdown,
  })

export interface RandomRun {
  readonly header: RunHeader
  readonly ticks: ReadonlyArray<TickSpec>
}

export const runArb = (exact: boolean): fc.Arbitrary<RandomRun> => {
  const mib = exact ? dyadicMiB : anyMiB
  const slowdown = exact
    ? fc.oneof(fc.constant(1), fc.constant(0), fc.integer({ min: 16, max: 16 * 4096 }).map((k) => k / 16))
    : fc.oneof(fc.constant(1), fc.double({ min: 0, max: 5e6, noNaN: true, noDefaultInfinity: true }))
  return fc
    .record({
      nVm: fc.integer({ min: 1, max: 5 }),
      nTick: fc.integer({ min: 1, max: 12 }),
      extraTicks: fc.integer({ min: 0, max: 2000 }),
      firstTick: fc.integer({ min: 0, max: 30 }),
    })
    .chain(({ nVm, nTick, extraTicks, firstTick }) =>
      fc
        .array(
          fc.record({
            gap: fc.integer({ min: 1, max: 3 }),
            seconds: fc.constantFrom(60, 300, 301),
            physical: fc.constantFrom(8192, 65536),
            reserve: mib,
            free: mib,
            state: fc.integer({ min: 0, max: 5 }),
            vms: fc.array(vmRowArb(mib, slowdown), { minLength: nVm, maxLength: nVm }),
          }),
          { minLength: nTick, maxLength: nTick },
        )
        .map((rows) => {
          let tick = firstTick
          const ticks: TickSpec[] = rows.map((r, i) => {
            if (i > 0) tick += r.gap
            return { tick, time: 1000 + tick * 300, ...r }
          })
          const ids = Array.from({ length: nVm }, (_, i) => `vm,${i}`)
          return { header: headerFor(ids, tick + 1 + extraTicks), ticks }
        }),
    )
}

// ---------------------------------------------------------------------------------------------
// Comparing with a relative tolerance

/**
 * Below this, two figures compared with a tolerance are the same: a sum whose terms cancel (idle =
 * resident - working set) keeps the rounding of its largest terms (sizes up to 16 GiB: ~1e-12 MiB
 * each), not a relative precision of its own (a whole run's 1e-24 against a split run's 0 failed).
 */
const ABSOLUTE_FLOOR = 1e-9

export const close = (a: number, b: number, rel = 1e-9): boolean =>
  a === b ||
  Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b)) + (rel > 0 ? ABSOLUTE_FLOOR : 0) ||
  (Number.isNaN(a) && Number.isNaN(b))

/** Deep comparison: same structure and strings, numbers within `rel`. Returns the first difference path. */
export const diff = (a: unknown, b: unknown, rel = 1e-9, path = '$'): string | undefined => {
  if (typeof a === 'number' && typeof b === 'number') return close(a, b, rel) ? undefined : `${path}: ${a} != ${b}`
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
    const x = a as unknown as ArrayLike<number>
    const y = b as unknown as ArrayLike<number>
    if (x.length !== y.length || a.constructor !== b.constructor) return `${path}: typed arrays differ in shape`
    for (let i = 0; i < x.length; i++) if (!close(x[i], y[i], rel)) return `${path}[${i}]: ${x[i]} != ${y[i]}`
    return undefined
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path}: length ${a.length} != ${b.length}`
    for (let i = 0; i < a.length; i++) {
      const d = diff(a[i], b[i], rel, `${path}[${i}]`)
      if (d !== undefined) return d
    }
    return undefined
  }
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) {
    const ka = Object.keys(a).sort()
    const kb = Object.keys(b).sort()
    if (ka.join('\u0000') !== kb.join('\u0000')) return `${path}: keys ${ka} != ${kb}`
    for (const k of ka) {
      const d = diff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], rel, `${path}.${k}`)
      if (d !== undefined) return d
    }
    return undefined
  }
  return Object.is(a, b) ? undefined : `${path}: ${String(a)} != ${String(b)}`
}

/** Drop the heat grid (its pressure sums are not dyadic, so they are compared with a tolerance). */
export const withoutHeat = (p: RunPartial): Omit<RunPartial, 'heat'> => ({ series: p.series, vms: p.vms })

/**
 * Placement and the static host count: the plan's answer for static (zero reserve and overhead)
 * equals an independently written first-fit-decreasing bin packing of the configured sizes.
 */
import { describe, expect, it } from 'vitest'
import * as fc from 'fast-check'
import { ffd, spread, type PlacementInput } from '../../src/plan/placement.js'
import { planHosts } from '../../src/plan/plan.js'
import { DEFAULT_SLA } from '../../src/plan/sla.js'
import { staticPolicy } from '../../policies/static.js'
import { buildTrace, hostOf, settingsOf } from '../support/build.js'

/** Textbook FFD, written here without the module under test: the number of bins. */
const independentFfd = (sizes: ReadonlyArray<number>, capacity: number): number => {
  const bins: number[] = []
  for (const s of [...sizes].sort((a, b) => b - a)) {
    const i = bins.findIndex((used) => used + s <= capacity)
    if (i >= 0) bins[i] += s
    else bins.push(s)
  }
  return bins.length
}

/** Time-aware first fit, by brute force over ticks: bins as per-tick load arrays. */
const independentTimeFfd = (vms: ReadonlyArray<{ size: number; first: number; end: number }>, capacity: number, ticks: number): number => {
  const bins: number[][] = []
  const order = vms.map((v, i) => ({ ...v, i })).sort((a, b) => b.size - a.size || a.i - b.i)
  for (const v of order) {
    let bin = bins.find((load) => load.slice(v.first, v.end).every((l) => l + v.size <= capacity))
    if (bin === undefined) bins.push((bin = new Array(ticks).fill(0)))
    for (let t = v.first; t < v.end; t++) bin[t] += v.size
  }
  return bins.length
}

const UNIT = 256 // MiB: sizes are whole multiples, so sums are exact

describe('placement', () => {
  it('ffd with every VM running throughout is textbook FFD, and every placement fits', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 30 }), fc.integer({ min: 40, max: 64 }), (units, capUnits) => {
        const sizes = units.map((u) => u * UNIT)
        const input: PlacementInput = {
          hosts: sizes.length,
          capacityMiB: capUnits * UNIT,
          vms: sizes.map((s, index) => ({ index, size: s, weight: s, firstTick: 0, endTick: 10 })),
          overAllocationCap: null,
        }
        const { assignment } = ffd(input)
        const used = new Set(assignment)
        expect(assignment.every((h) => h !== null)).toBe(true)
        expect(used.size).toBe(independentFfd(sizes, capUnits * UNIT))
        const load = new Map<number, number>()
        assignment.forEach((h, k) => load.set(h as number, (load.get(h as number) ?? 0) + sizes[k]))
        for (const l of load.values()) expect(l).toBeLessThanOrEqual(capUnits * UNIT)
      }),
      { numRuns: 300 },
    )
  })

  it('time-aware ffd: VMs whose lifetimes do not overlap share a host (against a per-tick brute force)', () => {
    const vmArb = fc.record({ size: fc.integer({ min: 1, max: 30 }), first: fc.integer({ min: 0, max: 19 }), len: fc.integer({ min: 1, max: 20 }) })
    fc.assert(
      fc.property(fc.array(vmArb, { minLength: 1, maxLength: 20 }), (vms) => {
        const ticks = 40
        const cap = 32
        const items = vms.map((v) => ({ size: v.size, first: v.first, end: v.first + v.len }))
        const input: PlacementInput = {
          hosts: items.length,
          capacityMiB: cap,
          vms: items.map((v, index) => ({ index, size: v.size, weight: v.size, firstTick: v.first, endTick: v.end })),
          overAllocationCap: null,
        }
        const { assignment } = ffd(input)
        expect(new Set(assignment).size).toBe(independentTimeFfd(items, cap, ticks))
      }),
      { numRuns: 300 },
    )
    // Two 30-unit VMs, one after the other, on a 32-unit host: one host.
    const seq: PlacementInput = {
      hosts: 2,
      capacityMiB: 32,
      vms: [
        { index: 0, size: 30, weight: 30, firstTick: 0, endTick: 5 },
        { index: 1, size: 30, weight: 30, firstTick: 5, endTick: 9 },
      ],
      overAllocationCap: null,
    }
    expect(ffd(seq).assignment).toEqual([0, 0])
  })

  it('spread balances configured size where admission is small, and honours the over-allocation cap', () => {
    const vms = [8, 8, 4, 4, 2, 2].map((g, index) => ({ index, size: 1024, weight: g * 1024, firstTick: 0, endTick: 10 }))
    const input: PlacementInput = { hosts: 2, capacityMiB: 64 * 1024, vms, overAllocationCap: null }
    const ffdHosts = new Set(ffd(input).assignment)
    expect(ffdHosts.size).toBe(1) // first fit on 1 GiB admissions piles everything on host 1
    const a = spread(input).assignment
    const load = [0, 0]
    a.forEach((h, k) => (load[h as number] += vms[k].weight))
    expect(load).toEqual([14 * 1024, 14 * 1024])
    const capped = spread({ ...input, hosts: 1, overAllocationCap: 0.25 }).assignment // 16 GiB of configured per host
    expect(capped.filter((h) => h === null).length).toBeGreaterThan(0)
  })
})

describe('static host count', () => {
  it('equals an independent FFD packing of the configured sizes (zero reserve and overhead)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 24 }), { minLength: 1, maxLength: 10 }), (units) => {
        const hostMiB = 32 * UNIT
        const trace = buildTrace(units.map((u, i) => ({ id: `vm${i}`, demand: new Array(6).fill((u * UNIT) / 2), configured: u * UNIT })))
        const vms = units.map((u, i) => settingsOf(`vm${i}`, u * UNIT))
        const plan = planHosts(trace, hostOf(hostMiB), vms, { policy: staticPolicy, params: staticPolicy.defaults }, 1, DEFAULT_SLA)
        expect(plan.met).toBe(true)
        expect(plan.hostsNeeded).toBe(independentFfd(units.map((u) => u * UNIT), hostMiB))
        expect(plan.result?.metrics.vmsRefused).toBe(0)
      }),
      { numRuns: 25 },
    )
  })
})

/** Per-VM right-sizing, worked by hand on small traces. */
import { describe, expect, it } from 'vitest'
import { nearestRank, rightsize, rightsizingCsv, rightsizingMarkdown, rightsizingSentence } from '../../src/plan/rightsize.js'
import { buildTrace, settingsOf } from '../support/build.js'

const GiB = 1024

describe('nearestRank', () => {
  it('is the smallest value with at least p% of the list at or below it', () => {
    const xs = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    expect(nearestRank(xs, 50)).toBe(50) // rank ceil(5) = 5
    expect(nearestRank(xs, 99)).toBe(100) // rank ceil(9.9) = 10
    expect(nearestRank(xs, 90)).toBe(90)
    expect(nearestRank(xs, 91)).toBe(100)
    expect(nearestRank([7], 99)).toBe(7)
  })
})

describe('rightsize', () => {
  // vm-a: 16 GiB configured, 10 running ticks with demand 1..10 GiB (an off tick in between is not counted).
  // vm-b: 4 GiB configured, working set 5 GiB at every tick (configured too small).
  // vm-c: never runs: not listed.
  const demandA = [1, 2, 3, 4, 5, NaN, 6, 7, 8, 9, 10].map((x) => x * GiB)
  const trace = buildTrace([
    { id: 'vm-a', demand: demandA, configured: 16 * GiB },
    { id: 'vm-b', demand: new Array(11).fill(5 * GiB), configured: 4 * GiB },
    { id: 'vm-c', demand: new Array(11).fill(NaN), configured: 8 * GiB },
  ])
  const vms = [settingsOf('vm-a', 16 * GiB, { bufferPercent: 20 }), settingsOf('vm-b', 4 * GiB, { bufferPercent: 50 }), settingsOf('vm-c', 8 * GiB)]

  it('sizes each VM to its p99 working set and derives Hyper-V and ESX settings by the stated rule', () => {
    const r = rightsize(trace, vms)
    expect(r.vms.map((v) => v.vm)).toEqual(['vm-a', 'vm-b'])
    const [a, b] = r.vms
    // vm-a: 10 running ticks; p99 = rank 10 = 10 GiB; p50 = rank 5 = 5 GiB; least 1 GiB.
    expect(a).toEqual({
      vm: 'vm-a',
      configuredMiB: 16 * GiB,
      runningHours: (10 * 300) / 3600,
      demandP50MiB: 5 * GiB,
      demandPMiB: 10 * GiB,
      demandPeakMiB: 10 * GiB,
      rightSizeMiB: 10 * GiB,
      freedMiB: 6 * GiB,
      hypervBufferPercent: 20,
      hypervMinimumMiB: 1 * GiB,
      hypervMaximumMiB: 12 * GiB, // 10 GiB x 1.2
      esxReservationMiB: 5 * GiB,
    })
    // vm-b: 5 GiB throughout; configured 4 GiB: wants 1 GiB more; maximum 5 x 1.5 = 7.5 GiB.
    expect(b).toMatchObject({ demandPMiB: 5 * GiB, rightSizeMiB: 5 * GiB, freedMiB: -1 * GiB, hypervMinimumMiB: 5 * GiB, hypervMaximumMiB: 7.5 * GiB, esxReservationMiB: 5 * GiB })
    expect(r.totals).toEqual({ configuredMiB: 20 * GiB, rightSizedMiB: 15 * GiB, freedMiB: 6 * GiB, wantedMiB: 1 * GiB, netMiB: 5 * GiB })
    expect(rightsizingSentence(r)).toBe('Right-sizing 2 VMs to their p99 working set (steps of 256 MiB) frees 6 GiB of 20 GiB configured; VMs configured below it want 1 GiB more; net 5 GiB.')
  })

  it('another percentile and granularity: p90 of vm-a is 9 GiB; 1000 MiB demand rounds up to 1024, the minimum floor is 512 MiB', () => {
    const r = rightsize(trace, vms, { percentile: 90, granularityMiB: 1024 })
    expect(r.vms[0]).toMatchObject({ demandPMiB: 9 * GiB, rightSizeMiB: 9 * GiB, hypervMaximumMiB: 11 * GiB }) // 9 x 1.2 = 10.8 -> 11
    const small = buildTrace([{ id: 's', demand: [100, 1000, 1000], configured: 4 * GiB }])
    const s = rightsize(small, [settingsOf('s', 4 * GiB, { bufferPercent: 20 })]).vms[0]
    expect(s).toMatchObject({ demandPMiB: 1000, rightSizeMiB: 1024, hypervMinimumMiB: 512, hypervMaximumMiB: 1280 }) // 1200 -> 1280
  })

  it('writes a CSV of every VM (names neutralised) and a Markdown section', () => {
    const evil = buildTrace([{ id: '=cmd()', demand: [GiB, GiB], configured: 2 * GiB }])
    const csv = rightsizingCsv(rightsize(evil, [settingsOf('=cmd()', 2 * GiB)]))
    expect(csv.split('\n')[0]).toBe('vm,configured_mib,running_hours,demand_p50_mib,demand_p_mib,demand_peak_mib,right_size_mib,freed_mib,hyperv_buffer_percent,hyperv_minimum_mib,hyperv_maximum_mib,esx_reservation_mib')
    expect(csv.split('\n')[1]).toBe(`"'=cmd()",2048,0.17,1024,1024,1024,1024,1024,20,1024,1280,1024`)
    const md = rightsizingMarkdown(rightsize(trace, vms), (s) => s)
    expect(md).toMatch(/^## Right-sizing/)
    expect(md).toContain('| vm-a | 16 | 10 | 10 | 6 | 1 / 12 | 5 |')
  })
})

/**
 * Reading aids of the charts (issue 16 item 5): the capacity rule, axes a single spike does not
 * set (clipTop, worked by hand), axis titles on every panel, tooltips on every kind of mark, and
 * runs told apart by dash and shape as well as colour.
 */
import { describe, expect, it } from 'vitest'
import { clipTop, heatmapSpec, hostMemorySpec, keyMetricsSpec, KEY_METRICS, reportCharts, shortfallSpec, slowdownDistributionSpec } from '../../src/report/charts.js'
import type { HostSeriesRow, ReportInput } from '../../src/report/model.js'
import { compileSpec } from '../../src/report/render.js'
import { fixtureInput } from './fixture.js'

type Json = Record<string, unknown>
/** Every unit spec (one with a mark) in a Vega-Lite spec, wherever it sits (facet, layer, concat). */
const units = (spec: unknown): Json[] => {
  if (spec === null || typeof spec !== 'object') return []
  const s = spec as Json
  const own = 'mark' in s ? [s] : []
  const kids = [s.spec, ...((s.layer as unknown[]) ?? []), ...((s.concat as unknown[]) ?? [])]
  return [...own, ...kids.flatMap(units)]
}
const markType = (u: Json): string => (typeof u.mark === 'string' ? u.mark : ((u.mark as Json).type as string))
const enc = (u: Json): Json => (u.encoding ?? {}) as Json

describe('clipTop', () => {
  it('leaves an axis alone when no spike stands out', () => {
    expect(clipTop([1, 2, 3, 4])).toEqual({ top: undefined, peak: 4 })
    expect(clipTop([7])).toEqual({ top: undefined, peak: 7 })
    expect(clipTop([])).toEqual({ top: undefined, peak: 0 })
    // nothing but the spike: 0 below it, no clipping (there would be nothing to see)
    expect(clipTop([0, 0, 0, 9])).toEqual({ top: undefined, peak: 9 })
  })

  it('one spike in 1000 values: the axis stops at 1.1 x the 99.5th percentile, two figures', () => {
    // 999 values of 10 and one of 500: the 995th smallest is 10 -> bound 10, top 11
    const xs = [...Array.from({ length: 999 }, () => 10), 500]
    expect(clipTop(xs)).toEqual({ top: 11, peak: 500 })
    // a floor (the host's capacity) keeps the axis above it: bound 60 -> 66
    expect(clipTop(xs, 60)).toEqual({ top: 66, peak: 500 })
    // 1.1 x 12.34 = 13.574 rounds up to 14 (two significant figures)
    expect(clipTop([...Array.from({ length: 999 }, () => 12.34), 500]).top).toBe(14)
    // a short series: the quantile would be the spike itself, so the second-highest value bounds it
    expect(clipTop([...Array.from({ length: 49 }, () => 10), 500])).toEqual({ top: 11, peak: 500 })
    // peak within 1.5 x the bound: no clipping
    expect(clipTop([...Array.from({ length: 999 }, () => 10), 15]).top).toBeUndefined()
    expect(clipTop([...Array.from({ length: 999 }, () => 10), 15.1]).top).toBe(11)
  })
})

describe('host memory chart', () => {
  it('draws the host capacity for VMs as a rule, with a tooltip', () => {
    const spec = hostMemorySpec(fixtureInput()).spec
    const rule = units(spec).find((u) => markType(u) === 'rule') as Json
    expect(enc(rule).y).toEqual({ datum: 60, type: 'quantitative' }) // 64 physical - 4 reserve
    expect(enc(rule).tooltip).toBeDefined()
    expect(JSON.stringify(spec)).toContain('host capacity for VMs: 60.0 GiB (64.0 physical - 4.0 reserve)')
  })

  it('a spike of swapped memory does not set the axis: clipped, and the title says so', () => {
    const input = fixtureInput()
    const series = input.runs[0].hostSeries
    const spiky: HostSeriesRow[] = series.map((r, i) => (i === 10 ? { ...r, swapped: 4000 } : r))
    const month: ReportInput = { ...input, runs: [{ ...input.runs[0], hostSeries: spiky }] }
    const area = units(hostMemorySpec(month).spec).find((u) => markType(u) === 'area') as Json
    const y = enc(area).y as Json
    // stack tops are 60 (resident + free) plus 2 x 0 shared ... : bound max(63, 60) -> 1.1 x 63 = 69.3 -> 70
    expect(y.scale).toEqual({ domain: [0, 70] })
    expect(y.title).toBe('GiB (axis clipped at 70.0 GiB; peak 4060.0 GiB)')
    expect((area.mark as Json).clip).toBe(true)
    // without the spike, no clipping
    const plain = units(hostMemorySpec({ ...input, runs: [input.runs[0]] }).spec).find((u) => markType(u) === 'area') as Json
    expect((enc(plain).y as Json).scale).toBeUndefined()
  })
})

describe('every chart', () => {
  const charts = reportCharts(fixtureInput())

  it('compiles, has a tooltip on every mark the reader points at, and titles its axes', async () => {
    for (const c of charts) {
      await expect(compileSpec(c.spec), c.id).resolves.toBeTypeOf('object')
      for (const u of units(c.spec)) {
        const e = enc(u)
        const t = markType(u)
        // a band or line path would answer with its first datum: points or bands carry the tooltips
        if (!(t === 'area' || (t === 'line' && c.id === 'shortfall'))) expect(e.tooltip, `${c.id} ${t}`).toBeDefined()
        for (const ch of ['x', 'y'] as const) {
          const d = e[ch] as Json | undefined
          if (d !== undefined && 'field' in d) expect(typeof d.title === 'string' && d.title.length > 0, `${c.id} ${t} ${ch}`).toBe(true)
        }
      }
    }
  })

  it('time series and heatmap have tooltips with the time in UTC', () => {
    for (const spec of [hostMemorySpec(fixtureInput()).spec, shortfallSpec(fixtureInput()).spec, heatmapSpec(fixtureInput()).spec]) {
      const tips = units(spec).flatMap((u) => (enc(u).tooltip as Json[] | undefined) ?? [])
      expect(tips.some((t) => t.field === 'time' && t.title !== undefined)).toBe(true)
      expect(JSON.stringify(spec)).toContain("utcFormat(datum.t, '%Y-%m-%d %H:%M')")
    }
  })

  it('runs differ in dash and shape as well as colour, so no line hides another', () => {
    for (const spec of [shortfallSpec(fixtureInput()).spec, slowdownDistributionSpec(fixtureInput()).spec]) {
      const e = units(spec).map(enc)
      const dash = e.find((x) => x.strokeDash !== undefined)?.strokeDash as Json
      expect((dash.scale as Json).range).toEqual([[1, 0], [7, 3], [2, 2]])
      expect(e.some((x) => x.shape !== undefined)).toBe(true)
    }
  })

  it('key metrics: one panel per figure, each with its own y title', () => {
    const panels = units(keyMetricsSpec(fixtureInput()).spec)
    expect(panels.map((p) => (enc(p).y as Json).title)).toEqual(KEY_METRICS.map(([, t]) => t))
    expect(KEY_METRICS[0][0]).toBe('shortOfMemoryShare')
  })

  it('shortfall: a boot spike does not set the axis', () => {
    const input = fixtureInput()
    const flat = input.runs[1].hostSeries.map((r, i) => ({ ...r, shortfallGuestPaging: i === 0 ? 100 : 1, shortfallHostSwap: 0, shortfallCompressed: 0 }))
    const s = shortfallSpec({ ...input, runs: [{ ...input.runs[1], hostSeries: flat }] }).spec
    const y = enc(units(s).find((u) => markType(u) === 'line') as Json).y as Json
    expect(y.scale).toEqual({ domain: [0, 1.1] })
    expect(y.title).toBe('shortfall, GiB (axis clipped at 1.1 GiB; peak 100.0 GiB)')
  })
})

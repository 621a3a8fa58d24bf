import { Resvg } from '@resvg/resvg-js'
import { describe, expect, it } from 'vitest'
import {
  hostMemorySpec,
  rebucketHeatmap,
  shortfallSpec,
  slowdownTail,
} from '../../src/report/charts.js'
import { chooseBucketSeconds, downsampleByTime } from '../../src/report/downsample.js'
import { escapeHtml, escapeMarkdown, jsonForScript, scriptSource } from '../../src/report/escape.js'
import type { HostSeriesRow, ReportInput } from '../../src/report/model.js'
import { resolveRuns } from '../../src/report/prepare.js'
import { normalizeSvgIds, renderSvg, resvgOptions } from '../../src/report/render.js'
import { EVIL_VM, fixtureInput } from './fixture.js'

describe('downsampleByTime', () => {
  it('keeps a short series as it is', () => {
    const rows = Array.from({ length: 10 }, (_, i) => ({ time: 1000 + i * 60, a: i }))
    const d = downsampleByTime(rows, ['a'], 500)
    expect(d.bucketSeconds).toBe(0)
    expect(d.buckets.map((b) => b.mean.a)).toEqual(rows.map((r) => r.a))
  })

  it('cuts a month of 5-minute ticks into at most 500 epoch-aligned buckets, means and maxima', () => {
    const start = 1_377_993_600 // 2013-09-01 00:00 UTC
    const rows = Array.from({ length: 30 * 288 }, (_, i) => ({ time: start + i * 300, a: i % 12, b: 2 }))
    const d = downsampleByTime(rows, ['a', 'b'], 500)
    expect(d.buckets.length).toBeLessThanOrEqual(500)
    expect(d.bucketSeconds).toBe(7200) // 360 buckets of 2 h
    expect(d.buckets.length).toBe(360)
    for (const b of d.buckets) {
      expect(b.time % d.bucketSeconds).toBe(0)
      expect(b.count).toBe(24)
      expect(b.mean.a).toBeCloseTo(5.5)
      expect(b.max.a).toBe(11)
      expect(b.mean.b).toBe(2)
    }
  })

  it('goes past the ladder in whole weeks and ignores non-finite values', () => {
    expect(chooseBucketSeconds(0, 10 * 365 * 86400, 100)).toBe(6 * 604800)
    const d = downsampleByTime([{ time: 0, a: NaN }, { time: 1, a: 3 }, { time: NaN, a: 9 }], ['a'], 1)
    expect(d.buckets).toHaveLength(1)
    expect(d.buckets[0].mean.a).toBe(3)
    expect(d.buckets[0].count).toBe(2)
  })

  it('keeps the host stack adding up after downsampling a month-long series', () => {
    const input = fixtureInput()
    const start = 1_377_993_600
    const long: HostSeriesRow[] = Array.from({ length: 30 * 288 }, (_, i) => {
      const ws = 20 + 10 * Math.sin(i / 50)
      return {
        time: start + i * 300,
        residentWorkingSet: ws,
        residentIdle: 5,
        free: 55 - ws,
        sharedAway: 0,
        ballooned: 0,
        compressed: 0,
        swapped: 0,
        shortfallGuestPaging: 0,
        shortfallHostSwap: 0,
        shortfallCompressed: 0,
        shortfallBlocked: i % 1000 === 0 ? 4 : 0,
      }
    })
    const month: ReportInput = { ...input, runs: input.runs.map((r) => ({ ...r, hostSeries: long })) }
    const spec = hostMemorySpec(month).spec as { data: { values: Array<Record<string, number>> } }
    const values = spec.data.values
    expect(values.length).toBeLessThanOrEqual(500 * month.runs.length)
    for (const v of values) expect(v.residentWorkingSet + v.residentIdle + v.free).toBeCloseTo(60, 3)
    const sf = shortfallSpec(month).spec as { data: { values: Array<{ max: number }> } }
    expect(sf.data.values.length).toBeLessThanOrEqual(500 * month.runs.length)
    expect(Math.max(...sf.data.values.map((v) => v.max))).toBe(4) // spikes survive as maxima
  })
})

describe('heatmap and distribution helpers', () => {
  it('re-buckets a fine heatmap to at most maxBuckets means', () => {
    const cells = Array.from({ length: 1500 }, (_, i) => ({ vm: 'a', bucketStart: i * 60, value: i % 3 }))
    const r = rebucketHeatmap(cells, 100)
    const starts = new Set(r.cells.map((c) => c.bucketStart))
    expect(starts.size).toBeLessThanOrEqual(100)
    expect(r.bucketSeconds).toBe(900)
    expect(r.cells).toHaveLength(100)
    for (const c of r.cells) expect(c.value).toBeCloseTo(1)
  })

  it('builds a tail distribution from histogram buckets', () => {
    const tail = slowdownTail([
      { lower: 1.5, upper: 2, vmHours: 1 },
      { lower: 1, upper: 1.5, vmHours: 2 },
      { lower: 1.2, upper: 1.5, vmHours: 0 },
      { lower: 2, upper: null, vmHours: 1 },
    ])
    expect(tail).toEqual([
      { slowdown: 1, share: 1 },
      { slowdown: 1.5, share: 0.5 },
      { slowdown: 2, share: 0.25 },
    ])
    expect(slowdownTail([])).toEqual([])
  })

  it('gives duplicate run labels a suffix', () => {
    const input = fixtureInput()
    const twice: ReportInput = { ...input, runs: [input.runs[0], input.runs[0], { ...input.runs[0], label: 'static #2' }] }
    expect(resolveRuns(twice).map((r) => r.label)).toEqual(['static', 'static #2', 'static #2 #2'])
  })
})

describe('escaping', () => {
  it('escapes HTML, script JSON and Markdown', () => {
    expect(escapeHtml(EVIL_VM)).toBe('&lt;img src=x onerror=alert(1)&gt;')
    expect(escapeHtml(`"'&`)).toBe('&quot;&#39;&amp;')
    const json = jsonForScript({ vm: '</script><!-- \u2028' })
    expect(json).not.toMatch(/[<>]/)
    expect(JSON.parse(json)).toEqual({ vm: '</script><!-- \u2028' })
    expect(scriptSource('a="</script>";b="<!--"')).toBe('a="<\\/script>";b="<\\!--"')
    expect(escapeMarkdown('a|b <img> *x* [l](u)\nnext')).toBe('a\\|b &lt;img&gt; \\*x\\* \\[l\\](u) next')
  })
})

describe('rendering', () => {
  it('renumbers SVG ids in order of appearance', () => {
    const svg = '<svg><clipPath id="clip7"/><g clip-path="url(#clip7)"/><use href="#clip9"/><clipPath id="clip9"/></svg>'
    expect(normalizeSvgIds(svg)).toBe('<svg><clipPath id="r1"/><g clip-path="url(#r1)"/><use href="#r2"/><clipPath id="r2"/></svg>')
  })

  it('draws text in the PNG (resvg has the DejaVu font)', () => {
    const svg =
      '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="30"><text x="5" y="20" font-family="DejaVu Sans" font-size="16">Hello</text></svg>'
    const pixels = new Resvg(svg, resvgOptions(1)).render().pixels
    let dark = 0
    for (let i = 0; i < pixels.length; i += 4) if (pixels[i] < 128) dark++
    expect(dark).toBeGreaterThan(20)
  })

  it('renders the same SVG in any time zone', async () => {
    const saved = process.env.TZ
    try {
      const out: string[] = []
      for (const tz of ['UTC', 'Asia/Tokyo', 'America/Los_Angeles']) {
        process.env.TZ = tz
        const charts = (await import('../../src/report/charts.js')).reportCharts(fixtureInput())
        out.push((await Promise.all(charts.map((c) => renderSvg(c.spec)))).join('\n'))
      }
      expect(out[1]).toBe(out[0])
      expect(out[2]).toBe(out[0])
    } finally {
      if (saved === undefined) delete process.env.TZ
      else process.env.TZ = saved
    }
  })

  it('renders the same SVG twice in one process', async () => {
    const spec = hostMemorySpec(fixtureInput()).spec
    const a = await renderSvg(spec)
    const b = await renderSvg(spec)
    expect(a).toBe(b)
    expect(a).toContain('font-family="DejaVu Sans"')
  })
})

describe('specJson', () => {
  it('writes data one record per line and parses back to the spec', async () => {
    const { specJson } = await import('../../src/report/files.js')
    const { reportCharts } = await import('../../src/report/charts.js')
    for (const c of reportCharts(fixtureInput())) {
      const text = specJson(c.spec)
      expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(c.spec)))
      const n = (c.spec as { data: { values: unknown[] } }).data.values.length
      // the spec itself is a few hundred lines at most (key metrics: eight panels, each a spec of its own)
      expect(text.split('\n').length).toBeLessThan(n + 800)
    }
  })
})

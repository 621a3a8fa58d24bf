/**
 * The chart thread (render.ts startChartThread, chart-worker.mjs): the SVGs it draws are the bytes
 * renderSvg draws here; a spec Vega refuses is refused the same way; a thread that is gone falls back
 * to drawing here; a report built with it is the report built without it, file for file.
 */
import { describe, expect, it } from 'vitest'
import type { TopLevelSpec } from 'vega-lite'
import { reportCharts } from '../../src/report/charts.js'
import { buildReportFiles } from '../../src/report/files.js'
import { renderCharts, renderSvg, startChartThread } from '../../src/report/render.js'
import { fixtureInput } from './fixture.js'

const specs = reportCharts(fixtureInput()).map((c) => c.spec)

describe('chart thread', () => {
  it('draws the same SVG bytes as this thread, in the order asked', async () => {
    const thread = startChartThread()
    try {
      const there = await renderCharts(specs, { png: false, thread })
      const here = await renderCharts(specs, { png: false })
      expect(there.map((d) => d.svg)).toEqual(here.map((d) => d.svg))
      expect(there.map((d) => d.svg)).toEqual(await Promise.all(specs.map((s) => renderSvg(s))))
    } finally {
      await thread.close()
    }
  })

  it('two threads draw the same bytes as one', async () => {
    const thread = startChartThread(2)
    try {
      const drawn = await renderCharts(specs, { png: false, thread })
      expect(drawn.map((d) => d.svg)).toEqual(await Promise.all(specs.map((s) => renderSvg(s))))
    } finally {
      await thread.close()
    }
  })

  it('refuses a spec Vega-Lite refuses, as this thread does, and goes on drawing the next', async () => {
    const thread = startChartThread()
    try {
      const bad = { mark: 'no-such-mark', data: { values: [] } } as unknown as TopLevelSpec
      const here = await renderSvg(bad).then(
        () => 'drawn',
        (err: Error) => err.message,
      )
      expect(here).not.toBe('drawn')
      await expect(thread.svg(bad)).rejects.toThrow(here)
      await expect(renderCharts([specs[0], bad], { png: false, thread })).rejects.toThrow()
      expect(await thread.svg(specs[0])).toBe(await renderSvg(specs[0]))
    } finally {
      await thread.close()
    }
  })

  it('a closed thread is drawn around: the charts are drawn here, the same bytes', async () => {
    const thread = startChartThread()
    await thread.close()
    const drawn = await renderCharts(specs, { png: false, thread })
    expect(drawn.map((d) => d.svg)).toEqual(await Promise.all(specs.map((s) => renderSvg(s))))
  })

  it('a report built with the thread is the report built without it, PNGs included', async () => {
    const thread = startChartThread()
    try {
      const a = await buildReportFiles(fixtureInput(), { png: true, chartThread: thread })
      const b = await buildReportFiles(fixtureInput(), { png: true })
      expect([...a.keys()]).toEqual([...b.keys()])
      for (const [name, content] of a) expect(Buffer.from(content).equals(Buffer.from(b.get(name)!)), name).toBe(true)
    } finally {
      await thread.close()
    }
  })
})

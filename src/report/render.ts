/**
 * Headless rendering of a chart: Vega-Lite compile -> Vega View (renderer 'none') -> SVG -> PNG
 * (@resvg/resvg-js). No browser, no canvas, no network.
 *
 * Deterministic: same spec, same bytes. Vega numbers clip paths and gradients from a counter that
 * lives for the whole process, so the SVG's ids are renumbered in order of appearance; text widths
 * are Vega's estimate (no canvas in Node), fixed for a given string; time axes are UTC.
 * Fonts: the SVG names DejaVu Sans (set in every chart's config) and resvg is given the DejaVu files,
 * else text silently disappears from the PNG.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import type { ResvgRenderOptions } from '@resvg/resvg-js'
import type * as vega from 'vega'
import type { TopLevelSpec } from 'vega-lite'
import { projectPath } from '../runtime.js'
import { CHART_FONT } from './charts.js'
import { drawSvg } from './chart-worker.mjs'

// Vega, Vega-Lite and resvg are loaded when the first chart is drawn, not when the command line
// starts: every command imports this module, and loading them costs about 0.6 CPU-seconds that
// validate, sweep or merge never use. resvg is CommonJS (required on first use, synchronously);
// Vega and Vega-Lite are ES modules with top-level await (imported, so compileSpec is async).
type Resvg = typeof import('@resvg/resvg-js')
let resvgModule: Resvg | undefined
const resvg = (): Resvg => (resvgModule ??= createRequire(import.meta.url)('@resvg/resvg-js') as Resvg)
let vegaModules: Promise<{ readonly vega: typeof vega; readonly vl: typeof import('vega-lite') }> | undefined
const loadVega = (): Promise<{ readonly vega: typeof vega; readonly vl: typeof import('vega-lite') }> =>
  (vegaModules ??= Promise.all([import('vega'), import('vega-lite')]).then(([v, vl]) => ({ vega: v, vl })))

/** The DejaVu Sans files resvg loads (Debian's fonts-dejavu-core). */
export const DEJAVU_FONT_FILES: ReadonlyArray<string> = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans-Oblique.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans-BoldOblique.ttf',
]

/** Compile a Vega-Lite spec to a Vega spec (rejects on an invalid spec). */
export const compileSpec = async (spec: TopLevelSpec): Promise<vega.Spec> => (await loadVega()).vl.compile(spec).spec

/**
 * Renumber every id="..." of an SVG in order of appearance (r1, r2, ...) and rewrite the
 * references to them (url(#id), href="#id"), so that ids do not depend on what the process
 * rendered before.
 */
export const normalizeSvgIds = (svg: string): string => {
  const map = new Map<string, string>()
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) if (!map.has(m[1])) map.set(m[1], `r${map.size + 1}`)
  if (map.size === 0) return svg
  const sub = (id: string): string => map.get(id) ?? id
  return svg
    .replace(/(\sid=")([^"]+)(")/g, (_m, a: string, id: string, b: string) => `${a}${sub(id)}${b}`)
    .replace(/url\(#([^)]+)\)/g, (_m, id: string) => `url(#${sub(id)})`)
    .replace(/((?:xlink:)?href=")#([^"]+)(")/g, (_m, a: string, id: string, b: string) => `${a}#${sub(id)}${b}`)
}

/** Render a Vega-Lite spec to an SVG string (deterministic). */
export const renderSvg = async (spec: TopLevelSpec): Promise<string> => {
  const { vega: v, vl } = await loadVega()
  return normalizeSvgIds(await drawSvg(v, vl, spec))
}

/** The chart thread's program: plain JavaScript, run from src/ whether the CLI runs from src/ or dist/. */
const CHART_WORKER = projectPath('src', 'report', 'chart-worker.mjs')

/** The chart thread failed (it could not start, or died): not the spec's fault; draw here instead. */
class ChartThreadError extends Error {}

/**
 * Worker threads that draw SVGs (chart-worker.mjs), the same bytes as renderSvg. Started before the
 * trace is read, they load Vega and Vega-Lite on the other core while this thread reads and replays;
 * the charts are then drawn there (side by side, with more than one thread) while this thread writes
 * the report's other files. They keep the process alive only while a chart is being drawn; `close`
 * ends them.
 */
export interface ChartThread {
  readonly svg: (spec: TopLevelSpec) => Promise<string>
  readonly close: () => Promise<void>
}

/**
 * One thread. Two (each drawing part of the charts) were slower on this project's 2-core machine
 * (compare --policies static on the cached month: 2.18 s against 1.95 s wall, median of 5; with
 * each chart to the first idle thread, 2.40 against 2.23, median of 9): the second Vega to load
 * competes with the cache load and the replay for the cores. (Starting the second when the first
 * has loaded does not work: this thread hears of it only after the replay.)
 */
const CHART_THREADS = 1

interface Pending {
  readonly resolve: (svg: string) => void
  readonly reject: (err: Error) => void
}

/** One chart thread: its worker, and what it has been asked to draw and not yet answered. */
const chartWorker = (): { readonly worker: Worker; readonly pending: Map<number, Pending>; readonly broken: () => ChartThreadError | undefined } => {
  const pending = new Map<number, Pending>()
  let broken: ChartThreadError | undefined
  const fail = (err: ChartThreadError): void => {
    broken ??= err
    for (const p of pending.values()) p.reject(err)
    pending.clear()
  }
  const worker = new Worker(CHART_WORKER, { workerData: { memreplayCharts: true } })
  worker.unref()
  worker.on('message', (m: { id: number; svg?: string; error?: string }) => {
    const p = pending.get(m.id)
    if (p === undefined) return
    pending.delete(m.id)
    if (pending.size === 0) worker.unref()
    if (m.svg !== undefined) p.resolve(normalizeSvgIds(m.svg))
    else p.reject(new Error(m.error))
  })
  worker.on('error', (err) => fail(new ChartThreadError(`a chart thread failed: ${err.message}`)))
  worker.on('exit', (code) => fail(new ChartThreadError(`a chart thread exited (code ${code})`)))
  return { worker, pending, broken: () => broken }
}

export const startChartThread = (threads: number = CHART_THREADS): ChartThread => {
  let workers: ReadonlyArray<ReturnType<typeof chartWorker>>
  try {
    workers = Array.from({ length: threads }, chartWorker)
  } catch (err) {
    const broken = new ChartThreadError(`the chart threads did not start: ${(err as Error).message}`)
    return { svg: () => Promise.reject(broken), close: async () => undefined }
  }
  let next = 0
  let closed = false
  return {
    svg: (spec) => {
      // the thread with the least to do (the first of equals): the bytes do not depend on which
      const live = closed ? [] : workers.filter((w) => w.broken() === undefined)
      if (live.length === 0) return Promise.reject(workers[0]?.broken() ?? new ChartThreadError('the chart threads were closed'))
      const w = live.reduce((a, b) => (b.pending.size < a.pending.size ? b : a))
      return new Promise<string>((resolve, reject) => {
        const id = next++
        w.pending.set(id, { resolve, reject })
        w.worker.ref()
        w.worker.postMessage({ id, spec })
      })
    },
    close: async () => {
      closed = true
      await Promise.all(workers.map((w) => w.worker.terminate()))
    },
  }
}

/** An SVG drawn on `thread` when given (here if the thread failed), else here. */
const svgOn = (spec: TopLevelSpec, thread: ChartThread | undefined): Promise<string> =>
  thread === undefined ? renderSvg(spec) : thread.svg(spec).catch((err: unknown) => (err instanceof ChartThreadError ? renderSvg(spec) : Promise.reject(err)))

/** resvg's options: zoom `scale`, white background, the DejaVu files (system fonts if they are missing). */
export const resvgOptions = (scale = 2): ResvgRenderOptions => {
  const fontFiles = DEJAVU_FONT_FILES.filter((f) => existsSync(f))
  return {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font:
      fontFiles.length > 0
        ? { loadSystemFonts: false, fontFiles: [...fontFiles], defaultFontFamily: CHART_FONT, sansSerifFamily: CHART_FONT }
        : { loadSystemFonts: true, defaultFontFamily: CHART_FONT, sansSerifFamily: CHART_FONT },
  }
}

/** Render an SVG to PNG with resvg, at `scale` (default 2, for sharp text in documents). */
export const svgToPng = (svg: string, scale = 2): Buffer => Buffer.from(new (resvg().Resvg)(svg, resvgOptions(scale)).render().asPng())

/**
 * svgToPng off the main thread: resvg renders on libuv's thread pool, so a PNG is drawn while the
 * next chart's SVG is laid out (same bytes as svgToPng).
 */
export const svgToPngAsync = async (svg: string, scale = 2): Promise<Buffer> => Buffer.from((await resvg().renderAsync(svg, resvgOptions(scale))).asPng())

export interface RenderedChart {
  readonly svg: string
  readonly png: Buffer
}

/** Render a spec to SVG and PNG. */
export const renderChart = async (spec: TopLevelSpec, scale = 2): Promise<RenderedChart> => {
  const svg = await renderSvg(spec)
  return { svg, png: svgToPng(svg, scale) }
}

/**
 * Render charts: every spec to SVG, one after another, on `thread` when given (else here) and, when
 * `png` is set, each SVG to PNG on libuv's thread pool as soon as it is drawn. In the order given;
 * the bytes do not depend on where or in what overlap they were drawn.
 */
export const renderCharts = async (
  specs: ReadonlyArray<TopLevelSpec>,
  o: { readonly png: boolean; readonly scale?: number; readonly thread?: ChartThread },
): Promise<ReadonlyArray<{ readonly svg: string; readonly png: Buffer | undefined }>> => {
  const drawn: Array<Promise<{ readonly svg: string; readonly png: Buffer | undefined }>> = []
  if (o.thread !== undefined) {
    // The thread draws them in turn: ask for all at once, so it never waits for this thread.
    for (const spec of specs) drawn.push(svgOn(spec, o.thread).then(async (svg) => ({ svg, png: o.png ? await svgToPngAsync(svg, o.scale ?? 2) : undefined })))
  } else {
    for (const spec of specs) {
      const svg = await renderSvg(spec).catch(async (err: unknown) => {
        await Promise.allSettled(drawn) // none left running behind a failure
        throw err
      })
      const png = o.png ? svgToPngAsync(svg, o.scale ?? 2) : undefined
      drawn.push(png === undefined ? Promise.resolve({ svg, png: undefined }) : png.then((p) => ({ svg, png: p })))
    }
  }
  const settled = await Promise.allSettled(drawn) // none left running behind a failure
  const failed = settled.find((r) => r.status === 'rejected')
  if (failed !== undefined) throw (failed as PromiseRejectedResult).reason
  return settled.map((r) => (r as PromiseFulfilledResult<{ svg: string; png: Buffer | undefined }>).value)
}

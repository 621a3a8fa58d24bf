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
import type { ResvgRenderOptions } from '@resvg/resvg-js'
import type * as vega from 'vega'
import type { TopLevelSpec } from 'vega-lite'
import { CHART_FONT } from './charts.js'

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
  const view = new v.View(v.parse(vl.compile(spec).spec), { renderer: 'none', logLevel: v.Error })
  try {
    const svg = await view.toSVG()
    return normalizeSvgIds(svg)
  } finally {
    view.finalize()
  }
}

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
 * Render charts: every spec to SVG (one after another: Vega runs on the main thread) and, when
 * `png` is set, each SVG to PNG on the thread pool while the next SVG is drawn. In the order given;
 * the bytes do not depend on the overlap.
 */
export const renderCharts = async (
  specs: ReadonlyArray<TopLevelSpec>,
  o: { readonly png: boolean; readonly scale?: number },
): Promise<ReadonlyArray<{ readonly svg: string; readonly png: Buffer | undefined }>> => {
  const svgs: string[] = []
  const pngs: Array<Promise<Buffer> | undefined> = []
  try {
    for (const spec of specs) {
      const svg = await renderSvg(spec)
      svgs.push(svg)
      pngs.push(o.png ? svgToPngAsync(svg, o.scale ?? 2) : undefined)
    }
  } catch (err) {
    await Promise.allSettled(pngs) // none left running behind a failure
    throw err
  }
  const done = await Promise.all(pngs)
  return svgs.map((svg, i) => ({ svg, png: done[i] }))
}

/**
 * Interactive charts in a self-contained page (the comparison, plan and sweep pages): the
 * vega, vega-lite and vega-embed builds inlined from node_modules, each spec embedded as JSON (no
 * $schema, so no URL), drawn by vegaEmbed (renderer 'svg', actions off; tooltips by vega-embed's
 * handler). A chart's element is `#chart-<id>`; it gets data-rendered="true" (or "error", with a
 * sentence) and the body data-charts="done" when all are drawn, for tests and for readers with
 * scripts off, who see what the element held before (a static SVG, if the page put one there).
 *
 * The CSP allows inline scripts (and eval, which vega's expression parser needs) and nothing else:
 * no request leaves the page.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { escapeHtml as h, jsonForScript, scriptSource } from './escape.js'

/** The browser builds inlined into the page: [package, file under the package's build/]. */
export const BROWSER_BUILDS: ReadonlyArray<readonly [string, string]> = [
  ['vega', 'vega.min.js'],
  ['vega-lite', 'vega-lite.min.js'],
  ['vega-embed', 'vega-embed.min.js'],
]

const buildCache = new Map<string, string>()

/** Read a package's browser build (cached). Each of these packages' entry point is in build/. */
export const readBrowserBuild = (pkg: string, file: string): string => {
  const key = `${pkg}/${file}`
  const cached = buildCache.get(key)
  if (cached !== undefined) return cached
  const require = createRequire(import.meta.url)
  let dir: string
  try {
    dir = path.dirname(require.resolve(pkg))
  } catch {
    dir = path.join(process.cwd(), 'node_modules', pkg, 'build')
  }
  const text = readFileSync(path.join(dir, file), 'utf8')
  buildCache.set(key, text)
  return text
}

export const EMBED_CSP =
  "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:; " +
  "font-src 'none'; connect-src 'none'; form-action 'none'; base-uri 'none'"

/** A self-contained page's opening, through </head>: the CSP that lets nothing leave the page, the
 *  (escaped) title and the page's own style. */
export const pageHead = (title: string, style: string): string => `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${EMBED_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${h(title)}</title>
<style>${style}</style>
</head>`

export interface EmbeddedChart {
  /** Unique in the page: letters, digits, '-' (the element is #chart-<id>). */
  readonly id: string
  readonly spec: unknown
}

const SAFE_ID = /^[A-Za-z0-9-]+$/

/** The element a chart is drawn into; `fallback` (trusted markup, e.g. a rendered SVG) shows until it is. */
export const chartElement = (id: string, fallback = ''): string => {
  if (!SAFE_ID.test(id)) throw new Error(`chart id "${id}" is not letters, digits and '-'`)
  return `<div class="chart" id="chart-${id}" data-chart="${h(id)}">${fallback}</div>`
}

const BOOT = `(function () {
  var specs = JSON.parse(document.getElementById('report-specs').textContent);
  var jobs = specs.map(function (c) {
    var el = document.getElementById('chart-' + c.id);
    el.textContent = '';
    return vegaEmbed(el, c.spec, { actions: false, renderer: 'svg', mode: 'vega-lite' })
      .then(function () { el.setAttribute('data-rendered', 'true'); })
      .catch(function (e) { el.setAttribute('data-rendered', 'error'); el.textContent = 'This chart could not be drawn: ' + e; console.error(e); });
  });
  Promise.all(jobs).then(function () { document.body.setAttribute('data-charts', 'done'); });
})();`

/** The scripts that draw `charts`, to put at the end of the body. */
export const chartScripts = (charts: ReadonlyArray<EmbeddedChart>): string => {
  for (const c of charts) if (!SAFE_ID.test(c.id)) throw new Error(`chart id "${c.id}" is not letters, digits and '-'`)
  const specs = charts.map((c) => {
    const { $schema: _schema, ...spec } = c.spec as { $schema?: string }
    return { id: c.id, spec }
  })
  const libs = BROWSER_BUILDS.map(([pkg, file]) => `<script data-lib="${pkg}">\n${scriptSource(readBrowserBuild(pkg, file))}\n</script>`).join('\n')
  return `<script id="report-specs" type="application/json">${jsonForScript(specs)}</script>\n${libs}\n<script>\n${BOOT}\n</script>`
}

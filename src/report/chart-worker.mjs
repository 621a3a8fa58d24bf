// Vega-Lite spec -> SVG text, with Vega and Vega-Lite, in two places: in-process (render.ts imports
// `drawSvg`), and as a worker thread that loads Vega while the main thread reads the trace and
// replays, then draws the report's charts while the main thread writes the rest (render.ts,
// ChartThread). Plain JavaScript importing only packages, so the thread starts without a TypeScript
// loader whether the CLI runs from src/ or from the build. The SVG's ids are renumbered by the
// caller (normalizeSvgIds), so both places give the same bytes.
import { isMainThread, parentPort, workerData } from 'node:worker_threads'

/** Draw one spec with the given modules (renderer 'none': no canvas, no DOM). */
export const drawSvg = async (vega, vl, spec) => {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none', logLevel: vega.Error })
  try {
    return await view.toSVG()
  } finally {
    view.finalize()
  }
}

if (!isMainThread && parentPort !== null && workerData?.memreplayCharts === true) {
  const port = parentPort
  // Loaded at once: the point of this thread is to have Vega ready before the first chart is asked for.
  // (Drawing small charts meanwhile to warm Vega's code up cost 0.35 CPU-s and gained no wall time.)
  const modules = Promise.all([import('vega'), import('vega-lite')])
  // One chart at a time, in the order asked: each message is { id, spec }, each answer { id, svg } or { id, error }.
  let queue = Promise.resolve()
  port.on('message', ({ id, spec }) => {
    queue = queue.then(async () => {
      try {
        const [vega, vl] = await modules
        port.postMessage({ id, svg: await drawSvg(vega, vl, spec) })
      } catch (err) {
        port.postMessage({ id, error: err instanceof Error ? err.message : String(err) })
      }
    })
  })
}

/**
 * The report: public entry points. See model.ts for the input (ReportInput).
 */
export type * from './model.js'
export {
  reportCharts,
  hostMemorySpec,
  shortfallSpec,
  heatmapSpec,
  keyMetricsSpec,
  slowdownDistributionSpec,
  slowdownTail,
  rebucketHeatmap,
  CHART_FONT,
  type Chart,
  type ChartId,
  type ChartOptions,
} from './charts.js'
export { downsampleByTime, chooseBucketSeconds, describeSeconds, DEFAULT_MAX_POINTS, BUCKET_LADDER_SECONDS } from './downsample.js'
export { renderSvg, svgToPng, renderChart, compileSpec, normalizeSvgIds } from './render.js'
export { renderHtml } from './html.js'
export { renderMarkdown } from './markdown.js'
export { escapeHtml, escapeMarkdown, jsonForScript } from './escape.js'
export { buildReportFiles, writeReportFiles, metricsJson, type ReportOptions, type ReportFiles, type WrittenReport } from './files.js'
export { resolveRuns, comparisonRows, vmCounts } from './prepare.js'
export {
  verdictOf,
  verdictOfReport,
  verdictSpans,
  verdictText,
  verdictMarkdown,
  verdictHtml,
  VERDICT_RULE,
  VERDICT_CRITERIA,
  type Verdict,
  type VerdictInput,
  type VerdictRun,
  type Standing,
  type Loss,
  type Span,
} from './verdict.js'

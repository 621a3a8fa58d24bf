/**
 * index.html: one self-contained page that opens with no network. The vega, vega-lite and
 * vega-embed builds are inlined from node_modules; each chart spec is embedded as JSON and drawn
 * by vegaEmbed (renderer 'svg', actions off): embed.ts, shared with the plan and sweep pages.
 *
 * Safety: every string from a trace or a spec is HTML-escaped (escapeHtml); JSON in <script> has
 * `<`, `>`, `&` as \u003c, \u003e, \u0026 (jsonForScript); a Content-Security-Policy forbids any
 * request (default-src 'none'; inline scripts and styles only; images from data: only).
 * No external URL appears in the page's own markup; specs are embedded without $schema.
 * Deterministic: no timestamps (unless the input carries generatedNote).
 */
import { REPAIR_KINDS, type RepairKind } from '../trace/import-report.js'
import type { Chart } from './charts.js'
import { chartElement, chartScripts, pageHead } from './embed.js'
import { escapeHtml as h } from './escape.js'
import type { ReportInput, VmSummaryRow } from './model.js'
import { comparisonRows, formatNumber, formatTime, prettyJson, resolveRuns, type ResolvedRun } from './prepare.js'
import { verdictHtml, verdictOfReport } from './verdict.js'

// The browser builds and how charts are drawn live in embed.ts (shared with the plan and sweep pages).
export { BROWSER_BUILDS, readBrowserBuild } from './embed.js'

/** What a repair kind means, for the import-report table. */
export const REPAIR_DESCRIPTIONS: Readonly<Record<RepairKind, string>> = {
  repeatedTimestamp: 'row with an already-seen timestamp (dropped; first kept)',
  outOfOrderTimestamp: 'row earlier than the row before it (sorted into place)',
  tickCollision: 'two timestamps on one grid tick (later kept)',
  allZeroRow: 'row of all zeros (VM counted as off)',
  zeroCapacity: 'capacity 0 while usage is not (capacity held from last good row)',
  usageAboveCapacity: 'usage above capacity (clamped to capacity)',
  gapHeld: 'tick inside a short gap (last value held)',
  gapOff: 'tick inside a long gap (counted as off)',
  capacityChange: 'provisioned capacity changed mid-trace',
  lateStart: 'VM starts after the trace start',
  earlyStop: 'VM stops before the trace end',
  repeatedHeader: 'header line repeated mid-file (skipped)',
}

const STYLE = `
body{font-family:'DejaVu Sans',sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#222;line-height:1.4}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
h3{font-size:1rem}table{border-collapse:collapse;margin:.5rem 0;font-size:.85rem}
th,td{border:1px solid #ddd;padding:.2rem .5rem;text-align:right;vertical-align:top}
th:first-child,td:first-child{text-align:left}thead th{background:#f4f4f4}
pre{background:#f7f7f7;border:1px solid #e3e3e3;padding:.5rem;overflow:auto;font-size:.8rem;white-space:pre-wrap;word-break:break-all}
figure{margin:1rem 0 2rem}figcaption{font-size:.85rem;color:#555;max-width:900px}
.chart{min-height:60px;overflow-x:auto}.error{color:#a00;font-weight:bold}.muted{color:#666}
.facts td,.repairs td:last-child{text-align:left}.refused td:last-child{text-align:left}
tr.group th{text-align:left;background:#fafafa;font-weight:normal;font-style:italic}
.verdict{font-size:1rem;background:#f4f8fc;border-left:4px solid #4c78a8;padding:.6rem .8rem;max-width:1000px}
`

const table = (head: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>, cls = ''): string =>
  `<table${cls === '' ? '' : ` class="${cls}"`}><thead><tr>${head.map((c) => `<th>${h(c)}</th>`).join('')}</tr></thead>` +
  `<tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${h(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`

const section = (id: string, title: string, body: string): string => `<section id="${id}"><h2>${h(title)}</h2>\n${body}\n</section>`

/** The comparison table; a group's heading spans the row. */
const comparisonTable = (runs: ReadonlyArray<ResolvedRun>, fleet: ReportInput['fleet']): string =>
  `<table class="comparison"><thead><tr>${['Figure', ...runs.map((r) => r.label)].map((c) => `<th>${h(c)}</th>`).join('')}</tr></thead><tbody>` +
  comparisonRows(runs, fleet)
    .map((row) =>
      row.key === 'group'
        ? `<tr class="group"><th colspan="${runs.length + 1}">${h(row.label)}</th></tr>`
        : `<tr>${[row.label, ...row.values].map((c) => `<td>${h(c)}</td>`).join('')}</tr>`,
    )
    .join('') +
  '</tbody></table>'

const byName = (a: VmSummaryRow, b: VmSummaryRow): number => (a.vm < b.vm ? -1 : a.vm > b.vm ? 1 : 0)
const finite = (x: number): number => (Number.isFinite(x) ? x : 0)

/**
 * The served VMs of a run (ran, never refused) shown in the per-VM table: most VM-time short of
 * memory first, then largest shortfall, then by name. Refused VMs are listed apart (refusedVms):
 * their figures would be zeros that read as "no problem".
 */
export const worstVms = (rows: ReadonlyArray<VmSummaryRow>, limit: number): VmSummaryRow[] =>
  rows
    .filter((v) => !v.refused && v.runningHours > 0)
    .sort(
      (a, b) =>
        finite(b.shortOfMemoryShare) - finite(a.shortOfMemoryShare) || finite(b.shortfallGiBh) - finite(a.shortfallGiBh) || byName(a, b),
    )
    .slice(0, limit)

/** The refused VMs of a run (refused at any time), largest configured first, then by name. */
export const refusedVms = (rows: ReadonlyArray<VmSummaryRow>): VmSummaryRow[] =>
  rows.filter((v) => v.refused).sort((a, b) => finite(b.configuredGiB) - finite(a.configuredGiB) || byName(a, b))

const vmTables = (runs: ReadonlyArray<ResolvedRun>, limit: number): string =>
  runs
    .map((r) => {
      const served = r.run.vmSummaries.filter((v) => !v.refused && v.runningHours > 0).length
      const rows = worstVms(r.run.vmSummaries, limit)
      const refused = refusedVms(r.run.vmSummaries)
      const head =
        `<h3>${h(r.label)}</h3><p class="muted">${served} VMs served (ran, never refused), ${refused.length} refused. ` +
        `${rows.length} of the served shown, most VM-time short of memory first.</p>`
      const servedTable =
        r.run.vmSummaries.length === 0
          ? '<p class="muted">No VM summaries.</p>'
          : rows.length === 0
          ? '<p class="muted">No VM served.</p>'
          : table(
              ['VM', 'Running h', 'Configured GiB', 'Peak demand GiB', 'Short of memory', 'Shortfall GiBh', 'Host swap GiBh', 'Pressure > 100', 'Slowdown p95', 'Slowdown max'],
              rows.map((v) => [
                v.vm,
                formatNumber(v.runningHours, 1),
                formatNumber(v.configuredGiB, 1),
                formatNumber(v.peakDemandGiB, 1),
                `${formatNumber(v.shortOfMemoryShare * 100, 2)} %`,
                formatNumber(v.shortfallGiBh, 2),
                formatNumber(v.hostSwapGiBh, 2),
                `${formatNumber(v.pressureOver100Share * 100, 1)} %`,
                formatNumber(v.slowdownP95, 3),
                formatNumber(v.slowdownMax, 3),
              ]),
              'vms',
            )
      const shownRefused = refused.slice(0, limit)
      const refusedTable =
        refused.length === 0
          ? ''
          : `<p class="muted">Refused VMs, largest first${shownRefused.length < refused.length ? ` (${shownRefused.length} of ${refused.length}; all in the vm-summary CSV)` : ''}:</p>` +
            table(
              ['VM', 'Configured GiB', 'Status'],
              shownRefused.map((v) => [
                v.vm,
                formatNumber(v.configuredGiB, 1),
                v.runningHours > 0 ? `refused after running ${formatNumber(v.runningHours, 1)} h` : 'refused',
              ]),
              'vms refused',
            )
      return head + servedTable + refusedTable
    })
    .join('\n')

const importSection = (input: ReportInput): string => {
  const ir = input.importReport
  const facts = table(
    ['Import', 'Value'],
    [
      ['Format', ir.format],
      ['Source', ir.source],
      ['VMs', String(ir.vms)],
      ['First sample (UTC)', formatTime(ir.firstTime)],
      ['Last sample (UTC)', formatTime(ir.lastTime)],
      ['Step, s', String(ir.step)],
      ['Ticks', String(ir.ticks)],
      ['Data rows read', String(ir.rows)],
      ['Longest gap held, s', String(ir.maxGapSeconds)],
    ],
    'facts',
  )
  const affected = (k: RepairKind): number => ir.perVm.filter((v) => (v.repairs?.[k] ?? 0) > 0).length
  const repairs = table(
    ['Repair', 'Count', 'VMs affected', 'Meaning'],
    REPAIR_KINDS.map((k) => [k, String(ir.repairs?.[k] ?? 0), String(affected(k)), REPAIR_DESCRIPTIONS[k]]),
    'repairs',
  )
  return `${facts}\n<h3>Repairs by kind</h3>\n${repairs}`
}

const paramsSection = (input: ReportInput, runs: ReadonlyArray<ResolvedRun>): string => {
  const host = table(
    ['Host', 'GiB'],
    [
      ['Physical', formatNumber(input.host.physicalGiB, 2)],
      ['Hypervisor reserve', formatNumber(input.host.reserveGiB, 2)],
      ['Overhead per running VM', formatNumber(input.host.vmOverheadGiB, 3)],
    ],
  )
  const policies = runs
    .map(
      (r) =>
        `<h3>${h(r.label)} <span class="muted">(policy ${h(r.metrics.policy)})</span></h3>` +
        (r.run.description === undefined ? '' : `<p>${h(r.run.description)}</p>`) +
        `<pre class="params">${h(prettyJson(r.params))}</pre>`,
    )
    .join('\n')
  const model = (title: string, m: ReportInput['slowdownModel']): string =>
    `<h3>${h(title)}: ${h(m.name)}</h3><p>${h(m.description)}</p><pre class="params">${h(prettyJson(m.params))}</pre>`
  return `${host}\n${policies}\n${model('Slowdown model', input.slowdownModel)}\n${model('World model', input.worldModel)}`
}

export interface HtmlOptions {
  /** Most VMs per run in the per-VM tables (default 15). */
  readonly maxVmRows?: number
}

/** The page, given the charts to embed (from reportCharts). */
export const renderHtml = (input: ReportInput, charts: ReadonlyArray<Chart>, options: HtmlOptions = {}): string => {
  const runs = resolveRuns(input)
  const errors = runs.filter((r) => r.error !== undefined)
  const ir = input.importReport
  const header =
    `<h1>${h(input.title)}</h1>\n<p>Trace <strong>${h(input.traceName)}</strong>: ${h(ir.vms)} VMs, ${h(ir.ticks)} ticks of ${h(ir.step)} s, ` +
    `${h(formatTime(ir.firstTime))} to ${h(formatTime(ir.lastTime))}. Host: ${h(formatNumber(input.host.physicalGiB, 1))} GiB physical, ` +
    `${h(formatNumber(input.host.reserveGiB, 1))} GiB reserve. ${runs.length} runs.</p>` +
    (input.generatedNote === undefined ? '' : `\n<p class="muted">${h(input.generatedNote)}</p>`)
  const errorList =
    errors.length === 0
      ? ''
      : `<div id="errors"><p class="error">Runs that stopped early (their figures cover the ticks before the stop):</p><ul>` +
        errors.map((r) => `<li><strong>${h(r.label)}</strong>: ${h(r.error)}</li>`).join('') +
        `</ul></div>`
  const figures = charts
    .map(
      (c) =>
        `<figure id="figure-${c.id}"><h3>${h(c.title)}</h3>${chartElement(c.id)}` +
        `<figcaption>${h(c.caption)}</figcaption></figure>`,
    )
    .join('\n')
  const notes =
    input.notes.length === 0 ? '<p class="muted">No notes.</p>' : `<ul class="notes">${input.notes.map((n) => `<li>${h(n)}</li>`).join('')}</ul>`
  return `${pageHead(input.title, STYLE)}
<body>
<header>${header}</header>
${errorList}
${section('verdict', 'Verdict', verdictHtml(verdictOfReport(input)))}
${section('comparison', 'Comparison', comparisonTable(runs, input.fleet))}
${section('charts', 'Charts', figures)}
${section('vms', 'VMs most short of memory, and VMs refused', vmTables(runs, options.maxVmRows ?? 15))}
${section('import', 'Trace import', importSection(input))}
${section('parameters', 'Parameters', paramsSection(input, runs))}
${section('notes', 'Modelling notes', notes)}
${chartScripts(charts)}
</body>
</html>
`
}

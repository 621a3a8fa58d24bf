/**
 * The capacity report: plan.json (the figures), index.html (self-contained, no network: charts
 * drawn by the inlined vega builds as on the comparison page, embed.ts, so their tooltips answer;
 * each chart's static SVG shows until then, and for a reader with scripts off), summary.md (charts
 * as PNG links beside it), and each chart's .vl.json, .svg and .png. Built in memory
 * (buildCapacityFiles), written with writeFolderAtomically.
 *
 * Untrusted text (trace names, policy names and params, notes) is escaped: escapeHtml in HTML,
 * escapeMarkdown in Markdown.
 */
import type { TopLevelSpec } from 'vega-lite'
import type { PolicyPlan, ScanRow } from '../plan/plan.js'
import { describeServiceLevel, SLA_TERMS, type ServiceLevel } from '../plan/sla.js'
import { CHART_FONT, VEGA_LITE_SCHEMA } from './charts.js'
import { escapeHtml as h, escapeMarkdown as md } from './escape.js'
import { renderChart } from './render.js'
import { chartElement, chartScripts, EMBED_CSP } from './embed.js'
import { specJson } from './files.js'

export const PLAN_SCHEMA_VERSION = 1

export interface CapacityInput {
  readonly title: string
  readonly traceName: string
  readonly mode: 'hosts' | 'size'
  /** The host template: its size (mode 'hosts') and the hypervisor's own memory. */
  readonly host: { readonly physicalGiB: number; readonly reserveGiB: number; readonly vmOverheadGiB: number }
  /** Mode 'size': the fixed host count; and the search granularity. */
  readonly hosts?: number
  readonly granularityGiB?: number
  readonly fleet: { readonly vms: number; readonly configuredGiB: number }
  readonly sla: ServiceLevel
  readonly seed: number
  readonly plans: ReadonlyArray<PolicyPlan>
  readonly notes: ReadonlyArray<string>
}

/** JSON has no Infinity: unbounded figures become null. */
const fin = (x: number | null | undefined): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null)

const scanJson = (r: ScanRow): unknown => ({
  hosts: r.hosts,
  hostGiB: r.hostGiB,
  replayed: r.replayed,
  placementRefused: r.placementRefused,
  meets: r.meets,
  violations: r.violations.map((v) => ({ term: v.term, value: fin(v.value), bound: v.bound, text: v.text })),
  worstUse: fin(r.worstUse),
  vmsPerHost: r.vmsPerHost,
  configuredPerPhysical: r.configuredPerPhysical,
  ...(r.metrics === undefined
    ? {}
    : {
        figures: {
          vmsRefused: r.metrics.vmsRefused,
          ...(r.metrics.shortOfMemoryShare === undefined ? {} : { shortOfMemoryShare: r.metrics.shortOfMemoryShare }),
          pressureOver100Share: r.metrics.pressureOver100Share,
          slowdownP99: r.metrics.slowdownP99,
          hostSwapOutGiB: r.metrics.hostSwapOutGiB,
          shortfallGiBh: r.metrics.shortfallGiBh,
          overAllocationRatio: r.metrics.overAllocationRatio,
          ...(r.metrics.error === undefined ? {} : { error: r.metrics.error }),
        },
      }),
})

/** plan.json's content. */
export const planJson = (input: CapacityInput): unknown => ({
  schemaVersion: PLAN_SCHEMA_VERSION,
  title: input.title,
  traceName: input.traceName,
  mode: input.mode,
  host: input.host,
  ...(input.hosts === undefined ? {} : { hosts: input.hosts }),
  ...(input.granularityGiB === undefined ? {} : { granularityGiB: input.granularityGiB }),
  fleet: input.fleet,
  sla: input.sla,
  seed: input.seed,
  plans: input.plans.map((p) => ({
    policy: p.policy,
    params: p.params,
    met: p.met,
    hostsNeeded: p.hostsNeeded,
    hostGiB: p.hostGiB,
    vmsPerHost: p.vmsPerHost,
    configuredPerPhysical: p.configuredPerPhysical,
    peakOverAllocation: p.peakOverAllocation,
    margin: p.margin === null ? null : { ...p.margin, used: fin(p.margin.used) },
    placement: p.placement,
    placementNote: p.placementNote,
    overAllocationCap: p.overAllocationCap,
    vmsPerHostPlaced: p.result?.vmsPerHost ?? null,
    notes: p.notes,
    metrics: p.result?.metrics ?? null,
    scan: p.scan.map(scanJson),
  })),
  notes: input.notes,
})

// ---------------------------------------------------------------------------------------------
// Formatting

const num = (x: number | null | undefined, d = 2): string => (x === null || x === undefined ? '-' : Number.isFinite(x) ? (Math.round(x * 10 ** d) / 10 ** d).toString() : 'inf')

export const marginText = (p: PolicyPlan): string => {
  const m = p.margin
  if (m === null) return '-'
  const t = SLA_TERMS[m.term]
  const value = m.term === 'maxPressureOver100Share' ? `${num(m.value * 100, 3)}%` : num(m.value, 3)
  const bound = m.term === 'maxPressureOver100Share' ? `${num(m.bound * 100, 3)}%` : num(m.bound, 3)
  return `${t.label}: ${value} of ${bound} (${num(m.used * 100, 0)}% used)`
}

/** Rows of the recommendation table: header then one row per policy. */
export const recommendationRows = (input: CapacityInput): ReadonlyArray<ReadonlyArray<string>> => [
  [
    'policy',
    input.mode === 'hosts' ? 'hosts needed' : 'host size (GiB)',
    'VMs per host',
    'configured GiB per physical GiB',
    'peak over-allocation',
    'placement',
    'margin (binding figure)',
  ],
  ...input.plans.map((p) => [
    p.policy,
    p.met ? (input.mode === 'hosts' ? String(p.hostsNeeded) : num(p.hostGiB, 0)) : 'not met',
    num(p.vmsPerHost, 1),
    num(p.configuredPerPhysical, 2),
    num(p.peakOverAllocation, 2),
    p.placement + (p.overAllocationCap === null ? '' : ` (cap ${p.overAllocationCap}x)`),
    marginText(p),
  ]),
]

const scanRows = (input: CapacityInput, p: PolicyPlan): ReadonlyArray<ReadonlyArray<string>> => [
  [input.mode === 'hosts' ? 'hosts' : 'host GiB', 'replayed', 'refused by placement', 'meets', 'violations'],
  ...p.scan.map((r) => [
    input.mode === 'hosts' ? String(r.hosts) : num(r.hostGiB, 0),
    r.replayed ? 'yes' : 'no',
    String(r.placementRefused),
    r.meets ? 'yes' : 'no',
    r.violations.length === 0 ? '-' : r.violations.map((v) => v.text).join('; '),
  ]),
]

// ---------------------------------------------------------------------------------------------
// Charts

export interface CapacityChart {
  readonly id: string
  readonly title: string
  readonly caption: string
  readonly spec: TopLevelSpec
}

const config = {
  font: CHART_FONT,
  aria: false,
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 10, titleFontSize: 11 },
  legend: { labelFontSize: 10, titleFontSize: 11, labelLimit: 220 },
  title: { fontSize: 13, anchor: 'start', subtitleFontSize: 10 },
} as const

/** Worst SLA use shown at most this (placement refusals and stopped runs are off the scale). */
export const USE_CAP = 3

export const capacityCharts = (input: CapacityInput): ReadonlyArray<CapacityChart> => {
  const xField = input.mode === 'hosts' ? 'hosts' : 'hostGiB'
  const xTitle = input.mode === 'hosts' ? 'hosts' : `host size (GiB) with ${input.hosts ?? '?'} hosts`
  const policies = input.plans.map((p) => p.policy)
  const rows = input.plans.flatMap((p) =>
    p.scan.map((r) => ({
      policy: p.policy,
      hosts: r.hosts,
      hostGiB: r.hostGiB,
      violations: r.violations.length,
      use: Math.min(USE_CAP, Number.isFinite(r.worstUse) ? r.worstUse : USE_CAP),
      density: Math.round(r.configuredPerPhysical * 1000) / 1000,
      meets: r.meets ? 'meets' : 'fails',
      detail: r.violations.length === 0 ? 'meets the service level' : r.violations.map((v) => v.text).join('; '),
    })),
  )
  const color = { field: 'policy', type: 'nominal', title: 'policy', sort: policies } as const
  const violations: CapacityChart = {
    id: 'violations',
    title: 'Service-level violations against ' + (input.mode === 'hosts' ? 'host count' : 'host size'),
    caption:
      'For each policy, the number of service-level terms broken at each point the search tried (0 = meets). Points not replayed were ruled out by placement alone.',
    spec: {
      $schema: VEGA_LITE_SCHEMA,
      config,
      width: 560,
      height: 220,
      title: { text: 'Service-level violations', subtitle: `against ${xTitle}` },
      data: { values: rows },
      mark: { type: 'line', point: { filled: true, size: 50 } },
      encoding: {
        x: { field: xField, type: 'quantitative', title: xTitle, axis: { tickMinStep: 1, format: 'd' } },
        y: { field: 'violations', type: 'quantitative', title: 'terms broken', axis: { tickMinStep: 1, format: 'd' }, scale: { domain: [0, 5] } },
        color,
        tooltip: [{ field: 'policy' }, { field: xField, title: xTitle }, { field: 'detail', title: 'violations' }],
      },
    } as TopLevelSpec,
  }
  const risk: CapacityChart = {
    id: 'density-risk',
    title: 'Density against risk',
    caption: `Each point a configuration tried: x the configured GiB each physical GiB carries, y the worst service-level figure as a share of its room (1 = at its bound; above the line the level is broken; shown at most ${USE_CAP}).`,
    spec: {
      $schema: VEGA_LITE_SCHEMA,
      config,
      width: 560,
      height: 260,
      title: { text: 'Density against risk', subtitle: 'worst service-level figure / its bound, by configured GiB per physical GiB' },
      data: { values: rows },
      layer: [
        {
          mark: { type: 'point', filled: true, size: 60 },
          encoding: {
            x: { field: 'density', type: 'quantitative', title: 'configured GiB per physical GiB' },
            y: { field: 'use', type: 'quantitative', title: 'worst figure / bound', scale: { domain: [0, USE_CAP] } },
            color,
            shape: { field: 'meets', type: 'nominal', title: 'service level', scale: { domain: ['meets', 'fails'], range: ['circle', 'cross'] } },
            tooltip: [{ field: 'policy' }, { field: xField, title: xTitle }, { field: 'density' }, { field: 'detail', title: 'violations' }],
          },
        },
        {
          mark: { type: 'text', dx: 8, align: 'left', fontSize: 9 },
          encoding: {
            x: { field: 'density', type: 'quantitative' },
            y: { field: 'use', type: 'quantitative' },
            text: { field: xField, type: 'quantitative' },
            color,
          },
        },
        { data: { values: [{ y: 1 }] }, mark: { type: 'rule', strokeDash: [4, 3], color: '#888' }, encoding: { y: { field: 'y', type: 'quantitative' } } },
      ],
    } as TopLevelSpec,
  }
  return [violations, risk]
}

// ---------------------------------------------------------------------------------------------
// HTML and Markdown

const htmlTable = (rows: ReadonlyArray<ReadonlyArray<string>>): string =>
  `<table><thead><tr>${rows[0].map((c) => `<th>${h(c)}</th>`).join('')}</tr></thead><tbody>${rows
    .slice(1)
    .map((r) => `<tr>${r.map((c) => `<td>${h(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`

const mdTable = (rows: ReadonlyArray<ReadonlyArray<string>>): string[] => [
  `| ${rows[0].map(md).join(' | ')} |`,
  `| ${rows[0].map(() => '---').join(' | ')} |`,
  ...rows.slice(1).map((r) => `| ${r.map(md).join(' | ')} |`),
]

const question = (input: CapacityInput): string =>
  input.mode === 'hosts'
    ? `Fewest hosts of ${num(input.host.physicalGiB, 2)} GiB (reserve ${num(input.host.reserveGiB, 2)} GiB, ${num(input.host.vmOverheadGiB, 3)} GiB overhead per VM) meeting the service level, per policy.`
    : `Smallest host size (steps of ${num(input.granularityGiB ?? 1, 2)} GiB; reserve ${num(input.host.reserveGiB, 2)} GiB, ${num(input.host.vmOverheadGiB, 3)} GiB overhead per VM) meeting the service level with ${input.hosts} hosts, per policy.`

/** An SVG's ids (r1, r2 ... after render.ts) prefixed by its chart's, so two charts inlined in one page do not share clip paths. */
export const prefixSvgIds = (svg: string, prefix: string): string =>
  svg
    .replace(/(\sid=")([^"]+)(")/g, (_m, a: string, id: string, b: string) => `${a}${prefix}-${id}${b}`)
    .replace(/url\(#([^)]+)\)/g, (_m, id: string) => `url(#${prefix}-${id})`)
    .replace(/((?:xlink:)?href=")#([^"]+)(")/g, (_m, a: string, id: string, b: string) => `${a}#${prefix}-${id}${b}`)

export const renderCapacityHtml = (input: CapacityInput, svgs: ReadonlyMap<string, string>, charts: ReadonlyArray<CapacityChart>): string => {
  const body: string[] = []
  body.push(`<h1>${h(input.title)}</h1>`)
  body.push(`<p>Trace <strong>${h(input.traceName)}</strong>: ${input.fleet.vms} VMs, ${num(input.fleet.configuredGiB, 1)} GiB configured in all. ${h(question(input))}</p>`)
  body.push(`<h2>Service level</h2><ul>${describeServiceLevel(input.sla).map((l) => `<li>${h(l)}</li>`).join('')}</ul>`)
  body.push(`<h2>Recommendation</h2>${htmlTable(recommendationRows(input))}`)
  body.push('<h2>Charts</h2>')
  for (const c of charts) body.push(`<figure id="figure-${c.id}">${chartElement(c.id, prefixSvgIds(svgs.get(c.id) ?? '', c.id))}<figcaption>${h(c.caption)}</figcaption></figure>`)
  body.push('<h2>How each answer was found</h2>')
  for (const p of input.plans) {
    body.push(`<h3>${h(p.policy)}</h3><p>${h(p.placementNote)}.</p><ul>${p.notes.map((n) => `<li>${h(n)}</li>`).join('')}</ul>`)
    body.push(htmlTable(scanRows(input, p)))
    body.push(`<details><summary>params</summary><pre>${h(JSON.stringify(p.params, null, 2))}</pre></details>`)
  }
  body.push(`<h2>Notes</h2><ul>${input.notes.map((n) => `<li>${h(n)}</li>`).join('')}</ul>`)
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${EMBED_CSP}">
<title>${h(input.title)}</title>
<style>
body { font-family: 'DejaVu Sans', sans-serif; margin: 2em auto; max-width: 1000px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
figure { margin: 1em 0; } figcaption { font-size: 0.85em; color: #555; }
pre { background: #f6f6f6; padding: 0.5em; font-size: 0.85em; }
</style>
</head>
<body>
${body.join('\n')}
${chartScripts(charts)}
</body>
</html>
`
}

export const renderCapacityMarkdown = (input: CapacityInput, charts: ReadonlyArray<CapacityChart>): string => {
  const lines: string[] = [`# ${md(input.title)}`, '']
  lines.push(`Trace **${md(input.traceName)}**: ${input.fleet.vms} VMs, ${num(input.fleet.configuredGiB, 1)} GiB configured in all. ${md(question(input))}`, '')
  lines.push('## Service level', '', ...describeServiceLevel(input.sla).map((l) => `- ${md(l)}`), '')
  lines.push('## Recommendation', '', ...mdTable(recommendationRows(input)), '')
  lines.push('## Charts', '')
  for (const c of charts) lines.push(`![${md(c.title)}](${c.id}.png)`, '', `*${md(c.caption)}*`, '')
  lines.push('## How each answer was found', '')
  for (const p of input.plans) {
    lines.push(`### ${md(p.policy)}`, '', `${md(p.placementNote)}.`, '', ...p.notes.map((n) => `- ${md(n)}`), '', ...mdTable(scanRows(input, p)), '')
  }
  lines.push('## Notes', '', ...input.notes.map((n) => `- ${md(n)}`), '')
  return lines.join('\n')
}

/** Every file of the capacity report, in memory. */
export const buildCapacityFiles = async (input: CapacityInput): Promise<ReadonlyMap<string, string | Buffer>> => {
  const charts = capacityCharts(input)
  const svgs = new Map<string, string>()
  const files = new Map<string, string | Buffer>()
  const rendered: Array<[CapacityChart, { svg: string; png: Buffer }]> = []
  for (const c of charts) {
    const r = await renderChart(c.spec)
    svgs.set(c.id, r.svg)
    rendered.push([c, r])
  }
  files.set('index.html', renderCapacityHtml(input, svgs, charts))
  files.set('summary.md', renderCapacityMarkdown(input, charts))
  files.set('plan.json', `${JSON.stringify(planJson(input), null, 2)}\n`)
  for (const [c, r] of rendered) {
    files.set(`${c.id}.vl.json`, specJson(c.spec))
    files.set(`${c.id}.svg`, r.svg)
    files.set(`${c.id}.png`, r.png)
  }
  return files
}

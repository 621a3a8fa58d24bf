/**
 * The sweep report, index.html beside results.csv and results.json: a verdict (which policy meets
 * the service level with the least host memory), a chart per varied axis (host size, host count,
 * each policy param, each VM setting, trace, seed) with a panel per key metric (shortfall,
 * host swap-out, slowdown p99, VMs refused), one colour and point shape per policy, and every
 * scenario in a table. Pure: results in, specs and a page out (sweepCharts, sweepVerdict,
 * renderSweepHtml); sweepReportFiles adds the page to the sweep's files (plan/sweep.ts).
 *
 * Against an axis, the scenarios that vary along it form lines: one per policy and combination of
 * the OTHER varied axes (told apart by dash, named in the legend and tooltip), so no point is
 * averaged away. A params axis holds only its policy's scenarios, a VM setting only the policies
 * that read it (experiment.ts). Deterministic: same results, same bytes (no time, input order).
 */
import type { TopLevelSpec } from 'vega-lite'
import * as E from 'fp-ts/lib/Either.js'
import type { Experiment, Shard } from '../plan/experiment.js'
import { sweepFiles, type ScenarioResult } from '../plan/sweep.js'
import { describeServiceLevel } from '../plan/sla.js'
import { parseSize } from '../units.js'
import { CHART_FONT, VEGA_LITE_SCHEMA } from './charts.js'
import { chartElement, chartScripts, pageHead } from './embed.js'
import { escapeHtml as h } from './escape.js'
import { formatNumber, prettyJson, RUN_COLOURS, RUN_DASHES, RUN_SHAPES } from './prepare.js'

/** The key metrics charted against every axis: [field of ScenarioResult.metrics, panel title, axis title]. */
export const SWEEP_METRICS = [
  ['shortfallGiBh', 'Shortfall', 'working set not available (GiBh)'],
  ['hostSwapOutGiB', 'Host swap-out', 'written to host swap (GiB)'],
  ['slowdownP99', 'Slowdown p99', 'slowdown factor, p99 of VM-time'],
  ['vmsRefused', 'VMs refused', 'VMs refused at least once'],
] as const

export type SweepMetric = (typeof SWEEP_METRICS)[number][0]

/** An axis of the experiment that varies among the results. */
export interface SweepAxis {
  /** Unique; the chart id is `axis-<n>` in axes order. */
  readonly key: string
  /** What a reader calls it ("host size (GiB)", "overcommit: salting", "VM setting buffer"). */
  readonly title: string
  /** Numbers on a linear scale, or categories in the order first met. */
  readonly quantitative: boolean
  /** The value of this axis for a scenario, or undefined when the scenario does not vary along it. */
  readonly valueOf: (r: ScenarioResult) => number | string | undefined
  /** The value as text, for legends and tooltips. */
  readonly label: (r: ScenarioResult) => string
}

const hostGiB = (r: ScenarioResult): number => {
  const mib = parseSize(r.scenario.hostSize)
  return E.isRight(mib) ? mib.right / 1024 : Number.NaN
}

/** A param or VM-setting value on a chart: numbers as numbers, anything else as its JSON text (strings bare). */
const valueText = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v))

const has = (o: Readonly<Record<string, unknown>>, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k)

/**
 * Axes that take more than one value among the results, in the experiment's order: trace, host
 * size, host count, each policy's params (by the policy's name), VM settings, seed.
 */
export const sweepAxes = (results: ReadonlyArray<ScenarioResult>): ReadonlyArray<SweepAxis> => {
  const candidates: SweepAxis[] = [
    { key: 'trace', title: 'trace', quantitative: false, valueOf: (r) => r.scenario.trace, label: (r) => r.scenario.trace },
    { key: 'hostSize', title: 'host size (GiB)', quantitative: true, valueOf: hostGiB, label: (r) => r.scenario.hostSize },
    { key: 'hosts', title: 'hosts', quantitative: true, valueOf: (r) => r.scenario.hosts, label: (r) => `${r.scenario.hosts} host${r.scenario.hosts === 1 ? '' : 's'}` },
  ]
  const seen = new Set<string>()
  for (const r of results)
    for (const k of Object.keys(r.scenario.params)) {
      const key = `params:${r.policyName}:${k}`
      if (seen.has(key)) continue
      seen.add(key)
      const mine = (x: ScenarioResult): boolean => x.policyName === r.policyName && has(x.scenario.params, k)
      const numeric = results.filter(mine).every((x) => typeof x.scenario.params[k] === 'number')
      candidates.push({
        key,
        title: `${r.policyName}: ${k}`,
        quantitative: numeric,
        valueOf: (x) => (mine(x) ? (numeric ? (x.scenario.params[k] as number) : valueText(x.scenario.params[k])) : undefined),
        label: (x) => `${k} ${valueText(x.scenario.params[k])}`,
      })
    }
  for (const r of results)
    for (const k of Object.keys(r.scenario.vmSettings)) {
      const key = `vmSettings:${k}`
      if (seen.has(key)) continue
      seen.add(key)
      const mine = (x: ScenarioResult): boolean => has(x.scenario.vmSettings, k)
      const numeric = results.filter(mine).every((x) => typeof x.scenario.vmSettings[k] === 'number')
      candidates.push({
        key,
        title: `VM setting ${k}`,
        quantitative: numeric,
        valueOf: (x) => (mine(x) ? (numeric ? (x.scenario.vmSettings[k] as number) : valueText(x.scenario.vmSettings[k])) : undefined),
        label: (x) => `${k} ${valueText(x.scenario.vmSettings[k])}`,
      })
    }
  candidates.push({ key: 'seed', title: 'seed', quantitative: false, valueOf: (r) => String(r.scenario.seed), label: (r) => `seed ${r.scenario.seed}` })
  // Varied: some policy's scenarios take two values or more (one value for all says nothing).
  return candidates.filter((a) => {
    const byPolicy = new Map<string, Set<string>>()
    for (const r of results) {
      const v = a.valueOf(r)
      if (v === undefined) continue
      const s = byPolicy.get(r.policyName) ?? new Set<string>()
      s.add(String(v))
      byPolicy.set(r.policyName, s)
    }
    return [...byPolicy.values()].some((s) => s.size > 1)
  })
}

export interface SweepChart {
  readonly id: string
  readonly title: string
  readonly caption: string
  readonly spec: TopLevelSpec
}

/** Policies in the order the results first name them. */
const policiesOf = (results: ReadonlyArray<ScenarioResult>): ReadonlyArray<string> => [...new Set(results.map((r) => r.policyName))]

const config = {
  font: CHART_FONT,
  aria: false,
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 10, titleFontSize: 11 },
  legend: { labelFontSize: 10, titleFontSize: 11, labelLimit: 300 },
  title: { fontSize: 12, anchor: 'start' },
} as const

/** Most lines named in a chart's legend. */
export const MAX_LEGEND_LINES = 24

/** Finite figures as they are; anything else (JSON's null for an unbounded figure) dropped from a panel. */
const figure = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null)

/** One chart per varied axis (see the module note). */
export const sweepCharts = (results: ReadonlyArray<ScenarioResult>): ReadonlyArray<SweepChart> => {
  const policies = policiesOf(results)
  const axes = sweepAxes(results)
  return axes.map((axis, n) => {
    const others = axes.filter((a) => a !== axis)
    const rows = results.flatMap((r) => {
      const x = axis.valueOf(r)
      if (x === undefined) return []
      const rest = others.filter((a) => a.valueOf(r) !== undefined).map((a) => a.label(r)).join(', ')
      return SWEEP_METRICS.flatMap(([metric]) => {
        const value = figure(r.metrics[metric])
        return value === null
          ? []
          : [{ metric, x, xLabel: axis.label(r), policy: r.policyName, series: `${r.policyName}${rest === '' ? '' : `, ${rest}`}`, value, id: r.scenario.id, meets: r.meets ? 'yes' : 'no', violations: r.violations.join('; ') || '-' }]
      })
    })
    const series = [...new Set(rows.map((r) => r.series))]
    const xs = [...new Set(rows.map((r) => r.x))]
    const x = axis.quantitative
      ? { field: 'x', type: 'quantitative', title: axis.title, scale: { zero: false, nice: false }, axis: { values: xs, ...(axis.key === 'hosts' ? { format: 'd' } : {}) } }
      : { field: 'x', type: 'ordinal', title: axis.title, sort: xs }
    const color = { field: 'policy', type: 'nominal', title: 'policy', scale: { domain: policies, range: policies.map((_, i) => RUN_COLOURS[i % RUN_COLOURS.length]) } }
    // Lines of one policy (other axes' values) differ by dash; the legend names them, up to a
    // legend's worth (past that the tooltip names a point's line).
    const dash =
      others.length === 0
        ? {}
        : {
            strokeDash: {
              field: 'series',
              type: 'nominal',
              title: 'line (policy, other axes)',
              scale: { domain: series, range: series.map((_, i) => [...RUN_DASHES[i % RUN_DASHES.length]]) },
              ...(series.length > MAX_LEGEND_LINES ? { legend: null } : {}),
            },
          }
    const tooltip = [
      { field: 'policy', type: 'nominal' },
      { field: 'xLabel', type: 'nominal', title: axis.title },
      { field: 'series', type: 'nominal', title: 'line' },
      { field: 'value', type: 'quantitative', title: 'value', format: ',.4~f' },
      { field: 'id', type: 'nominal', title: 'scenario' },
      { field: 'meets', type: 'nominal', title: 'meets the service level' },
      { field: 'violations', type: 'nominal', title: 'violations' },
    ]
    const panels = SWEEP_METRICS.map(([metric, title, yTitle]) => ({
      title,
      width: 300,
      height: 170,
      transform: [{ filter: { field: 'metric', equal: metric } }],
      encoding: {
        x,
        y: { field: 'value', type: 'quantitative', title: yTitle, scale: { zero: metric !== 'slowdownP99' }, axis: { format: ',.4~g' } },
        color,
        detail: { field: 'series', type: 'nominal' },
      },
      layer: [
        { mark: { type: 'line', strokeWidth: 1.5 }, encoding: { ...dash } },
        { mark: { type: 'point', filled: true, size: 55, opacity: 0.9 }, encoding: { shape: { field: 'policy', type: 'nominal', title: 'policy', scale: { domain: policies, range: policies.map((_, i) => RUN_SHAPES[i % RUN_SHAPES.length]) } }, tooltip } },
      ],
    }))
    const spec = {
      $schema: VEGA_LITE_SCHEMA,
      config,
      data: { values: rows },
      columns: 2,
      concat: panels,
      resolve: { scale: { y: 'independent' } },
    } as unknown as TopLevelSpec
    return {
      id: `axis-${n + 1}`,
      title: `Key metrics against ${axis.title}`,
      caption:
        `Each point a scenario; lines join the scenarios of one policy${others.length === 0 ? '' : ' that share the other axes\u2019 values (told apart by dash)'}. ` +
        'Shortfall and slowdown are over the VMs a policy admitted: read them with VMs refused.',
      spec,
    }
  })
}

// ---------------------------------------------------------------------------------------------
// Verdict

export interface SweepVerdict {
  /** The policy of the scenario that meets the service level with the least host memory; undefined if none meets. */
  readonly winner: string | undefined
  /** The scenario it names. */
  readonly scenario: string | undefined
  /** One paragraph. */
  readonly text: string
  /** One line per policy: its least memory that meets, or its best scenario (by the comparison verdict's order) and why it fails. */
  readonly perPolicy: ReadonlyArray<string>
}

const memoryGiB = (r: ScenarioResult): number => hostGiB(r) * r.scenario.hosts

/** The comparison verdict's order (verdict.ts: refused, short of memory, slowdown p99, swap-out), then the index. */
const byFigures = (a: ScenarioResult, b: ScenarioResult): number =>
  a.metrics.vmsRefused - b.metrics.vmsRefused ||
  (a.metrics.shortOfMemoryShare ?? 0) - (b.metrics.shortOfMemoryShare ?? 0) ||
  a.metrics.slowdownP99 - b.metrics.slowdownP99 ||
  a.metrics.hostSwapOutGiB - b.metrics.hostSwapOutGiB ||
  a.scenario.index - b.scenario.index

/** Among scenarios that meet: least host memory first, then byFigures. */
const byCost = (a: ScenarioResult, b: ScenarioResult): number => memoryGiB(a) - memoryGiB(b) || byFigures(a, b)

/** A stopped run's figures cover part of it: never the best miss while another ran to the end. */
const byMiss = (a: ScenarioResult, b: ScenarioResult): number => Number(a.metrics.error !== undefined) - Number(b.metrics.error !== undefined) || byFigures(a, b)

/** "s003: 2 x 64GiB (128 GiB), buffer 20" */
const describe = (r: ScenarioResult): string => {
  const vary = [
    ...Object.entries(r.scenario.params).map(([k, v]) => `${k} ${valueText(v)}`),
    ...Object.entries(r.scenario.vmSettings).map(([k, v]) => `${k} ${valueText(v)}`),
  ]
  return `${r.scenario.id}: ${r.scenario.hosts} x ${r.scenario.hostSize} (${formatNumber(memoryGiB(r), 0)} GiB)${vary.length === 0 ? '' : `, ${vary.join(', ')}`}`
}

const figures = (r: ScenarioResult): string =>
  `${r.metrics.vmsRefused} VMs refused, ${formatNumber((r.metrics.shortOfMemoryShare ?? 0) * 100, 2)} % of VM-time short of memory, slowdown p99 ${formatNumber(r.metrics.slowdownP99, 2)}, host swap-out ${formatNumber(r.metrics.hostSwapOutGiB, 1)} GiB`

/** The sweep's verdict (pure; see SweepVerdict). */
export const sweepVerdict = (results: ReadonlyArray<ScenarioResult>): SweepVerdict => {
  const policies = policiesOf(results)
  const meeting = results.filter((r) => r.meets).sort(byCost)
  const perPolicy = policies.map((p) => {
    const mine = results.filter((r) => r.policyName === p)
    const best = mine.filter((r) => r.meets).sort(byCost)[0]
    if (best !== undefined) return `${p}: meets the service level with at least ${describe(best)}; ${figures(best)}.`
    const miss = [...mine].sort(byMiss)[0]
    return `${p}: meets the service level in none of its ${mine.length} scenarios; its best, ${describe(miss)}, fails on ${miss.violations.join('; ') || 'the service level'}.`
  })
  const count = `${meeting.length} of ${results.length} scenarios meet the service level.`
  const best = meeting[0]
  if (best === undefined) return { winner: undefined, scenario: undefined, text: `No scenario meets the service level (0 of ${results.length}).`, perPolicy }
  const losers = policies.filter((p) => p !== best.policyName)
  const text =
    `${best.policyName} meets the service level with the least host memory: ${describe(best)}; ${figures(best)}. ${count}` +
    (losers.length === 0 ? '' : ` The others need more memory or never meet it (below).`)
  return { winner: best.policyName, scenario: best.scenario.id, text, perPolicy }
}

// ---------------------------------------------------------------------------------------------
// Page

const STYLE = `
body{font-family:'DejaVu Sans',sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#222;line-height:1.4}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}h3{font-size:1rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:.8rem}th,td{border:1px solid #ddd;padding:.2rem .4rem;text-align:right;vertical-align:top}
th{background:#f4f4f4}td.text{text-align:left}pre{background:#f7f7f7;border:1px solid #e3e3e3;padding:.5rem;overflow:auto;font-size:.8rem;white-space:pre-wrap}
figure{margin:1rem 0 2rem}figcaption{font-size:.85rem;color:#555;max-width:900px}.chart{min-height:60px;overflow-x:auto}
.verdict{font-size:1rem;background:#f4f8fc;border-left:4px solid #4c78a8;padding:.6rem .8rem;max-width:1000px}.muted{color:#666}
`

const num = (x: number | null | undefined, d: number): string => (typeof x === 'number' && Number.isFinite(x) ? formatNumber(x, d) : '-')

const scenarioTable = (results: ReadonlyArray<ScenarioResult>): string => {
  const head = ['scenario', 'policy', 'host size', 'hosts', 'params', 'VM settings', 'seed', 'meets', 'VMs refused', 'shortfall GiBh', 'short of memory', 'host swap-out GiB', 'slowdown p99', 'violations']
  const text = new Set([1, 4, 5, 13])
  const rows = results.map((r) => [
    r.scenario.id,
    r.policyName,
    r.scenario.hostSize,
    String(r.scenario.hosts),
    Object.keys(r.scenario.params).length === 0 ? '-' : JSON.stringify(r.scenario.params),
    Object.keys(r.scenario.vmSettings).length === 0 ? '-' : JSON.stringify(r.scenario.vmSettings),
    String(r.scenario.seed),
    r.meets ? 'yes' : 'no',
    String(r.metrics.vmsRefused),
    num(r.metrics.shortfallGiBh, 2),
    `${num((r.metrics.shortOfMemoryShare ?? 0) * 100, 2)} %`,
    num(r.metrics.hostSwapOutGiB, 2),
    num(r.metrics.slowdownP99, 3),
    r.violations.join('; ') || '-',
  ])
  return (
    `<table class="scenarios"><thead><tr>${head.map((c) => `<th>${h(c)}</th>`).join('')}</tr></thead><tbody>` +
    rows.map((r) => `<tr>${r.map((c, i) => `<td${text.has(i) ? ' class="text"' : ''}>${h(c)}</td>`).join('')}</tr>`).join('') +
    '</tbody></table>'
  )
}

/** The title of a sweep's page. */
export const sweepTitle = (x: Experiment): string => `memreplay sweep${x.description === '' ? '' : `: ${x.description}`}`

/** index.html of a sweep (results in index order). */
export const renderSweepHtml = (x: Experiment, scenarioCount: number, results: ReadonlyArray<ScenarioResult>, shard?: Shard): string => {
  const charts = sweepCharts(results)
  const verdict = sweepVerdict(results)
  const title = sweepTitle(x)
  const stopped = results.filter((r) => r.metrics.error !== undefined)
  const header =
    `<h1>${h(title)}</h1>\n<p>${results.length} scenario${results.length === 1 ? '' : 's'}` +
    (shard === undefined ? '' : ` of ${scenarioCount} (shard ${shard.k} of ${shard.n}: the other shards' scenarios are not here; merge joins them)`) +
    `: trace${x.traces.length === 1 ? '' : 's'} ${x.traces.map((t) => `<strong>${h(t)}</strong>`).join(', ')}; host sizes ${h(x.hostSizes.join(', '))}; ` +
    `host counts ${h(x.hostCounts.join(', '))}; policies ${h(x.policies.join(', '))}. Reserve ${h(formatNumber(x.hostReserveMiB / 1024, 2))} GiB, ` +
    `${h(formatNumber(x.vmOverheadMiB, 0))} MiB per VM. Figures per scenario: results.csv and results.json.</p>` +
    (stopped.length === 0 ? '' : `\n<p class="muted">${stopped.length} scenario${stopped.length === 1 ? '' : 's'} stopped early (their figures cover the ticks before the stop): ${h(stopped.map((r) => r.scenario.id).join(', '))}.</p>`)
  const verdictHtml =
    `<p class="verdict" id="verdict-text"${verdict.winner === undefined ? '' : ` data-winner="${h(verdict.winner)}" data-scenario="${h(verdict.scenario)}"`}>${h(verdict.text)}</p>` +
    `<ul class="verdict-policies">${verdict.perPolicy.map((l) => `<li>${h(l)}</li>`).join('')}</ul>`
  const figures =
    charts.length === 0
      ? '<p class="muted">No axis varies among these scenarios: nothing to chart.</p>'
      : charts.map((c) => `<figure id="figure-${c.id}"><h3>${h(c.title)}</h3>${chartElement(c.id)}<figcaption>${h(c.caption)}</figcaption></figure>`).join('\n')
  return `${pageHead(title, STYLE)}
<body>
<header>${header}</header>
<section id="verdict"><h2>Verdict</h2>
${verdictHtml}
</section>
<section id="charts"><h2>Charts</h2>
${figures}
</section>
<section id="scenarios"><h2>Scenarios</h2>
${scenarioTable(results)}
</section>
<section id="service-level"><h2>Service level</h2>
<ul>${describeServiceLevel(x.sla).map((l) => `<li>${h(l)}</li>`).join('')}</ul>
</section>
<section id="experiment"><h2>Experiment</h2>
<pre>${h(prettyJson(x))}</pre>
</section>
${chartScripts(charts)}
</body>
</html>
`
}

/** A sweep's output folder: sweepFiles and the page (what sweep and merge write, so both give the same bytes). */
export const sweepReportFiles = (x: Experiment, scenarioCount: number, results: ReadonlyArray<ScenarioResult>, shard?: Shard): ReadonlyMap<string, string> => {
  const files = new Map(sweepFiles(x, scenarioCount, results, shard))
  const sorted = [...results].sort((a, b) => a.scenario.index - b.scenario.index)
  files.set('index.html', renderSweepHtml(x, scenarioCount, sorted, shard))
  return files
}

/**
 * summary.md: the verdict (verdict.ts), the comparison table, the charts as image links (relative paths: the
 * SVGs, or the PNGs when the report has them) and the key notes,
 * for pasting into a planning document. Untrusted text is Markdown-escaped (escapeMarkdown), so a
 * VM or policy name cannot inject HTML or break the table.
 */
import { REPAIR_KINDS } from '../trace/import-report.js'
import type { Chart } from './charts.js'
import { escapeMarkdown as md } from './escape.js'
import type { ReportInput } from './model.js'
import { comparisonRows, formatNumber, formatTime, resolveRuns } from './prepare.js'
import { verdictMarkdown, verdictOfReport } from './verdict.js'

/** Markdown for a report whose charts sit beside it as `<chart id>.svg` (`<chart id>.png` with `png`). */
export const renderMarkdown = (input: ReportInput, charts: ReadonlyArray<Chart>, o: { readonly png?: boolean } = {}): string => {
  const image = o.png === true ? 'png' : 'svg'
  const runs = resolveRuns(input)
  const ir = input.importReport
  const lines: string[] = []
  lines.push(`# ${md(input.title)}`, '')
  lines.push(
    `Trace **${md(input.traceName)}**: ${ir.vms} VMs, ${ir.ticks} ticks of ${ir.step} s, ${formatTime(ir.firstTime)} to ` +
      `${formatTime(ir.lastTime)}. Host: ${formatNumber(input.host.physicalGiB, 1)} GiB physical, ` +
      `${formatNumber(input.host.reserveGiB, 1)} GiB reserve, ${formatNumber(input.host.vmOverheadGiB, 3)} GiB overhead per VM.`,
  )
  if (input.generatedNote !== undefined) lines.push('', md(input.generatedNote))
  lines.push('', '## Verdict', '', verdictMarkdown(verdictOfReport(input)))
  lines.push('', '## Comparison', '')
  lines.push(`| Figure | ${runs.map((r) => md(r.label)).join(' | ')} |`)
  lines.push(`| --- | ${runs.map(() => '---:').join(' | ')} |`)
  for (const row of comparisonRows(runs, input.fleet))
    lines.push(row.key === 'group' ? `| *${md(row.label)}* | ${row.values.join(' | ')} |` : `| ${md(row.label)} | ${row.values.map(md).join(' | ')} |`)
  const errors = runs.filter((r) => r.error !== undefined)
  if (errors.length > 0) {
    lines.push('', 'Runs that stopped early (figures cover the ticks before the stop):', '')
    for (const r of errors) lines.push(`- **${md(r.label)}**: ${md(r.error)}`)
  }
  lines.push('', '## Charts', '')
  for (const c of charts) lines.push(`![${md(c.title)}](${c.id}.${image})`, '', `*${md(c.caption)}*`, '')
  lines.push('## Trace import', '')
  const repairs = REPAIR_KINDS.filter((k) => (ir.repairs?.[k] ?? 0) > 0)
  lines.push(
    `${md(ir.format)} trace from ${md(ir.source)}: ${ir.rows} data rows read. ` +
      (repairs.length === 0 ? 'No repairs.' : `Repairs: ${repairs.map((k) => `${k} ${ir.repairs[k]}`).join(', ')}.`),
  )
  lines.push('', '## Models and notes', '')
  lines.push(`- Slowdown model **${md(input.slowdownModel.name)}**: ${md(input.slowdownModel.description)}`)
  lines.push(`- World model **${md(input.worldModel.name)}**: ${md(input.worldModel.description)}`)
  for (const n of input.notes) lines.push(`- ${md(n)}`)
  lines.push('', 'Parameters of every policy and model: see index.html and metrics.json.', '')
  return lines.join('\n')
}

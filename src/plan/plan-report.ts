/**
 * What a plan adds to the capacity report (report/capacity.ts renders the tables and charts): the
 * verdict, one line per policy, first in the terminal, summary.md and index.html; and in plan.json
 * the constraints, the hosts to buy, why a plan is not met (with the VMs concerned), whether the
 * run was interrupted, and the work done. Pure: files in, files out.
 *
 *   policy P: N hosts (+k for HA) = M; growth x1.2; headroom 10%[; cost ...]
 */
import { escapeHtml, escapeMarkdown } from '../report/escape.js'
import type { PolicyPlan } from './plan.js'

const fmt = (x: number): string => String(Math.round(x * 1000) / 1000)

/** Why a plan is not met, one sentence (empty when met). */
export const notMetBecause = (p: PolicyPlan): string => {
  if (p.failed !== undefined) return `failed: ${p.failed}`
  if (p.cannotMeet !== undefined) return p.cannotMeet.reason
  if (p.partial !== undefined) return p.partial
  if (p.met) return ''
  const last = [...p.scan].reverse().find((r) => r.replayed) ?? p.scan[p.scan.length - 1]
  if (last === undefined) return 'not met'
  const where = p.mode === 'hosts' ? `${last.hosts} host${last.hosts === 1 ? '' : 's'}` : `${last.hostGiB} GiB hosts`
  return `not met even with ${where}: ${last.violations.map((v) => v.text).join('; ')}`
}

/** The VMs named in why a plan is not met (all of them, not just those in the sentence). */
export const notMetVms = (p: PolicyPlan): ReadonlyArray<string> => {
  if (p.cannotMeet !== undefined) return p.cannotMeet.vms.map((v) => v.vm)
  if (p.met || p.partial !== undefined) return []
  const last = [...p.scan].reverse().find((r) => r.replayed) ?? p.scan[p.scan.length - 1]
  return [...new Set((last?.violations ?? []).flatMap((v) => v.vms ?? []))]
}

/** A cost figure to show after the constraints (cost.ts), if any. */
export type CostText = (p: PolicyPlan) => string | undefined

/** The verdict line of one policy (see the module note); `sized`: name the host size (sizes were compared). */
export const verdictLine = (p: PolicyPlan, cost?: CostText, sized = false): string => {
  const c = p.constraints
  const assumed = `growth x${fmt(c.growth)}; headroom ${fmt(c.headroom * 100)}%`
  const costText = cost?.(p)
  const tail = `${assumed}${costText === undefined ? '' : `; ${costText}`}`
  if (!p.met && p.partial !== undefined && p.hostsTotal !== null)
    return p.mode === 'hosts'
      ? `policy ${p.policy}: at most ${p.hostsNeeded} hosts (+${c.spareHosts} for HA) = ${p.hostsTotal}, not settled (${p.partial}); ${tail}`
      : `policy ${p.policy}: at most ${p.hostGiB} GiB hosts, not settled (${p.partial}); ${tail}`
  if (!p.met) return `policy ${p.policy}: no answer: ${notMetBecause(p)}; ${assumed}`
  if (p.mode === 'hosts') return `policy ${p.policy}: ${p.hostsNeeded} host${p.hostsNeeded === 1 ? '' : 's'}${sized ? ` of ${p.hostGiB} GiB` : ''} (+${c.spareHosts} for HA) = ${p.hostsTotal}; ${tail}`
  return `policy ${p.policy}: ${p.hostsTotal} hosts of ${p.hostGiB} GiB (${p.hostsNeeded} serving +${c.spareHosts} for HA); ${tail}`
}

export interface PlanExtras {
  /** Set when the run was interrupted: a sentence. */
  readonly partial?: string
  /** Policies not planned (interrupted before they started). */
  readonly notPlanned: ReadonlyArray<string>
  readonly cost?: CostText
  /** Host sizes were compared: name each policy's in its verdict. */
  readonly hostSizes?: boolean
  /** Extra sections of summary.md (Markdown, each starting with "## "), after the verdict. */
  readonly markdownSections?: ReadonlyArray<string>
  /** Extra fields of plan.json's top level. */
  readonly json?: Readonly<Record<string, unknown>>
  /** Extra fields of each plan in plan.json, by policy. */
  readonly planJson?: (p: PolicyPlan) => Readonly<Record<string, unknown>>
  /** Extra files (e.g. rightsizing.csv). */
  readonly files?: ReadonlyMap<string, string>
}

/** The verdict lines: one per policy, the interrupted run first. */
export const verdictLines = (plans: ReadonlyArray<PolicyPlan>, extras: PlanExtras): ReadonlyArray<string> => [
  ...(extras.partial === undefined ? [] : [`PARTIAL: ${extras.partial}`]),
  ...plans.map((p) => verdictLine(p, extras.cost, extras.hostSizes)),
  ...extras.notPlanned.map((name) => `policy ${name}: not planned (the run was interrupted before it started)`),
]

const insertBefore = (text: string, marker: string, insert: string): string => {
  const at = text.indexOf(marker)
  return at < 0 ? `${text}${insert}` : `${text.slice(0, at)}${insert}${text.slice(at)}`
}

const planFields = (p: PolicyPlan, extras: PlanExtras): Readonly<Record<string, unknown>> => ({
  verdict: verdictLine(p, extras.cost, extras.hostSizes),
  constraints: p.constraints,
  hostsTotal: p.hostsTotal,
  notMetBecause: p.met ? null : notMetBecause(p),
  notMetVms: notMetVms(p),
  ...(p.cannotMeet === undefined ? {} : { cannotMeet: p.cannotMeet }),
  ...(p.partial === undefined ? {} : { partial: p.partial }),
  ...(p.failed === undefined ? {} : { failed: p.failed }),
  work: p.work,
  ...(extras.planJson?.(p) ?? {}),
})

/** The capacity report's files with the verdict and the plan's extras added (see the module note). */
export const withPlanExtras = (files: ReadonlyMap<string, string | Buffer>, plans: ReadonlyArray<PolicyPlan>, extras: PlanExtras): ReadonlyMap<string, string | Buffer> => {
  const out = new Map(files)
  const lines = verdictLines(plans, extras)
  const md = out.get('summary.md')
  if (typeof md === 'string')
    out.set(
      'summary.md',
      insertBefore(md, '\n## Service level', `\n## Verdict\n\n${lines.map((l) => `- ${escapeMarkdown(l)}`).join('\n')}\n${(extras.markdownSections ?? []).map((s) => `\n${s.trimEnd()}\n`).join('')}`),
    )
  const html = out.get('index.html')
  if (typeof html === 'string')
    out.set('index.html', insertBefore(html, '<h2>Service level</h2>', `<h2>Verdict</h2><ul>${lines.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>\n`))
  const json = out.get('plan.json')
  if (typeof json === 'string') {
    const doc = JSON.parse(json) as { plans?: Array<Record<string, unknown>> } & Record<string, unknown>
    const augmented = {
      ...doc,
      partial: extras.partial ?? null,
      notPlanned: extras.notPlanned,
      verdict: lines,
      ...(extras.json ?? {}),
      plans: (doc.plans ?? []).map((entry, i) => ({ ...entry, ...planFields(plans[i], extras) })),
    }
    out.set('plan.json', `${JSON.stringify(augmented, null, 2)}\n`)
  }
  for (const [name, content] of extras.files ?? []) out.set(name, content)
  return out
}

/**
 * The verdict: which policy serves the fleet on this host, at what cost, and why the others lose.
 * `verdictOf` is a pure function of the runs' figures (data); the renderers turn it into one
 * paragraph of plain text (terminal), Markdown (summary.md) or HTML (index.html).
 *
 * The rule is lexicographic, on the figures as people see them (rounded as printed):
 *   1. fewest VMs refused (refused at any time, whether or not they ran before);
 *   2. least VM-time short of memory (shortOfMemoryShare: more than 1% of the working set not resident, any cause);
 *   3. lowest slowdown p99;
 *   4. least host swap-out.
 * Refusals come first because the other figures are over a policy's ADMITTED VMs: a VM refused
 * drops out of them, so a policy that refuses VMs would otherwise look better for it. A run that
 * stopped on a rule violation cannot win (its figures cover part of the run).
 *
 * Counting VMs: served = ran and never refused; refused = refused at least once (a VM that ran and
 * was later refused is counted once, as refused: it was not served throughout); never on = the
 * trace's VMs that never wanted to run. served + refused + never on = the fleet.
 */
import type { RunMetrics } from '../metrics/run-metrics.js'
import { escapeHtml, escapeMarkdown } from './escape.js'
import type { FleetFacts, ReportInput } from './model.js'
import { formatNumber, resolveRuns, vmCounts } from './prepare.js'

export type { FleetFacts }

export interface VerdictRun {
  readonly label: string
  readonly metrics: RunMetrics
  readonly error?: string
}

export interface VerdictInput {
  readonly hostGiB: number
  readonly runs: ReadonlyArray<VerdictRun>
  readonly fleet?: FleetFacts
}

/** The criteria of the rule, in order. */
export const VERDICT_CRITERIA = ['refused', 'shortOfMemory', 'slowdownP99', 'hostSwapOut'] as const
export type Criterion = (typeof VERDICT_CRITERIA)[number]

export const VERDICT_RULE =
  'fewest VMs refused, then least VM-time short of memory, then lowest slowdown p99, then least host swap-out'

export interface Standing {
  readonly label: string
  readonly policy: string
  /** VMs in the run's fleet (metrics.vmsTotal). */
  readonly vms: number
  /** Ran and were never refused. */
  readonly served: number
  /** Refused at least once. */
  readonly refused: number
  /** Of the refused, those that had run before. */
  readonly refusedAfterRunning: number
  /** Never wanted to run (vms - served - refused). */
  readonly neverOn: number
  /** Over the admitted VMs' running time. */
  readonly shortOfMemoryShare: number
  /** Over all VM-time wanted (refused time counted as short); undefined if the run did not say. */
  readonly shortOrRefusedShare: number | undefined
  readonly slowdownP99: number
  readonly hostSwapOutGiB: number
  /** Over the admitted VMs. */
  readonly demandGiBh: number
  readonly runningVmHours: number | undefined
  /** The rule violation that stopped the run, if any. */
  readonly stopped: string | undefined
  /** The sort keys as compared (rounded as printed). */
  readonly keys: ReadonlyArray<number>
}

/** Why a run is not the winner: the first criterion on which it is worse, or that it stopped. */
export interface Loss {
  readonly label: string
  readonly criterion: Criterion | 'stopped' | 'tie'
  /** The loser's and the winner's figure on that criterion (undefined for 'stopped'). */
  readonly value?: number
  readonly winnerValue?: number
}

export interface Verdict {
  readonly hostGiB: number
  readonly fleet: FleetFacts | undefined
  readonly rule: string
  /** Best first; stopped runs last. */
  readonly standings: ReadonlyArray<Standing>
  /** The winner's label; undefined when no run completed. */
  readonly winner: string | undefined
  /** Runs equal to the winner on every criterion (listed after it in display order). */
  readonly tiedWith: ReadonlyArray<string>
  /** One per other run, in standing order. */
  readonly losses: ReadonlyArray<Loss>
}

/** Rounded as printed: shares to 0.01 % (of 100), slowdown to 3 decimals, swap-out to 0.1 GiB. */
const DECIMALS: Readonly<Record<Criterion, number>> = { refused: 0, shortOfMemory: 2, slowdownP99: 3, hostSwapOut: 1 }
const rounded = (x: number, d: number): number => (Number.isFinite(x) ? Number(x.toFixed(d)) : Infinity)

const standingOf = (r: VerdictRun): Standing => {
  const m = r.metrics
  const { served, refusedAfterRunning, neverOn } = vmCounts(m)
  const short = m.shortOfMemoryShare ?? NaN
  const stopped = r.error ?? m.error
  return {
    label: r.label,
    policy: m.policy,
    vms: m.vmsTotal,
    served,
    refused: m.vmsRefused,
    refusedAfterRunning,
    neverOn,
    shortOfMemoryShare: short,
    shortOrRefusedShare: m.shortOrRefusedShare,
    slowdownP99: m.slowdownP99,
    hostSwapOutGiB: m.hostSwapOutGiB,
    demandGiBh: m.demandGiBh,
    runningVmHours: m.runningVmHours,
    stopped,
    keys: [
      m.vmsRefused,
      rounded(short * 100, DECIMALS.shortOfMemory),
      rounded(m.slowdownP99, DECIMALS.slowdownP99),
      rounded(m.hostSwapOutGiB, DECIMALS.hostSwapOut),
    ],
  }
}

const compareKeys = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): number => {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1
  return 0
}

/** The verdict of a comparison (pure; ties keep display order). */
export const verdictOf = (input: VerdictInput): Verdict => {
  const all = input.runs.map((r, i) => ({ s: standingOf(r), i }))
  const ranked = [...all].sort(
    (a, b) => Number(a.s.stopped !== undefined) - Number(b.s.stopped !== undefined) || compareKeys(a.s.keys, b.s.keys) || a.i - b.i,
  )
  const standings = ranked.map((x) => x.s)
  const best = standings[0]
  const winner = best !== undefined && best.stopped === undefined ? best : undefined
  const tiedWith =
    winner === undefined ? [] : standings.slice(1).filter((s) => s.stopped === undefined && compareKeys(s.keys, winner.keys) === 0).map((s) => s.label)
  const losses: Loss[] = standings
    .filter((s) => s !== winner)
    .map((s) => {
      if (s.stopped !== undefined || winner === undefined) return { label: s.label, criterion: 'stopped' as const }
      const k = s.keys.findIndex((x, j) => x !== winner.keys[j])
      if (k < 0) return { label: s.label, criterion: 'tie' as const }
      return { label: s.label, criterion: VERDICT_CRITERIA[k], value: s.keys[k], winnerValue: winner.keys[k] }
    })
  return { hostGiB: input.hostGiB, fleet: input.fleet, rule: VERDICT_RULE, standings, winner: winner?.label, tiedWith, losses }
}

/** The verdict of a report's runs. */
export const verdictOfReport = (input: ReportInput): Verdict =>
  verdictOf({
    hostGiB: input.host.physicalGiB,
    runs: resolveRuns(input).map((r) => ({ label: r.label, metrics: r.metrics, ...(r.error === undefined ? {} : { error: r.error }) })),
    ...(input.fleet === undefined ? {} : { fleet: input.fleet }),
  })

// ---------------------------------------------------------------------------------------------
// Rendering: the paragraph as spans (plain or emphasised text), escaped by each renderer.

export interface Span {
  readonly text: string
  readonly strong?: boolean
}

const pct = (share: number | undefined): string =>
  share === undefined || !Number.isFinite(share) ? 'n/a' : `${formatNumber(share * 100, 2)} %`
const gib = (x: number, d = 1): string => `${formatNumber(x, d)} GiB`
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`

/** "runs all 24 VMs" / "runs 21 of 24 VMs and refuses 3 (1 of them after running)". */
const servedText = (s: Standing): string => {
  const wanted = s.vms - s.neverOn
  const never = s.neverOn > 0 ? ` (${plural(s.neverOn, 'VM')} of the trace never ran)` : ''
  if (s.refused === 0) return `runs all ${plural(wanted, 'VM')} that wanted to run, none refused${never}`
  const after = s.refusedAfterRunning > 0 ? `, ${s.refusedAfterRunning} of them after running` : ''
  return `runs ${s.served} of ${plural(wanted, 'VM')} throughout and refuses ${s.refused}${after}${never}`
}

/** The cost of a run: short of memory (admitted and all), slowdown tail, swap, demand. */
const costText = (s: Standing, fleet: FleetFacts | undefined): string => {
  const shortAll =
    s.refused > 0 && s.shortOrRefusedShare !== undefined
      ? `; ${pct(s.shortOrRefusedShare)} of all the VM-time wanted was refused or short`
      : ''
  const demand =
    fleet !== undefined && s.refused > 0
      ? `; its admitted VMs' demand is ${formatNumber(s.demandGiBh, 1)} GiBh of the whole fleet's ${formatNumber(fleet.demandGiBh, 1)} GiBh`
      : ''
  const swap = s.hostSwapOutGiB > 0 ? `${gib(s.hostSwapOutGiB)} swapped out by the host` : 'no host swap'
  return (
    `${pct(s.shortOfMemoryShare)} of ${s.refused > 0 ? 'its admitted VMs\u2019' : 'the'} VM-time short of memory${shortAll}` +
    `${demand}, slowdown p99 ${formatNumber(s.slowdownP99, 3)}, ${swap}`
  )
}

const lossText = (l: Loss, s: Standing): string => {
  switch (l.criterion) {
    case 'stopped':
      return `stopped on a rule violation, so its figures cover part of the run only`
    case 'tie':
      return 'ties on every criterion'
    case 'refused':
      return `refuses ${plural(s.refused, 'VM')} against ${l.winnerValue}, and refusals are never better` +
        ` (its other figures cover only the VMs it admitted: ${pct(s.shortOfMemoryShare)} of their VM-time short of memory` +
        `${s.shortOrRefusedShare === undefined ? '' : `, ${pct(s.shortOrRefusedShare)} of all VM-time wanted refused or short`})`
    case 'shortOfMemory':
      return (
        `leaves ${pct(s.shortOfMemoryShare)} of VM-time short of memory against ${formatNumber(l.winnerValue ?? NaN, 2)} %` +
        ` (slowdown p99 ${formatNumber(s.slowdownP99, 3)}, ${s.hostSwapOutGiB > 0 ? `${gib(s.hostSwapOutGiB)} swapped out by the host` : 'no host swap'})`
      )
    case 'slowdownP99':
      return `has slowdown p99 ${formatNumber(s.slowdownP99, 3)} against ${formatNumber(l.winnerValue ?? NaN, 3)}`
    case 'hostSwapOut':
      return `swaps out ${gib(s.hostSwapOutGiB)} against ${gib(l.winnerValue ?? NaN)}`
  }
}

/** The verdict paragraph as spans. */
export const verdictSpans = (v: Verdict): ReadonlyArray<Span> => {
  const spans: Span[] = []
  const t = (text: string): void => void spans.push({ text })
  const b = (text: string): void => void spans.push({ text, strong: true })
  const host = `this ${formatNumber(v.hostGiB, 1)} GiB host`
  const byLabel = new Map(v.standings.map((s) => [s.label, s]))
  if (v.winner === undefined) {
    b('No verdict')
    t(`: every run stopped on a rule violation, so none can be said to serve the fleet on ${host}.`)
    return spans
  }
  const w = byLabel.get(v.winner) as Standing
  b(v.winner)
  if (v.tiedWith.length > 0) {
    t(' (tied with ')
    v.tiedWith.forEach((l, i) => (i > 0 && t(', '), b(l)))
    t(', equal on every criterion)')
  }
  t(w.refused === 0 ? ` serves the fleet best on ${host}: it ` : ` serves the fleet best on ${host}, but not all of it: it `)
  t(`${servedText(w)}, with ${costText(w, v.fleet)}.`)
  if (v.standings.length === 1) t(' It is the only policy compared.')
  const others = v.losses.filter((l) => l.criterion !== 'tie')
  for (const l of others) {
    const s = byLabel.get(l.label) as Standing
    t(' ')
    b(l.label)
    t(` loses: it ${lossText(l, s)}.`)
  }
  t(` Rule: ${v.rule}; a policy's other figures cover only the VMs it admitted, so refusals are judged first.`)
  return spans
}

/** Plain text, wrapped at `width` columns (the terminal). */
export const verdictText = (v: Verdict, width = 100): string => {
  const words = `Verdict: ${verdictSpans(v)
    .map((s) => s.text)
    .join('')}`.split(' ')
  const lines: string[] = []
  let line = ''
  for (const w of words) {
    if (line.length > 0 && line.length + 1 + w.length > width) {
      lines.push(line)
      line = w
    } else line = line.length === 0 ? w : `${line} ${w}`
  }
  if (line.length > 0) lines.push(line)
  return lines.join('\n')
}

/** Markdown (untrusted labels escaped). */
export const verdictMarkdown = (v: Verdict): string =>
  verdictSpans(v)
    .map((s) => (s.strong ? `**${escapeMarkdown(s.text)}**` : escapeMarkdown(s.text)))
    .join('')

/** HTML, one paragraph (untrusted labels escaped). */
export const verdictHtml = (v: Verdict): string =>
  `<p class="verdict" id="verdict-text"${v.winner === undefined ? '' : ` data-winner="${escapeHtml(v.winner)}"`}>` +
  verdictSpans(v)
    .map((s) => (s.strong ? `<strong>${escapeHtml(s.text)}</strong>` : escapeHtml(s.text)))
    .join('') +
  '</p>'

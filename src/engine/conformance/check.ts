/**
 * The conformance check: what any policy module must satisfy before its figures mean anything.
 *
 *   contract     it exports a policy (definePolicy), its params codec decodes its defaults and the
 *                params given;
 *   invariants   over random fleets, traces and hosts (fast-check), every tick keeps the engine's
 *                invariants (engine/invariants.ts) and the world's rules (engine/world.ts): memory
 *                conserved, 0 <= resident <= touched <= assigned and configured, nothing negative,
 *                assigned memory within the host for a policy that does not overcommit, and, as its
 *                traits promise, assigned within [minimum, maximum] and reservations and limits kept;
 *   purity       step and init change nothing they are handed (observation columns, context, params,
 *                previous state: typed arrays compared element by element), step is a function
 *                (called twice on the same state and observation it gives the same state and
 *                decision), and the state keeps none of the world's live observation columns nor
 *                any of the engine's scratch columns (policy.ts Scratch);
 *   determinism  the same inputs replayed twice give the same decisions and the same account;
 *   scratch      the same inputs replayed with the engine's scratch offer withheld, recycled (as every
 *                run) and poisoned (NaN, rotated) give identical fingerprints (conformance/scratch.ts);
 *   sample       a whole run on the bundled sample (traces/sample) keeps the invariants, purity and
 *                the scratch rule.
 *
 * A failure names the rule, the tick, the VM, and gives fast-check's shrunk counterexample.
 * The check itself is pure at its interface (fast-check is seeded): the same policy and options
 * give the same report.
 */
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import type { AnyPolicy, Decision, Observation } from '../policy.js'
import { replay, formatViolation, scratchOffer } from '../replay.js'
import type { RuleViolation } from '../replay-api.js'
import { DEFAULT_WORLD, type WorldParams } from '../world.js'
import { VmStatus, VM_FIELDS } from '../account.js'
import { checkPolicyShape, policyParams } from '../validate-policy.js'
import type { Trace } from '../../trace/trace.js'
import type { HostSettings, VmSettings } from '../../spec/settings.js'
import { monotoneFinding } from './monotone.js'
import { scenarioArb, type Scenario } from './arbitraries.js'
import { describeScenario } from './describe.js'
import { changedSince, findHeld, firstDifference, plain, snapshot, type Snapshot } from './snapshot.js'
import { keptScratch, scratchFinding } from './scratch.js'

export interface Finding {
  readonly rule: string
  /** Tick of the failure (undefined: before the first tick, in init). */
  readonly tick: number | undefined
  /** VM id, when one VM is at fault. */
  readonly vm: string | undefined
  readonly detail: string
}

export type CheckName = 'contract' | 'invariants' | 'purity' | 'determinism' | 'scratch' | 'monotone' | 'sample'
/** warn: a law a planner relies on is broken, which a user's policy may do on purpose (not a failure). */
export type CheckStatus = 'pass' | 'fail' | 'skip' | 'warn'

export interface CheckResult {
  readonly name: CheckName
  readonly status: CheckStatus
  /** What was checked (pass), why it was skipped (skip), or the failure in one line (fail). */
  readonly summary: string
  readonly finding?: Finding
  /** The shrunk counterexample, readable. */
  readonly counterexample?: string
  /** How to replay the same property run. */
  readonly reproduce?: string
}

export interface ConformanceReport {
  readonly policy: string
  /** How the policy was named on the command line (a path or a name), for the reproduce hint. */
  readonly source?: string
  readonly results: ReadonlyArray<CheckResult>
  readonly ok: boolean
}

/** A whole trace to run the policy on (the bundled sample), already loaded. */
export interface SampleInput {
  readonly label: string
  readonly trace: Trace
  readonly host: HostSettings
  readonly vms: ReadonlyArray<VmSettings>
}

export interface ConformanceOptions {
  /** Random scenarios per property (default 100; purity and determinism use half). */
  readonly runs?: number
  /** fast-check seed (default fixed, so a report is reproducible). */
  readonly seed?: number
  readonly maxVms?: number
  readonly maxTicks?: number
  /** The sample run: a loaded trace, or the reason it is skipped. Omitted: skipped. */
  readonly sample?: SampleInput | { readonly skip: string }
  readonly world?: WorldParams
}

export const DEFAULT_CHECK_SEED = 20261127

// ---------------------------------------------------------------------------------------------
// Running one scenario

const TOL = 1e-6

/**
 * Which VM a host-wide "host-memory" violation is due to: replaying the tick's decision the way the
 * world applies it (hot-add and balloon rates), the first VM in fleet order at which assigned memory
 * plus overheads and the reserve exceed the host.
 */
const blameHostMemory = (d: Decision, obs: Observation, host: HostSettings, vms: ReadonlyArray<VmSettings>, world: WorldParams): string | undefined => {
  let total = host.reserveMiB
  const s = obs.stepSeconds
  for (let v = 0; v < obs.vmCount; v++) {
    if (obs.poweredOn[v] !== 1) continue
    const admitted = obs.status[v] === VmStatus.off && d.admit[v] === 1
    if (!admitted && obs.status[v] !== VmStatus.running) continue
    const prevVisible = admitted ? d.visible[v] : obs.visible[v]
    const target = d.visible[v]
    const visible = target > prevVisible ? Math.min(target, prevVisible + world.hotAddMiBPerSecond * s) : target
    const prevBalloon = admitted ? Math.min(d.balloon[v], d.visible[v]) : obs.ballooned[v]
    const bTarget = Math.min(d.balloon[v], visible)
    const bStep = world.balloonMiBPerSecond * s
    const balloon = bTarget > prevBalloon ? Math.min(bTarget, prevBalloon + bStep) : Math.max(bTarget, prevBalloon - bStep)
    total += visible - balloon + host.vmOverheadMiB
    if (total > host.physicalMiB + TOL) return vms[v].id
  }
  return undefined
}

const findingOf = (v: RuleViolation, blamed: string | undefined): Finding => ({
  rule: v.rule,
  tick: v.tick,
  vm: v.vm ?? blamed,
  detail: v.vm === undefined && blamed !== undefined ? `${v.detail} (the host is exceeded at VM "${blamed}", taking VMs in fleet order)` : v.detail,
})

interface RunInput {
  readonly trace: Trace
  readonly host: HostSettings
  readonly vms: ReadonlyArray<VmSettings>
}

/** Replay with the engine's invariants on; the first rule broken, or undefined. */
export const invariantFinding = (policy: AnyPolicy, params: unknown, s: RunInput, seed: number, world: WorldParams = DEFAULT_WORLD): Finding | undefined => {
  let blamed: string | undefined
  let lastTick = -1
  // Watch each decision, to name the VM of a host-wide violation.
  const spy: AnyPolicy = {
    ...policy,
    step: (state, obs, scratch) => {
      lastTick = obs.tick
      const out = policy.step(state, obs, scratch)
      blamed = out && out[1] && out[1].admit && out[1].visible && out[1].balloon ? safeBlame(out[1], obs, s, world) : undefined
      return out
    },
  }
  try {
    const res = replay({ ...s, policy: spy, params, seed, checkInvariants: true }, () => {}, world)
    return E.isLeft(res) ? findingOf(res.left, res.left.rule === 'host-memory' ? blamed : undefined) : undefined
  } catch (err) {
    return { rule: 'policy-threw', tick: lastTick < 0 ? undefined : lastTick, vm: undefined, detail: `${lastTick < 0 ? 'init' : 'step'} threw: ${errText(err)}` }
  }
}

const safeBlame = (d: Decision, obs: Observation, s: RunInput, world: WorldParams): string | undefined => {
  try {
    return blameHostMemory(d, obs, s.host, s.vms, world)
  } catch {
    return undefined
  }
}

const errText = (err: unknown): string => (err instanceof Error ? err.message : String(err))

const OBS_COLUMNS = [
  'poweredOn',
  'status',
  'configured',
  'visible',
  'assigned',
  'ballooned',
  'touched',
  'resident',
  'shared',
  'compressed',
  'swapped',
  'committed',
  'sampledPages',
  'accessedPages',
] as const

const vmOfPath = (path: string, vms: ReadonlyArray<VmSettings>): string | undefined => {
  const m = /^[a-zA-Z]+\[(\d+)\]/.exec(path)
  const i = m ? Number(m[1]) : NaN
  return Number.isInteger(i) && i < vms.length ? vms[i].id : undefined
}

/**
 * Replay with every step watched: nothing handed to init or step may change, step called twice on
 * the same inputs must agree, and the state must not keep the world's live columns nor the engine's
 * scratch columns. The replay poisons its scratch (replay-api.ts ScratchMode), and the second call
 * gets other poisoned columns, so that the first decision's scratch columns survive to be compared.
 */
export const purityFinding = (policy: AnyPolicy, params: unknown, s: RunInput, seed: number, world: WorldParams = DEFAULT_WORLD): Finding | undefined => {
  let found: Finding | undefined
  let contextSnap: Snapshot | undefined
  const spare = scratchOffer('poison', s.vms.length)
  const fail = (tick: number | undefined, rule: string, detail: string, vm?: string): void => {
    if (!found) found = { rule, tick, vm, detail }
  }
  const watched: AnyPolicy = {
    ...policy,
    init: (context, p) => {
      const sc = snapshot(context)
      const sp = snapshot(p)
      const state = policy.init(context, p)
      const c = changedSince(sc, 'context') ?? changedSince(sp, 'params')
      if (c) fail(undefined, 'no-mutation', `init changed ${c}`)
      contextSnap = sc
      return state
    },
    step: (state, obs, scratch) => {
      if (found) return policy.step(state, obs, scratch)
      const so = snapshot(obs)
      const ss = snapshot(state)
      const first = policy.step(state, obs, scratch)
      const changed = changedSince(so, 'observation') ?? changedSince(ss, 'previous state') ?? (contextSnap && changedSince(contextSnap, 'context'))
      if (changed) {
        fail(obs.tick, 'no-mutation', `step changed ${changed}`, vmOfPath(changed.replace(/^[a-z ]+\./, ''), s.vms))
        return first
      }
      const again = policy.step(state, obs, scratch === undefined ? undefined : spare.next())
      const dd = firstDifference(plain(first[1]), plain(again[1]), 'decision')
      if (dd) {
        fail(obs.tick, 'step-is-a-function', `step gave two different decisions for the same state and observation: ${dd}`, vmOfPath(dd.replace(/^decision\./, ''), s.vms))
        return first
      }
      const sd = firstDifference(plain(first[0]), plain(again[0]), 'state')
      if (sd) {
        fail(obs.tick, 'step-is-a-function', `step gave two different states for the same state and observation: ${sd}`)
        return first
      }
      const held = findHeld(first[0], new Set(OBS_COLUMNS.map((k) => obs[k])))
      if (held) {
        const col = OBS_COLUMNS.find((k) => findHeld(first[0], new Set([obs[k]])) === held)
        fail(obs.tick, 'no-live-columns', `the new state keeps the live column observation.${col} at ${held}: the world rewrites it next tick; copy the values you need (Float64Array.from)`)
        return first
      }
      const kept = scratch === undefined ? undefined : keptScratch(first[0], scratch)
      if (kept)
        fail(obs.tick, 'no-scratch-kept', `the new state keeps a scratch column the engine offered (or a view of it) at ${kept}: it is the step's only until the step returns, and the next step overwrites it; copy the values you need (Float64Array.from)`)
      return first
    },
  }
  try {
    replay({ ...s, policy: watched, params, seed, scratch: 'poison' }, () => {}, world)
  } catch (err) {
    if (!found) return { rule: 'policy-threw', tick: undefined, vm: undefined, detail: errText(err) }
  }
  return found
}

interface Recorded {
  readonly decisions: unknown[]
  readonly accounts: unknown[]
  readonly end: string
}

const record = (policy: AnyPolicy, params: unknown, s: RunInput, seed: number, world: WorldParams): Recorded => {
  const decisions: unknown[] = []
  const accounts: unknown[] = []
  const spy: AnyPolicy = {
    ...policy,
    step: (state, obs, scratch) => {
      const out = policy.step(state, obs, scratch)
      decisions.push(plain(out[1]))
      return out
    },
  }
  let end: string
  try {
    const res = replay({ ...s, policy: spy, params, seed }, (a) => {
      accounts.push({ free: a.host.free, state: a.host.state, status: Array.from(a.status), ...Object.fromEntries(VM_FIELDS.map((f) => [f, Array.from(a.vm[f])])) })
    }, world)
    end = E.isLeft(res) ? `stopped: ${formatViolation(res.left)}` : 'finished'
  } catch (err) {
    end = `threw: ${errText(err)}`
  }
  return { decisions, accounts, end }
}

/** Replay twice with the same inputs: the decisions and the account must be the same. */
export const determinismFinding = (policy: AnyPolicy, params: unknown, s: RunInput, seed: number, world: WorldParams = DEFAULT_WORLD): Finding | undefined => {
  const a = record(policy, params, s, seed, world)
  const b = record(policy, params, s, seed, world)
  const n = Math.max(a.decisions.length, b.decisions.length)
  for (let t = 0; t < n; t++) {
    const dd = firstDifference(a.decisions[t], b.decisions[t], 'decision')
    if (dd) return { rule: 'deterministic', tick: t, vm: vmOfPath(dd.replace(/^decision\./, ''), s.vms), detail: `two replays of the same inputs decided differently: ${dd}` }
    const ad = firstDifference(a.accounts[t], b.accounts[t], 'account')
    if (ad) return { rule: 'deterministic', tick: t, vm: vmOfPath(ad.replace(/^account\./, ''), s.vms), detail: `two replays of the same inputs gave different accounts: ${ad}` }
  }
  if (a.end !== b.end) return { rule: 'deterministic', tick: undefined, vm: undefined, detail: `two replays of the same inputs ended differently: ${a.end} / ${b.end}` }
  return undefined
}

// ---------------------------------------------------------------------------------------------
// Properties

type ScenarioCheck = (policy: AnyPolicy, params: unknown, s: Scenario, seed: number, world: WorldParams) => Finding | undefined

const formatFinding = (f: Finding): string =>
  `rule "${f.rule}" broken ${f.tick === undefined ? 'before the first tick' : `at tick ${f.tick}`}${f.vm === undefined ? '' : `, VM "${f.vm}"`}: ${f.detail}`

const property = (
  name: CheckName,
  what: string,
  check: ScenarioCheck,
  policy: AnyPolicy,
  params: unknown,
  o: Required<Pick<ConformanceOptions, 'runs' | 'seed' | 'maxVms' | 'maxTicks'>> & { world: WorldParams },
): CheckResult => {
  let last: { finding: Finding; scenario: Scenario; seed: number } | undefined
  const prop = fc.property(scenarioArb(o.maxVms, o.maxTicks), fc.integer({ min: 0, max: 1000 }), (s, seed) => {
    const f = check(policy, params, s, seed, o.world)
    if (f) last = { finding: f, scenario: s, seed }
    return f === undefined
  })
  const out = fc.check(prop, { numRuns: o.runs, seed: o.seed })
  if (!out.failed) return { name, status: 'pass', summary: `${what} (${out.numRuns} random fleets and traces)` }
  if (out.counterexample && !last) {
    const [s, seed] = out.counterexample
    const f = check(policy, params, s, seed, o.world)
    if (f) last = { finding: f, scenario: s, seed }
  }
  if (!last) {
    return { name, status: 'fail', summary: `the property failed: ${out.errorInstance ? errText(out.errorInstance) : 'no detail'}`, reproduce: `--seed ${o.seed} (fast-check path "${out.counterexamplePath}")` }
  }
  return {
    name,
    status: 'fail',
    summary: formatFinding(last.finding),
    finding: last.finding,
    counterexample: `${describeScenario(last.scenario, last.seed)}\n(shrunk ${out.numShrinks} time${out.numShrinks === 1 ? '' : 's'} from a failure found after ${out.numRuns} run${out.numRuns === 1 ? '' : 's'})`,
    reproduce: `--seed ${o.seed} (fast-check path "${out.counterexamplePath}")`,
  }
}

const rulesChecked = (p: AnyPolicy): string => {
  const rules = ['conservation', '0 <= resident <= touched <= assigned', 'no negative or non-finite quantity', 'decision shape']
  if (!p.traits.overcommit) rules.push('assigned memory within the host', 'no host swap, compression or page sharing (traits.overcommit false)')
  if (p.traits.minMax) rules.push('assigned within [minimum, maximum] (traits.minMax)')
  if (p.traits.reservations) rules.push('reservation and limit (traits.reservations)')
  return rules.join(', ')
}

/** Run every check on a policy with the given (raw, undecoded) params. */
export const checkConformance = (policy: AnyPolicy, rawParams: unknown, options: ConformanceOptions = {}): ConformanceReport => {
  const o = {
    runs: options.runs ?? 100,
    seed: options.seed ?? DEFAULT_CHECK_SEED,
    maxVms: options.maxVms ?? 6,
    maxTicks: options.maxTicks ?? 24,
    world: options.world ?? DEFAULT_WORLD,
  }
  const name = typeof policy?.name === 'string' ? policy.name : '(unnamed)'
  const results: CheckResult[] = []
  const shape = checkPolicyShape(policy, `policy "${name}"`)
  const decoded = E.isRight(shape) ? policyParams(policy, rawParams) : shape
  if (E.isLeft(decoded)) {
    results.push({ name: 'contract', status: 'fail', summary: decoded.left.join('; '), finding: { rule: 'contract', tick: undefined, vm: undefined, detail: decoded.left.join('; ') } })
    for (const n of ['invariants', 'purity', 'determinism', 'scratch', 'monotone', 'sample'] as const) results.push({ name: n, status: 'skip', summary: 'the contract check failed' })
    return { policy: name, results, ok: false }
  }
  const params = decoded.right
  results.push({ name: 'contract', status: 'pass', summary: `exports a policy; params decode (${JSON.stringify(params)})` })
  results.push(property('invariants', `engine invariants every tick: ${rulesChecked(policy)}`, invariantFinding, policy, params, o))
  const half = { ...o, runs: Math.max(1, Math.ceil(o.runs / 2)) }
  results.push(property('purity', 'no mutation of observation, context, params or previous state; step a function of (state, observation); no live or scratch columns kept', purityFinding, policy, params, half))
  results.push(property('determinism', 'same inputs replayed twice give the same decisions and account', determinismFinding, policy, params, half))
  results.push(property('scratch', "the engine's scratch offer withheld, recycled and poisoned gives identical fingerprints", scratchFinding, policy, params, half))
  results.push(monotoneCheck(policy, params, { ...o, runs: Math.max(1, Math.ceil(o.runs / 4)) }))
  results.push(sampleCheck(policy, params, options.sample, o.world))
  return { policy: name, results, ok: results.every((r) => r.status !== 'fail') }
}

/**
 * The planner's law (conformance/monotone.ts): more host memory never leaves the fleet worse off. A
 * warning, not a failure: a user may write a policy that breaks it, but a plan read over it misleads.
 */
const monotoneCheck = (policy: AnyPolicy, params: unknown, o: Required<Pick<ConformanceOptions, 'runs' | 'seed' | 'maxVms' | 'maxTicks'>> & { world: WorldParams }): CheckResult => {
  let found: { detail: string; scenario: Scenario; seed: number; extra: number } | undefined
  const prop = fc.property(scenarioArb(o.maxVms, o.maxTicks), fc.constantFrom(512, 2048, 8192), fc.integer({ min: 0, max: 1000 }), (s, extra, seed) => {
    let breach
    try {
      breach = monotoneFinding(policy, params, s, extra, seed, o.world)
    } catch {
      return true // a policy that throws is the invariant check's finding
    }
    if (breach && !found) found = { detail: breach.detail, scenario: s, seed, extra }
    return breach === undefined
  })
  const out = fc.check(prop, { numRuns: o.runs, seed: o.seed, endOnFailure: true })
  const what = 'more host memory never raises unserved working set, host swap-out or refusals beyond 5% + a floor'
  if (!out.failed || !found) return { name: 'monotone', status: 'pass', summary: `${what} (${out.numRuns} random fleets and traces)` }
  return {
    name: 'monotone',
    status: 'warn',
    summary: `with ${found.extra} MiB more host memory the policy ${found.detail}: a plan that counts hosts with it may mislead`,
    counterexample: describeScenario(found.scenario, found.seed),
  }
}

const sampleCheck = (policy: AnyPolicy, params: unknown, sample: ConformanceOptions['sample'], world: WorldParams): CheckResult => {
  if (sample === undefined) return { name: 'sample', status: 'skip', summary: 'no sample given' }
  if ('skip' in sample) return { name: 'sample', status: 'skip', summary: sample.skip }
  const f = invariantFinding(policy, params, sample, 1, world) ?? purityFinding(policy, params, sample, 1, world) ?? scratchFinding(policy, params, sample, 1, world)
  if (f) return { name: 'sample', status: 'fail', summary: `${sample.label}: ${formatFinding(f)}`, finding: f }
  return {
    name: 'sample',
    status: 'pass',
    summary: `${sample.label}: ${sample.trace.vms.length} VMs, ${sample.trace.ticks} ticks of ${sample.trace.step} s, invariants and purity every tick, the same fingerprint with scratch withheld, recycled and poisoned`,
  }
}

/** The report as text: one line per check, and for a failure its counterexample. */
export const formatReport = (r: ConformanceReport): string => {
  const lines = [`check-policy: ${r.policy}${r.source !== undefined && r.source !== r.policy ? ` (${r.source})` : ''}`]
  for (const c of r.results) {
    const tag = c.status === 'pass' ? 'ok  ' : c.status === 'skip' ? 'skip' : c.status === 'warn' ? 'WARN' : 'FAIL'
    lines.push(`  ${tag}  ${c.name}: ${c.summary}`)
    if (c.counterexample) lines.push('        counterexample:', ...c.counterexample.split('\n').map((l) => `          ${l}`))
    if (c.reproduce && c.status === 'fail') lines.push(`        reproduce: npm run check-policy -- ${r.source ?? r.policy} ${c.reproduce}`)
  }
  const failed = r.results.filter((c) => c.status === 'fail').length
  const skipped = r.results.filter((c) => c.status === 'skip').length
  const warned = r.results.filter((c) => c.status === 'warn').length
  const notes = [skipped > 0 ? `${skipped} skipped` : '', warned > 0 ? `${warned} warning${warned === 1 ? '' : 's'}` : ''].filter((x) => x !== '')
  lines.push(failed > 0 ? `FAILED: ${failed} of ${r.results.length} checks` : `passed${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`)
  return lines.join('\n')
}

/**
 * Every built-in policy passes the conformance check (new ones are included as they are registered
 * in policies/index.ts), and the check catches what it claims to catch.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import { BUILT_IN_POLICIES } from '../../policies/index.js'
import { checkConformance, formatReport, type SampleInput } from '../../src/engine/conformance/index.js'
import { definePolicy, type AnyPolicy, type Decision } from '../../src/engine/policy.js'
import { staticPolicy } from '../../policies/static.js'
import { importTrace } from '../../src/trace/import.js'
import { parseHostArg, resolveHost } from '../../src/spec/host.js'
import { loadFleetSpec, resolveFleet } from '../../src/spec/fleet.js'
import { SAMPLE } from '../../src/cli/sample.js'
import { REPO } from './support.js'
import broken from './fixtures/broken-policy.js'

const samplePath = (p: string): string => path.join(REPO, p)
const sample = async (): Promise<SampleInput | { skip: string }> => {
  if (!fs.existsSync(samplePath(SAMPLE.trace)) || !fs.existsSync(samplePath(SAMPLE.host))) return { skip: 'traces/sample not there yet' }
  const t = await importTrace(samplePath(SAMPLE.trace))
  if (E.isLeft(t)) throw new Error('sample does not import')
  const h = parseHostArg(samplePath(SAMPLE.host))
  if (E.isLeft(h)) throw new Error('sample host does not parse')
  const fleetFile = samplePath(SAMPLE.fleet)
  const spec = fs.existsSync(fleetFile) ? loadFleetSpec(fleetFile) : undefined
  if (spec && E.isLeft(spec)) throw new Error('sample fleet does not parse')
  const vms = resolveFleet(t.right, spec && E.isRight(spec) ? spec.right : undefined)
  if (E.isLeft(vms)) throw new Error('sample fleet does not resolve')
  return { label: 'traces/sample', trace: t.right, host: resolveHost(h.right), vms: vms.right }
}

describe.each(BUILT_IN_POLICIES.map((p) => [p.name, p] as const))('built-in policy %s', (_name, policy) => {
  it('passes the conformance check, the sample run included', async () => {
    const report = checkConformance(policy, undefined, { runs: 100, sample: await sample() })
    expect(report.ok, formatReport(report)).toBe(true)
    expect(report.results.map((r) => r.name)).toEqual(['contract', 'invariants', 'purity', 'determinism', 'scratch', 'monotone', 'sample'])
    expect(report.results.find((r) => r.name === 'monotone')?.status).toBe('pass')
  })
})

describe('the planner\'s law in check-policy', () => {
  it('warns, without failing, when more host memory makes a policy refuse more', () => {
    // A perverse static: on a host of more than 16 GiB it refuses every VM, so a bigger host refuses more.
    const perverse = withStep('refuses-on-big-hosts', (state, obs) => {
      const [next, d] = staticPolicy.step(state, obs)
      return obs.host.physicalMiB > 16384 ? [next, { ...d, admit: new Float64Array(obs.vmCount) }] : [next, d]
    })
    const r = checkConformance(perverse, undefined, { runs: 200 })
    const c = r.results.find((x) => x.name === 'monotone')
    expect(c?.status, formatReport(r)).toBe('warn')
    expect(c?.summary).toMatch(/more host memory the policy refuses \d+ VMs on the bigger host against \d+/)
    expect(formatReport(r)).toMatch(/WARN {2}monotone/)
    expect(r.ok).toBe(true)
  })
})

const withStep = (name: string, step: AnyPolicy['step'], init: AnyPolicy['init'] = staticPolicy.init): AnyPolicy =>
  definePolicy({ ...staticPolicy, name, init, step } as AnyPolicy)

const failed = (p: AnyPolicy, check: string) => {
  const r = checkConformance(p, undefined, { runs: 60 })
  const c = r.results.find((x) => x.name === check)
  expect(c?.status, formatReport(r)).toBe('fail')
  return { result: c!, text: formatReport(r) }
}

describe('the check catches', () => {
  it('a policy that assigns more than the host has: rule, tick, VM and a shrunk counterexample', () => {
    const { result, text } = failed(broken, 'invariants')
    expect(result.finding).toMatchObject({ rule: 'host-memory', tick: expect.any(Number), vm: expect.stringMatching(/^vm\d+$/) })
    expect(text).toMatch(/FAIL {2}invariants: rule "host-memory" broken at tick \d+, VM "vm\d+"/)
    expect(result.counterexample).toMatch(/host: \d+ MiB physical/)
    expect(result.counterexample).toMatch(/shrunk \d+ time/)
    // Shrunk to a single tick and a VM or two (fast-check's shrinking finds a local minimum: from
    // some draws the smallest failing fleet it reaches is two VMs that together pass the host).
    expect(result.counterexample).toMatch(/1 tick of/)
    expect(result.counterexample?.match(/^ {2}vm\d+:/gm)?.length).toBeLessThanOrEqual(2)
  })

  it('a step that writes into an observation column (typed array)', () => {
    const p = withStep('writes-obs', (s, obs) => {
      ;(obs.visible as Float64Array)[0] = 123
      return staticPolicy.step(s, obs)
    })
    const { result } = failed(p, 'purity')
    expect(result.finding).toMatchObject({ rule: 'no-mutation', vm: 'vm0' })
    expect(result.finding?.detail).toMatch(/observation\.visible\[0\]/)
  })

  it('a step that mutates its previous state', () => {
    const p = withStep(
      'mutates-state',
      (s: { n: number[] }, obs) => {
        s.n.push(obs.tick)
        return [s, staticPolicy.step(staticPolicy.init((s as never as { context: never }).context, staticPolicy.defaults), obs)[1]] as const
      },
      (context) => ({ context, n: [] as number[] }),
    )
    const { result } = failed(p, 'purity')
    expect(result.finding?.rule).toBe('no-mutation')
    expect(result.finding?.detail).toMatch(/previous state/)
  })

  it('a state that keeps a live observation column', () => {
    const p = withStep(
      'keeps-column',
      (s: { context: never; last?: unknown }, obs) => [{ ...s, last: obs.touched }, staticPolicy.step(staticPolicy.init(s.context, staticPolicy.defaults), obs)[1]] as const,
      (context) => ({ context }),
    )
    const { result } = failed(p, 'purity')
    expect(result.finding).toMatchObject({ rule: 'no-live-columns' })
    expect(result.finding?.detail).toMatch(/observation\.touched at state\.last/)
  })

  it('hidden mutable state (a module-level counter): not a function of its inputs, not deterministic', () => {
    let calls = 0
    const p = withStep('counter', (s, obs) => {
      calls++
      const [st, d] = staticPolicy.step(s, obs)
      const visible = Float64Array.from(d.visible as ArrayLike<number>, (x) => x - (calls % 2))
      return [st, { ...d, visible } as Decision] as const
    })
    expect(failed(p, 'purity').result.finding?.rule).toBe('step-is-a-function')
    expect(failed(p, 'determinism').result.finding?.rule).toBe('deterministic')
  })

  it('a module whose defaults do not decode (contract), and skips the rest', () => {
    const p = { ...staticPolicy, name: 'bad-defaults', defaults: { admissionShare: 'all' } } as unknown as AnyPolicy
    const r = checkConformance(p, undefined)
    expect(r.ok).toBe(false)
    expect(r.results[0]).toMatchObject({ name: 'contract', status: 'fail' })
    expect(r.results.slice(1).every((x) => x.status === 'skip')).toBe(true)
  })

  it('params given by the user are decoded with the policy named', () => {
    const r = checkConformance(staticPolicy, { admisionShare: 1 })
    expect(r.results[0].summary).toMatch(/policy "static" params: static has no parameter "admisionShare"/)
  })
})

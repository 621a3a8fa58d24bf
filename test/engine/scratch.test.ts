/**
 * Scratch the engine guarantees dead (policy.ts Scratch; issue 14, decision 2): the replay's three
 * ways of offering it, the built-in policies' accounts identical in every way, and check-policy's
 * scratch check failing a policy that misuses a recycled column, with the policy, tick and VM named.
 */
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { replay } from '../../src/engine/replay.js'
import { definePolicy, scratchColumn, SCRATCH_COLUMNS, type AnyPolicy, type Decision, type Scratch } from '../../src/engine/policy.js'
import { policyParams } from '../../src/engine/validate-policy.js'
import { checkConformance, formatReport, scenarioArb, scratchFinding, purityFinding } from '../../src/engine/conformance/index.js'
import { BUILT_IN_POLICIES } from '../../policies/index.js'
import { staticPolicy } from '../../policies/static.js'
import { runCheckPolicy } from '../../src/cli/check-policy.js'
import { buildTrace, hostOf, settingsOf } from '../support/build.js'
import { growingPolicy } from './fixtures/keeps-scratch.js'

const paramsOf = (p: AnyPolicy): unknown => {
  const d = policyParams(p, undefined)
  if (E.isLeft(d)) throw new Error(d.left.join('; '))
  return d.right
}

// Two VMs on a roomy host for four ticks: a (2048 MiB) runs throughout, b (4096) from tick 1.
const small = {
  trace: buildTrace([
    { id: 'a', demand: [300, 400, 500, 600], configured: 2048 },
    { id: 'b', demand: [NaN, 700, 800, 900], configured: 4096 },
  ]),
  host: hostOf(16384),
  vms: [settingsOf('a', 2048), settingsOf('b', 4096)],
}

/** What each step is offered, and what it left in the columns, under a scratch mode. */
const offers = (mode: 'recycle' | 'withhold' | 'poison') => {
  const seen: Array<{ scratch: Scratch | undefined; columns: Float64Array[] | undefined; values: number[][] | undefined }> = []
  const spy = definePolicy({
    ...staticPolicy,
    step: (s, obs, scratch?: Scratch) => {
      seen.push({ scratch, columns: scratch && [...scratch.columns], values: scratch?.columns.map((c) => Array.from(c)) })
      if (scratch) for (const c of scratch.columns) c.fill(obs.tick + 1) // the step owns them: it may write them all
      return staticPolicy.step(s, obs, scratch)
    },
  }) as AnyPolicy
  const res = replay({ ...small, policy: spy, params: paramsOf(staticPolicy), seed: 1, scratch: mode }, () => {})
  expect(E.isRight(res)).toBe(true)
  return seen
}

describe('the replay offers scratch', () => {
  it("recycle (the default): the same frozen offer every step, SCRATCH_COLUMNS distinct columns of vmCount, as the last step left them", () => {
    const seen = offers('recycle')
    expect(seen).toHaveLength(4)
    const first = seen[0].scratch!
    expect(first.columns).toHaveLength(SCRATCH_COLUMNS)
    expect(new Set(first.columns).size).toBe(SCRATCH_COLUMNS)
    for (const c of first.columns) expect(c).toBeInstanceOf(Float64Array)
    for (const c of first.columns) expect(c.length).toBe(2)
    expect(Object.isFrozen(first) && Object.isFrozen(first.columns)).toBe(true)
    for (const s of seen) expect(s.scratch).toBe(first)
    // Nothing between the steps touches them: each step finds what the one before wrote.
    expect(seen[2].values![3]).toEqual([2, 2])
    // And the default is recycle.
    const byDefault: Array<Scratch | undefined> = []
    const spy = definePolicy({ ...staticPolicy, step: (s, obs, scratch?: Scratch) => (byDefault.push(scratch), staticPolicy.step(s, obs)) }) as AnyPolicy
    replay({ ...small, policy: spy, params: paramsOf(staticPolicy), seed: 1 }, () => {})
    expect(byDefault[0]).toBeDefined()
    expect(byDefault[3]).toBe(byDefault[0])
  })

  it('withhold: no offer', () => {
    expect(offers('withhold').map((s) => s.scratch)).toEqual([undefined, undefined, undefined, undefined])
  })

  it('poison: the same columns, all NaN before each step, their order rotated step by step', () => {
    const seen = offers('poison')
    for (const s of seen) for (const col of s.values!) expect(col.every(Number.isNaN)).toBe(true)
    const c0 = seen[0].columns!
    expect(new Set(seen.flatMap((s) => s.columns!))).toEqual(new Set(c0))
    expect(seen[1].columns![0]).toBe(c0[1])
    expect(seen[2].columns![0]).toBe(c0[2])
  })

  it('scratchColumn: the offered column, or a new zeroed one without an offer', () => {
    const col = new Float64Array(3).fill(7)
    const offer: Scratch = { columns: [col] }
    expect(scratchColumn(offer, 0, 3)).toBe(col)
    expect(Array.from(scratchColumn(undefined, 0, 3))).toEqual([0, 0, 0])
    expect(scratchColumn(offer, 1, 3)).not.toBe(col) // no column 1
    expect(scratchColumn(offer, 0, 4)).not.toBe(col) // the wrong length
  })
})

describe('a policy that keeps the contract', () => {
  it.each(BUILT_IN_POLICIES.map((p) => [p.name, p] as const))('%s: the same account with scratch withheld, recycled and poisoned (random fleets)', (_name, policy) => {
    const params = paramsOf(policy)
    fc.assert(
      fc.property(scenarioArb(5, 16), fc.integer({ min: 0, max: 1000 }), (s, seed) => {
        const f = scratchFinding(policy, params, s, seed)
        expect(f, f?.detail).toBeUndefined()
      }),
      { numRuns: 15, seed: 14 },
    )
  })

  it('passes check-policy, scratch check included (a policy that takes the offer and keeps a copy)', () => {
    const r = checkConformance(growingPolicy('copy'), undefined, { runs: 20 })
    expect(r.ok, formatReport(r)).toBe(true)
    expect(r.results.map((c) => c.name)).toEqual(['contract', 'invariants', 'purity', 'determinism', 'scratch', 'monotone', 'sample'])
    expect(formatReport(r)).toMatch(/ok {4}scratch: the engine's scratch offer withheld, recycled and poisoned gives identical fingerprints \(10 random/)
  })

  it('ignoring the offer is correct: a two-argument step passes', () => {
    const ignores = definePolicy({ ...staticPolicy, name: 'ignores-offer', step: (s, obs) => staticPolicy.step(s, obs) }) as AnyPolicy
    expect(scratchFinding(ignores, paramsOf(staticPolicy), small, 1)).toBeUndefined()
  })
})

/** Reads a scratch column before writing it: it adds two halves into a column it takes to be zeros. */
const assumesZeroed = definePolicy({
  ...staticPolicy,
  name: 'assumes-zeroed-scratch',
  step: (s, obs, scratch?: Scratch) => {
    const [next, d] = staticPolicy.step(s, obs)
    const visible = scratchColumn(scratch, 0, obs.vmCount) // not cleared: it holds the last step's values
    for (let v = 0; v < obs.vmCount; v++) visible[v] += d.visible[v] / 2
    for (let v = 0; v < obs.vmCount; v++) visible[v] += d.visible[v] / 2
    return [next, { ...d, visible } as Decision] as const
  },
}) as AnyPolicy

describe('check-policy catches a policy that misuses a recycled column', () => {
  it('one that keeps the decision column it returned in its state and reads it on the next step: "scratch-is-dead", with policy, tick and VM', () => {
    const keeps = growingPolicy('column')
    const f = scratchFinding(keeps, paramsOf(staticPolicy), small, 1)
    expect(f).toMatchObject({ rule: 'scratch-is-dead', tick: 1, vm: 'a' })
    // Recycled in place, the column happens to hold what it remembers; poisoned, it does not.
    expect(f?.detail).toMatch(/^policy "grows-keeps-scratch" gives a different account when the engine poisons its scratch columns \(NaN, rotated each step\) than when it withholds them \(fingerprint [0-9a-f]{16} against [0-9a-f]{16}\); first at tick 1: touched of VM "a": 1536 \(withhold\) against 1024 \(poison\)\./)
    expect(f?.detail).toMatch(/The cause: at tick 0 the new state keeps a scratch column at state\.prev; a scratch column is the step's only until it returns/)
    // Purity names the keeping itself.
    expect(purityFinding(keeps, paramsOf(staticPolicy), small, 1)).toMatchObject({ rule: 'no-scratch-kept', tick: 0 })
  })

  it('one that reads a recycled column before writing it: caught as every run recycles', () => {
    const f = scratchFinding(assumesZeroed, paramsOf(staticPolicy), small, 1)
    expect(f).toMatchObject({ rule: 'scratch-is-dead', tick: 1, vm: 'a' })
    expect(f?.detail).toMatch(/^policy "assumes-zeroed-scratch" gives a different account when the engine recycles its scratch columns \(as every run does\) than when it withholds them/)
    expect(f?.detail).toMatch(/first at tick 1: touched of VM "a": 2048 \(withhold\) against 4096 \(recycle\)\. A step must write every scratch value it reads/)
  })

  it('in the report: FAIL scratch, the rule, tick and VM, a shrunk counterexample (random fleets)', () => {
    const r = checkConformance(assumesZeroed, undefined, { runs: 20 })
    const c = r.results.find((x) => x.name === 'scratch')
    expect(r.ok).toBe(false)
    expect(c?.status).toBe('fail')
    const text = formatReport(r)
    expect(text).toMatch(/FAIL {2}scratch: rule "scratch-is-dead" broken at tick \d+, VM "vm\d+": policy "assumes-zeroed-scratch" gives a different account/)
    expect(text).toMatch(/counterexample:\n {10}host: \d+ MiB physical/)
    // Purity alone does not see it: the step writes only a column it was given.
    expect(r.results.find((x) => x.name === 'purity')?.status).toBe('pass')
  })

  it('check-policy on a module file: exit status and the FAIL lines', async () => {
    const file = path.join(import.meta.dirname, 'fixtures', 'keeps-scratch.ts')
    const report = await runCheckPolicy(file, { runs: '20', sample: false, typeCheck: false })
    expect(report.ok).toBe(false)
    const text = formatReport(report)
    expect(text).toMatch(/^check-policy: grows-keeps-scratch/)
    expect(text).toMatch(/FAIL {2}purity: rule "no-scratch-kept" broken at tick 0: the new state keeps a scratch column the engine offered \(or a view of it\) at state\.prev/)
    expect(text).toMatch(/FAIL {2}scratch: rule "scratch-is-dead" broken at tick \d+, VM "vm\d+": policy "grows-keeps-scratch" gives a different account when the engine poisons its scratch columns/)
    expect(text).toMatch(/^FAILED: 2 of 7 checks$/m)
  })
})

/**
 * The scratch check: a policy gives the same account whether the engine offers it scratch or not
 * (policy.ts Scratch). The same scenario is replayed three ways (replay-api.ts ScratchMode):
 *
 *   withhold  no offer: the policy allocates what it needs (the reference);
 *   recycle   the same columns every step, as every normal run offers them;
 *   poison    the same columns, filled with NaN before each step and rotated step by step, so that
 *             reading a value the step did not write, or keeping a column past its step, shows.
 *
 * The three fingerprints (SHA-256 of every tick's account, as `npm run fingerprint` computes them)
 * must be equal. A difference is reported at its first tick and VM, with the account figure that
 * differs, and, when the poisoned run found the state holding a scratch column, where it was kept.
 */
import { createHash, type Hash } from 'node:crypto'
import * as E from 'fp-ts/lib/Either.js'
import { HOST_STATES, VM_FIELDS, type TickAccount } from '../account.js'
import type { AnyPolicy, Scratch } from '../policy.js'
import { formatViolation, replay } from '../replay.js'
import type { RuleViolation, ScratchMode } from '../replay-api.js'
import { DEFAULT_WORLD, type WorldParams } from '../world.js'
import type { Trace } from '../../trace/trace.js'
import type { HostSettings, VmSettings } from '../../spec/settings.js'
import { findHeld } from './snapshot.js'

/** One tick's account into a hash: the bytes `npm run fingerprint` hashes (src/bench/fingerprint.ts). */
export const hashAccount = (h: Hash, a: TickAccount): void => {
  h.update(new Float64Array([a.host.free, a.host.state, a.admittedNow, a.refusedNow]))
  h.update(a.status)
  for (const f of VM_FIELDS) h.update(new Float64Array(a.vm[f]))
}

interface ScratchRun {
  readonly mode: ScratchMode
  /** The first 16 hex digits of the SHA-256 of the account stream. */
  readonly fingerprint: string
  /** Each tick's account, flat: free, state, admittedNow, refusedNow, status per VM, then each VM field per VM (empty unless kept). */
  readonly rows: ReadonlyArray<Float64Array>
  /** 'finished', or how the run stopped. */
  readonly end: string
  /** The rule it broke, when it stopped on one. */
  readonly violation?: RuleViolation
  /** Where the state first kept a scratch column (poison mode only). */
  readonly kept?: string
}

const HEAD = ['host free memory', 'host state', 'VMs admitted this tick', 'VMs refused this tick'] as const

const rowOf = (a: TickAccount, n: number): Float64Array => {
  const row = new Float64Array(HEAD.length + n * (1 + VM_FIELDS.length))
  row[0] = a.host.free
  row[1] = a.host.state
  row[2] = a.admittedNow
  row[3] = a.refusedNow
  row.set(a.status, HEAD.length)
  VM_FIELDS.forEach((f, i) => row.set(a.vm[f], HEAD.length + n * (1 + i)))
  return row
}

const errText = (err: unknown): string => (err instanceof Error ? err.message : String(err))

/** Where in `state` a scratch column (or a view of one) is kept, as a path; undefined if none. */
export const keptScratch = (state: unknown, scratch: Scratch): string | undefined => {
  const targets = new Set<unknown>()
  for (const c of scratch.columns) targets.add(c).add(c.buffer)
  const path = findHeld(state, targets)
  return path
}

export interface ScratchInput {
  readonly trace: Trace
  readonly host: HostSettings
  readonly vms: ReadonlyArray<VmSettings>
}

/** Replay one scenario with the given scratch mode; `keepRows`: keep each tick's account too (to
 *  find where two runs differ). */
export const scratchRun = (policy: AnyPolicy, params: unknown, s: ScratchInput, seed: number, mode: ScratchMode, world: WorldParams = DEFAULT_WORLD, keepRows = true): ScratchRun => {
  const h = createHash('sha256')
  const rows: Float64Array[] = []
  const n = s.vms.length
  let kept: string | undefined
  // In poison mode, watch the state each step returns for a scratch column it keeps.
  const watched: AnyPolicy =
    mode !== 'poison'
      ? policy
      : {
          ...policy,
          step: (state, obs, scratch) => {
            const out = policy.step(state, obs, scratch)
            if (kept === undefined && scratch !== undefined && Array.isArray(out)) {
              const at = keptScratch(out[0], scratch)
              if (at !== undefined) kept = `at tick ${obs.tick} the new state keeps a scratch column at ${at}`
            }
            return out
          },
        }
  let end: string
  let violation: RuleViolation | undefined
  try {
    const res = replay({ ...s, policy: watched, params, seed, scratch: mode }, (a) => {
      hashAccount(h, a)
      if (keepRows) rows.push(rowOf(a, n))
    }, world)
    if (E.isLeft(res)) violation = res.left
    end = E.isLeft(res) ? `stopped: ${formatViolation(res.left)}` : 'finished'
  } catch (err) {
    end = `threw: ${errText(err)}`
  }
  return { mode, fingerprint: h.digest('hex').slice(0, 16), rows, end, ...(violation === undefined ? {} : { violation }), ...(kept === undefined ? {} : { kept }) }
}

export interface ScratchDifference {
  /** The tick of the first difference. */
  readonly tick: number
  /** The VM's id, when a VM's figure differs or a run stopped at a VM. */
  readonly vm: string | undefined
  readonly detail: string
}

const same = (a: number, b: number): boolean => a === b || (a !== a && b !== b)

const fmt = (x: number): string => (Number.isInteger(x) ? String(x) : Number.isNaN(x) ? 'NaN' : x.toFixed(3))

const FIELDS = ['status', ...VM_FIELDS] as const

/** The first difference in a tick's rows: the first VM in fleet order whose figures differ (status,
 *  then the account's fields in order), else the first host figure. */
const rowDifference = (ra: Float64Array, rb: Float64Array, vmIds: ReadonlyArray<string>): { vm: string | undefined; what: string; a: string; b: string } | undefined => {
  const n = vmIds.length
  for (let v = 0; v < n; v++)
    for (let k = 0; k < FIELDS.length; k++) {
      const i = HEAD.length + k * n + v
      if (!same(ra[i], rb[i])) return { vm: vmIds[v], what: `${FIELDS[k]} of VM "${vmIds[v]}"`, a: fmt(ra[i]), b: fmt(rb[i]) }
    }
  for (let i = 0; i < HEAD.length; i++) {
    const show = (x: number): string => (i === 1 ? (HOST_STATES[x] ?? fmt(x)) : fmt(x))
    if (!same(ra[i], rb[i])) return { vm: undefined, what: HEAD[i], a: show(ra[i]), b: show(rb[i]) }
  }
  return undefined
}

const ending = (r: ScratchRun): string => (r.end === 'finished' ? `finished (${r.rows.length} ticks)` : r.end)

/** The first difference between two runs (with rows kept), or undefined when their fingerprints and ends agree. */
export const scratchDifference = (a: ScratchRun, b: ScratchRun, vmIds: ReadonlyArray<string>): ScratchDifference | undefined => {
  if (a.fingerprint === b.fingerprint && a.end === b.end) return undefined
  const ticks = Math.min(a.rows.length, b.rows.length)
  for (let t = 0; t < ticks; t++) {
    const d = rowDifference(a.rows[t], b.rows[t], vmIds)
    if (d) return { tick: t, vm: d.vm, detail: `${d.what}: ${d.a} (${a.mode}) against ${d.b} (${b.mode})` }
  }
  // The accounts agree as far as both go: one run stopped (or threw) where the other did not.
  const stopped = a.violation ?? b.violation
  return {
    tick: stopped?.tick ?? ticks,
    vm: stopped?.vm,
    detail: `the ${a.mode} run ${ending(a)}; the ${b.mode} run ${ending(b)}`,
  }
}

export interface ScratchFinding {
  readonly rule: 'scratch-is-dead'
  readonly tick: number | undefined
  readonly vm: string | undefined
  readonly detail: string
}

/**
 * Replay withheld, recycled and poisoned; the first mode whose account differs from the withheld
 * run's, as a finding naming the policy, the tick, the VM and what differs; undefined when all three
 * fingerprints agree.
 */
export const scratchFinding = (policy: AnyPolicy, params: unknown, s: ScratchInput, seed: number, world: WorldParams = DEFAULT_WORLD): ScratchFinding | undefined => {
  const ids = s.vms.map((v) => v.id)
  // Fingerprints first; the accounts tick by tick only to say where two runs part.
  const quick = scratchRun(policy, params, s, seed, 'withhold', world, false)
  const poisoned = scratchRun(policy, params, s, seed, 'poison', world, false)
  for (const mode of ['recycle', 'poison'] as const) {
    const other = mode === 'poison' ? poisoned : scratchRun(policy, params, s, seed, mode, world, false)
    if (other.fingerprint === quick.fingerprint && other.end === quick.end) continue
    const reference = scratchRun(policy, params, s, seed, 'withhold', world)
    const run = scratchRun(policy, params, s, seed, mode, world)
    const d = scratchDifference(reference, run, ids)
    if (d === undefined) continue // the policy is not deterministic: the determinism check says so
    const hint = poisoned.kept
      ? `The cause: ${poisoned.kept}; a scratch column is the step's only until it returns, and the next step overwrites it: copy what you keep (Float64Array.from)`
      : 'A step must write every scratch value it reads and every value of a scratch column it returns, and keep no scratch column past the step (src/engine/policy.ts Scratch)'
    return {
      rule: 'scratch-is-dead',
      tick: d.tick,
      vm: d.vm,
      detail:
        `policy "${policy.name}" gives a different account when the engine ${mode === 'recycle' ? 'recycles its scratch columns (as every run does)' : 'poisons its scratch columns (NaN, rotated each step)'} ` +
        `than when it withholds them (fingerprint ${run.fingerprint} against ${reference.fingerprint}); first at tick ${d.tick}: ${d.detail}. ${hint}`,
    }
  }
  return undefined
}

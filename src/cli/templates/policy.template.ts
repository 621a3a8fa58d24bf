/**
 * template-policy: a starting point written by `npm run new-policy`. As it stands it is static
 * allocation with a safety margin: a VM starts only if its maximum size (plus the per-VM overhead)
 * fits in what the host has left after `headroomPercent`; it then holds that size until it stops.
 * It never overcommits, so the world never swaps for it.
 *
 * Make it yours: change `step` (what to decide each tick) and the params (what users may tune).
 * The contract is in policies/README.md. Check it with `npm run check-policy -- <this file>`,
 * compare it with `npm run compare -- --sample --policies static --policy <this file>`.
 */
import * as t from 'io-ts'
import { definePolicy, type Decision, type Observation, type PolicyContext } from '../../engine/policy.js'
import { paramsCodec } from '../../engine/params.js'
import { VmStatus } from '../../engine/account.js'

/** Params users may give (`--params '{"template-policy": {"headroomPercent": 10}}'`); all optional. */
export interface TemplatePolicyParams {
  /** Share of the host's memory (after its reserve) kept free, percent. */
  readonly headroomPercent: number
}

/** The documented defaults: what an omitted param means. */
export const TEMPLATE_POLICY_DEFAULTS: TemplatePolicyParams = { headroomPercent: 0 }

/** What the policy carries from tick to tick. Never mutate it: return a new one from step. */
interface State {
  readonly context: PolicyContext
  readonly params: TemplatePolicyParams
}

const step = (state: State, obs: Observation): readonly [State, Decision] => {
  const { vms, host } = state.context
  const n = obs.vmCount
  // Fresh arrays every tick: the observation's columns belong to the world (read them, never keep
  // or write them).
  const admit = new Uint8Array(n)
  const visible = new Float64Array(n)
  // Memory already promised to VMs that keep running this tick.
  let held = 0
  for (let v = 0; v < n; v++) {
    if (obs.status[v] === VmStatus.running && obs.poweredOn[v] === 1) held += vms[v].maximumMiB + host.vmOverheadMiB
  }
  const capacity = (host.physicalMiB - host.reserveMiB) * (1 - state.params.headroomPercent / 100)
  for (let v = 0; v < n; v++) {
    visible[v] = vms[v].maximumMiB
    // A VM that wants to start (powered on in the trace, not running yet): admit it if it fits.
    if (obs.poweredOn[v] === 1 && obs.status[v] === VmStatus.off) {
      const need = vms[v].maximumMiB + host.vmOverheadMiB
      if (held + need <= capacity + 1e-9) {
        admit[v] = 1
        held += need
      }
    }
  }
  const none = new Float64Array(n) // no balloon, no compression, no host swap
  const decision: Decision = {
    admit,
    visible,
    balloon: none,
    compress: none,
    swap: none,
    cap: new Float64Array(n).fill(Infinity), // no per-VM limit on host memory
    sharing: { scope: 'none', breakLargePages: false, scanMiBPerSecond: 0 },
    compressedStoreRatio: 0.5,
    block: false,
    state: 'none',
  }
  return [state, decision]
}

export const templatePolicy = definePolicy<TemplatePolicyParams, State>({
  name: 'template-policy',
  description: 'Static allocation with a safety margin (scaffolded by new-policy; edit me).',
  params: paramsCodec('template-policy', { headroomPercent: t.number }, TEMPLATE_POLICY_DEFAULTS),
  defaults: TEMPLATE_POLICY_DEFAULTS,
  // What the policy promises; the world enforces each one as a rule.
  traits: { overcommit: false, reservations: false, states: false, minMax: false },
  notes: ['A VM holds its maximum size from start to stop; headroomPercent of the host is kept free.'],
  init: (context, params) => ({ context, params }),
  step,
})

export default templatePolicy

/**
 * static: static memory allocation, as Hyper-V (Dynamic Memory off) or any hypervisor without
 * overcommit does it. Each VM holds its static size (default: its peak configured memory) plus the
 * per-VM overhead from start to stop; a VM that does not fit in what is left when it starts is
 * refused and counted. No reclaim, no host paging: a guest whose working set outgrows its size
 * pages inside itself.
 *
 * Left out: NUMA, boot-order retries. Choice: a refused VM stays refused until it next powers off,
 * then may try again; VMs starting at the same tick are admitted in fleet order.
 */
import * as t from 'io-ts'
import { definePolicy, NO_SHARING, scratchColumn, type Decision, type Observation, type PolicyContext, type Scratch } from '../src/engine/policy.js'
import { paramsCodec } from '../src/engine/params.js'
import { VmStatus } from '../src/engine/account.js'

export interface StaticParams {
  /** Admit a VM only if its size fits in this share of the host's memory left to VMs (1 = all). */
  readonly admissionShare: number
}

const defaults: StaticParams = { admissionShare: 1 }

interface StaticState {
  readonly context: PolicyContext
  readonly params: StaticParams
  /** What each VM holds while it runs: its static size plus the per-VM overhead. */
  readonly holds: Float64Array
  /** Decision columns that never change, made once (never written: sharing them is pure). */
  readonly visible: Float64Array
  readonly zeros: Float64Array
  readonly noCap: Float64Array
}

const init = (context: PolicyContext, params: StaticParams): StaticState => ({
  context,
  params,
  holds: Float64Array.from(context.vms, (v) => v.staticMiB + context.host.vmOverheadMiB),
  visible: Float64Array.from(context.vms, (v) => v.staticMiB),
  zeros: new Float64Array(context.vms.length),
  noCap: new Float64Array(context.vms.length).fill(Infinity),
})

const step = (state: StaticState, obs: Observation, scratch?: Scratch): readonly [StaticState, Decision] => {
  const { host } = state.context
  const { holds } = state
  const { status, poweredOn } = obs
  const n = obs.vmCount
  // What running VMs hold: their full static size plus overhead (not what they have touched).
  let held = 0
  let first = -1 // the first VM starting this tick, if any
  for (let v = 0; v < n; v++) {
    if (poweredOn[v] !== 1) continue
    if (status[v] === VmStatus.running) held += holds[v]
    else if (status[v] === VmStatus.off && first < 0) first = v
  }
  // Most ticks start no VM: the admit column is then the shared zeros (only starting VMs' values are
  // read). Otherwise a scratch column the engine offers (policy.ts Scratch), cleared: it holds old values.
  let admit: Float64Array = state.zeros
  if (first >= 0) {
    admit = scratchColumn(scratch, 0, n).fill(0)
    const capacity = (host.physicalMiB - host.reserveMiB) * state.params.admissionShare
    for (let v = first; v < n; v++) {
      if (poweredOn[v] === 1 && status[v] === VmStatus.off) {
        const need = holds[v]
        if (held + need <= capacity + 1e-9) {
          admit[v] = 1
          held += need
        }
      }
    }
  }
  const { zeros } = state
  const decision: Decision = {
    admit,
    visible: state.visible,
    balloon: zeros,
    compress: zeros,
    swap: zeros,
    cap: state.noCap,
    sharing: NO_SHARING,
    compressedStoreRatio: 0.5,
    block: false,
    state: 'none',
  }
  return [state, decision]
}

export const staticPolicy = definePolicy<StaticParams, StaticState>({
  name: 'static',
  description: 'Static allocation: each VM holds its configured memory from start to stop; no overcommit.',
  params: paramsCodec('static', { admissionShare: t.number }, defaults),
  defaults,
  traits: { overcommit: false, reservations: false, states: false, minMax: false },
  pageSamples: false, // learns demand from the guest, not by sampling pages
  init,
  step,
})

export default staticPolicy

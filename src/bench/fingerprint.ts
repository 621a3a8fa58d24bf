/**
 * Fingerprints of the replay: a SHA-256 of every tick's account (host figures, status, every VM
 * column) of each built-in policy on fixed fleets, to check that a change meant only to be faster
 * leaves what happens exactly as it was (`npm run fingerprint`, before and after). A change of
 * behaviour changes them on purpose; they are a tool for refactoring, not a test of the model.
 */
import { createHash } from 'node:crypto'
import * as E from 'fp-ts/lib/Either.js'
import { BUILT_IN_POLICIES } from '../../policies/index.js'
import { hashAccount } from '../engine/conformance/scratch.js'
import { replay, type ScratchMode } from '../engine/replay.js'
import { policyParams } from '../engine/validate-policy.js'
import type { HostSettings, VmSettings } from '../spec/settings.js'
import { generateFleet } from '../trace/synthetic.js'
import { peakConfigured, type Trace } from '../trace/trace.js'
import { resolveFleet } from '../spec/fleet.js'

export interface FingerprintCase {
  readonly label: string
  readonly trace: Trace
  readonly host: HostSettings
  readonly vms: ReadonlyArray<VmSettings>
}

/** A synthetic fleet (seed 7, 60 VMs, 4 days at 5 minutes) on hosts of 25%, 40% and 100% of its configured memory. */
export const syntheticCases = (): ReadonlyArray<FingerprintCase> => {
  const trace = generateFleet({ seed: 7, vms: 60, days: 4, stepSeconds: 300 })
  const vms = resolveFleet(trace, undefined)
  if (E.isLeft(vms)) throw new Error(vms.left.join('\n'))
  const configuredGiB = trace.vms.reduce((s, v) => s + peakConfigured(v), 0) / 1024
  return [0.25, 0.4, 1].map((share) => ({
    label: `synthetic 60 VMs, host ${share * 100}% of configured`,
    trace,
    host: { physicalMiB: Math.round(configuredGiB * share) * 1024, reserveMiB: 2048, vmOverheadMiB: 64 },
    vms: vms.right,
  }))
}

/** The first 16 hex digits of the SHA-256 of a policy's account stream on one case (or how it
 *  stopped); `scratch`: how the engine offers scratch to the policy (default 'recycle', as every run). */
export const fingerprint = (c: FingerprintCase, policyName: string, scratch: ScratchMode = 'recycle'): string => {
  const policy = BUILT_IN_POLICIES.find((p) => p.name === policyName)
  if (policy === undefined) throw new Error(`no built-in policy "${policyName}"`)
  const params = policyParams(policy, undefined)
  if (E.isLeft(params)) throw new Error(params.left.join('\n'))
  const h = createHash('sha256')
  const res = replay({ trace: c.trace, host: c.host, vms: c.vms, policy, params: params.right, seed: 1, scratch }, (a) => hashAccount(h, a))
  return h.digest('hex').slice(0, 16) + (E.isLeft(res) ? ` (stopped: ${res.left.rule})` : '')
}

/**
 * The three policies on the real Bitbrains sample (36 VMs, 601 GiB configured, working sets peaking
 * at 272 GiB), on hosts too small for the sum of configured memory. Pins the direction of each
 * policy's character (DOMAIN.md section 1, the seed argument):
 * - static refuses VMs;
 * - dynamic memory admits more (all of them: a start needs only its 1 GiB startup memory) and never
 *   swaps at the host: a short guest pages inside itself;
 * - overcommit admits them all, shares pages and balloons; on a host this small it must also swap
 *   (its balloon may take at most 65% of a VM, so touched memory stays above the host).
 */
import { beforeAll, describe, expect, it } from 'vitest'
import * as path from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { importTrace } from '../../src/trace/import.js'
import { resolveFleet } from '../../src/spec/fleet.js'
import { runPolicy } from '../../src/report/comparison.js'
import { staticPolicy } from '../../policies/static.js'
import { dynamicMemoryPolicy } from '../../policies/dynamic-memory.js'
import { overcommitPolicy } from '../../policies/overcommit.js'
import type { Trace } from '../../src/trace/trace.js'
import type { VmSettings } from '../../src/spec/settings.js'
import type { RunMetrics } from '../../src/metrics/run-metrics.js'
import type { AnyPolicy } from '../../src/engine/policy.js'
import { hostOf } from '../support/build.js'

const DIR = path.resolve(import.meta.dirname, '../../..', 'shared/traces/bitbrains-rnd-2013-08')

let trace: Trace
let vms: ReadonlyArray<VmSettings>
beforeAll(async () => {
  const t = await importTrace(DIR)
  if (E.isLeft(t)) throw new Error(`the real sample must import: ${JSON.stringify(t.left[0])}`)
  trace = t.right
  const v = resolveFleet(trace, undefined)
  if (E.isLeft(v)) throw new Error(v.left.join('\n'))
  vms = v.right
})

const run = (policy: AnyPolicy, gib: number): RunMetrics => runPolicy(trace, hostOf(gib * 1024), vms, { policy, params: policy.defaults }, 1).metrics

describe('the real sample on a 128 GiB host (601 GiB configured)', () => {
  let s: RunMetrics
  let d: RunMetrics
  let o: RunMetrics
  beforeAll(() => {
    s = run(staticPolicy, 128)
    d = run(dynamicMemoryPolicy, 128)
    o = run(overcommitPolicy, 128)
  })

  it('static refuses VMs, and backs each admitted one fully', () => {
    expect(s.error).toBeUndefined()
    expect(s.vmsRefused).toBeGreaterThan(0)
    expect(s.overAllocationRatio).toBeLessThanOrEqual(1)
    expect(s.hostSwapOutGiB).toBe(0)
  })

  it('dynamic memory admits more than static and never swaps at the host; short guests page inside', () => {
    expect(d.error).toBeUndefined()
    expect(d.vmsAdmitted).toBeGreaterThan(s.vmsAdmitted)
    expect(d.overAllocationRatio).toBeGreaterThan(1) // over-allocates...
    expect(d.overCommitRatio).toBeLessThanOrEqual(1 + 1e-9) // ...but never over-commits
    expect(d.hostSwapOutGiB).toBe(0)
    expect(d.swappedGiBh).toBe(0)
    expect(d.compressedGiBh).toBe(0)
    expect(d.sharedSavedGiBh).toBe(0)
    expect(d.guestPagingGiBh).toBeGreaterThan(0)
  })

  it('overcommit admits all, shares, balloons and, on a host this small, swaps', () => {
    expect(o.error).toBeUndefined()
    expect(o.vmsRefused).toBe(0)
    expect(o.vmsAdmitted).toBe(36)
    expect(o.overCommitRatio).toBeGreaterThan(1)
    expect(o.sharedSavedGiBh).toBeGreaterThan(0)
    expect(o.balloonedGiBh).toBeGreaterThan(0)
    expect(o.hostSwapOutGiB).toBeGreaterThan(0)
  })
})

describe('the real sample on a 384 GiB host', () => {
  it('overcommit still admits all and reclaims, with far less host swap than on 128 GiB', () => {
    const big = run(overcommitPolicy, 384)
    const small = run(overcommitPolicy, 128)
    expect(big.vmsAdmitted).toBe(36)
    expect(big.hostSwapOutGiB).toBeLessThan(small.hostSwapOutGiB / 10)
    expect(big.shortfallGiBh).toBeLessThan(small.shortfallGiBh)
  })
})

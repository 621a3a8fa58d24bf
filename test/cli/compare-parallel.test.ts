/**
 * A comparison's policies side by side on worker threads (src/cli/pool.ts) give the serial run's
 * results byte for byte: in process (the pool's folds against the same function in this thread),
 * and end to end (the report folder of `compare --workers 2` against `--workers 1`).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, describe, expect, it } from 'vitest'
import { generateFleet } from '../../src/trace/synthetic.js'
import { readFleet } from '../../src/cli/inputs.js'
import { BUILT_IN_POLICIES } from '../../policies/index.js'
import { policyParams } from '../../src/engine/validate-policy.js'
import { DEFAULT_WORLD } from '../../src/engine/world.js'
import { longestFirst, poolSize, runAll, shareTrace, stepsPerTick, taskRunner } from '../../src/cli/pool.js'
import { compareRun, type CompareTask } from '../../src/cli/workers/compare-worker.js'
import type { RunFold } from '../../src/report/comparison.js'
import { workerEntry } from '../../src/runtime.js'
import { memreplay, treeHash } from './helpers.js'

const tmp = mkdtempSync(path.join(tmpdir(), 'memreplay-parallel-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

describe('the pool', () => {
  it('deals the costliest first, equal costs in their order', () => {
    expect(longestFirst([1, 5, 1, 2])).toEqual([1, 3, 0, 2])
    expect(longestFirst([])).toEqual([])
  })

  it('uses at most one thread per task and per core, and --workers 1 means this thread', () => {
    expect(poolSize('1', 4)).toBe(1)
    expect(poolSize(undefined, 1)).toBe(1)
    expect(poolSize('8', 2)).toBeLessThanOrEqual(2)
    expect(() => poolSize('0', 4)).toThrow(/--workers: expected a whole number >= 1, found "0"/)
  })

  it('counts control steps per tick: an ESX-like policy at 60 s does five a 5-minute tick', () => {
    expect(stepsPerTick({ controlSeconds: 60 }, 300)).toBe(5)
    expect(stepsPerTick({}, 300)).toBe(1)
    expect(stepsPerTick({ controlSeconds: 600 }, 300)).toBe(1)
  })

  it('shares a trace: the same bits, in one SharedArrayBuffer', () => {
    const trace = generateFleet({ seed: 3, vms: 4, days: 1, stepSeconds: 300 })
    const shared = shareTrace(trace)
    expect(shared.vms.map((v) => v.id)).toEqual(trace.vms.map((v) => v.id))
    for (const [i, vm] of shared.vms.entries()) {
      expect(vm.demand.buffer).toBeInstanceOf(SharedArrayBuffer)
      expect(vm.on.buffer).toBe(vm.demand.buffer)
      expect(Buffer.from(vm.demand.buffer, vm.demand.byteOffset, vm.demand.byteLength)).toEqual(Buffer.from(trace.vms[i].demand.buffer, trace.vms[i].demand.byteOffset, trace.vms[i].demand.byteLength))
      expect([...vm.configured]).toEqual([...trace.vms[i].configured])
      expect([...vm.on]).toEqual([...trace.vms[i].on])
    }
  })

  it('replays every built-in policy on two threads to the serial folds, exactly', async () => {
    const trace = generateFleet({ seed: 7, vms: 8, days: 1, stepSeconds: 300 })
    const vms = readFleet(trace, undefined)
    const host = { physicalMiB: 24 * 1024, reserveMiB: 1024, vmOverheadMiB: 64 }
    const tasks = (t: typeof trace): ReadonlyArray<CompareTask> =>
      BUILT_IN_POLICIES.map((p) => ({ trace: t, host, vms, policy: p.name, params: (policyParams(p, undefined) as E.Right<unknown>).right, seed: 1, world: DEFAULT_WORLD }))
    const costs = BUILT_IN_POLICIES.map((p) => stepsPerTick(p, trace.step))
    const serial = await runAll(taskRunner<CompareTask, RunFold>(workerEntry('compare-worker'), 1, (t) => compareRun(t)), tasks(trace), costs)
    const pool = taskRunner<CompareTask, RunFold>(workerEntry('compare-worker'), 2, (t) => compareRun(t))
    try {
      const parallel = await runAll(pool, tasks(shareTrace(trace)), costs)
      expect(parallel.map((f) => f.label)).toEqual(BUILT_IN_POLICIES.map((p) => p.name))
      expect(JSON.stringify(parallel)).toBe(JSON.stringify(serial))
      expect(parallel).toStrictEqual(serial)
    } finally {
      await pool.close()
    }
  }, 60_000)
})

describe('compare --workers', () => {
  it('writes the same report folder on two threads as on one (the bundled sample, every built-in policy)', async () => {
    const [one, two] = await Promise.all(
      ['1', '2'].map((w) => memreplay(['compare', '--sample', '--workers', w, '--out', path.join(tmp, `w${w}`)])),
    )
    expect(one.code).toBe(0)
    expect(two.code).toBe(0)
    expect(treeHash(path.join(tmp, 'w2'))).toBe(treeHash(path.join(tmp, 'w1')))
    expect(two.out.replace(/w2/g, 'w1')).toBe(one.out)
  }, 90_000)

  it('refuses --workers 0 with a sentence, before anything is written', async () => {
    const r = await memreplay(['compare', '--sample', '--workers', '0', '--out', path.join(tmp, 'w0')])
    expect(r.code).not.toBe(0)
    expect(r.err).toMatch(/--workers: expected a whole number >= 1, found "0"/)
  })
})

/**
 * Sweeps: experiment codec, expansion order and ids, serial = parallel (same bytes), shards merged =
 * the whole sweep, one trace import per process; and cluster metrics (one host = the plain run).
 */
import { describe, expect, it, beforeAll } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { decodeExperiment, expandExperiment } from '../../src/plan/experiment.js'
import { shardByCost } from '../../src/plan/shard.js'
import { runSweep } from '../../src/cli/sweep.js'
import { runMerge } from '../../src/cli/merge.js'
import { runTask, traceImportCount } from '../../src/cli/workers/scenario-worker.js'
import { runCluster } from '../../src/plan/cluster.js'
import { runPolicy } from '../../src/report/comparison.js'
import { dynamicMemoryPolicy } from '../../policies/dynamic-memory.js'
import { buildTrace, hostOf, settingsOf } from '../support/build.js'
import { schemaErrors } from '../report/schema-support.js'
import { snapshot } from '../support/tree.js'

const REPO = path.resolve(__dirname, '../..')


describe('experiment codec and expansion', () => {
  it('rejects bad experiments with sentences', () => {
    const bad = decodeExperiment({ traces: [], hostSizes: ['12GX'], hostCounts: [0], policies: ['static'], seedz: [1] }, 'x.json')
    expect(E.isLeft(bad) ? bad.left : []).toEqual(
      expect.arrayContaining([
        'x.json: unknown key "seedz" (did you mean "seeds"?)',
        'x.json: traces: expected a non-empty list of trace paths, found an empty list',
        expect.stringMatching(/^x\.json: hostSizes\[0\]: unknown unit "GX"/),
        'x.json: hostCounts[0]: expected a whole number of hosts >= 1, found 0',
      ]),
    )
    const buf = decodeExperiment({ traces: ['t'], hostSizes: ['1GiB'], hostCounts: [1], policies: ['dynamic-memory'], params: { 'dynamic-memory': { bufferPercent: [10] } } }, 'x.json')
    expect(E.isLeft(buf) ? buf.left[0] : '').toMatch(/memory buffer is a VM setting.*"vmSettings"/)
  })

  it('expands the cartesian product in a fixed order with stable ids; shards partition it', () => {
    const x = decodeExperiment(
      { traces: ['a'], hostSizes: ['1GiB', '2GiB'], hostCounts: [1, 2], policies: ['dynamic-memory', 'overcommit'], params: { overcommit: { salting: [true, false] } }, vmSettings: { buffer: [10, 20] }, seeds: [1, 2] },
      'x.json',
    )
    if (E.isLeft(x)) throw new Error(x.left.join('\n'))
    const all = expandExperiment(x.right)
    // dynamic-memory crosses the buffer (2); overcommit its salting (2) but not the buffer it does not read.
    expect(all.length).toBe(2 * 2 * (2 + 2) * 2)
    expect(all[0]).toMatchObject({ id: 's000', hostSize: '1GiB', hosts: 1, policy: 'dynamic-memory', params: {}, vmSettings: { buffer: 10 }, seed: 1 })
    expect(all[1]).toMatchObject({ id: 's001', vmSettings: { buffer: 10 }, seed: 2 })
    expect(all[4]).toMatchObject({ policy: 'overcommit', params: { salting: true }, vmSettings: {} })
    expect(expandExperiment(x.right)).toEqual(all)
    const shards = [1, 2, 3].map((k) => shardByCost(all, all.map(() => 1), { k, n: 3 }))
    expect(shards.flat().map((s) => s.id).sort()).toEqual(all.map((s) => s.id))
  })

  it("crosses VM settings only with the policies that read them: no identical rows (issue 16 item 6)", () => {
    const x = decodeExperiment(
      {
        traces: ['a'],
        hostSizes: ['64GiB'],
        hostCounts: [2],
        policies: ['static', 'dynamic-memory', 'overcommit', 'kvm-mom', './mine.ts'],
        vmSettings: { buffer: [10, 20, 40], reservation: ['0GiB', '1GiB'], image: ['a', 'b'] },
      },
      'x.json',
    )
    if (E.isLeft(x)) throw new Error(x.left.join('\n'))
    const all = expandExperiment(x.right)
    const count = (p: string) => all.filter((s) => s.policy === p).length
    expect(count('static')).toBe(2) // image only (the world reads it for every policy)
    expect(count('dynamic-memory')).toBe(3 * 2) // buffer x image
    expect(count('overcommit')).toBe(2 * 2) // reservation x image
    expect(count('kvm-mom')).toBe(2 * 2) // reservation (placement) x image
    expect(count('./mine.ts')).toBe(3 * 2 * 2) // a module of the user's: everything
    // No two scenarios run the same thing.
    const keys = all.map((s) => JSON.stringify([s.trace, s.hostSize, s.hosts, s.policy, s.params, s.vmSettings, s.seed]))
    expect(new Set(keys).size).toBe(keys.length)
    expect(all.filter((s) => s.policy === 'static').map((s) => s.vmSettings)).toEqual([{ image: 'a' }, { image: 'b' }])
    // kvm-mom's minimum defaults from startup: a startup axis crosses it.
    const y = decodeExperiment({ traces: ['a'], hostSizes: ['64GiB'], hostCounts: [1], policies: ['kvm-mom', 'static'], vmSettings: { startup: ['256MiB', '1GiB'] } }, 'y.json')
    if (E.isLeft(y)) throw new Error(y.left.join('\n'))
    expect(expandExperiment(y.right).map((s) => [s.policy, s.vmSettings])).toEqual([['kvm-mom', { startup: '256MiB' }], ['kvm-mom', { startup: '1GiB' }], ['static', {}]])
  })
})

describe('sweep runs', () => {
  let dir: string
  let experiment: string
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'memreplay-sweep-'))
    experiment = path.join(dir, 'exp.json')
    writeFileSync(
      experiment,
      JSON.stringify({
        traces: [path.join(REPO, 'traces/sample/sample.csv')],
        fleet: path.join(REPO, 'traces/sample/fleet.json'),
        hostSizes: ['96GiB'],
        hostCounts: [2, 3],
        hostReserve: '2GiB',
        policies: ['static', 'dynamic-memory'],
        vmSettings: { buffer: [10, 20] },
      }),
    )
  })

  it('serial and parallel sweeps write the same bytes; shards merged equal the whole sweep', async () => {
    await runSweep(experiment, { out: path.join(dir, 'serial'), workers: '1', quiet: true })
    await runSweep(experiment, { out: path.join(dir, 'parallel'), workers: '3', quiet: true })
    const serial = snapshot(path.join(dir, 'serial'))
    expect([...serial.keys()]).toContain('results.csv')
    // results.json, results.csv, index.html, the manifest, 6 scenario folders: 2 host counts x (static once, dynamic-memory x 2 buffers)
    expect(serial.size).toBe(4 + 6)
    expect(snapshot(path.join(dir, 'parallel'))).toEqual(serial)

    await runSweep(experiment, { out: path.join(dir, 'shard1'), workers: '1', shard: '1/3', quiet: true })
    await runSweep(experiment, { out: path.join(dir, 'shard2'), workers: '2', shard: '2/3', quiet: true })
    await runSweep(experiment, { out: path.join(dir, 'shard3'), workers: '1', shard: '3/3', quiet: true })
    await runMerge([path.join(dir, 'shard3'), path.join(dir, 'shard1'), path.join(dir, 'shard2')], path.join(dir, 'merged'))
    expect(snapshot(path.join(dir, 'merged'))).toEqual(serial)
    await expect(runMerge([path.join(dir, 'shard1'), path.join(dir, 'shard2')], path.join(dir, 'bad'))).rejects.toThrow(/scenarios are in no shard folder/)
    // results.json of the whole sweep and of a shard follow schemas/sweep-results.schema.json
    for (const d of ['serial', 'shard2']) {
      const doc = JSON.parse(readFileSync(path.join(dir, d, 'results.json'), 'utf8'))
      expect(schemaErrors('sweep-results.schema.json', doc), d).toEqual([])
    }
    expect(JSON.parse(readFileSync(path.join(dir, 'shard2', 'results.json'), 'utf8')).shard).toEqual({ k: 2, n: 3 })
    // and every scenarios/<id>/metrics.json follows schemas/sweep-scenario.schema.json
    const scenarioFiles = [...serial.keys()].filter((k) => /^scenarios\/s\d+\/metrics\.json$/.test(k))
    expect(scenarioFiles).toHaveLength(6)
    for (const f of scenarioFiles) expect(schemaErrors('sweep-scenario.schema.json', JSON.parse((serial.get(f) as Buffer).toString('utf8'))), f).toEqual([])
  })

  it('--policy adds a user\'s policy module to the experiment\'s policies', async () => {
    const { results } = await runSweep(experiment, {
      out: path.join(dir, 'with-module'),
      workers: '1',
      quiet: true,
      policy: [path.relative(process.cwd(), path.join(REPO, 'src/cli/templates/policy.template.ts'))],
    })
    // 2 host counts x (static, dynamic-memory x 2 buffers, the module x 2 buffers)
    expect(results).toHaveLength(10)
    expect(new Set(results.map((r) => r.policyName))).toEqual(new Set(['static', 'dynamic-memory', 'template-policy']))
  })

  it('imports each trace once per process', async () => {
    const x = decodeExperiment(JSON.parse(readFileSync(experiment, 'utf8')), 'exp.json')
    if (E.isLeft(x)) throw new Error(x.left.join('\n'))
    const before = traceImportCount()
    for (const scenario of expandExperiment(x.right).slice(0, 4)) await runTask({ experiment: x.right, baseDir: dir, scenario })
    expect(traceImportCount() - before).toBeLessThanOrEqual(1)
  })
})

describe('cluster metrics', () => {
  const GiB = 1024
  const trace = buildTrace([0, 1, 2, 3].map((i) => ({ id: `vm${i}`, demand: [0.5, 2, 3, 4, 3, 2].map((x) => (x + i) * GiB), configured: 8 * GiB })))
  const vms = [0, 1, 2, 3].map((i) => settingsOf(`vm${i}`, 8 * GiB))
  const run = { policy: dynamicMemoryPolicy, params: dynamicMemoryPolicy.defaults }
  it('one host is the plain run', () => {
    expect(runCluster(trace, hostOf(16 * GiB), vms, run, 1, 1).metrics).toEqual(runPolicy(trace, hostOf(16 * GiB), vms, run, 1).metrics)
  })
  it('host memory is summed over hosts; VM figures are the hosts\' VMs', () => {
    const c = runCluster(trace, hostOf(16 * GiB), vms, run, 1, 2)
    expect(c.metrics.hostMemoryGiB).toBe(32)
    expect(c.metrics.vmsTotal).toBe(4)
    expect(c.vmsPerHost).toEqual([2, 2])
    const free = c.partial.series.free
    const phys = c.partial.series.physical
    for (let i = 0; i < c.partial.series.length; i++) {
      expect(phys[i]).toBe(32 * GiB)
      const used = c.partial.series.sums.resident[i] + c.partial.series.sums.overhead[i]
      expect(free[i] + used).toBeCloseTo(32 * GiB, 6)
    }
  })
})

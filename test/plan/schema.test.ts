/**
 * plan.json follows schemas/plan.schema.json, on the bundled sample, in-process: fewest hosts with
 * a cost, N+1 and two host sizes compared (static cannot be met there: a VM fits no host, named in
 * cannotMeet), and the smallest host size for a fixed count.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runPlan } from '../../src/cli/plan.js'
import { SAMPLE } from '../../src/cli/sample.js'
import { schemaErrors } from '../report/schema-support.js'

let root: string
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'memreplay-plan-schema-'))
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

const planOf = (dir: string): Record<string, unknown> & { plans: Array<Record<string, unknown>> } => JSON.parse(readFileSync(path.join(dir, 'plan.json'), 'utf8'))

describe('plan.json against schemas/plan.schema.json', () => {
  it('fewest hosts: cost, N+1, host sizes compared, a policy that cannot be met', async () => {
    const { dir } = await runPlan({
      trace: SAMPLE.trace,
      host: SAMPLE.host,
      fleet: SAMPLE.fleet,
      policies: 'static,dynamic-memory,kvm-mom',
      hostSizes: '64GiB,96GiB',
      spareHosts: '1',
      cost: '{"currency":"EUR","perHost":9000,"perGiB":4,"licence":{"default":7000,"kvm-mom":0}}',
      out: path.join(root, 'hosts'),
      quiet: true,
    })
    const plan = planOf(dir)
    expect(schemaErrors('plan.schema.json', plan)).toEqual([])
    // What the schema's optional parts cover is really there.
    expect(plan).toMatchObject({ mode: 'hosts', objective: 'hosts', hostSizesGiB: [64, 96], costSpec: { currency: 'EUR' } })
    const byPolicy = new Map(plan.plans.map((p) => [p.policy, p]))
    expect(byPolicy.get('static')).toMatchObject({ met: false, cannotMeet: { vms: [expect.objectContaining({ vm: expect.any(String) })] }, cost: null })
    expect(byPolicy.get('dynamic-memory')).toMatchObject({ met: true, cost: { currency: 'EUR' }, margin: { term: expect.any(String) } })
  })

  it('smallest host size for a fixed host count', async () => {
    const { dir } = await runPlan({
      trace: SAMPLE.trace,
      host: SAMPLE.host,
      fleet: SAMPLE.fleet,
      policies: 'dynamic-memory',
      hosts: '2',
      granularity: '8GiB',
      out: path.join(root, 'size'),
      quiet: true,
    })
    const plan = planOf(dir)
    expect(schemaErrors('plan.schema.json', plan)).toEqual([])
    expect(plan).toMatchObject({ mode: 'size', hosts: 2, granularityGiB: 8 })
    // The schema holds the mode to its fields: a hosts-mode plan.json may not carry a fixed count.
    expect(schemaErrors('plan.schema.json', { ...plan, mode: 'hosts' }).join('\n')).toMatch(/must NOT be valid/)
  })
})

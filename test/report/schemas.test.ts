/**
 * The published JSON Schemas (schemas/): each is draft 2020-12, compiles in strict Ajv, and says
 * what the code writes (its fixed lists match the code's); and a schema is not vacuous: a document
 * missing a field, carrying an unknown one or a wrong type is refused. Real outputs are checked
 * against them where they are made: test/report/compare.test.ts (metrics.json),
 * test/plan/schema.test.ts (plan.json), test/plan/sweep.test.ts (results.json, scenarios/<id>/metrics.json),
 * and here, outputs with a run stopped by a policy that throws (a comparison, a sweep).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCompare } from '../../src/cli/compare.js'
import { runSweep } from '../../src/cli/sweep.js'
import { ROOT, writeTinyTrace } from '../cli/helpers.js'
import { REPAIR_KINDS } from '../../src/trace/import-report.js'
import { RESULT_COLUMNS } from '../../src/plan/sweep.js'
import { SLA_KEYS } from '../../src/plan/sla.js'
import { HOST_STATES } from '../../src/engine/account.js'
import { PLACEMENT_NAMES } from '../../src/plan/placement.js'
import { readSchema, schemaAjv, schemaErrors, schemaFiles } from './schema-support.js'

type Obj = Record<string, unknown>
const at = (o: unknown, ...keys: string[]): Obj => keys.reduce((x, k) => (x as Obj)[k], o) as Obj

describe('schemas/', () => {
  it('publishes the output schemas (metrics.json, plan.json, results.json, a sweep scenario\'s metrics.json) and their shared definitions, each draft 2020-12 with its file name as $id', () => {
    expect(schemaFiles()).toEqual(['defs.schema.json', 'metrics.schema.json', 'plan.schema.json', 'sweep-results.schema.json', 'sweep-scenario.schema.json'])
    for (const f of schemaFiles()) {
      const s = readSchema(f)
      expect(s.$schema, f).toBe('https://json-schema.org/draft/2020-12/schema')
      expect(s.$id, f).toBe(f)
      expect(typeof s.title, f).toBe('string')
    }
    const ajv = schemaAjv() // strict: throws on anything Ajv would ignore
    for (const f of schemaFiles()) expect(() => ajv.getSchema(f), f).not.toThrow()
  })

  it("lists what the code writes: repairs, sweep columns, service-level terms, host states, placements", () => {
    const defs = at(readSchema('defs.schema.json'), '$defs')
    const metrics = readSchema('metrics.schema.json')
    const sweep = readSchema('sweep-results.schema.json')
    const plan = readSchema('plan.schema.json')
    expect(at(metrics, 'properties', 'importReport', 'properties', 'repairs').required).toEqual(REPAIR_KINDS)
    const row = at(sweep, '$defs', 'row')
    expect(Object.keys(at(row, 'properties'))).toEqual(RESULT_COLUMNS)
    expect(row.required).toEqual(RESULT_COLUMNS)
    expect(at(defs, 'serviceLevel').required).toEqual(SLA_KEYS)
    expect(at(plan, '$defs', 'slaTerm').enum).toEqual(SLA_KEYS)
    expect(at(defs, 'runMetrics', 'properties', 'stateShare', 'propertyNames').enum).toEqual(HOST_STATES)
    expect(at(sweep, '$defs', 'experiment', 'properties', 'placement').enum).toEqual([...PLACEMENT_NAMES, null])
    expect(at(row, 'properties', 'placement').enum).toEqual([...PLACEMENT_NAMES, 'none'])
    expect(at(readSchema('sweep-scenario.schema.json'), 'properties', 'placement').enum).toEqual([...PLACEMENT_NAMES, 'none'])
    // Every figure the metrics schema requires is a property, and the other way round but for `error`.
    const rm = at(defs, 'runMetrics')
    expect([...(rm.required as string[])].sort()).toEqual(Object.keys(at(rm, 'properties')).filter((k) => k !== 'error').sort())
  })

  it('refuses a document missing a field, with an unknown field or a wrong type', () => {
    const row = {
      id: 's000', trace: 't.csv', hostSize: '64GiB', hosts: 1, policy: 'static', params: {}, vmSettings: {}, seed: 1, placement: 'ffd', meets: true,
      violations: '', placementRefused: 0, vmsTotal: 2, vmsAdmitted: 2, vmsRefused: 0, pressureOver100Share: 0, slowdownP99: 1, slowdownMax: 1,
      hostSwapOutGiB: 0, shortfallGiBh: 0, guestPagingGiBh: 0, sharedSavedGiBh: 0, peakResidentGiB: 3, overAllocationRatio: 0.5, overCommitRatio: 0.4,
      shortOfMemoryShare: 0, stateShare: {}, fairness: 1, worstUse: 0, error: null,
    }
    const doc = {
      schemaVersion: 1,
      experiment: {
        description: '', traces: ['t.csv'], hostSizes: ['64GiB'], hostCounts: [1], policies: ['static'], params: {}, vmSettings: {}, seeds: [1],
        fleet: null, hostReserveMiB: 2048, vmOverheadMiB: 64, placement: null,
        sla: { maxVmsRefused: 0, maxPressureOver100Share: 0.001, maxSlowdownP99: 1.1, maxHostSwapOutGiB: 0 },
      },
      scenarioCount: 1,
      scenarios: [row],
    }
    expect(schemaErrors('sweep-results.schema.json', doc)).toEqual([])
    const { shortfallGiBh: _s, ...missing } = row
    expect(schemaErrors('sweep-results.schema.json', { ...doc, scenarios: [missing] }).join('\n')).toMatch(/must have required property 'shortfallGiBh'/)
    expect(schemaErrors('sweep-results.schema.json', { ...doc, scenarios: [{ ...row, extra: 1 }] }).join('\n')).toMatch(/must NOT have additional properties.*extra/)
    expect(schemaErrors('sweep-results.schema.json', { ...doc, scenarios: [{ ...row, hosts: '1' }] }).join('\n')).toMatch(/\/scenarios\/0\/hosts must be integer/)
    expect(schemaErrors('sweep-results.schema.json', { ...doc, scenarios: [{ ...row, slowdownP99: 0.5 }] }).join('\n')).toMatch(/slowdownP99 must be >= 1/)
    expect(schemaErrors('sweep-results.schema.json', { ...doc, scenarios: [{ ...row, stateShare: { warm: 0.5 } }] }).join('\n')).toMatch(/stateShare/)
    expect(schemaErrors('sweep-results.schema.json', { ...doc, schemaVersion: 2 }).join('\n')).toMatch(/must be equal to constant/)
  })
})

describe('outputs with a stopped run', () => {
  it('metrics.json of a comparison follows the schema, the stop named in the run and its figures', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'memreplay-schema-stopped-'))
    try {
      const trace = writeTinyTrace(path.join(dir, 'trace.csv'))
      const { dir: out, stopped } = await runCompare({ trace, host: '8GiB', policies: 'static', policy: [path.join(ROOT, 'test/cli/policies/throws.ts')], out: path.join(dir, 'report') })
      expect(stopped).toBe(1)
      const doc = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8'))
      expect(schemaErrors('metrics.schema.json', doc)).toEqual([])
      expect(doc.runs.map((r: { label: string; error?: string; metrics: { error?: string } }) => [r.label, r.error !== undefined, r.metrics.error !== undefined])).toEqual([
        ['static', false, false],
        ['throws', true, true],
      ])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("a sweep's results.json and scenario files follow their schemas", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'memreplay-schema-stopped-'))
    try {
      writeTinyTrace(path.join(dir, 'trace.csv'))
      const x = path.join(dir, 'x.json')
      writeFileSync(x, JSON.stringify({ traces: ['trace.csv'], hostSizes: ['8GiB'], hostCounts: [1], policies: ['static', path.join(ROOT, 'test/cli/policies/throws.ts')] }))
      const { dir: out } = await runSweep(x, { out: path.join(dir, 'sweep'), workers: '1', quiet: true })
      const doc = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'))
      expect(schemaErrors('sweep-results.schema.json', doc)).toEqual([])
      expect(doc.scenarios.map((r: { policy: string; error: string | null }) => [r.policy, r.error !== null])).toEqual([
        ['static', false],
        ['throws', true],
      ])
      for (const id of ['s000', 's001']) expect(schemaErrors('sweep-scenario.schema.json', JSON.parse(readFileSync(path.join(out, 'scenarios', id, 'metrics.json'), 'utf8'))), id).toEqual([])
      expect(readFileSync(path.join(out, 'index.html'), 'utf8')).toContain('1 scenario stopped early')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

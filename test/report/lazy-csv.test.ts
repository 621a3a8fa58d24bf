/**
 * A comparison's CSVs (and fleet figures) are built when first read (comparison.ts withLazy): in the main thread while
 * the charts are drawn, on a worker when its fold is sent back. They must be the CSVs built at once,
 * through a structured clone (how a worker's fold crosses: piscina posts it) and a spread as well.
 */
import { describe, expect, it } from 'vitest'
import { BUILT_IN_POLICIES } from '../../policies/index.js'
import { fleetFacts, foldRun, reportOfFolds, runPolicy } from '../../src/report/comparison.js'
import { heatmapCells, runCsvs, vmSummaries } from '../../src/metrics/index.js'
import { resolveFleet } from '../../src/spec/fleet.js'
import { parseHostArg, resolveHost } from '../../src/spec/host.js'
import { generateFleet } from '../../src/trace/synthetic.js'
import * as E from 'fp-ts/lib/Either.js'

const trace = generateFleet({ seed: 5, vms: 4, days: 0.5, stepSeconds: 300 })
const host = resolveHost(E.getOrElseW(() => { throw new Error('host') })(parseHostArg('64GiB')))
const vms = E.getOrElseW(() => { throw new Error('fleet') })(resolveFleet(trace, undefined))
const policy = BUILT_IN_POLICIES.find((p) => p.name === 'static')!

describe('lazy CSVs', () => {
  it('a fold reads, clones and spreads to the CSVs built at once', () => {
    const result = runPolicy(trace, host, vms, { policy, params: policy.defaults }, 1)
    const now = runCsvs(result.partial, vmSummaries(result.header, result.partial), heatmapCells(result.header, result.partial, 'slowdown', 'mean'), 'static-')
    const fold = foldRun(result)
    expect(structuredClone(fold).seriesCsv).toEqual(now)
    expect({ ...fold }.seriesCsv).toEqual(now)
    expect(fold.seriesCsv).toEqual(now)
    expect(fold.seriesCsv).toBe(fold.seriesCsv) // built once
    const input = reportOfFolds('t', trace, host, [{ run: { policy, params: policy.defaults }, fold: structuredClone(fold) }])
    expect(input.seriesCsv).toEqual(now)
    expect(JSON.parse(JSON.stringify(input)).seriesCsv).toEqual(now)
    expect(input.fleet).toEqual(fleetFacts(trace))
    expect({ ...input }.fleet).toEqual(fleetFacts(trace))
  })
})

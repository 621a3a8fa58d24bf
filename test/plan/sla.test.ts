/** The service level: codec (sentences for bad values), defaults, evaluation and margin. */
import { describe, expect, it } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import { DEFAULT_SLA, decodeServiceLevel, evaluate, margin, parseServiceLevelText } from '../../src/plan/sla.js'
import type { RunMetrics } from '../../src/metrics/run-metrics.js'

const left = <A>(e: E.Either<ReadonlyArray<string>, A>): ReadonlyArray<string> => (E.isLeft(e) ? e.left : [])

describe('service level codec', () => {
  it('fills defaults and accepts null to drop a bound', () => {
    const r = decodeServiceLevel({ maxSlowdownP99: 1.5, maxHostSwapOutGiB: null }, 'sla.json')
    expect(r).toEqual(E.right({ ...DEFAULT_SLA, maxSlowdownP99: 1.5, maxHostSwapOutGiB: null }))
    expect(decodeServiceLevel({}, 'x')).toEqual(E.right(DEFAULT_SLA))
  })

  it('rejects bad values and unknown keys with sentences', () => {
    expect(left(decodeServiceLevel({ maxPressureOver100Share: 5 }, 'sla.json'))).toEqual([
      'sla.json: maxPressureOver100Share: expected a share in 0..1 (0.001 = 0.1%; or null for no bound), found 5',
    ])
    expect(left(decodeServiceLevel({ maxVmsRefused: 1.5 }, 'sla.json'))[0]).toMatch(/maxVmsRefused: expected a whole number >= 0/)
    expect(left(decodeServiceLevel({ maxSlowdownP99: 0.9 }, 'sla.json'))[0]).toMatch(/maxSlowdownP99: expected a slowdown factor >= 1/)
    expect(left(decodeServiceLevel({ maxHostSwapOutGiB: -1 }, 'sla.json'))[0]).toMatch(/maxHostSwapOutGiB: expected a number of GiB >= 0/)
    expect(left(decodeServiceLevel({ maxSlowdownP9: 2 }, 'sla.json'))[0]).toBe('sla.json: unknown key "maxSlowdownP9" (did you mean "maxSlowdownP99"?)')
    expect(left(decodeServiceLevel([1], 'sla.json'))[0]).toMatch(/^sla\.json: expected a service level/)
    expect(left(parseServiceLevelText('{oops', '--sla'))[0]).toMatch(/^--sla: not valid JSON/)
  })
})

describe('evaluate and margin', () => {
  const m = { vmsRefused: 0, pressureOver100Share: 0.0005, slowdownP99: 1.2, hostSwapOutGiB: 0 } as unknown as RunMetrics
  it('lists each broken term with its figure and bound', () => {
    const v = evaluate(DEFAULT_SLA, m)
    expect(v.map((x) => [x.term, x.value, x.bound])).toEqual([['maxSlowdownP99', 1.2, 1.1]])
    expect(v[0].text).toBe('slowdown P99 1.2 > 1.1')
    expect(evaluate(DEFAULT_SLA, { ...m, error: 'boom' }).map((x) => x.term)).toEqual(['error', 'maxSlowdownP99'])
  })
  it('the binding figure is the one nearest its bound', () => {
    const ok = { ...m, slowdownP99: 1.02 }
    const g = margin(DEFAULT_SLA, ok)
    expect(g?.term).toBe('maxPressureOver100Share')
    expect(g?.used).toBeCloseTo(0.5)
  })
})

import { describe, expect, it } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import { generateOptions, parseStart } from '../../src/cli/generate.js'

const flags = { seed: '42', vms: '500', days: '30', step: '300', groups: true, out: 'traces/big.csv' }

describe('generate command options', () => {
  it('parses the documented example', () => {
    expect(generateOptions(flags)).toEqual(E.right({ seed: 42, vms: 500, days: 30, stepSeconds: 300, start: 1375660800 }))
  })

  it('reads --start as Unix seconds or an ISO date (UTC), and --no-groups as no groups', () => {
    expect(parseStart('2013-08-05')).toEqual(E.right(1375660800))
    expect(parseStart('1375660800')).toEqual(E.right(1375660800))
    expect(E.isLeft(parseStart('next tuesday'))).toBe(true)
    expect(generateOptions({ ...flags, groups: false })).toEqual(E.right({ seed: 42, vms: 500, days: 30, stepSeconds: 300, start: 1375660800, groups: [] }))
  })

  it('rejects nonsense with sentences', () => {
    expect(generateOptions({ ...flags, vms: 'many' })).toEqual(E.left(['--vms: expected a number, found "many"']))
    expect(generateOptions({ ...flags, vms: '0', step: '2.5', seed: '1.5' })).toEqual(
      E.left([
        'seed must be an integer, found 1.5',
        'vms must be a whole number of at least 1, found 0',
        'step must be a whole number of seconds, at least 1, found 2.5',
      ]),
    )
  })
})

import { describe, expect, it } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { compilePattern, decodeFleetSpec, DEFAULT_CONTENT, MAX_SHARES, parseFleetSpecText, resolveFleet, resolveFleetDetailed, type FleetSpec } from '../../src/spec/fleet.js'
import { left, right, tinyTrace } from './helpers.js'


const trace = tinyTrace([
  { id: '55', configured: 65536, image: 'rnd-large', os: 'windows' },
  { id: '57', configured: 65536 },
  { id: 'web-01', configured: 4096 },
  { id: 'web-02', configured: 4096 },
  { id: 'tiny', configured: 256 },
])

const spec = (json: unknown): FleetSpec => right(decodeFleetSpec(json, 'fleet.json'))
/** Resolve a spec JSON against `trace`; a failure's messages. */
const errorsOf = (json: unknown): ReadonlyArray<string> =>
  pipe(
    decodeFleetSpec(json, 'fleet.json'),
    E.chain((s) => resolveFleet(trace, s)),
    left,
  )

describe('resolveFleet with no spec (a trace only)', () => {
  const vms = right(resolveFleet(trace, undefined))

  it('derives every setting from the trace', () => {
    expect(vms[0]).toEqual({
      id: '55',
      image: 'rnd-large',
      os: 'windows',
      content: DEFAULT_CONTENT,
      staticMiB: 65536,
      startupMiB: 1024,
      minimumMiB: 512,
      maximumMiB: 65536,
      bufferPercent: 20,
      weight: 5000,
      reservationMiB: 0,
      limitMiB: 65536,
      shares: 655360,
    })
  })

  it("falls back to the VM's own id as image and linux as os", () => {
    expect(vms[1].image).toBe('57')
    expect(vms[1].os).toBe('linux')
  })

  it('keeps startup and minimum within a small VM', () => {
    expect(vms[4]).toMatchObject({ staticMiB: 256, maximumMiB: 256, startupMiB: 256, minimumMiB: 256, limitMiB: 256, shares: 2560 })
  })

  it('handles a VM never on (configured 0) without errors', () => {
    const t = tinyTrace([{ id: 'off', configured: 1024, on: false }])
    expect(right(resolveFleet(t, undefined))[0]).toMatchObject({ maximumMiB: 0, startupMiB: 0, minimumMiB: 0, limitMiB: 0, shares: 0 })
  })

  it('the default content model meets the DOMAIN.md section 6 figures', () => {
    const saved = (n: number) => DEFAULT_CONTENT.intraVm + (DEFAULT_CONTENT.image * (n - 1)) / n
    expect(DEFAULT_CONTENT.intraVm).toBeLessThan(0.05) // diverse workloads: under 5%
    expect(saved(4)).toBeGreaterThan(0.3) // nearly identical VMs: over 30%
    expect(saved(1)).toBeLessThan(0.15) // zero pages aside, under 15% ...
  })
})

describe('resolveFleet with a spec', () => {
  it('applies defaults, then rules in order, field by field', () => {
    const vms = right(
      resolveFleet(
        trace,
        spec({
          defaults: { buffer: 25, shares: 'high', content: { intraVm: 0.1 } },
          vms: [
            { match: 'web-*', image: 'win2012-web', os: 'windows', minimum: '1GiB', maximum: '3GiB', priority: 80 },
            { match: 'web-02', buffer: 50, content: { image: 0.5 } },
            { match: '55|57|6[0-6]', reservation: '8GiB', limit: '32GiB', shares: 1000, static: 32768 },
          ],
        }),
      ),
    )
    expect(vms[2]).toMatchObject({
      image: 'win2012-web',
      os: 'windows',
      minimumMiB: 1024,
      maximumMiB: 3072,
      startupMiB: 1024,
      bufferPercent: 25,
      weight: 8000,
      shares: 81920, // High: 20 per MiB of configured 4096
      content: { intraVm: 0.1, image: DEFAULT_CONTENT.image },
    })
    expect(vms[3]).toMatchObject({ bufferPercent: 50, weight: 8000, content: { intraVm: 0.1, image: 0.5 } })
    expect(vms[0]).toMatchObject({ reservationMiB: 8192, limitMiB: 32768, shares: 1000, staticMiB: 32768, bufferPercent: 25, weight: 5000 })
    expect(vms[1]).toMatchObject({ reservationMiB: 8192, limitMiB: 32768 })
    expect(vms[4]).toMatchObject({ bufferPercent: 25, reservationMiB: 0, image: 'tiny' })
  })

  it('lifts the default startup to an explicit minimum rather than contradicting it', () => {
    const vms = right(resolveFleet(trace, spec({ vms: [{ match: '55', minimum: '2GiB' }] })))
    expect(vms[0]).toMatchObject({ minimumMiB: 2048, startupMiB: 2048 })
  })

  it('reads globs and regular expressions, anchored to the whole id', () => {
    const test = (p: string, id: string) => right(compilePattern(p)).test(id)
    expect(test('web-*', 'web-01')).toBe(true)
    expect(test('web-*', 'old-web-01')).toBe(false)
    expect(test('web-0?', 'web-01')).toBe(true)
    expect(test('6[0-6]', '63')).toBe(true)
    expect(test('55|57|6[0-6]', '57')).toBe(true)
    expect(test('55|57|6[0-6]', '550')).toBe(false)
    expect(test('/.*eb.*/', 'web-02')).toBe(true)
    expect(test('a.b', 'axb')).toBe(false) // a glob dot is a dot
  })
})

describe('rejected values, each with a sentence naming the field and the VM', () => {
  it('minimum above maximum', () => {
    expect(errorsOf({ vms: [{ match: 'web-01', minimum: '2GiB', maximum: '1GiB' }] })).toEqual([
      'VM "web-01": minimum 2 GiB (set by vms[0] "web-01") is above maximum 1 GiB (set by vms[0] "web-01").',
    ])
  })

  it('startup outside [minimum, maximum]', () => {
    expect(errorsOf({ vms: [{ match: 'tiny', startup: '1GiB' }] })).toEqual([
      'VM "tiny": startup 1 GiB (set by vms[0] "tiny") is outside [minimum 256 MiB (default: min(startup, maximum, 512 MiB)), maximum 256 MiB (default: configured)].',
    ])
  })

  it('a negative size', () => {
    expect(left(decodeFleetSpec({ defaults: { static: -5 } }, 'fleet.json'))).toEqual(['fleet.json: defaults.static: a size cannot be negative, found -5'])
    expect(left(decodeFleetSpec({ vms: [{ match: '*', limit: '-1GiB' }] }, 'fleet.json'))).toEqual([
      'fleet.json: vms[0].limit: a size cannot be negative, found "-1GiB"',
    ])
  })

  it('an unknown unit', () => {
    expect(left(decodeFleetSpec({ vms: [{ match: '*', maximum: '4 GX' }] }, 'fleet.json'))).toEqual([
      'fleet.json: vms[0].maximum: unknown unit "GX" in "4 GX" (known: B, KiB, MiB, GiB, TiB, KB, MB, GB, TB, in any case; did you mean "4GiB"?)',
    ])
  })

  it('a buffer out of 5..2000', () => {
    expect(left(decodeFleetSpec({ vms: [{ match: '*', buffer: 3 }, { match: 'x', buffer: 2500 }] }, 'fleet.json'))).toEqual([
      'fleet.json: vms[0].buffer: expected a buffer percent in 5..2000, found 3',
      'fleet.json: vms[1].buffer: expected a buffer percent in 5..2000, found 2500',
    ])
  })

  it('reservation above limit, and above configured', () => {
    expect(errorsOf({ vms: [{ match: 'web-01', reservation: '2GiB', limit: '1GiB' }] })).toEqual([
      'VM "web-01": reservation 2 GiB (set by vms[0] "web-01") is above limit 1 GiB (set by vms[0] "web-01").',
    ])
    expect(errorsOf({ vms: [{ match: 'tiny', reservation: '300MiB', limit: '1GiB' }] })).toEqual([
      'VM "tiny": reservation 300 MiB (set by vms[0] "tiny") is above its configured memory 256 MiB (peak in the trace).',
    ])
  })

  it('an unknown key, with a suggestion', () => {
    expect(left(decodeFleetSpec({ defaults: { minumum: '1GiB' }, vms: [{ match: '*', bufer: 20 }] }, 'fleet.json'))).toEqual([
      'fleet.json: defaults: unknown key "minumum" (did you mean "minimum"?)',
      'fleet.json: vms[0]: unknown key "bufer" (did you mean "buffer"?)',
    ])
    expect(left(decodeFleetSpec({ hosts: [] }, 'fleet.json'))).toEqual(['fleet.json: unknown key "hosts" (known keys: defaults, vms, description)'])
  })

  it('a rule without match, a bad os, shares, weight and fractions', () => {
    expect(
      left(
        decodeFleetSpec(
          { vms: [{ buffer: 20 }, { match: '*', os: 'solaris', shares: 'lots', weight: 20000, content: { image: 1.5 } }] },
          'fleet.json',
        ),
      ),
    ).toEqual([
      'fleet.json: vms[0].match: missing; expected a VM id pattern (glob or regular expression)',
      'fleet.json: vms[1].weight: expected a memory weight (WMI scale) in 0..10000, found 20000',
      'fleet.json: vms[1].shares: expected shares: a number in 0..1000000000 or "low" | "normal" | "high", found "lots"',
      'fleet.json: vms[1].os: expected "windows" | "linux", found "solaris"',
      'fleet.json: vms[1].content.image: expected a fraction in 0..1, found 1.5',
    ])
  })

  it('weight and priority together', () => {
    expect(left(decodeFleetSpec({ defaults: { weight: 100, priority: 1 } }, 'fleet.json'))).toEqual([
      'fleet.json: defaults: give weight (0..10000) or priority (0..100), not both',
    ])
  })

  it('content fractions summing above 1', () => {
    expect(errorsOf({ vms: [{ match: '57', content: { intraVm: 0.7, image: 0.4 } }] })).toEqual([
      'VM "57": content intraVm 0.7 (set by vms[0] "57") plus image 0.4 (set by vms[0] "57") is 1.1, above 1; they are shares of the same pages.',
    ])
  })

  it('a rule matching no VM: an error by default, a warning on request', () => {
    const s = spec({ vms: [{ match: 'db-*', buffer: 30 }] })
    expect(left(resolveFleet(trace, s))).toEqual(['vms[0] "db-*" matches no VM of the trace "tiny" (ids such as "55", "57", "web-01", ...)'])
    const r = right(resolveFleetDetailed(trace, s, { unmatched: 'warn' }))
    expect(r.warnings).toHaveLength(1)
    expect(r.vms).toHaveLength(5)
  })

  it('an invalid regular expression', () => {
    expect(left(decodeFleetSpec({ vms: [{ match: '(web' }] }, 'fleet.json'))[0]).toMatch(/^fleet\.json: vms\[0\]\.match: "\(web" is not a valid pattern/)
  })

  it('lists a defaults mistake once per VM, capped', () => {
    const errs = errorsOf({ defaults: { minimum: '8GiB', maximum: '4GiB' } })
    expect(errs).toHaveLength(5)
    expect(right(resolveFleetDetailed(trace, undefined, { maxErrors: 1 })).vms).toHaveLength(5)
    const capped = pipe(
      resolveFleetDetailed(trace, spec({ defaults: { minimum: '8GiB', maximum: '4GiB' } }), { maxErrors: 2 }),
      left,
    )
    expect(capped).toHaveLength(3)
    expect(capped[2]).toBe('... and 3 more errors')
  })
})

describe('fleet specs from hostile or careless users', () => {
  it('a pattern that backtracks catastrophically, (a+)+$, answers fast against a long id', () => {
    const long = 'a'.repeat(50_000) + '!'
    const started = performance.now()
    const p = right(compilePattern('(a+)+$'))
    expect(p.test(long)).toBe(false)
    expect(p.test('aaaa')).toBe(true)
    expect(performance.now() - started).toBeLessThan(2000)
    const hostile = tinyTrace([{ id: long, configured: 1024 }, { id: 'aaa', configured: 1024 }])
    const spec = right(decodeFleetSpec({ vms: [{ match: '(a+)+$', buffer: 30 }] }, 'fleet.json'))
    expect(right(resolveFleet(hostile, spec)).map((v) => v.bufferPercent)).toEqual([20, 30])
  })

  it('a backreference or a lookaround is refused, naming the rule', () => {
    expect(left(decodeFleetSpec({ vms: [{ match: '(a)\\1', buffer: 30 }] }, 'fleet.json'))).toEqual([
      'fleet.json: vms[0].match: "(a)\\1" is not a valid pattern (error parsing regexp: invalid escape sequence: `\\1`; patterns are matched by RE2, which takes linear time and so has no backreferences or lookarounds)',
    ])
    expect(left(decodeFleetSpec({ vms: [{ match: '(?=web)w.*' }] }, 'fleet.json'))[0]).toMatch(/^fleet\.json: vms\[0\]\.match: "\(\?=web\)w\.\*" is not a valid pattern/)
  })

  it('"__proto__", "constructor" and "prototype" are refused by name, wherever they are', () => {
    const reason = (k: string) => `the key "${k}" is refused (it names JavaScript's object machinery, not a setting; memreplay has no setting called that)`
    expect(left(parseFleetSpecText('{"vms": [{"match": "*", "__proto__": {"buffer": 30}}]}', 'fleet.json'))).toEqual([`fleet.json: vms[0]: ${reason('__proto__')}`])
    expect(left(decodeFleetSpec({ defaults: { constructor: 1 } }, 'fleet.json'))).toEqual([`fleet.json: defaults: ${reason('constructor')}`])
    expect(left(parseFleetSpecText('{"defaults": {"content": {"prototype": 1}}}', 'f.json'))).toEqual([`f.json: defaults.content: ${reason('prototype')}`])
    expect(({} as Record<string, unknown>).buffer).toBeUndefined()
  })

  it('shares as a number are at most MAX_SHARES', () => {
    expect(left(decodeFleetSpec({ defaults: { shares: 1e12 } }, 'f.json'))).toEqual([
      'f.json: defaults.shares: expected shares: a number in 0..1000000000 or "low" | "normal" | "high", found 1000000000000',
    ])
    expect(right(decodeFleetSpec({ defaults: { shares: MAX_SHARES } }, 'f.json')).defaults.shares).toBe(1e9)
  })

  it('shares presets are own keys only', () => {
    expect(left(decodeFleetSpec({ defaults: { shares: 'constructor' } }, 'f.json'))[0]).toMatch(/^f\.json: defaults\.shares: expected shares/)
    expect(left(decodeFleetSpec({ defaults: { shares: 'toString' } }, 'f.json'))[0]).toMatch(/^f\.json: defaults\.shares: expected shares/)
  })

  it('a VM size above 24 TiB is refused, as is Infinity from JSON', () => {
    expect(left(decodeFleetSpec({ vms: [{ match: '*', maximum: '25TiB' }] }, 'fleet.json'))).toEqual([
      'fleet.json: vms[0].maximum: a size must be at most 24 TiB, found "25TiB"',
    ])
    expect(left(parseFleetSpecText('{"defaults": {"static": 1e400}}', 'fleet.json'))[0]).toMatch(/^fleet\.json: defaults\.static: expected a size .*, found Infinity$/)
    expect(right(decodeFleetSpec({ defaults: { maximum: '24TiB' } }, 'f')).defaults.maximum).toBe(24 * 1024 * 1024)
  })
})

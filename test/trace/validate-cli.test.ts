/** `memreplay validate` end to end: spawned as a user would run it. */
import { execFile } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const ROOT = path.resolve(import.meta.dirname, '../..')
const REAL = path.resolve(ROOT, '..', 'shared/traces/bitbrains-rnd-2013-08')
const run = promisify(execFile)

const validate = async (...args: string[]): Promise<{ code: number; out: string; err: string }> => {
  try {
    const { stdout, stderr } = await run(process.execPath, ['dist/cli/main.js', 'validate', ...args], { cwd: ROOT })
    return { code: 0, out: stdout, err: stderr }
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string }
    return { code: x.code, out: x.stdout, err: x.stderr }
  }
}

describe('validate command', () => {
  it('exits 0 on the real sample and prints the report', async () => {
    const { code, out } = await validate(REAL)
    expect(code).toBe(0)
    expect(out).toContain('VMs: 36')
    expect(out).toContain('time: 2013-07-31T22:02:56Z to 2013-08-30T21:58:21Z')
    expect(out).toContain('grid: step 300 s, 8640 ticks')
    expect(out).toMatch(/usageAboveCapacity\s+13/)
    expect(out).toMatch(/ {4}446: .*lateStart 1/)
    expect(out).toContain('columns recorded (VMs): touched 0 of 36, disk read 36 of 36, disk write 36 of 36')
  })

  it('exits 1 on a malformed file and prints the error', async () => {
    const file = 'test/fixtures/trace/bitbrains-bad-value.csv'
    const { code, err } = await validate(file)
    expect(code).toBe(1)
    expect(err).toContain(`${file} line 3, column "Memory usage [KB]": expected a non-negative number, found "abc"`)
  })

  it('takes --map (string or JSON file), --separator and --max-gap', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'memreplay-cli-'))
    const csv = path.join(dir, 'export.csv')
    writeFileSync(csv, 'ts;name;used;total\n0;a;1024;1\n300;a;2048;1\n600;a;2048;1\n1800;a;2048;1\n2100;a;2048;1\n')
    const byString = await validate(csv, '--map', 'time=ts, vm=name, demand=used:KiB, configured=total:GiB', '--max-gap', '600')
    expect(byString.code).toBe(0)
    expect(byString.out).toContain('(mapped)')
    expect(byString.out).toMatch(/gapOff\s+3/)
    const json = path.join(dir, 'map.json')
    writeFileSync(json, JSON.stringify({ time: 'ts', vm: 'name', demand: 'used:KiB', configured: { column: 'total', unit: 'GiB' }, separator: ';' }))
    const byJson = await validate(csv, '--map', json)
    expect(byJson.code).toBe(0)
    expect(byJson.out).toMatch(/gapHeld\s+3/)
    const wrongSep = await validate(csv, '--map', json, '--separator', 'tab')
    expect(wrongSep.code).toBe(1)
    expect(wrongSep.err).toContain('expected a header with columns separated by tab, found columns separated by ";"')
    const badMap = await validate(csv, '--map', 'time=ts, demand=used:KX, configured=total')
    expect(badMap.code).toBe(1)
    expect(badMap.err).toContain('--map, column "demand": expected a size unit')
  })
})

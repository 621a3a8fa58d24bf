/**
 * CSV outputs neutralise fields a spreadsheet would run as formulas (OWASP, CSV injection): a VM
 * named `=cmd|' /C calc'!A0` is written as "'=cmd|' /C calc'!A0"; numbers, negative ones too, stay
 * numbers.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { csvField } from '../../src/metrics/format.js'
import { memreplay, writeTinyTrace } from './helpers.js'

const tmp = mkdtempSync(path.join(tmpdir(), 'memreplay-csv-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const EVIL = `=cmd|' /C calc'!A0`

describe('csvField', () => {
  it.each([
    [EVIL, `"'=cmd|' /C calc'!A0"`],
    ['+SUM(A1:A9)', `"'+SUM(A1:A9)"`],
    ['-2+3', `"'-2+3"`],
    ['@SUM(1)', `"'@SUM(1)"`],
    ['\t=1', `"'\t=1"`],
    ['\r=1', `"'\r=1"`],
    ['=HYPERLINK("http://x")', `"'=HYPERLINK(""http://x"")"`],
    ['-5', '-5'],
    ['+1.5e3', '+1.5e3'],
    ['web-01', 'web-01'],
    ['a,b', '"a,b"'],
  ])('%j -> %s', (field, written) => expect(csvField(field)).toBe(written))
})

describe('compare writes neutralised names in every CSV', () => {
  it(`a VM named ${EVIL}`, async () => {
    const trace = writeTinyTrace(path.join(tmp, 'evil.csv'), [EVIL, '@evil', '-1', 'plain'])
    const out = path.join(tmp, 'report')
    const r = await memreplay(['compare', '--trace', trace, '--host', '8GiB', '--policies', 'static', '--out', out])
    expect(r.code).toBe(0)
    for (const file of ['static-vm-summary.csv', 'static-heatmap.csv']) {
      const lines = readFileSync(path.join(out, file), 'utf8').trim().split('\n').slice(1)
      const names = new Set(lines.map((l) => (l.startsWith('"') ? l.slice(0, l.indexOf('",') + 1) : l.slice(0, l.indexOf(',')))))
      const all = [`"'=cmd|' /C calc'!A0"`, `"'@evil"`, '-1', 'plain']
      // the heatmap shows the VMs worst off, the summary every VM
      if (file === 'static-vm-summary.csv') expect([...names].sort()).toEqual(all.sort())
      else for (const name of names) expect(all, file).toContain(name)
      for (const l of lines) expect(l, file).not.toMatch(/^[=+@]/)
    }
  })
})

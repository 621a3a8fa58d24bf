/**
 * `--out` never destroys what the user has: a file, a folder memreplay did not write, an input, the
 * working folder, `/` are refused with a sentence before any replay, exit 1, and left byte for byte
 * as they were; a report memreplay wrote (its manifest) is replaced, atomically.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { MANIFEST } from '../../src/report/write-folder.js'
import { memreplay, treeHash, writeTinyTrace } from './helpers.js'

const tmp = mkdtempSync(path.join(tmpdir(), 'memreplay-out-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
let n = 0
const fresh = (): string => {
  const d = path.join(tmp, `case-${n++}`)
  mkdirSync(d, { recursive: true })
  return d
}
const compare = (trace: string, out: string, cwd?: string) => memreplay(['compare', '--trace', trace, '--host', '8GiB', '--policies', 'static', '--out', out], cwd)

/** Refused: exit 1, the sentence, no stack trace, `watched` untouched, nothing left beside it. */
const expectRefused = async (run: Promise<{ code: number | null; err: string }>, watched: string, sentence: RegExp) => {
  const before = treeHash(watched)
  const siblings = readdirSync(path.dirname(watched)).sort()
  const r = await run
  expect(r.code).toBe(1)
  expect(r.err).toMatch(sentence)
  expect(r.err).not.toMatch(/\n\s+at /)
  expect(treeHash(watched)).toBe(before)
  expect(readdirSync(path.dirname(watched)).sort()).toEqual(siblings)
}

describe('--out refuses what memreplay did not write', () => {
  it('a file', async () => {
    const d = fresh()
    const trace = writeTinyTrace(path.join(d, 'in', 'trace.csv'))
    const file = path.join(d, 'budget.xlsx')
    writeFileSync(file, 'precious')
    await expectRefused(compare(trace, file), file, /--out .*budget\.xlsx is a file; memreplay writes a report folder and never replaces a file/)
  })

  it('the trace folder (and a folder holding the trace)', async () => {
    const d = fresh()
    const folder = path.join(d, 'traces', 'fleet')
    writeTinyTrace(path.join(folder, 'one.csv'))
    await expectRefused(compare(folder, folder), folder, /--out .*fleet is the trace \(.*\); memreplay never writes its output over an input/)
    await expectRefused(compare(folder, path.join(d, 'traces')), path.join(d, 'traces'), /--out .*traces holds the trace/)
  })

  it('a previous report that now holds the trace', async () => {
    const d = fresh()
    const report = path.join(d, 'report')
    const trace = writeTinyTrace(path.join(d, 'trace.csv'))
    expect((await compare(trace, report)).code).toBe(0)
    const inside = path.join(report, 'static-vm-summary.csv')
    expect(existsSync(inside)).toBe(true)
    await expectRefused(compare(inside, report), report, /--out .*report holds the trace/)
  })

  it('. and .. in a project', async () => {
    const project = fresh()
    mkdirSync(path.join(project, 'src'))
    writeFileSync(path.join(project, 'src', 'index.ts'), 'export const x = 1\n')
    writeFileSync(path.join(project, 'package.json'), '{}\n')
    const trace = writeTinyTrace(path.join(tmp, 'shared', `t${n}.csv`))
    await expectRefused(compare(trace, '.', project), project, /--out \. is the working folder; memreplay never replaces the folder you work in/)
    await expectRefused(compare(trace, '..', path.join(project, 'src')), project, /--out \.\. is a parent of the working folder/)
  })

  it('a folder of the user\'s files', async () => {
    const d = fresh()
    const trace = writeTinyTrace(path.join(d, 'trace.csv'))
    const mine = path.join(d, 'mine')
    mkdirSync(path.join(mine, 'deep'), { recursive: true })
    writeFileSync(path.join(mine, 'notes.txt'), 'mine')
    writeFileSync(path.join(mine, 'deep', 'x.md'), 'mine too')
    await expectRefused(compare(trace, mine), mine, /--out .*mine is a folder memreplay did not write \(no \.memreplay-report\.json; it holds "deep\/x\.md", "notes\.txt"\)/)
  })

  it('/ (a sentence, not EBUSY)', async () => {
    const d = fresh()
    const trace = writeTinyTrace(path.join(d, 'trace.csv'))
    const r = await compare(trace, '/')
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/--out \/ is (the root of the file system|a parent of the working folder)/)
    expect(r.err).not.toMatch(/EBUSY/)
  })

  it('plan, sweep, merge and generate refuse a file too', async () => {
    const d = fresh()
    const trace = writeTinyTrace(path.join(d, 'trace.csv'))
    const file = path.join(d, 'keep.txt')
    writeFileSync(file, 'keep')
    await expectRefused(memreplay(['plan', '--trace', trace, '--host', '8GiB', '--policies', 'static', '--out', file]), file, /--out .*keep\.txt is a file/)
    const x = path.join(d, 'x.json')
    writeFileSync(x, JSON.stringify({ traces: ['trace.csv'], hostSizes: ['8GiB'], hostCounts: [1], policies: ['static'] }))
    await expectRefused(memreplay(['sweep', x, '--workers', '1', '--out', file]), file, /--out .*keep\.txt is a file/)
    await expectRefused(memreplay(['sweep', x, '--workers', '1', '--out', d]), d, /--out .* holds the experiment/)
    await expectRefused(memreplay(['merge', d, '--out', file]), file, /--out .*keep\.txt is a file/)
    await expectRefused(memreplay(['generate', '--vms', '2', '--days', '1', '--out', file]), file, /--out .*keep\.txt exists; generate does not overwrite a file unless --force is given/)
    await expectRefused(memreplay(['generate', '--vms', '2', '--days', '1', '--out', d]), d, /--out .* is a folder; generate writes one CSV file and never replaces a folder/)
    const g = await memreplay(['generate', '--vms', '2', '--days', '1', '--out', file, '--force'])
    expect(g.code).toBe(0)
    expect(readFileSync(file, 'utf8')).toMatch(/^time,vm,demand_mib,configured_mib/)
  })
})

describe('--out replaces a report memreplay wrote', () => {
  it('replaces it atomically; refuses it once the user added or edited a file', async () => {
    const d = fresh()
    const trace = writeTinyTrace(path.join(d, 'trace.csv'))
    const report = path.join(d, 'report')
    expect((await compare(trace, report)).code).toBe(0)
    const manifest = JSON.parse(readFileSync(path.join(report, MANIFEST), 'utf8'))
    expect(manifest.writtenBy).toBe('memreplay')
    expect(Object.keys(manifest.files)).toEqual(expect.arrayContaining(['index.html', 'metrics.json', 'summary.md']))
    const first = treeHash(report)
    const again = await compare(trace, report)
    expect(again.code).toBe(0)
    expect(treeHash(report)).toBe(first) // same inputs, same bytes
    expect(readdirSync(d).sort()).toEqual(['report', 'trace.csv']) // no temporary or old folder left
    writeFileSync(path.join(report, 'my-notes.txt'), 'mine')
    await expectRefused(compare(trace, report), report, /--out .*report is a memreplay report, but holds files memreplay did not write there: "my-notes\.txt"/)
    rmSync(path.join(report, 'my-notes.txt'))
    appendFileSync(path.join(report, 'summary.md'), '\nMy conclusions.\n')
    await expectRefused(compare(trace, report), report, /--out .*report is a memreplay report, but "summary\.md" changed since memreplay wrote it/)
  })

  it('two runs writing the same --out at once: both succeed or the loser says so in a sentence', async () => {
    const d = fresh()
    const trace = writeTinyTrace(path.join(d, 'trace.csv'))
    const report = path.join(d, 'report')
    const rs = await Promise.all([compare(trace, report), compare(trace, report)])
    for (const r of rs) {
      if (r.code !== 0) expect(r.err).toMatch(/--out .*report was changed by another process .* this run's report was not written/)
      expect(r.err).not.toMatch(/ENOENT|ENOTEMPTY|\n\s+at /)
    }
    expect(rs.some((r) => r.code === 0)).toBe(true)
    expect(existsSync(path.join(report, MANIFEST))).toBe(true)
    expect(readdirSync(d).sort()).toEqual(['report', 'trace.csv'])
  })
})

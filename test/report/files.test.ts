import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { METRICS_SCHEMA_VERSION } from '../../src/metrics/run-metrics.js'
import { writeReportFiles } from '../../src/report/files.js'
import { MANIFEST } from '../../src/report/write-folder.js'
import { svgToPng } from '../../src/report/render.js'
import type { ReportInput } from '../../src/report/model.js'
import { EVIL_VM, fixtureInput, SCRIPT_VM } from './fixture.js'

const CHARTS = ['key-metrics', 'host-memory', 'shortfall', 'heatmap', 'slowdown-distribution']
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

let root: string
let dirA: string
let dirB: string
let dirC: string

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'memreplay-report-'))
  dirA = path.join(root, 'a')
  dirB = path.join(root, 'nested', 'b')
  dirC = path.join(root, 'c')
  await writeReportFiles(dirA, fixtureInput(), { png: true })
  await writeReportFiles(dirB, fixtureInput(), { png: true })
  await writeReportFiles(dirC, fixtureInput())
})

afterAll(() => rmSync(root, { recursive: true, force: true }))

/** The page with the inlined library builds cut out: what we wrote ourselves. */
const ownMarkup = (html: string): string => html.replace(/<script data-lib="[^"]+">[\s\S]*?<\/script>/g, '<script data-lib></script>')

describe('writeReportFiles', () => {
  it('writes every file', () => {
    const expected = [
      'index.html',
      'summary.md',
      'metrics.json',
      'host-series.csv',
      ...CHARTS.flatMap((c) => [`${c}.vl.json`, `${c}.svg`, `${c}.png`]),
    ].sort()
    expect(readdirSync(dirA).sort()).toEqual([MANIFEST, ...expected])
    // the manifest marks the folder as memreplay's and lists every file's SHA-256
    const manifest = JSON.parse(readFileSync(path.join(dirA, MANIFEST), 'utf8'))
    expect(manifest.writtenBy).toBe('memreplay')
    expect(Object.keys(manifest.files).sort()).toEqual(expected)
    for (const f of expected) expect(statSync(path.join(dirA, f)).size).toBeGreaterThan(0)
    expect(readFileSync(path.join(dirA, 'host-series.csv'), 'utf8')).toBe('run,time,free\nstatic,0,30\n')
    // no temporary or old folders left beside it
    expect(readdirSync(root).sort()).toEqual(['a', 'c', 'nested'])
  })

  it('writes PNGs only when asked (png: true); without, summary.md links the SVGs, the same SVGs', () => {
    const files = readdirSync(dirC).sort()
    expect(files).toEqual(readdirSync(dirA).filter((f) => !f.endsWith('.png')).sort())
    const md = readFileSync(path.join(dirC, 'summary.md'), 'utf8')
    for (const c of CHARTS) expect(md).toContain(`](${c}.svg)`)
    expect(md).not.toContain('.png)')
    for (const c of CHARTS) expect(readFileSync(path.join(dirC, `${c}.svg`), 'utf8')).toBe(readFileSync(path.join(dirA, `${c}.svg`), 'utf8'))
    expect(md.replace(/\.svg\)/g, '.png)')).toBe(readFileSync(path.join(dirA, 'summary.md'), 'utf8'))
  })

  it('writes PNGs and SVGs with text in DejaVu Sans', () => {
    for (const c of CHARTS) {
      const png = readFileSync(path.join(dirA, `${c}.png`))
      expect(png.length).toBeGreaterThan(1000)
      expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true)
      const svg = readFileSync(path.join(dirA, `${c}.svg`), 'utf8')
      expect(svg.startsWith('<svg')).toBe(true)
      expect(svg).toMatch(/<text[^>]*font-family="DejaVu Sans"/)
      expect(svg).not.toContain('<img')
      const spec = JSON.parse(readFileSync(path.join(dirA, `${c}.vl.json`), 'utf8'))
      expect(spec.config.font).toBe('DejaVu Sans')
    }
    // hostile VM names are text in the heatmap's SVG, escaped
    const heat = readFileSync(path.join(dirA, 'heatmap.svg'), 'utf8')
    expect(heat).toMatch(/>&lt;img src=x onerror=alert[^<]*<\/text>/)
  })

  it('draws each PNG on the thread pool as svgToPng draws it on the main thread, byte for byte', () => {
    for (const c of CHARTS) expect(readFileSync(path.join(dirA, `${c}.png`)).equals(svgToPng(readFileSync(path.join(dirA, `${c}.svg`), 'utf8'))), c).toBe(true)
  })

  it('is deterministic: two writes give byte-identical files', () => {
    for (const f of readdirSync(dirA)) {
      const a = readFileSync(path.join(dirA, f))
      const b = readFileSync(path.join(dirB, f))
      expect(a.equals(b), f).toBe(true)
    }
  })

  it('escapes every untrusted string in index.html and uses no external URL', () => {
    const html = readFileSync(path.join(dirA, 'index.html'), 'utf8')
    const own = ownMarkup(html)
    expect(own).not.toContain('<img')
    expect(own).not.toContain('<b>')
    expect(own).not.toContain('alert(3)</script>')
    expect(own).toContain('&lt;img src=x onerror=alert(1)&gt;')
    expect(own).toContain('&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;')
    // our markup has no URL at all; the CSP forbids any load
    expect(own).not.toMatch(/https?:\/\//i)
    expect(own).not.toMatch(/<[a-z][^>]*\s(src|href)=/i)
    expect(html).toContain("default-src 'none'")
    // only the expected <script> elements, and none closes early
    const scripts = html.match(/<script\b[^>]*>/g) ?? []
    expect(scripts).toEqual([
      '<script id="report-specs" type="application/json">',
      '<script data-lib="vega">',
      '<script data-lib="vega-lite">',
      '<script data-lib="vega-embed">',
      '<script>',
    ])
    expect((html.match(/<\/script>/g) ?? []).length).toBe(5)
    const json = /<script id="report-specs" type="application\/json">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? ''
    expect(json).not.toMatch(/[<>]/)
    const specs = JSON.parse(json) as Array<{ id: string; spec: { $schema?: string } }>
    expect(specs.map((s) => s.id)).toEqual(CHARTS)
    for (const s of specs) expect(s.spec.$schema).toBeUndefined()
    expect(JSON.stringify(specs)).toContain(SCRIPT_VM)
  })

  it('shows the import report, the parameters and the notes', () => {
    const html = readFileSync(path.join(dirA, 'index.html'), 'utf8')
    expect(html).toContain('<td>gapHeld</td><td>7</td><td>1</td>')
    expect(html).toContain('&quot;level&quot;: 2')
    expect(html).toContain('&lt;b&gt;not bold&lt;/b&gt;')
    expect(html).toContain('Slowdown model: linear')
    expect(html).toContain('World model: world')
    expect(html).toContain('Ballooning reclaims idle memory first.')
    expect(html).toContain('rule &lt;x&gt; broken at tick 49')
  })

  it('writes summary.md with the table, PNG links and notes, escaped', () => {
    const md = readFileSync(path.join(dirA, 'summary.md'), 'utf8')
    expect(md).toContain('| Figure | static | hyperv-dm | esx |')
    expect(md).toContain('| Slowdown p95 | 1.000 | 1.100 | 1.200 |')
    for (const c of CHARTS) expect(md).toContain(`](${c}.png)`)
    expect(md).toContain('Ballooning reclaims idle memory first.')
    expect(md).not.toContain('<img')
    expect(md).not.toContain('<script')
    expect(md).toContain(`VM &lt;img src=x onerror=alert(1)&gt; is hostile on purpose.`)
  })

  it('writes metrics.json with the schema version and every run', () => {
    const m = JSON.parse(readFileSync(path.join(dirA, 'metrics.json'), 'utf8'))
    expect(m.schemaVersion).toBe(METRICS_SCHEMA_VERSION)
    expect(m.traceName).toBe('fixture & friends')
    expect(m.importReport.repairs.gapHeld).toBe(7)
    expect(m.importReport.perVm).toBeUndefined()
    expect(m.runs.map((r: { label: string }) => r.label)).toEqual(['static', 'hyperv-dm', 'esx'])
    expect(m.runs[1].metrics.shortfallGiBh).toBe(3)
    expect(m.runs[2].error).toBe('rule <x> broken at tick 49')
  })
})

describe('writeReportFiles replaces a folder as a whole', () => {
  it('replaces an existing report (with files the new one lacks) and leaves nothing beside it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'memreplay-replace-'))
    try {
      const target = path.join(dir, 'report')
      await writeReportFiles(target, { ...fixtureInput(), seriesCsv: [{ fileName: 'stale.csv', csv: 'old' }] })
      expect(existsSync(path.join(target, 'stale.csv'))).toBe(true)
      await writeReportFiles(target, fixtureInput())
      expect(existsSync(path.join(target, 'stale.csv'))).toBe(false)
      expect(existsSync(path.join(target, 'index.html'))).toBe(true)
      expect(readdirSync(dir)).toEqual(['report'])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('leaves no folder (and keeps the old one) when it fails', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'memreplay-fail-'))
    try {
      const bad: ReportInput = { ...fixtureInput(), seriesCsv: [{ fileName: '../escape.csv', csv: 'x' }] }
      await expect(writeReportFiles(path.join(dir, 'new'), bad)).rejects.toThrow(/not a plain file name/)
      expect(readdirSync(dir)).toEqual([])
      const target = path.join(dir, 'old')
      await writeReportFiles(target, fixtureInput())
      const before = readFileSync(path.join(target, 'index.html'))
      const hidden: ReportInput = { ...fixtureInput(), title: 'new', seriesCsv: [{ fileName: '.hidden.csv', csv: 'x' }] }
      await expect(writeReportFiles(target, hidden)).rejects.toThrow(/not a plain file name/)
      expect(readdirSync(dir)).toEqual(['old'])
      expect(readFileSync(path.join(target, 'index.html')).equals(before)).toBe(true)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('refuses a file, a folder of the user\'s, and a report the user added to, touching nothing', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'memreplay-refuse-'))
    try {
      const file = path.join(dir, 'file')
      writeFileSync(file, 'mine')
      await expect(writeReportFiles(file, fixtureInput())).rejects.toThrow(/is a file; memreplay writes a report folder and never replaces a file/)
      expect(readFileSync(file, 'utf8')).toBe('mine')
      const mine = path.join(dir, 'mine')
      mkdirSync(mine)
      writeFileSync(path.join(mine, 'notes.txt'), 'mine')
      await expect(writeReportFiles(mine, fixtureInput())).rejects.toThrow(/is a folder memreplay did not write \(no \.memreplay-report\.json; it holds "notes\.txt"\)/)
      expect(readdirSync(mine)).toEqual(['notes.txt'])
      const report = path.join(dir, 'report')
      await writeReportFiles(report, fixtureInput())
      writeFileSync(path.join(report, 'notes.txt'), 'mine')
      await expect(writeReportFiles(report, fixtureInput())).rejects.toThrow(/holds files memreplay did not write there: "notes\.txt"/)
      expect(readFileSync(path.join(report, 'notes.txt'), 'utf8')).toBe('mine')
      expect(readdirSync(dir).sort()).toEqual(['file', 'mine', 'report'])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('renames series CSVs whose names are taken instead of overwriting', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'memreplay-clash-'))
    try {
      const clash: ReportInput = {
        ...fixtureInput(),
        seriesCsv: [
          { fileName: 'index.html', csv: 'a' },
          { fileName: '_x_-host.csv', csv: 'b' },
          { fileName: '_x_-host.csv', csv: 'c' },
        ],
      }
      const w = await writeReportFiles(path.join(dir, 'r'), clash)
      expect(w.files).toEqual(expect.arrayContaining(['index-2.html', '_x_-host.csv', '_x_-host-2.csv']))
      expect(readFileSync(path.join(dir, 'r', '_x_-host-2.csv'), 'utf8')).toBe('c')
      expect(readFileSync(path.join(dir, 'r', 'index.html'), 'utf8')).toContain('<!DOCTYPE html>')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('renders a run that produced no series (stopped at once) without failing', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'memreplay-empty-'))
    try {
      const input = fixtureInput()
      const empty: ReportInput = {
        ...input,
        runs: [...input.runs, { ...input.runs[0], label: 'empty', hostSeries: [], heatmap: [], slowdownHistogram: [], vmSummaries: [] }],
      }
      const w = await writeReportFiles(path.join(dir, 'r'), empty, { png: true })
      expect(w.files).toContain('heatmap.png')
      expect(readFileSync(path.join(dir, 'r', 'index.html'), 'utf8')).toContain('No VM summaries.')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

void EVIL_VM

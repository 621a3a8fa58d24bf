/**
 * Importing hostile or mistaken input, as a user hits it (issue 13): through `validate`'s command
 * function (src/cli/validate.ts: the text it prints and its exit code), one case spawned as a user
 * runs it (a FIFO, which must not hang), and the limits' library options.
 */
import { execFile, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { runValidate } from '../../src/cli/validate.js'
import { formatTraceError, importTrace } from '../../src/trace/import.js'
import { MAX_RECORD_CHARS } from '../../src/trace/limits.js'

const ROOT = path.resolve(import.meta.dirname, '../..')
const root = mkdtempSync(path.join(tmpdir(), 'memreplay-reliability-'))
let n = 0
const fresh = (): string => {
  const d = path.join(root, `case-${++n}`)
  mkdirSync(d, { recursive: true })
  return d
}
const write = (dir: string, name: string | Buffer, text: string | Buffer): string => {
  const p = Buffer.isBuffer(name) ? Buffer.concat([Buffer.from(dir + '/'), name]) : path.join(dir, name)
  writeFileSync(p, text)
  return Buffer.isBuffer(name) ? p.toString() : (p as string)
}
const validate = (p: string, flags: Record<string, string | boolean> = {}) => runValidate(p, { cache: false, ...flags })

const BB_HEADER = 'Timestamp [ms];\tCPU cores;\tMemory capacity provisioned [KB];\tMemory usage [KB]\n'
const bb = (rows: ReadonlyArray<readonly [number, number, number]>): string => BB_HEADER + rows.map(([t, c, u]) => `${t};\t2;\t${c};\t${u}\n`).join('')
const CANON = 'time,vm,demand_mib,configured_mib\n'

describe('one VM in two files', () => {
  it('"a" in one.csv and two.csv over the same time: exit 1, both files named', async () => {
    const dir = fresh()
    write(dir, 'one.csv', CANON + '1000,a,10,100\n1300,a,11,100\n')
    const two = write(dir, 'two.csv', CANON + '1000,a,50,100\n1300,a,51,100\n1000,b,1,10\n')
    const r = await validate(dir)
    expect(r.code).toBe(1)
    expect(r.out).toBe(
      `${two} line 2: expected each VM's rows in one file (or in files of separate times), found VM "a" both here and in ${path.join(dir, 'one.csv')} (lines 2-3), over the same time (1970-01-01T00:16:40Z to 1970-01-01T00:21:40Z)`,
    )
  })

  it('5.csv next to 5.csv.gz: exit 1, both files named', async () => {
    const dir = fresh()
    const text = bb([[1000, 2097152, 1048576], [1300, 2097152, 1048576]])
    write(dir, '5.csv', text)
    write(dir, '5.csv.gz', gzipSync(text))
    const r = await validate(dir)
    expect(r.code).toBe(1)
    expect(r.out).toContain(`${path.join(dir, '5.csv.gz')} line 2: expected each VM's rows in one file`)
    expect(r.out).toContain(`found VM "5" both here and in ${path.join(dir, '5.csv')}`)
  })

  it('a VM split over files by time (monthly exports) is one VM, read in order', async () => {
    const dir = fresh()
    write(dir, 'aug.csv', CANON + '1000,a,10,100\n1300,a,11,100\n')
    write(dir, 'sep.csv', CANON + '1600,a,12,100\n1900,a,13,100\n')
    const t = await importTrace(dir)
    expect(E.isRight(t) && [...t.right.vms[0].demand]).toEqual([10, 11, 12, 13])
  })
})

describe('names that are not UTF-8', () => {
  it('file names vm\\xff.csv and vm\\xfe.csv are refused by name, not merged into one VM', async () => {
    const dir = fresh()
    const text = bb([[1000, 2097152, 1048576], [1300, 2097152, 1048576]])
    write(dir, Buffer.from([0x76, 0x6d, 0xff, 0x2e, 0x63, 0x73, 0x76]), text)
    write(dir, Buffer.from([0x76, 0x6d, 0xfe, 0x2e, 0x63, 0x73, 0x76]), text)
    const r = await validate(dir)
    expect(r.code).toBe(1)
    expect(r.out.split('\n')).toEqual([
      `${dir}/vm\\xfe.csv: expected a file name in UTF-8 (it names the VM), found bytes that are not UTF-8: rename the file`,
      `${dir}/vm\\xff.csv: expected a file name in UTF-8 (it names the VM), found bytes that are not UTF-8: rename the file`,
    ].sort((a, b) => r.out.indexOf(a) - r.out.indexOf(b)))
  })

  it('VM names vm\\xff and vm\\xfe in the vm column are refused with file, line and column', async () => {
    const dir = fresh()
    const file = write(dir, 't.csv', Buffer.concat([Buffer.from(CANON + '1000,vm'), Buffer.from([0xff]), Buffer.from(',1,2\n1000,vm'), Buffer.from([0xfe]), Buffer.from(',1,2\n')]))
    const r = await validate(file)
    expect(r.code).toBe(1)
    expect(r.out).toContain(`${file} line 2, column "vm": expected a VM name in UTF-8, found "vm\ufffd" (bytes that are not UTF-8`)
  })
})

describe('values out of range', () => {
  const cases: ReadonlyArray<readonly [string, string, string]> = [
    ['1000;\t2;\t1e39;\t1', 'Memory capacity provisioned [KB]', 'expected a size of at most 24 TiB (the largest VM), found "1e39" (9.31e+29 TiB: is the unit right?)'],
    ['1000;\t2;\t0x10;\t1', 'Memory capacity provisioned [KB]', 'expected a non-negative number, found "0x10"'],
    ['1000;\t2;\t2097152;\t0b11', 'Memory usage [KB]', 'expected a non-negative number, found "0b11"'],
    ['1000;\t2;\t+5;\t1', 'Memory capacity provisioned [KB]', 'expected a non-negative number, found "+5"'],
    ['1000;\t2;\tInfinity;\t1', 'Memory capacity provisioned [KB]', 'expected a non-negative number, found "Infinity"'],
  ]
  for (const [row, column, message] of cases)
    it(`${JSON.stringify(row)}: exit 1 naming file, line and column`, async () => {
      const file = write(fresh(), '7.csv', BB_HEADER + '900;\t2;\t2097152;\t1\n' + row + '\n')
      const r = await validate(file)
      expect(r.code).toBe(1)
      expect(r.out).toBe(`${file} line 3, column ${JSON.stringify(column)}: ${message}`)
    })

  it('canonical times in milliseconds: an error that says so', async () => {
    const file = write(fresh(), 'ms.csv', CANON + '1375308176000,a,1,2\n1375308476000,a,1,2\n')
    const r = await validate(file)
    expect(r.code).toBe(1)
    expect(r.out.split('\n')[0]).toBe(
      `${file} line 2, column "time": expected a non-negative Unix time in seconds before 2200, found "1375308176000", a time after the year 2200: it looks like Unix milliseconds (canonical times are Unix seconds: divide by 1000)`,
    )
  })

  it('a mapped time in ms read as seconds suggests the unit', async () => {
    const file = write(fresh(), 'm.csv', 'ts,used,total\n1375308176000,1,2\n')
    const r = await validate(file, { map: 'time=ts, demand=used, configured=total' })
    expect(r.code).toBe(1)
    expect(r.out).toContain('it looks like Unix milliseconds (give the column its unit, e.g. time=ts:ms)')
  })

  it('an ISO time after 2200 is refused without a unit hint', async () => {
    const file = write(fresh(), 'iso.csv', 'ts,used,total\n2024-03-01T00:00:00Z,1,2\n9999-01-01T00:00:00Z,1,2\n')
    const r = await validate(file, { map: 'time=ts:iso, demand=used, configured=total' })
    expect(r.code).toBe(1)
    expect(r.out).toBe(`${file} line 3, column "ts": expected an ISO-8601 time such as "2013-08-01T12:00:00Z" before 2200, found "9999-01-01T00:00:00Z", a time after the year 2200`)
  })

  it('a disk throughput above 1 TiB/s is refused', async () => {
    const file = write(fresh(), 'd.csv', 'time,vm,demand_mib,configured_mib,disk_read_mibps\n1000,a,1,2,1e7\n')
    const r = await validate(file)
    expect(r.code).toBe(1)
    expect(r.out).toBe(`${file} line 2, column "disk_read_mibps": expected a throughput of at most 1 TiB/s, found "1e7" (9.54 TiB/s: is the unit right?)`)
  })
})

describe('bounded grid, rows, records and files', () => {
  it('one row three thousand years later: exit 1 naming the row (it is also past 2200)', async () => {
    const file = write(fresh(), 'late.csv', CANON + '1000,a,1,2\n1300,a,1,2\n95000000000,b,1,2\n')
    const r = await validate(file)
    expect(r.code).toBe(1)
    expect(r.out).toMatch(new RegExp(`^${file} line 4, column "time": .*before 2200, found "95000000000"`))
  })

  it('a grid longer than maxTicks: exit 1 naming the row that stretches it', async () => {
    // 2100 is before 2200, but 40 years at 60 s is 21 M ticks
    const rows = ['1000,a,1,2', '1060,a,1,2', '1120,b,1,2', '1180,b,1,2', '4102444800,b,1,2']
    const file = write(fresh(), 'far.csv', CANON + rows.join('\n') + '\n')
    const r = await validate(file)
    expect(r.code).toBe(1)
    expect(r.out).toBe(
      `${file} line 6, column "time": expected times spanning at most 10,000,000 ticks of 60 s (a limit: MEMREPLAY_MAX_TICKS raises it), found 4102444800 (2100-01-01T00:00:00Z), which stretches the grid to 68,374,064 ticks`,
    )
    // and the earliest row, when it is the stray one
    const early = write(fresh(), 'early.csv', CANON + ['1000,b,1,2', '4102000000,a,1,2', '4102000060,a,1,2', '4102000120,b,1,2'].join('\n') + '\n')
    expect((await validate(early)).out).toMatch(new RegExp(`^${early} line 2, column "time": .* found 1000 \\(1970`))
  })

  it('the tick and VM-tick limits can be raised (options) or lowered (environment)', async () => {
    const file = write(fresh(), 'week.csv', CANON + '0,a,1,2\n300,a,1,2\n604800,a,1,2\n')
    const low = await importTrace(file, { limits: { maxTicks: 1000 } })
    expect(E.isLeft(low) && formatTraceError(low.left[0])).toContain('at most 1,000 ticks of 300 s')
    expect(E.isRight(await importTrace(file, { limits: { maxTicks: 3000 } }))).toBe(true)
    const vmTicks = await importTrace(file, { limits: { maxVmTicks: 100 } })
    expect(E.isLeft(vmTicks) && formatTraceError(vmTicks.left[0])).toContain('at most 100 VM-ticks (VMs x ticks) (a limit: MEMREPLAY_MAX_VM_TICKS raises it)')
    process.env.MEMREPLAY_MAX_TICKS = '50'
    try {
      const r = await validate(file)
      expect(r.code).toBe(1)
      expect(r.out).toContain('at most 50 ticks')
      process.env.MEMREPLAY_MAX_TICKS = 'lots'
      expect((await validate(file)).out).toBe('options, column "maxTicks (MEMREPLAY_MAX_TICKS)": expected a whole number of at least 1, found NaN')
    } finally {
      delete process.env.MEMREPLAY_MAX_TICKS
    }
  })

  it('an endless line: exit 1 naming the file and the limit', async () => {
    const file = write(fresh(), 'endless.csv', CANON + '1000,a,1,2\n1300,' + 'x'.repeat(MAX_RECORD_CHARS + 10))
    const r = await validate(file)
    expect(r.code).toBe(1)
    expect(r.out).toBe(`${file} line 3: expected a line of at most 1,048,576 characters, found a longer one (an endless line, or a quote never closed)`)
  })

  it('a gzip bomb of rows stops at the row limit; of text at the byte limit', async () => {
    const dir = fresh()
    const line = '1000,a,1,2\n'
    const bomb = write(dir, 'bomb.csv.gz', gzipSync(CANON + line.repeat(200_000)))
    const rows = await importTrace(bomb, { limits: { maxRows: 100_000 } })
    expect(E.isLeft(rows) && rows.left.map(formatTraceError)).toEqual([
      `${bomb} line 100002: expected at most 100,000 data rows in a trace (a limit: MEMREPLAY_MAX_ROWS raises it), found more`,
    ])
    const bytes = await importTrace(bomb, { limits: { maxFileBytes: 1 << 20 } })
    expect(E.isLeft(bytes) && formatTraceError(bytes.left[0])).toMatch(
      new RegExp(`^${bomb} line \\d+: expected at most 1,048,576 bytes of text per file \\(a limit: MEMREPLAY_MAX_FILE_BYTES raises it\\), found more after gunzip \\(a gzip bomb\\?\\)$`),
    )
  })

  it('a FIFO in a trace folder is refused by name and never opened: validate exits 1 at once', async () => {
    const dir = fresh()
    write(dir, '1.csv', bb([[1000, 2097152, 1048576], [1300, 2097152, 1048576]]))
    const fifo = path.join(dir, '2.csv')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    const inProcess = await validate(dir)
    expect(inProcess).toEqual({ code: 1, out: `${fifo}: expected a regular file, found a FIFO (named pipe): memreplay reads regular files only, so as never to wait on a pipe or device` })
    const direct = await validate(fifo)
    expect(direct.out).toBe(`${fifo}: expected a trace file or folder, found a FIFO (named pipe): memreplay reads regular files only`)
    // as a user runs it, with the cache on: it must end (the test times out otherwise)
    const env = { ...process.env, MEMREPLAY_CACHE_DIR: path.join(dir, 'cache') }
    const spawned = await promisify(execFile)(process.execPath, ['dist/cli/main.js', 'validate', dir], { cwd: ROOT, env, timeout: 60_000 }).catch((e) => e as { code: number; stderr: string })
    expect((spawned as { code: number }).code).toBe(1)
    expect((spawned as { stderr: string }).stderr).toContain('found a FIFO (named pipe)')
  }, 90_000)

  it('a device given as the trace is refused', async () => {
    expect((await validate('/dev/zero')).out).toBe('/dev/zero: expected a trace file or folder, found a device: memreplay reads regular files only')
  })

  it('a symlinked trace file is read through its link', async () => {
    const dir = fresh()
    const target = write(fresh(), 'real.csv', bb([[1000, 2097152, 1048576], [1300, 2097152, 1048576]]))
    symlinkSync(target, path.join(dir, '9.csv'))
    const t = await importTrace(dir)
    expect(E.isRight(t) && t.right.vms.map((v) => v.id)).toEqual(['9'])
    expect(readFileSync(target, 'utf8')).toContain('Timestamp')
  })
})

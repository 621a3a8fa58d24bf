/**
 * The trace cache: a cached trace is the parsed one (columns, lifetimes and import report); a
 * truncated, garbage or bit-flipped entry is rebuilt, never trusted; a changed source file, other
 * import options or another format version miss; writes leave no temporary files behind.
 */
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { importTraceCached, importTraceWithCache, type CacheStatus } from '../../src/trace/cache.js'
import { writeCanonicalCsv } from '../../src/trace/canonical.js'
import { importTrace } from '../../src/trace/import.js'
import { generateFleet } from '../../src/trace/synthetic.js'
import type { Trace } from '../../src/trace/trace.js'

const root = mkdtempSync(path.join(tmpdir(), 'memreplay-cache-'))
let n = 0
const fresh = (): string => {
  const d = path.join(root, `case-${++n}`)
  mkdirSync(d, { recursive: true })
  return d
}

const parsed = async (p: string, o = {}): Promise<Trace> => {
  const r = await importTrace(p, o)
  if (E.isLeft(r)) throw new Error(JSON.stringify(r.left))
  return r.right
}

const cached = async (p: string, dir: string, o = {}): Promise<{ trace: Trace; cache: CacheStatus }> => {
  const { result, cache } = await importTraceWithCache(p, o, { dir })
  if (E.isLeft(result)) throw new Error(JSON.stringify(result.left))
  return { trace: result.right, cache }
}

/** Typed arrays compared as plain arrays of values (a cached column is a view into the file's bytes). */
const plain = (t: Trace) => ({
  ...t,
  vms: t.vms.map((v) => ({
    ...v,
    demand: [...v.demand],
    configured: [...v.configured],
    on: [...v.on],
    touched: v.touched === undefined ? undefined : [...v.touched],
    diskRead: v.diskRead === undefined ? undefined : [...v.diskRead],
    diskWrite: v.diskWrite === undefined ? undefined : [...v.diskWrite],
  })),
})

const entries = (dir: string): string[] => readdirSync(dir).sort()

const synthetic = async (dir: string, vms = 12, days = 2): Promise<string> => {
  const file = path.join(dir, 'fleet.csv')
  await writeCanonicalCsv(generateFleet({ seed: 7, vms, days, stepSeconds: 300 }), file)
  return file
}

const SAMPLE = 'traces/sample/sample.csv'
const BITBRAINS = '../shared/traces/bitbrains-rnd-2013-08'

describe('trace cache', () => {
  it('a cached trace deep-equals the parsed one, import report included (synthetic canonical CSV)', async () => {
    const src = fresh()
    const file = await synthetic(src)
    const dir = fresh()
    const first = await cached(file, dir)
    expect(first.cache.kind).toBe('miss')
    expect(entries(dir)).toHaveLength(1)
    expect(entries(dir)[0]).toMatch(/\.arrow$/)
    const second = await cached(file, dir)
    expect(second.cache.kind).toBe('hit')
    const truth = await parsed(file)
    expect(second.trace).toStrictEqual(truth)
    expect(plain(second.trace)).toStrictEqual(plain(truth))
    expect(second.trace.report).toStrictEqual(truth.report)
    expect(second.trace.vms[0].demand).toBeInstanceOf(Float32Array)
    expect(second.trace.vms[0].on).toBeInstanceOf(Uint8Array)
    expect(second.trace.vms[0].demand.length).toBe(truth.ticks)
  })

  it('round-trips the bundled sample (images, OS, repairs, notes) and touched columns', async () => {
    const dir = fresh()
    await cached(SAMPLE, dir)
    const hit = await cached(SAMPLE, dir)
    expect(hit.cache.kind).toBe('hit')
    expect(hit.trace).toStrictEqual(await parsed(SAMPLE))

    // touched recorded for some VMs only, a repeated header, an out-of-order row, non-finite-free report
    const src = fresh()
    const file = path.join(src, 't.csv')
    writeFileSync(
      file,
      [
        'time,vm,demand_mib,configured_mib,touched_mib,image,os,disk_read_mibps,disk_write_mibps',
        '1000,a,10,100,20,img,linux,0.5,',
        '1300,a,11,100,21,img,linux,0,',
        '1300,b,5,50,,,windows,,2',
        '1000,b,4,50,,,windows,,1.25',
        'time,vm,demand_mib,configured_mib,touched_mib,image,os,disk_read_mibps,disk_write_mibps',
        '1600,a,120,100,22,img,linux,3,',
        '1600,b,0,0,,,windows,,0',
      ].join('\n') + '\n',
    )
    await cached(file, dir)
    const again = await cached(file, dir)
    expect(again.cache.kind).toBe('hit')
    const truth = await parsed(file)
    expect(truth.vms.some((v) => v.touched !== undefined) && truth.vms.some((v) => v.touched === undefined)).toBe(true)
    // disk read for a only, disk write for b only: each VM keeps exactly the columns it had
    expect(truth.vms.map((v) => [v.id, v.diskRead !== undefined, v.diskWrite !== undefined])).toEqual([['a', true, false], ['b', false, true]])
    expect(again.trace).toStrictEqual(truth)
    expect([...again.trace.vms[1].diskWrite!]).toEqual([1.25, 2, 0])
  })

  it.runIf(existsSync(BITBRAINS))('round-trips the real Bitbrains sample (a folder of gzipped files)', async () => {
    const dir = fresh()
    const miss = await cached(BITBRAINS, dir)
    expect(miss.cache.kind).toBe('miss')
    const hit = await cached(BITBRAINS, dir)
    expect(hit.cache.kind).toBe('hit')
    expect(hit.trace).toStrictEqual(miss.trace)
  })

  it('a truncated entry is detected and rebuilt', async () => {
    const file = await synthetic(fresh())
    const dir = fresh()
    await cached(file, dir)
    const entry = path.join(dir, entries(dir)[0])
    const size = readFileSync(entry).length
    for (const keep of [size - 1, Math.floor(size / 2), 10, 0]) {
      truncateSync(entry, keep)
      const r = await cached(file, dir)
      expect(r.cache.kind, `truncated to ${keep}`).toBe('rebuilt')
      expect(r.cache.kind === 'rebuilt' && r.cache.reason).toMatch(/^corrupt/)
      expect(r.trace).toStrictEqual(await parsed(file))
      expect((await cached(file, dir)).cache.kind).toBe('hit')
    }
  })

  it('a garbage entry, and one with a flipped bit in a column, are rebuilt', async () => {
    const file = await synthetic(fresh())
    const dir = fresh()
    await cached(file, dir)
    const entry = path.join(dir, entries(dir)[0])
    const good = readFileSync(entry)
    writeFileSync(entry, Buffer.from('not an arrow file at all, just garbage bytes '.repeat(20)))
    const garbage = await cached(file, dir)
    expect(garbage.cache.kind).toBe('rebuilt')
    expect(garbage.trace).toStrictEqual(await parsed(file))
    // garbage between valid magic numbers
    const framed = Buffer.concat([Buffer.from('ARROW1\0\0'), Buffer.alloc(500, 7), Buffer.from('ARROW1')])
    writeFileSync(entry, framed)
    expect((await cached(file, dir)).cache.kind).toBe('rebuilt')
    // one flipped bit in the middle (the column data): Arrow reads it, the checksum refuses it
    const flipped = Buffer.from(good)
    flipped[Math.floor(flipped.length / 2)] ^= 0x10
    writeFileSync(entry, flipped)
    const r = await cached(file, dir)
    expect(r.cache.kind).toBe('rebuilt')
    expect(r.cache.kind === 'rebuilt' && r.cache.reason).toMatch(/corrupt/)
    expect(r.trace).toStrictEqual(await parsed(file))
    expect(readFileSync(entry)).toEqual(good)
  })

  it('a changed source file invalidates the entry (same path, same size or not)', async () => {
    const src = fresh()
    const file = path.join(src, 's.csv')
    copyFileSync(SAMPLE, file)
    const dir = fresh()
    await cached(file, dir)
    expect((await cached(file, dir)).cache.kind).toBe('hit')
    // one digit changed, same length
    const text = readFileSync(file, 'utf8')
    const lines = text.split('\n')
    const cols = lines[1].split(',')
    cols[2] = String(Number(cols[2]) === 1 ? 2 : 1)
    lines[1] = cols.join(',')
    writeFileSync(file, lines.join('\n'))
    const changed = await cached(file, dir)
    expect(changed.cache.kind).toBe('rebuilt')
    expect(changed.cache.kind === 'rebuilt' && changed.cache.reason).toMatch(/^stale: the source files changed/)
    expect(changed.trace).toStrictEqual(await parsed(file))
    expect(entries(dir)).toHaveLength(1) // rebuilt in place, no stale entry left behind
    // a row appended
    appendFileSync(file, `${Number(cols[0]) + 300},${cols[1]},1,${cols[3]}${cols.length > 4 ? ',' + cols.slice(4).join(',') : ''}\n`)
    expect((await cached(file, dir)).cache.kind).toBe('rebuilt')
    expect((await cached(file, dir)).cache.kind).toBe('hit')
  })

  it('a file added to a trace folder invalidates it; other import options are another entry', async () => {
    const src = fresh()
    const folder = path.join(src, 'bb')
    mkdirSync(folder)
    const one = 'Timestamp [ms];\tCPU cores;\tMemory capacity provisioned [KB];\tMemory usage [KB]\n'
    writeFileSync(path.join(folder, '1.csv'), one + '1000;\t2;\t2097152;\t1048576\n1300;\t2;\t2097152;\t1148576\n')
    const dir = fresh()
    await cached(folder, dir)
    expect((await cached(folder, dir)).cache.kind).toBe('hit')
    writeFileSync(path.join(folder, '2.csv'), one + '1000;\t2;\t4194304;\t48576\n1300;\t2;\t4194304;\t48576\n')
    const r = await cached(folder, dir)
    expect(r.cache.kind).toBe('rebuilt')
    expect(r.trace.vms.map((v) => v.id)).toEqual(['1', '2'])
    const other = await cached(folder, dir, { maxGapSeconds: 0 })
    expect(other.cache.kind).toBe('miss')
    expect(entries(dir)).toHaveLength(2)
  })

  it('is off with enabled: false or MEMREPLAY_NO_CACHE=1, and follows MEMREPLAY_CACHE_DIR; writes leave no temp files', async () => {
    const file = await synthetic(fresh(), 3, 1)
    const dir = fresh()
    const off = await importTraceWithCache(file, {}, { dir, enabled: false })
    expect(off.cache.kind).toBe('off')
    expect(entries(dir)).toEqual([])
    const before = process.env.MEMREPLAY_NO_CACHE
    const beforeDir = process.env.MEMREPLAY_CACHE_DIR
    try {
      process.env.MEMREPLAY_NO_CACHE = '1'
      expect((await importTraceWithCache(file, {}, { dir })).cache.kind).toBe('off')
      delete process.env.MEMREPLAY_NO_CACHE
      const envDir = path.join(fresh(), 'nested', 'cache')
      process.env.MEMREPLAY_CACHE_DIR = envDir
      expect((await importTraceWithCache(file)).cache.kind).toBe('miss')
      expect((await importTraceWithCache(file)).cache.kind).toBe('hit')
      expect(entries(envDir).every((f) => f.endsWith('.arrow'))).toBe(true)
    } finally {
      if (before === undefined) delete process.env.MEMREPLAY_NO_CACHE
      else process.env.MEMREPLAY_NO_CACHE = before
      if (beforeDir === undefined) delete process.env.MEMREPLAY_CACHE_DIR
      else process.env.MEMREPLAY_CACHE_DIR = beforeDir
    }
  })

  it('a failed import is reported as importTrace reports it, and nothing is cached', async () => {
    const dir = fresh()
    const bad = 'test/fixtures/trace/bad-values.csv'
    const r = await importTraceCached(bad, {}, { dir })
    expect(r).toEqual(await importTrace(bad))
    expect(E.isLeft(r)).toBe(true)
    expect(entries(dir)).toEqual([])
    const missing = await importTraceWithCache(path.join(root, 'no-such-file.csv'), {}, { dir })
    expect(missing.cache.kind).toBe('bypassed')
    expect(E.isLeft(missing.result)).toBe(true)
  })

  it('reads no source file whose stat is unchanged; a touched file is rehashed once, and an edit that restores size and mtime is still seen', async () => {
    const src = fresh()
    const file = path.join(src, 's.csv')
    copyFileSync(SAMPLE, file)
    const dir = fresh()
    await cached(file, dir)
    const hit = await cached(file, dir)
    expect(hit.cache).toMatchObject({ kind: 'hit', rehashed: 0 })
    // touched: same bytes, new mtime: hashed once, then the entry holds the new stat
    const later = new Date(Date.now() + 60_000)
    utimesSync(file, later, later)
    expect((await cached(file, dir)).cache).toMatchObject({ kind: 'hit', rehashed: 1 })
    expect((await cached(file, dir)).cache).toMatchObject({ kind: 'hit', rehashed: 0 })
    // a same-size edit with the old mtime put back: ctime moved, so it is hashed and found changed
    const before = statSync(file)
    const bytes = readFileSync(file)
    const at = bytes.indexOf(0x2c, bytes.indexOf(0x0a) + 1) + 1 // first field after "time," on line 2
    bytes[at] = bytes[at] === 0x77 ? 0x78 : 0x77 // the VM name's first letter
    writeFileSync(file, bytes)
    utimesSync(file, before.atime, before.mtime)
    expect(statSync(file).size).toBe(before.size)
    const edited = await cached(file, dir)
    expect(edited.cache.kind).toBe('rebuilt')
    expect(edited.cache.kind === 'rebuilt' && edited.cache.reason).toMatch(/^stale: the source files changed/)
  })

  it('a symlinked source is keyed by its target: a changed target, or the link pointed elsewhere, is seen', async () => {
    const targets = fresh()
    const one = 'Timestamp [ms];\tCPU cores;\tMemory capacity provisioned [KB];\tMemory usage [KB]\n'
    const a = path.join(targets, 'a.csv')
    const b = path.join(targets, 'b.csv')
    writeFileSync(a, one + '1000;\t2;\t2097152;\t1048576\n1300;\t2;\t2097152;\t1148576\n')
    writeFileSync(b, one + '1000;\t2;\t4194304;\t48576\n1300;\t2;\t4194304;\t48576\n')
    const folder = path.join(fresh(), 'bb')
    mkdirSync(folder)
    symlinkSync(a, path.join(folder, '1.csv'))
    const dir = fresh()
    expect((await cached(folder, dir)).trace.vms[0].configured[0]).toBe(2048)
    expect((await cached(folder, dir)).cache.kind).toBe('hit')
    // the target changes; the link does not
    writeFileSync(a, one + '1000;\t2;\t1048576;\t1048576\n1300;\t2;\t1048576;\t48576\n')
    const changed = await cached(folder, dir)
    expect(changed.cache.kind).toBe('rebuilt')
    expect(changed.trace.vms[0].configured[0]).toBe(1024)
    // the link is pointed at another file
    unlinkSync(path.join(folder, '1.csv'))
    symlinkSync(b, path.join(folder, '1.csv'))
    const moved = await cached(folder, dir)
    expect(moved.cache.kind).toBe('rebuilt')
    expect(moved.trace.vms[0].configured[0]).toBe(4096)
  })

  it('metadata edited in place (the step, a VM id) is refused by the entry checksum and rebuilt', async () => {
    const file = await synthetic(fresh())
    const dir = fresh()
    const truth = (await cached(file, dir)).trace
    const entry = path.join(dir, entries(dir)[0])
    for (const [from, to] of [['"step":300', '"step":600'], ['"id":"web-01"', '"id":"web-99"']] as const) {
      const bytes = readFileSync(entry)
      const at = bytes.indexOf(from)
      expect(at).toBeGreaterThan(0)
      bytes.write(to, at, 'latin1')
      writeFileSync(entry, bytes)
      const r = await cached(file, dir)
      expect(r.cache.kind).toBe('rebuilt')
      expect(r.cache.kind === 'rebuilt' && r.cache.reason).toBe('corrupt: metadata does not match its checksum')
      expect(r.trace).toStrictEqual(truth)
    }
  })
})

import { describe, expect, it } from 'vitest'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { writeCanonicalCsv } from '../../src/trace/canonical.js'
import { importTrace } from '../../src/trace/import.js'
import { generateFleet } from '../../src/trace/synthetic.js'
import { generateOptions } from '../../src/cli/generate.js'

const SAMPLE = join(import.meta.dirname, '../../traces/sample/sample.csv')
const README = join(import.meta.dirname, '../../traces/sample/README.md')

/** The options of the command the README gives, parsed the way the CLI parses them. */
const readmeOptions = async () => {
  const readme = await readFile(README, 'utf8')
  const command = /npm run generate -- (.*)/.exec(readme)?.[1] ?? ''
  const arg = (name: string): string => new RegExp(`--${name} (\\S+)`).exec(command)?.[1] ?? ''
  expect(arg('out')).toBe('traces/sample/sample.csv')
  const options = generateOptions({ seed: arg('seed'), vms: arg('vms'), days: arg('days'), step: arg('step'), groups: true, out: arg('out') })
  if (E.isLeft(options)) throw new Error(options.left.join('\n'))
  return options.right
}

describe('the committed sample trace', () => {
  it('is what the README command generates, byte for byte', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'memreplay-sample-'))
    try {
      const out = join(dir, 'sample.csv')
      await writeCanonicalCsv(generateFleet(await readmeOptions()), out)
      const [fresh, committed] = await Promise.all([readFile(out), readFile(SAMPLE)])
      expect(committed.length).toBeLessThan(3_000_000)
      expect(fresh.equals(committed)).toBe(true)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('imports back to the generated trace', async () => {
    const generated = generateFleet(await readmeOptions())
    const imported = await importTrace(SAMPLE)
    if (E.isLeft(imported)) throw new Error(JSON.stringify(imported.left))
    const trace = imported.right
    expect(trace.ticks).toBe(generated.ticks)
    expect(trace.start).toBe(generated.start)
    expect(trace.vms.map((v) => v.id).sort()).toEqual(generated.vms.map((v) => v.id).sort())
    for (const vm of generated.vms) {
      const back = trace.vms.find((v) => v.id === vm.id)!
      expect(back.image).toBe(vm.image)
      expect(back.os).toBe(vm.os)
      expect([back.firstTick, back.endTick]).toEqual([vm.firstTick, vm.endTick])
      expect(Array.from(back.demand)).toEqual(Array.from(vm.demand))
      expect(Array.from(back.configured)).toEqual(Array.from(vm.configured))
    }
  })
})

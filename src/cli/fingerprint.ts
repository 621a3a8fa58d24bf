/**
 * `npm run fingerprint`: a fingerprint of each built-in policy's replay on fixed fleets (the synthetic
 * one, and the sample in traces/sample with its host and fleet), one line each. Run it before and
 * after a change meant only to be faster: the lines must not change (src/bench/fingerprint.ts).
 */
import { BUILT_IN_POLICIES } from '../../policies/index.js'
import { fingerprint, syntheticCases, type FingerprintCase } from '../bench/fingerprint.js'
import { readFleet, readHost, readTrace } from './inputs.js'

const main = async (): Promise<void> => {
  const only = process.argv.slice(2)
  const trace = await readTrace('traces/sample/sample.csv', {})
  const sample: FingerprintCase = { label: 'traces/sample', trace, host: readHost('traces/sample/host.json'), vms: readFleet(trace, 'traces/sample/fleet.json') }
  for (const c of [...syntheticCases(), sample]) {
    for (const p of BUILT_IN_POLICIES) {
      if (only.length > 0 && !only.includes(p.name)) continue
      process.stdout.write(`${fingerprint(c, p.name)}  ${p.name.padEnd(15)} ${c.label}\n`)
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`fingerprint: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})

/**
 * The fingerprint tool (npm run fingerprint) is only useful if a replay's account stream is a
 * function of its inputs: the same case twice gives the same fingerprint, and different policies
 * (different accounts) give different ones.
 */
import { describe, expect, it } from 'vitest'
import { fingerprint, syntheticCases } from '../../src/bench/fingerprint.js'

describe('fingerprint', () => {
  const [tight] = syntheticCases()
  it('is the same for the same replay, and differs between policies', () => {
    const a = fingerprint(tight, 'overcommit')
    expect(a).toMatch(/^[0-9a-f]{16}$/)
    expect(fingerprint(tight, 'overcommit')).toBe(a)
    expect(fingerprint(tight, 'static')).not.toBe(a)
  })
})

import * as path from 'node:path'
import { describe, expect, it } from 'vitest'
import { resolvePolicyRef } from '../../src/cli/resolve-policy.js'
import { REPO } from './support.js'

const builtIn = (n: string) => ['static', 'overcommit'].includes(n)

describe('a policy named on the command line', () => {
  it('a built-in name stays a name, even if policies/<name>.ts exists', () => {
    expect(resolvePolicyRef('static', builtIn, () => true, REPO)).toBe('static')
  })

  it('a bare name resolves to policies/<name>.ts, then .js, in the working directory first', () => {
    const files = new Set([path.join('/w', 'policies', 'mine.ts'), path.join('/w', 'policies', 'old.js')])
    const exists = (f: string) => files.has(f)
    expect(resolvePolicyRef('mine', builtIn, exists, '/w')).toBe('policies/mine.ts')
    expect(resolvePolicyRef('old', builtIn, exists, '/w')).toBe('policies/old.js')
  })

  it("falls back to the repository's policies/ from another directory", () => {
    const file = path.join(REPO, 'policies', 'mine.ts')
    expect(resolvePolicyRef('mine', builtIn, (f) => f === file, '/elsewhere')).toBe(file)
  })

  it('leaves an unknown name and any path as given, for the loader to refuse or load', () => {
    expect(resolvePolicyRef('hyperv', builtIn, () => false, REPO)).toBe('hyperv')
    expect(resolvePolicyRef('policies/mine.ts', builtIn, () => true, REPO)).toBe('policies/mine.ts')
    expect(resolvePolicyRef('../x', builtIn, () => true, REPO)).toBe('../x')
  })
})

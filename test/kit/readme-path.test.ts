/**
 * The path policies/README.md promises a newcomer: scaffold, edit, check, test, compare on the real
 * sample, in a few commands, run exactly as the README's quick start writes them (in a throwaway
 * copy of the repository, so nothing is left in policies/). Also: the README's minimal example runs
 * and passes the check as printed.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO, SHARED_TRACE, blockAfter, repoCopy, sh, type Copy } from './support.js'

const readme = fs.readFileSync(path.join(REPO, 'policies', 'README.md'), 'utf8')
const quickStart = blockAfter(readme, '## Quick start', 'sh')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'))

let copy: Copy
beforeAll(() => {
  copy = repoCopy()
})
afterAll(() => copy?.remove())

describe.skipIf(!fs.existsSync(SHARED_TRACE))('following policies/README.md', () => {
  it('scaffolds, edits, checks, tests and compares a new policy on the real sample', () => {
    expect(quickStart).toHaveLength(4)
    const [scaffold, check, test, compare] = quickStart
    expect(scaffold).toBe('npm run new-policy -- my-policy')

    const made = sh(scaffold, copy.root)
    expect(made.code, made.out).toBe(0)
    const file = path.join(copy.root, 'policies', 'my-policy.ts')
    expect(fs.existsSync(file)).toBe(true)
    expect(fs.existsSync(path.join(copy.root, 'policies', 'my-policy.test.ts'))).toBe(true)
    // It refuses to overwrite.
    const again = sh(scaffold, copy.root)
    expect(again.code).not.toBe(0)
    expect(again.out).toMatch(/already exists: not overwritten/)

    // The edit the README suggests: keep 10% of the host free by default.
    const src = fs.readFileSync(file, 'utf8')
    expect(src).toMatch(/MY_POLICY_DEFAULTS: MyPolicyParams = \{ headroomPercent: 0 \}/)
    fs.writeFileSync(file, src.replace('headroomPercent: 0 }', 'headroomPercent: 10 }'))

    const checked = sh(check, copy.root)
    expect(checked.code, checked.out).toBe(0)
    expect(checked.out).toMatch(/ok {4}invariants/)
    expect(checked.out).toMatch(/ok {4}purity/)
    expect(checked.out).toMatch(/ok {4}determinism/)
    expect(checked.out).toMatch(/"headroomPercent":10/)

    const tested = sh(test, copy.root)
    expect(tested.code, tested.out).toBe(0)
    expect(tested.out).toMatch(/2 passed/)

    const compared = sh(compare, copy.root)
    expect(compared.code, compared.out).toBe(0)
    expect(compared.out).toMatch(/^static\s/m)
    expect(compared.out).toMatch(/^my-policy\s/m)
    const metrics = JSON.parse(fs.readFileSync(path.join(copy.root, 'reports', 'my-policy', 'metrics.json'), 'utf8')) as {
      runs: Array<{ label: string; metrics: { vmsAdmitted: number; vmsTotal: number; hostMemoryGiB: number } }>
    }
    const byLabel = Object.fromEntries(metrics.runs.map((r) => [r.label, r.metrics]))
    expect(Object.keys(byLabel).sort()).toEqual(['my-policy', 'static'])
    expect(byLabel['my-policy'].vmsTotal).toBe(36)
    expect(byLabel['my-policy'].hostMemoryGiB).toBe(128)
    expect(byLabel['my-policy'].vmsAdmitted).toBeGreaterThan(0)
    expect(byLabel.static.vmsAdmitted).toBeGreaterThan(0)
  })
})

describe('the README', () => {
  it("minimal example runs and passes check-policy as printed", () => {
    const example = blockAfter(readme, '## A complete minimal example', 'ts')
    fs.writeFileSync(path.join(copy.root, 'policies', 'fixed-size.ts'), example)
    const r = sh('node dist/cli/main.js check-policy policies/fixed-size.ts --runs 40', copy.root)
    expect(r.code, r.out).toBe(0)
    expect(r.out).toMatch(/check-policy: fixed-size/)
  })

  it('names every field of the Decision, the Observation and the traits', () => {
    const policyTs = fs.readFileSync(path.join(REPO, 'src', 'engine', 'policy.ts'), 'utf8')
    const fieldsOf = (iface: string): string[] => {
      const body = new RegExp(`export interface ${iface} \\{([\\s\\S]*?)\\n\\}`).exec(policyTs)?.[1] ?? ''
      return [...body.matchAll(/^ {2}readonly (\w+)/gm)].map((m) => m[1])
    }
    for (const f of [...fieldsOf('Decision'), ...fieldsOf('Observation'), ...fieldsOf('PolicyTraits')]) expect(readme, f).toContain('`' + f)
  })
})

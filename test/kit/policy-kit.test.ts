/**
 * The policy kit as a newcomer uses it: a policy named by its name alone, a type error reported with
 * file and line before any conformance check, next steps that leave reports/sample alone, and --help
 * on every command.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import { nextSteps, scaffoldPolicy } from '../../src/cli/new-policy.js'
import { typeCheckPolicy } from '../../src/cli/typecheck-policy.js'
import { runCheckPolicy } from '../../src/cli/check-policy.js'
import { REPO, repoCopy, sh, type Copy } from './support.js'

let copy: Copy
beforeAll(() => {
  copy = repoCopy()
})
afterAll(() => copy?.remove())

// A declare-before-use slip: `limit` is read before its declaration (TS2448), the bug that used to
// surface only as a rule violation with no file or line.
const illTyped = (src: string): string =>
  src.replace('export const MY_POLICY_DEFAULTS', 'const early: number = limit + 1\nconst limit = 2\nexport const MY_POLICY_DEFAULTS')

describe('the policy kit', () => {
  it('scaffolds, then prints next steps that name the policy and write to reports/<name>', () => {
    const files = scaffoldPolicy('my-policy', path.join(copy.root, 'policies'))
    const text = nextSteps('my-policy', files, copy.root)
    expect(text).toContain('  npm run check-policy -- my-policy\n')
    expect(text).toContain('  npm run compare -- --sample --policies static --policy my-policy --out reports/my-policy\n')
    expect(text).not.toMatch(/reports\/sample/)
    // Elsewhere than policies/, the path is named (a bare name would not find it).
    const other = scaffoldPolicy('other-policy', path.join(copy.root, 'lab'))
    expect(nextSteps('other-policy', other, copy.root)).toContain('  npm run check-policy -- lab/other-policy.ts\n')
  })

  it('check-policy takes the name of a policy in policies/', () => {
    const r = sh('node dist/cli/main.js check-policy my-policy --runs 5 --no-sample', copy.root)
    expect(r.code, r.out).toBe(0)
    expect(r.out).toMatch(/check-policy: my-policy/)
  })

  it('compare --policy takes the name too, and the next step writes to reports/<name>', () => {
    const r = sh('node dist/cli/main.js compare --sample --policies static --policy my-policy --out reports/my-policy', copy.root)
    expect(r.code, r.out).toBe(0)
    expect(r.out).toMatch(/^my-policy\s/m)
    expect(fs.existsSync(path.join(copy.root, 'reports', 'my-policy', 'metrics.json'))).toBe(true)
    expect(fs.existsSync(path.join(copy.root, 'reports', 'sample'))).toBe(false)
  })

  it('type-checks a .ts module first, naming file, line and column, and stops', async () => {
    const file = path.join(copy.root, 'policies', 'my-policy.ts')
    fs.writeFileSync(file, illTyped(fs.readFileSync(file, 'utf8')))
    const line = fs.readFileSync(file, 'utf8').split('\n').findIndex((l) => l.startsWith('const early')) + 1
    const checked = await typeCheckPolicy(file, copy.root)
    expect(E.isRight(checked) && checked.right.some((d) => d.endsWith(`policies/my-policy.ts:${line}:23: error TS2448: Block-scoped variable 'limit' used before its declaration.`))).toBe(true)

    const r = sh('node dist/cli/main.js check-policy my-policy --runs 5 --no-sample', copy.root)
    expect(r.code, r.out).toBe(1)
    expect(r.out).toMatch(/policies\/my-policy\.ts does not type-check \(\d+ errors?; the conformance check runs once it does, or with --no-type-check\):/)
    expect(r.out).toContain(`policies/my-policy.ts:${line}:23: error TS2448: Block-scoped variable 'limit' used before its declaration.`)
    expect(r.out).not.toMatch(/invariants/)
  })

  it.each(['0x10', '+5', '1e3', '2.5', ''])('--runs "%s" is refused: a whole number is written in digits', async (runs) => {
    await expect(runCheckPolicy('static', { runs })).rejects.toThrow(`--runs: expected a whole number >= 1, found "${runs}"`)
  })

  it('a module that type-checks has no diagnostics, whatever the state of the engine', async () => {
    const checked = await typeCheckPolicy(path.join(REPO, 'src', 'cli', 'templates', 'policy.template.ts'), REPO)
    expect(checked).toEqual(E.right([]))
  })
})

describe('every command answers --help', () => {
  const scripts = (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts
  const commands = Object.entries(scripts).filter(([name, line]) => line.includes('node dist/') && name !== 'start')

  it('npm run <each command script> -- --help prints its usage', async () => {
    expect(commands.map(([name]) => name)).toContain('fingerprint')
    // Side by side: each is a process start, most of it loading modules.
    const outs = await Promise.all(
      commands.map(async ([name, line]) => {
        const args = [...line.slice(line.indexOf('node dist/')).split(' ').slice(1), '--help']
        const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: REPO, env: { ...process.env, NO_COLOR: '1' } })
        return [name, stdout] as const
      }),
    )
    for (const [name, stdout] of outs) {
      expect(stdout, name).toMatch(/^Usage: /)
      expect(stdout.length, name).toBeGreaterThan(150)
    }
  })

  it('compare and plan state the units and the host defaults', async () => {
    for (const sub of ['compare', 'plan']) {
      const { stdout } = await promisify(execFile)(process.execPath, ['dist/cli/main.js', sub, '--help'], { cwd: REPO })
      expect(stdout.replace(/\s+/g, ' ')).toContain(
        'Sizes need a unit: B, KiB, MiB, GiB, TiB, KB, MB, GB, TB, in any case (e.g. 128GiB; a bare 128 is refused). A host given as a size gets the defaults a host spec gets when it leaves them out: reserve 2 GiB, vmOverhead 64 MiB per VM.',
      )
    }
  })
})

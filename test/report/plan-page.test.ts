/**
 * The plan's page in headless Chromium (file://, no network), on a plan of the bundled sample made
 * in-process: the verdict comes first with one line per policy, as in plan.json, naming each
 * policy and its answer; both charts are drawn (and their static SVGs show with scripts off);
 * tooltips answer on a point; nothing leaves the page, no console error.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runPlan } from '../../src/cli/plan.js'
import { SAMPLE } from '../../src/cli/sample.js'
import { prefixSvgIds } from '../../src/report/capacity.js'
import { hasChromium, launchChromium, watchPage } from '../support/browser.js'

let root: string
let out: string
let plan: { verdict: string[]; plans: Array<{ policy: string; met: boolean; hostsTotal: number | null }> }
let browser: Browser | undefined

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'memreplay-plan-page-'))
  out = path.join(root, 'plan')
  await runPlan({ trace: SAMPLE.trace, host: SAMPLE.host, fleet: SAMPLE.fleet, policies: 'static,dynamic-memory,kvm-mom', spareHosts: '1', out, quiet: true })
  plan = JSON.parse(readFileSync(path.join(out, 'plan.json'), 'utf8'))
  if (hasChromium) browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  rmSync(root, { recursive: true, force: true })
})

describe('plan page', () => {
  it('inlines each chart\'s SVG with ids of its own (two charts share no clip path)', () => {
    expect(prefixSvgIds('<clipPath id="r1"/><g clip-path="url(#r1)"/><use href="#r1"/>', 'violations')).toBe(
      '<clipPath id="violations-r1"/><g clip-path="url(#violations-r1)"/><use href="#violations-r1"/>',
    )
    const html = readFileSync(path.join(out, 'index.html'), 'utf8')
    const ids = [...html.replace(/<script[\s\S]*?<\/script>/g, '').matchAll(/\sid="([^"]+)"/g)].map((m) => m[1])
    expect(new Set(ids).size).toBe(ids.length)
  })
})

describe.skipIf(!hasChromium)('plan page in a browser', () => {
  it('opens with the verdict per policy, draws both charts offline, and tooltips answer on a point', async () => {
    if (browser === undefined) throw new Error('no browser')
    const page = await browser.newPage()
    const pageUrl = pathToFileURL(path.join(out, 'index.html')).href
    const { consoleErrors, pageErrors, foreignRequests, dialogs } = watchPage(page, pageUrl)
    await page.goto(pageUrl, { waitUntil: 'load' })
    await page.waitForSelector('body[data-charts="done"]', { timeout: 60_000 })

    // The verdict: the first section, one line per policy, the lines of plan.json.
    expect((await page.locator('h2').allInnerTexts())[0]).toBe('Verdict')
    const lines = await page.locator('h2:text-is("Verdict") + ul > li').allInnerTexts()
    expect(lines).toEqual(plan.verdict)
    expect(lines.map((l) => /^policy (\S+):/.exec(l)?.[1])).toEqual(['static', 'dynamic-memory', 'kvm-mom'])
    for (const p of plan.plans) {
      const line = lines.find((l) => l.startsWith(`policy ${p.policy}:`)) as string
      if (p.met) expect(line).toMatch(new RegExp(`= ${p.hostsTotal}; growth x1; headroom 0%$`))
      else expect(line).toContain('no answer:')
    }
    expect(plan.plans.some((p) => p.met)).toBe(true)

    for (const id of ['violations', 'density-risk']) {
      expect(await page.getAttribute(`#chart-${id}`, 'data-rendered'), id).toBe('true')
      expect(await page.locator(`#chart-${id} svg`).count(), id).toBe(1)
      expect(await page.locator(`#chart-${id} svg g.mark-symbol.role-mark path`).count(), id).toBeGreaterThan(0)
    }

    // A point of the violations chart answers with its policy, host count and what broke.
    const tooltip = page.locator('#vg-tooltip-element')
    await page.locator('#chart-violations svg g.mark-symbol.role-mark path').first().hover({ force: true })
    await page.waitForSelector('#vg-tooltip-element.visible', { timeout: 10_000 })
    const tip = await tooltip.innerText()
    expect(tip).toMatch(/policy\s*(dynamic-memory|kvm-mom)/)
    expect(tip).toMatch(/hosts\s*\d+/)
    expect(tip).toMatch(/violations\s*(meets the service level|.*> )/)
    await page.mouse.move(0, 0)
    await page.locator('#chart-density-risk svg g.mark-symbol.role-mark path').first().hover({ force: true })
    await page.waitForSelector('#vg-tooltip-element.visible', { timeout: 10_000 })
    expect(await tooltip.innerText()).toMatch(/density\s*[\d.]+/)

    expect(dialogs).toEqual([])
    expect(pageErrors).toEqual([])
    expect(consoleErrors).toEqual([])
    expect(foreignRequests).toEqual([])
    await page.close()
  })

  it('shows the static charts and the verdict with scripts off', async () => {
    if (browser === undefined) throw new Error('no browser')
    const context = await browser.newContext({ javaScriptEnabled: false })
    const page = await context.newPage()
    await page.goto(pathToFileURL(path.join(out, 'index.html')).href, { waitUntil: 'load' })
    for (const id of ['violations', 'density-risk']) {
      expect(await page.getAttribute(`#chart-${id}`, 'data-rendered'), id).toBeNull()
      expect(await page.locator(`#chart-${id} svg path`).count(), id).toBeGreaterThan(0)
    }
    expect(await page.locator('h2:text-is("Verdict") + ul > li').allInnerTexts()).toEqual(plan.verdict)
    await context.close()
  })
})

/**
 * Opens the written index.html in headless Chromium (file://, no network) and checks that every
 * chart drew marks, nothing was requested from outside, no console error, and the hostile VM names
 * show as text (no element injected, no dialog); that the verdict opens the page and names the
 * winner, the host capacity rule is drawn, and tooltips answer on time-series marks.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeReportFiles } from '../../src/report/files.js'
import { EVIL_VM, fixtureInput, SCRIPT_VM } from './fixture.js'
import { hasChromium, launchChromium, watchPage } from '../support/browser.js'
const CHARTS = ['key-metrics', 'host-memory', 'shortfall', 'heatmap', 'slowdown-distribution']

let root: string
let browser: Browser | undefined

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'memreplay-browser-'))
  await writeReportFiles(path.join(root, 'report'), fixtureInput())
  if (hasChromium) browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  rmSync(root, { recursive: true, force: true })
})

describe.skipIf(!hasChromium)('index.html in a browser', () => {
  it('draws every chart offline, safely', async () => {
    if (browser === undefined) throw new Error('no browser')
    const page = await browser.newPage()
    const pageUrl = pathToFileURL(path.join(root, 'report', 'index.html')).href
    const { consoleErrors, pageErrors, foreignRequests, dialogs } = watchPage(page, pageUrl)
    const seen: string[] = []
    page.on('request', (r) => seen.push(r.url()))

    await page.goto(pageUrl, { waitUntil: 'load' })
    await page.waitForSelector('body[data-charts="done"]', { timeout: 60_000 })

    for (const id of CHARTS) {
      const state = await page.getAttribute(`#chart-${id}`, 'data-rendered')
      expect(state, id).toBe('true')
      // data marks only (legends and axes have other roles)
      const marks = await page.locator(`#chart-${id} svg g.role-mark path`).count()
      expect(marks, `${id} marks`).toBeGreaterThan(0)
      const texts = await page.locator(`#chart-${id} svg text`).count()
      expect(texts, `${id} text`).toBeGreaterThan(0)
    }
    // the heatmap draws one rect per (run, VM, bucket) that ran: 3 + 4 + 4 VMs x 50 buckets
    expect(await page.locator('#chart-heatmap svg g.mark-rect.role-mark path').count()).toBe(11 * 50)

    // hostile names are visible as text, nothing was injected
    const bodyText = await page.locator('body').innerText()
    expect(bodyText).toContain(EVIL_VM)
    expect(bodyText).toContain(SCRIPT_VM)
    expect(await page.locator('img').count()).toBe(0)
    expect(await page.locator('script').count()).toBe(5)
    const tableCells = await page.locator('table.vms td', { hasText: EVIL_VM }).count()
    expect(tableCells).toBeGreaterThan(0)
    const heatLabels = await page.locator('#chart-heatmap svg text').allTextContents()
    expect(heatLabels.some((t) => t.startsWith('<img src=x'))).toBe(true)
    expect(await page.title()).toBe('Fixture comparison <script>alert(3)</script>')

    // the verdict comes first and names the winner (the fixture's static refuses a VM, esx stopped)
    const verdict = page.locator('#verdict-text')
    expect(await verdict.getAttribute('data-winner')).toBe('hyperv-dm')
    expect(await verdict.innerText()).toMatch(/^hyperv-dm serves the fleet best on this 64\.0 GiB host/)
    const order = await page.locator('section').evaluateAll((els) => els.map((e) => e.id))
    expect(order[0]).toBe('verdict')

    // the host capacity is drawn as a rule in every panel of the host-memory chart
    expect(await page.locator('#chart-host-memory svg g.mark-rule.role-mark line').count()).toBe(3)

    // tooltips answer on time-series marks: a shortfall point, and anywhere in a host-memory panel
    const tooltip = page.locator('#vg-tooltip-element')
    await page.locator('#chart-shortfall svg g.mark-symbol.role-mark path').nth(70).hover({ force: true })
    await page.waitForSelector('#vg-tooltip-element.visible', { timeout: 10_000 })
    const shortTip = await tooltip.innerText()
    expect(shortTip).toMatch(/hyperv-dm|esx|static/)
    expect(shortTip).toContain('time (UTC)')
    expect(shortTip).toContain('shortfall, GiB (bucket mean)')
    await page.mouse.move(0, 0)
    await page.locator('#chart-host-memory svg g.mark-rect.role-mark path').nth(60).hover({ force: true })
    await page.locator('#vg-tooltip-element', { hasText: 'Resident working set' }).waitFor({ timeout: 10_000 })
    const hostTip = await tooltip.innerText()
    expect(hostTip).toContain('hyperv-dm')
    expect(hostTip).toMatch(/2013-08-1\d \d\d:\d\d/)

    expect(dialogs).toEqual([])
    expect(pageErrors).toEqual([])
    expect(consoleErrors).toEqual([])
    expect(foreignRequests).toEqual([])
    expect(seen).toContain(pageUrl) // the listener did see requests
    await page.close()
  })
})

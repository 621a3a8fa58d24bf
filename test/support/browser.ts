/**
 * Debian's chromium through playwright-core, as the project's browser tests drive it: headless, no
 * sandbox (root in CI), and no background networking (the machine's network is closed).
 */
import { existsSync } from 'node:fs'
import { chromium, type Browser, type Page } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'
export const hasChromium = existsSync(CHROMIUM)

export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })

export interface PageWatch {
  readonly consoleErrors: string[]
  readonly pageErrors: string[]
  readonly foreignRequests: string[]
  readonly dialogs: string[]
}

/** Record what a page does that a report page must never do. */
export const watchPage = (page: Page, pageUrl: string): PageWatch => {
  const w: PageWatch = { consoleErrors: [], pageErrors: [], foreignRequests: [], dialogs: [] }
  page.on('console', (m) => {
    if (m.type() === 'error') w.consoleErrors.push(m.text())
  })
  page.on('pageerror', (e) => w.pageErrors.push(String(e)))
  page.on('request', (r) => {
    const url = r.url()
    if (url !== pageUrl && !url.startsWith('data:')) w.foreignRequests.push(url)
  })
  page.on('dialog', (d) => {
    w.dialogs.push(d.message())
    void d.dismiss()
  })
  return w
}

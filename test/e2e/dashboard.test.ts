/**
 * The dashboard in a real browser: `volumer run` (embedded: in-process log, PGlite, generator)
 * as a child process on a free port with a temp data dir, Debian's chromium driven by
 * playwright-core. Checks the screener renders and updates live, sorts server-side, opens a
 * token page with every window and a drawn chart, survives a dropped socket and resyncs after a
 * sequence gap, and that the page logs no console error. Screenshots go to test/artifacts/.
 *
 * Needs /usr/bin/chromium (apt package `chromium`); skipped with a message when it is absent.
 */
import { expect } from 'chai'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'

const CHROMIUM = '/usr/bin/chromium'
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const ARTIFACTS = join(ROOT, 'test', 'artifacts')

/**
 * rows of the screener as "key|price|change|volume|txns", in order. (No named helper inside
 * the callback: tsx compiles it with a `__name` wrapper that does not exist in the page.)
 */
async function listSnapshot (page: Page): Promise<string[]> {
  return await page.$$eval('#top-rows tr', trs => trs.map(tr => [tr.getAttribute('data-key'),
    ...['price', 'change', 'volume', 'txns'].map(c => tr.querySelector(`[data-col="${c}"]`)?.textContent ?? '')].join('|')))
}

/** polls `probe` until it returns a truthy value; fails with `what` after timeoutMs */
async function eventually<T> (probe: () => Promise<T | null | false | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (v !== false && v !== null && v !== undefined) return v as T
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 200))
  }
}

describe('dashboard in chromium (volumer run)', function () {
  this.timeout(120_000)
  let child: ChildProcess | undefined
  let childExit: Promise<void> | undefined
  let childOutput = ''
  let dataDir: string | undefined
  let browser: Browser | undefined
  let page: Page
  let base = ''
  const consoleErrors: string[] = []

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`    skipped: ${CHROMIUM} not found (apt-get install chromium)`)
      this.skip()
    }
    dataDir = mkdtempSync(join(tmpdir(), 'volumer-dashboard-'))
    // --port 0: the system picks a free port and prints it, so parallel runs never collide;
    // few tokens at a brisk rate, so the top rows change every second
    const proc = spawn(process.execPath, [join(ROOT, 'bin', 'volumer.js'), 'run', '--port', '0', '--data', dataDir,
      '--rate', '300', '--tokens', '150', '--log-level', 'warn'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    child = proc
    childExit = new Promise(resolve => proc.once('exit', () => resolve()))
    proc.stderr?.on('data', (d: Buffer) => { childOutput += d.toString() })
    base = await new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: proc.stdout! })
      lines.on('line', line => {
        childOutput += line + '\n'
        const m = /Dashboard:\s+(http:\/\/\S+)/.exec(line)
        if (m !== null) resolve(m[1])
      })
      proc.once('exit', code => reject(new Error(`volumer run exited (${String(code)}) before serving:\n${childOutput}`)))
    })
    await eventually(async () => {
      try { return (await fetch(new URL('readyz', base))).ok } catch { return false }
    }, 'the edge to be ready', 30_000)
    browser = await chromium.launch({ executablePath: CHROMIUM })
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    page.on('console', msg => { if (msg.type() === 'error') consoleErrors.push(msg.text()) })
    page.on('pageerror', err => { consoleErrors.push('uncaught: ' + err.message) })
    mkdirSync(ARTIFACTS, { recursive: true })
  })

  after(async () => {
    await browser?.close().catch(() => {})
    if (child !== undefined && child.exitCode === null) {
      child.kill('SIGTERM')
      const killer = setTimeout(() => child?.kill('SIGKILL'), 10_000)
      await childExit
      clearTimeout(killer)
    }
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true })
  })

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && page !== undefined) {
      void page.screenshot({ path: join(ARTIFACTS, 'dashboard-failure.png'), fullPage: true }).catch(() => {})
    }
  })

  it('renders the top list and it updates live', async () => {
    await page.goto(base)
    await page.waitForSelector('#status[data-state="live"]', { timeout: 15_000 })
    await eventually(async () => (await page.$$('#top-rows tr')).length >= 5, 'at least 5 rows')
    const before = await listSnapshot(page)
    expect(before[0].split('|')[1]).to.not.equal('—', 'the top row shows a price')
    // a row's numbers or the order change as swaps arrive (300/s over 150 tokens)
    const after = await eventually(async () => {
      const now = await listSnapshot(page)
      return now.join('\n') !== before.join('\n') ? now : null
    }, 'the list to change')
    expect(after).to.not.deep.equal(before)
    expect(await page.textContent('#list-freshness')).to.match(/as of \d\d:\d\d:\d\d \(\d+(\.\d)? s ago\)/)
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-list.png') })
  })

  it('sorts server-side when a column header is clicked, and keeps it in the URL', async () => {
    await page.click('button.sort[data-stat="txns"]')
    await eventually(async () => await page.getAttribute('th[data-col="txns"]', 'aria-sort') === 'descending', 'aria-sort on Txns')
    expect(page.url()).to.contain('stat=txns')
    const txns = await eventually(async () => {
      const values = await page.$$eval('#top-rows [data-col="txns"]', tds => tds.map(td => Number((td.textContent ?? '').replace(/,/g, ''))))
      // the snapshot of the new list replaces the rows; the ranked values must be non-increasing
      return values.length >= 5 && values.every((v, i) => i === 0 || v <= values[i - 1]) ? values : null
    }, 'rows ranked by txns')
    expect(txns[0]).to.be.greaterThan(0)
    await page.selectOption('#window', '1m')
    await eventually(async () => page.url().includes('window=1m'), 'window=1m in the URL')
  })

  it('opens a token page with every window, a drawn chart and freshness', async () => {
    const key = await page.getAttribute('#top-rows tr:first-child', 'data-key')
    expect(key).to.be.a('string')
    await page.click('#top-rows tr:first-child th[data-col="token"] a')
    await eventually(async () => page.url().includes('#/token/'), 'the token route')
    await page.waitForSelector('#windows-table tbody td', { timeout: 15_000 })
    const windows = await page.$$eval('#windows-table thead th', ths => ths.slice(1).map(th => th.textContent))
    expect(windows).to.deep.equal(['1m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '24h'])
    const fields = await page.$$eval('#windows-table tbody tr', trs => trs.map(tr => tr.getAttribute('data-field')))
    expect(fields).to.include.members(['from', 'to', 'volumeUsd', 'buyVolumeUsd', 'sellVolumeUsd', 'volume', 'buyVolume', 'sellVolume',
      'txns', 'buys', 'sells', 'traders', 'buyers', 'sellers', 'open', 'close', 'high', 'low', 'priceChangePct', 'vwap'])
    expect(await page.textContent('#token-title')).to.contain(key!.slice(key!.indexOf(':') + 1))
    expect(await page.textContent('#token-price')).to.not.equal('—')
    await eventually(async () => /ago\)$/.test(await page.textContent('#token-asof') ?? ''), 'asOf freshness')
    // both canvases have drawn pixels (not just a blank backing store)
    for (const id of ['price-chart', 'window-chart']) {
      const painted = await eventually(async () => await page.$eval(`#${id}`, (c) => {
        const canvas = c as HTMLCanvasElement
        const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data
        let n = 0
        for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) n++
        return n > 200 ? n : null
      }), `pixels on #${id}`)
      expect(painted).to.be.greaterThan(200)
    }
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-token.png'), fullPage: true })
    await page.click('nav.crumbs a')
    await page.waitForSelector('#top-rows tr', { timeout: 15_000 })
    expect(page.url()).to.contain('stat=txns')
  })

  it('reconnects after a dropped socket and resyncs after a sequence gap', async () => {
    await page.evaluate(() => (window as any).volumerDashboard.feed.dropConnection())
    await eventually(async () => await page.evaluate(() => (window as any).volumerDashboard.feed.stats.reconnects) >= 1, 'a reconnect')
    await page.waitForSelector('#status[data-state="live"]', { timeout: 15_000 })
    const resumed = await listSnapshot(page)
    await eventually(async () => (await listSnapshot(page)).join('\n') !== resumed.join('\n'), 'updates after the reconnect')
    // an update that skips sequence numbers: the client must resubscribe and get a fresh snapshot
    const subId = 'top:txns:1m:desc:50:'
    await page.evaluate((sub) => {
      (window as any).volumerDashboard.feed.inject(JSON.stringify({ type: 'update', sub, seq: 1_000_000, data: { items: [] } }))
    }, subId)
    expect(await page.evaluate(() => (window as any).volumerDashboard.feed.stats.gaps)).to.equal(1)
    // the bogus (empty) list must not have been shown, and the resynced list keeps updating
    expect((await page.$$('#top-rows tr')).length).to.be.greaterThan(0)
    await eventually(async () => /1 gap resynced/.test(await page.textContent('#status') ?? ''), 'the gap in the status line')
    const before = await listSnapshot(page)
    await eventually(async () => (await listSnapshot(page)).join('\n') !== before.join('\n'), 'updates after the resync')
  })

  it('logged no console errors', () => {
    expect(consoleErrors, consoleErrors.join('\n')).to.deep.equal([])
  })
})

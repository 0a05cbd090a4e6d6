/**
 * The dashboard in a real browser: `volumer run` (embedded: in-process log, PGlite) replaying
 * the shipped sample (real Ethereum swaps at 10× speed, with its token metadata) as a child
 * process on a free port with a temp data dir, Debian's chromium driven by playwright-core.
 * Checks the screener shows names and symbols and updates live, sorts server-side, the search
 * box finds a token by its symbol (one debounced request), the token page's title, windows,
 * previous-window changes, and its candle chart: lightweight-charts drawn with the candles the
 * HTTP endpoint serves, the interval picker, live candles over the WebSocket, a refetch after a
 * sequence gap; then a dropped socket and a gap on the list; and that the page logs no console
 * error. Screenshots go to test/artifacts/ (and to docs/images/ with
 * VOLUMER_TEST_DOCS_SCREENSHOTS=1, for docs/dashboard.md).
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
import { ETHEREUM_SAMPLE } from '../helpers/sample-data.js'

const CHROMIUM = '/usr/bin/chromium'
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const ARTIFACTS = join(ROOT, 'test', 'artifacts')
const DOC_IMAGES = process.env.VOLUMER_TEST_DOCS_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'images') : null
// the sample's most traded token with metadata (1,127 of its 9,842 swaps) and one it has no name for
const WETH = 'ethereum:0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2'
// 5s first: at 10× speed a 5 s candle holds 50 s of the sample, so the chart fills in seconds
const CANDLE_INTERVALS = '5s,1m,5m,15m,1h,4h,1d'

/** what the token page's chart holds: lightweight-charts' own series data and our counters */
interface ChartState { interval: string, fetches: number, liveCandles: number, resyncs: number, error: string | null, bars: Array<{ time: number, open: number, high: number, low: number, close: number }> }

async function chartState (page: Page): Promise<ChartState> {
  return await page.evaluate(() => {
    const c = (window as any).volumerDashboard.chart
    return { interval: c.interval, fetches: c.fetches, liveCandles: c.liveCandles, resyncs: c.resyncs, error: c.error, bars: c.series === undefined ? [] : [...c.series.data()] }
  })
}

async function shot (page: Page, name: string, fullPage = false): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, name), fullPage })
  if (DOC_IMAGES !== null) { mkdirSync(DOC_IMAGES, { recursive: true }); await page.screenshot({ path: join(DOC_IMAGES, name), fullPage }) }
}

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
    // the sample at 10× (~30 swaps/s over 5.5 min), so the top rows change every second; run
    // --replay of the shipped sample loads its token metadata (names and symbols) first
    const proc = spawn(process.execPath, [join(ROOT, 'bin', 'volumer.js'), 'run', '--port', '0', '--data', dataDir,
      '--replay', ETHEREUM_SAMPLE, '--replay-speed', '10', '--candle-intervals', CANDLE_INTERVALS, '--log-level', 'warn'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
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

  it('renders the top list with names and symbols, and it updates live', async () => {
    await page.goto(base)
    await page.waitForSelector('#status[data-state="live"]', { timeout: 15_000 })
    await eventually(async () => (await page.$$('#top-rows tr')).length >= 5, 'at least 5 rows')
    // a token with metadata is shown by its symbol and name, one without by its short address
    const weth = await eventually(async () => await page.$(`#top-rows tr[data-key="${WETH}"] th[data-col="token"] a`), 'WETH in the top list')
    expect(await weth.$eval('.sym', n => n.textContent)).to.equal('WETH')
    expect(await weth.$eval('.name', n => n.textContent)).to.equal('Wrapped Ether')
    expect(await weth.getAttribute('title')).to.equal(WETH)
    const unnamed = await eventually(async () => {
      const labels = await page.$$eval('#top-rows th[data-col="token"] a:not(.named)', as => as.map(a => a.textContent ?? ''))
      return labels.length > 0 ? labels : null
    }, 'a token without metadata')
    expect(unnamed[0]).to.match(/^0x[0-9a-f]{4}…[0-9a-f]{4}$/)
    const before = await listSnapshot(page)
    expect(before[0].split('|')[1]).to.not.equal('—', 'the top row shows a price')
    // a row's numbers or the order change as swaps arrive (~30/s)
    const after = await eventually(async () => {
      const now = await listSnapshot(page)
      return now.join('\n') !== before.join('\n') ? now : null
    }, 'the list to change')
    expect(after).to.not.deep.equal(before)
    expect(await page.textContent('#list-freshness')).to.match(/as of \d\d:\d\d:\d\d \(\d+(\.\d)? s ago\)/)
    await shot(page, 'dashboard-list.png')
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

  it('finds a token by its symbol in the search box (one debounced request) and opens its page', async () => {
    const searches: string[] = []
    const onRequest = (r: { url: () => string }): void => { if (r.url().includes('/v1/search?')) searches.push(r.url()) }
    page.on('request', onRequest)
    try {
      // typed faster than the debounce: one request, for the whole word
      await page.locator('#search-input').pressSequentially('weth', { delay: 40 })
      const first = await eventually(async () => await page.$('#search-results li[role="option"]:first-child'), 'search results')
      expect(await first.getAttribute('data-key')).to.equal(WETH)
      expect(await first.$eval('.sym', n => n.textContent)).to.equal('WETH')
      expect(await first.$eval('.name', n => n.textContent)).to.equal('Wrapped Ether')
      expect(await page.getAttribute('#search-input', 'aria-expanded')).to.equal('true')
      expect(searches.map(u => new URL(u).searchParams.get('q'))).to.deep.equal(['weth'])
      await page.keyboard.press('ArrowDown')
      expect(await page.getAttribute('#search-input', 'aria-activedescendant')).to.equal('search-opt-0')
      await page.keyboard.press('Enter')
      await eventually(async () => page.url().endsWith('#/token/ethereum/0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2'), 'the token route')
      expect(await page.isHidden('#search-results')).to.equal(true)
    } finally {
      page.off('request', onRequest)
    }
  })

  it('shows the token page: name, symbol, address, every window and the previous-window change when served', async () => {
    await page.waitForSelector('#windows-table tbody td', { timeout: 15_000 })
    const windows = await page.$$eval('#windows-table thead th', ths => ths.slice(1).map(th => th.textContent))
    expect(windows).to.deep.equal(['1m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '24h'])
    const fields = await page.$$eval('#windows-table tbody tr', trs => trs.map(tr => tr.getAttribute('data-field')))
    expect(fields).to.include.members(['from', 'to', 'volumeUsd', 'buyVolumeUsd', 'sellVolumeUsd', 'volume', 'buyVolume', 'sellVolume',
      'txns', 'buys', 'sells', 'traders', 'buyers', 'sellers', 'open', 'close', 'high', 'low', 'priceChangePct', 'vwap'])
    await eventually(async () => await page.textContent('#token-symbol') === 'WETH', 'the symbol in the title')
    expect(await page.textContent('#token-name')).to.equal('Wrapped Ether')
    expect(await page.textContent('#token-address')).to.equal(WETH.slice('ethereum:'.length))
    expect(await page.title()).to.equal('Volumer · WETH Wrapped Ether · ethereum')
    expect(await page.textContent('#token-price')).to.not.equal('—')
    await eventually(async () => /ago\)$/.test(await page.textContent('#token-asof') ?? ''), 'asOf freshness')
    // this edge serves no previous window (issue #22 §2 not built): no change is shown
    expect(await page.$$('#windows-table .chg')).to.have.length(0)
    // a window object that carries changePct (the shape §2 specifies) shows it beside the value:
    // the current stats object with changePct added to 5m, fed to the page as a fresh snapshot
    // (the next real update is then a sequence gap, and the resync puts the served numbers back)
    const shown = await page.evaluate(async (key) => {
      const [chain, token] = key.split(':')
      const stats = await (await fetch(`v1/tokens/${chain}/${token}`)).json()
      stats.windows['5m'].changePct = { volumeUsd: 12.5, txns: null, traders: -3 }
      const dash = (window as any).volumerDashboard
      dash.feed.inject(JSON.stringify({ type: 'snapshot', sub: 'token:' + key, seq: 1, rev: 0, data: stats }))
      return ['volumeUsd', 'txns', 'traders'].map(f => {
        const row = document.querySelector(`#windows-table tr[data-field="${f}"]`)
        const chg = row?.querySelector('td[data-window="5m"] .chg')
        return [f, chg?.textContent ?? null, chg?.className ?? null, row?.querySelector('td[data-window="1m"] .chg') === null ? 'none' : 'some']
      })
    }, WETH)
    expect(shown).to.deep.equal([
      ['volumeUsd', '+12.50%', 'chg up', 'none'],
      ['txns', '—', 'chg flat', 'none'],
      ['traders', '−3.00%', 'chg down', 'none']
    ])
    await eventually(async () => (await page.$$('#windows-table .chg')).length === 0, 'the served numbers back after the resync')
  })

  it('draws the candle chart with lightweight-charts from the candles the edge serves', async () => {
    await page.waitForSelector('#candle-chart canvas', { timeout: 15_000 })
    expect(await page.getAttribute('button.interval[data-interval="1m"]', 'aria-pressed')).to.equal('true')
    const buttons = await page.$$eval('button.interval', bs => bs.map(b => b.textContent))
    expect(buttons).to.deep.equal(CANDLE_INTERVALS.split(','))
    const state = await eventually(async () => { const c = await chartState(page); return c.bars.length > 0 ? c : null }, 'candles in the series')
    expect(state.error).to.equal(null)
    expect(state.interval).to.equal('1m')
    // every candle the HTTP endpoint serves is in the chart's series, OHLC as served
    const served = await (await fetch(new URL(`v1/tokens/ethereum/${WETH.slice(9)}/candles?interval=1m`, base))).json() as { candles: Array<{ start: string, open: number, high: number, low: number, close: number, txns: number }> }
    expect(served.candles.length).to.be.greaterThan(0)
    const bars = new Map((await chartState(page)).bars.map(b => [b.time, b]))
    for (const c of served.candles.slice(0, -1)) { // the newest may have moved on since
      expect(bars.get(Date.parse(c.start) / 1000), c.start).to.deep.equal({ time: Date.parse(c.start) / 1000, open: c.open, high: c.high, low: c.low, close: c.close })
    }
    expect(bars.has(Date.parse(served.candles[served.candles.length - 1].start) / 1000)).to.equal(true)
    expect(await page.textContent('#candle-legend')).to.match(/O \S+ H \S+ L \S+ C \S+ Vol \$\S+ Txns \d+/)
  })

  it('switches the interval with the picker and updates the open candle live over the WebSocket', async () => {
    const before = await chartState(page)
    await page.click('button.interval[data-interval="5s"]')
    expect(await page.getAttribute('button.interval[data-interval="5s"]', 'aria-pressed')).to.equal('true')
    expect(await page.getAttribute('button.interval[data-interval="1m"]', 'aria-pressed')).to.equal('false')
    const loaded = await eventually(async () => {
      const c = await chartState(page)
      return c.interval === '5s' && c.fetches === before.fetches + 1 && c.bars.length >= 3 ? c : null
    }, 'three 5 s candles', 30_000)
    for (const b of loaded.bars) expect(b.time % 5, 'a 5 s candle starts at a multiple of 5 s').to.equal(0)
    // the open candle changes (or a new one opens) as swaps arrive: pushed, not refetched
    const last = loaded.bars[loaded.bars.length - 1]
    const legend = await page.textContent('#candle-legend')
    const moved = await eventually(async () => {
      const c = await chartState(page)
      const now = c.bars[c.bars.length - 1]
      return c.liveCandles > loaded.liveCandles && (now.time > last.time || now.close !== last.close || now.high !== last.high || now.low !== last.low) ? c : null
    }, 'a live candle update', 30_000)
    expect(moved.fetches).to.equal(loaded.fetches)
    await eventually(async () => await page.textContent('#candle-legend') !== legend, 'the legend to follow the open candle')
    // candles are drawn: pixels of the up/down colours on the chart's pane (its largest canvases)
    const coloured = await page.$$eval('#candle-chart canvas', cs => {
      const canvases = cs as HTMLCanvasElement[]
      const max = Math.max(...canvases.map(c => c.width * c.height))
      let n = 0
      for (const c of canvases.filter(c => c.width * c.height === max)) {
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data
        for (let i = 0; i < d.length; i += 4) {
          if ((d[i] === 47 && d[i + 1] === 191 && d[i + 2] === 113) || (d[i] === 240 && d[i + 1] === 97 && d[i + 2] === 109)) n++
        }
      }
      return n
    })
    expect(coloured).to.be.greaterThan(100)
    // a late swap's correction of an older candle, pushed in sequence: that bar changes in
    // place (the library's historical update); a candle for a period that had none is drawn too
    const corrected = await page.evaluate(async ({ key, sub }) => {
      const dash = (window as any).volumerDashboard
      const [chain, token] = key.split(':')
      const served = (await (await fetch(`v1/tokens/${chain}/${token}/candles?interval=5s`)).json()).candles
      const old = served[served.length - 3]
      const bumped = { ...old, high: old.high * 1.5, txns: old.txns + 1 }
      const start = Date.parse(served[0].start) - 5000
      const inserted = { ...served[0], start: new Date(start).toISOString(), end: new Date(start + 5000).toISOString(), txns: 1 }
      dash.feed.inject(JSON.stringify({ type: 'update', sub, seq: dash.feed.nextSeq(sub), data: [inserted, bumped] }))
      const bars = dash.chart.series.data()
      return {
        bumped: bars.find((b: any) => b.time === Date.parse(old.start) / 1000)?.high === bumped.high,
        inserted: bars.some((b: any) => b.time === start / 1000),
        sorted: bars.every((b: any, i: number) => i === 0 || b.time > bars[i - 1].time),
        resyncs: dash.chart.resyncs,
        insertedAt: start / 1000
      }
    }, { key: WETH, sub: `candles:${WETH}:5s` })
    expect(corrected).to.deep.include({ bumped: true, inserted: true, sorted: true, resyncs: 0 })
    // the forged update took the seq of the next real one, which therefore arrives as a gap:
    // resubscribed, and the history fetched again (the forged candles go)
    await eventually(async () => { const c = await chartState(page); return c.resyncs === 1 && c.fetches === moved.fetches + 1 ? c : null }, 'a refetch after the shifted sequence', 30_000)
    // and an explicit sequence gap on the candle feed does the same
    await page.evaluate((sub) => {
      (window as any).volumerDashboard.feed.inject(JSON.stringify({ type: 'update', sub, seq: 1_000_000, data: [] }))
    }, `candles:${WETH}:5s`)
    const resynced = await eventually(async () => { const c = await chartState(page); return c.resyncs === 2 && c.fetches === moved.fetches + 2 ? c : null }, 'a refetch after the gap')
    expect(resynced.bars.some(b => b.time === corrected.insertedAt), 'the forged candle is gone').to.equal(false)
    await eventually(async () => (await chartState(page)).liveCandles > resynced.liveCandles, 'live candles after the resync', 30_000)
    await shot(page, 'dashboard-token.png', true)
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
    const gapsBefore = await page.evaluate(() => (window as any).volumerDashboard.feed.stats.gaps) as number
    await page.evaluate((sub) => {
      (window as any).volumerDashboard.feed.inject(JSON.stringify({ type: 'update', sub, seq: 1_000_000, data: { items: [] } }))
    }, subId)
    // (the token page's forged snapshot and candle gap were resynced before: gaps counts all)
    expect(await page.evaluate(() => (window as any).volumerDashboard.feed.stats.gaps)).to.equal(gapsBefore + 1)
    // the bogus (empty) list must not have been shown, and the resynced list keeps updating
    expect((await page.$$('#top-rows tr')).length).to.be.greaterThan(0)
    await eventually(async () => new RegExp(`${gapsBefore + 1} gaps resynced`).test(await page.textContent('#status') ?? ''), 'the gap in the status line')
    const before = await listSnapshot(page)
    await eventually(async () => (await listSnapshot(page)).join('\n') !== before.join('\n'), 'updates after the resync')
  })

  it('logged no console errors', () => {
    expect(consoleErrors, consoleErrors.join('\n')).to.deep.equal([])
  })
})

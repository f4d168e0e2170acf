/**
 * The statistics pages in headless chromium, on the demo box: a call rings
 * gsm1 and is not answered; /stats loads with no console error, the hour
 * chart draws, the missed call is listed and marking it "called back" takes it
 * off the list; the call log filters by number and outcome; the wallboard
 * shows every line in the panel's colours. Screenshots are kept in /tmp.
 */
import { spawnSync } from 'node:child_process'
import t from 'tap'
import { chromium, type Browser } from 'playwright-core'
import { runDemo } from '../../src/sim/demo.js'
import { waitFor } from '../helpers/flush.js'
import { missing } from '../helpers/real.js'

const skip = missing('chromium')
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage']
const WAIT = { timeout: 10_000 }

t.test('the statistics page and the wallboard in chromium', { skip }, async (t) => {
  const demo = await runDemo({ httpPort: 0, print: () => {} })
  t.teardown(() => demo.stop())
  const { box } = demo
  await waitFor(() => box.store.get('line', 'gsm1')?.state === 'up', 20_000, 'gsm1 up')
  box.simulator!.modems.get('gsm1')!.ring('+79161112233', { times: 2, intervalMs: 3000 })
  await waitFor(() => box.store.get('modem', 'gsm1')?.lastCall?.outcome === 'missed', 20_000, 'the missed call')

  const browser: Browser = await chromium.launch({ executablePath: spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).stdout.trim(), args: CHROMIUM_ARGS })
  t.teardown(() => browser.close())
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } }) // a phone
  const errors: string[] = []
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()))
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto(`${box.httpUrl}/stats`)
  await page.locator('#missed .missed-row').first().waitFor(WAIT)
  t.match(await page.locator('#missed').textContent(), /\+79161112233/, 'the missed call is listed')
  const canvas = page.locator('#chart canvas').first()
  await canvas.waitFor(WAIT)
  const box1 = await canvas.boundingBox()
  t.ok(box1 && box1.width > 100 && box1.height > 50, `the hour chart drew (${box1?.width}×${box1?.height})`)
  t.match(await page.locator('#summary').textContent(), /1offered/, 'one call offered today')
  await page.locator('#calls tr').first().waitFor(WAIT)
  const rows = async () => page.locator('#calls tr').count()
  const all = await rows()
  t.ok(all >= 1, `the call log has the call (${all} rows)`)
  await page.fill('#search', '9161112233')
  t.equal(await rows(), all, 'searching its number keeps it')
  await page.fill('#search', '000000')
  t.equal(await rows(), 0, 'another number: nothing')
  await page.fill('#search', '')
  await page.selectOption('#outcome', 'answered')
  t.equal(await rows(), 0, 'no answered call today')
  await page.selectOption('#outcome', 'missed')
  t.equal(await rows(), all, 'the missed one')
  await page.screenshot({ path: '/tmp/linewatch-stats.png', fullPage: true })

  await page.locator('#missed .mark').first().click(WAIT)
  await page.locator('#missed .missed-row').first().waitFor({ state: 'detached', ...WAIT })
  t.pass('marked called back: off the list')
  t.match(await page.locator('#missed').textContent(), /none/)

  const wall = await browser.newPage({ viewport: { width: 1920, height: 1080 } })
  wall.on('console', (m) => m.type() === 'error' && errors.push(`wallboard: ${m.text()}`))
  wall.on('pageerror', (e) => errors.push(`wallboard: ${e.message}`))
  await wall.goto(`${box.httpUrl}/wallboard`)
  await wall.locator('.wall-line').first().waitFor(WAIT)
  const tiles = await wall.locator('.wall-line').evaluateAll((els) => els.map((e) => [e.getAttribute('data-line'), e.className]))
  t.same(tiles.map(([id]) => id).sort(), Object.keys(box.store.snapshot.lines).sort(), 'a tile per line')
  const gsm1 = tiles.find(([id]) => id === 'gsm1')!
  t.match(gsm1[1], /\bup\b/, 'gsm1 in the colour of up')
  t.equal(await wall.locator('#missed-now .n').textContent(), '0', 'nothing waiting for a call back now')
  await wall.screenshot({ path: '/tmp/linewatch-wallboard.png' })
  t.same(errors, [], 'no console error on either page')
})

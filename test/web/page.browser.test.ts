/**
 * The status page in a real browser: the whole demo in-process (embedded
 * broker, simulated modems and panel), the page in headless chromium, the
 * call room's story clicked through the page's own buttons: a line breaks,
 * the lamp turns red and the buzzer sounds, someone silences it, the line
 * heals. The page must follow live (SSE), without a reload, and agree with
 * the simulated pins. Skipped when chromium is not installed.
 */
import { spawnSync } from 'node:child_process'
import t from 'tap'
import { chromium, type Browser, type Page } from 'playwright-core'
import { frameAt } from '../../src/panel/index.js'
import { SimIO } from '../../src/sim/gpio.js'
import { runDemo, type RunningDemo } from '../../src/sim/demo.js'
import { waitFor } from '../helpers/flush.js'
import { missing } from '../helpers/real.js'

const skip = missing('chromium')

// The machine (and CI) has no internet: keep chromium from calling home.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // containers often have a 64 MB /dev/shm; Debian's wrapper means to add this
  // when /dev/shm is small, but its check breaks when /dev/shm is mounted twice
  '--disable-dev-shm-usage',
]

/** The same pins as src/sim/demo-config.ts. */
const PIN = { gsm1Green: 2, gsm1Red: 3, gsm2Green: 4, buzzer: 6 }
const WAIT = { timeout: 10000 }
const SCREENSHOT = '/tmp/linewatch-page.png'

function chromiumPath(): string {
  return spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).stdout.trim()
}

/** Click a page button and return the status of the simulator request it made. */
async function clickSim(page: Page, selector: string, path: string): Promise<number> {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/api/v1/sim/${path}`, WAIT),
    page.locator(selector).click(WAIT),
  ])
  return response.status()
}

t.test('status page in chromium: break, silence and heal a line from the page; it follows live and agrees with the pins', { skip }, async (t) => {
  let demo: RunningDemo | null = null
  let browser: Browser | null = null
  t.teardown(async () => {
    try {
      await browser?.close()
    } finally {
      await demo?.stop()
    }
  })

  demo = await runDemo({ httpPort: 0, print: () => {} })
  const io = demo.box.io
  if (!(io instanceof SimIO)) throw new Error('the demo runs on the simulated board')
  const url = demo.box.httpUrl
  t.match(url, /^http:\/\/127\.0\.0\.1:\d+$/, 'the demo serves the page on a loopback port')

  // plain launch: Playwright gives chromium a fresh, empty profile folder and removes it on close
  browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS })
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } })
  const pageErrors: string[] = []
  const dialogs: string[] = []
  page.on('pageerror', (err) => pageErrors.push(err.message))
  page.on('console', (m) => {
    // a missing resource is reported below with its URL
    if (m.type() === 'error' && !/^Failed to load resource/.test(m.text())) pageErrors.push(m.text())
  })
  const badResponses: string[] = []
  page.on('response', (r) => {
    const path = new URL(r.url()).pathname
    if (r.status() >= 400) badResponses.push(`${r.status()} ${path}`)
  })
  page.on('dialog', (d) => {
    // the page alert()s when a simulator request fails
    dialogs.push(d.message())
    void d.dismiss()
  })

  const response = await page.goto(url)
  t.equal(response?.status(), 200, 'GET / answers 200')
  // the policy is enforced by chromium: any inline script, style or handler left would be refused (a console error, counted below)
  t.match(response?.headers()['content-security-policy'], /script-src 'self'.*frame-ancestors 'none'/, 'served under a policy without inline script')
  t.equal(response?.headers()['x-content-type-options'], 'nosniff')

  // --- live, modems up ---
  await page.locator('#conn', { hasText: /^live$/ }).waitFor(WAIT)
  t.equal(await page.locator('#conn').textContent(), 'live', 'the page says it is live')
  t.equal(await page.locator('#title').textContent(), 'linewatch — demo-store / box1')
  t.equal(await page.title(), 'linewatch demo-store/box1', 'the tab names the box')
  await page.waitForSelector('[data-lamp="gsm1"][data-color="green"]', { timeout: 15000 })
  await page.waitForSelector('[data-lamp="gsm2"][data-color="green"]', { timeout: 15000 })
  t.equal(await page.getAttribute('[data-lamp="gsm1"]', 'data-color'), 'green', 'lamp gsm1 green once the modem is up')
  t.equal(await page.getAttribute('[data-lamp="gsm2"]', 'data-color'), 'green', 'lamp gsm2 green once the modem is up')
  t.equal(await page.getAttribute('#buzzer', 'data-on'), 'false', 'buzzer off while all is well')
  t.match(await page.locator('#buzzer').textContent(), /buzzer quiet/)
  await page.waitForSelector('[data-line="gsm1"] [data-state="up"]', WAIT)
  await page.waitForSelector('[data-modem="gsm1"] [data-state="up"]', WAIT)
  t.equal((await page.locator('#alerts').textContent())?.trim(), 'none', 'no active alerts')
  t.equal(await page.locator('[data-modem]').count(), 2, 'a card per modem')
  t.equal(await page.locator('[data-line]').count(), 4, 'a card per line')
  t.equal(await page.locator('[data-line="sip1"] [data-state]').textContent(), 'unknown', 'the SIP line stays unknown')
  await page.locator('[data-line="pots1"]', { hasText: 'voltage present' }).waitFor(WAIT)
  t.pass('the analog line shows its line voltage')
  await waitFor(() => io.level(PIN.gsm1Green) > 0, 5000, 'green LED of gsm1 lit')
  t.ok(io.level(PIN.gsm1Green) > 0 && io.level(PIN.gsm1Red) === 0, 'pins: gsm1 green lit, red dark')

  // a mark in the window: gone if anything reloads the page
  await page.evaluate('window.__linewatchNoReload = 42')

  // --- break line gsm1 from its modem card ---
  t.equal(await clickSim(page, '[data-modem="gsm1"] button[data-action="break"]', 'modem/gsm1/break'), 200, 'Break line posts to the simulator')
  await page.waitForSelector('[data-lamp="gsm1"][data-color="red"]', WAIT)
  t.equal(await page.title(), '1 line down — linewatch demo-store/box1', 'the tab shows the fault')
  t.equal(await page.getAttribute('[data-lamp="gsm1"]', 'data-color'), 'red', 'lamp gsm1 turns red without a reload')
  t.equal(await page.getAttribute('[data-lamp="gsm2"]', 'data-color'), 'green', 'lamp gsm2 stays green')
  await page.waitForSelector('#buzzer[data-on="true"]', WAIT)
  t.equal(await page.getAttribute('#buzzer', 'data-on'), 'true', 'buzzer on')
  t.match(await page.locator('#buzzer').textContent(), /intermittent \(major\)/, 'the buzzer says how it sounds and why')
  await page.waitForSelector('[data-line="gsm1"] [data-state="down"]', WAIT)
  t.equal(await page.locator('[data-line="gsm1"] [data-state]').textContent(), 'down', 'line card gsm1 shows down')
  t.match(await page.locator('[data-line="gsm1"]').textContent(), /modem gsm1 not registered/, 'with the reason')
  t.equal(await page.locator('[data-modem="gsm1"] [data-state]').textContent(), 'degraded', 'modem gsm1 degraded (answering, not registered)')
  await page.locator('#alerts', { hasText: 'gsm1' }).waitFor(WAIT)
  t.match(await page.locator('#alerts').textContent(), /major: Line gsm1 is down/, 'the active alerts list mentions gsm1')
  const raised = page.locator('#log > div', { hasText: '/alert' }).filter({ hasText: '"id":"line/gsm1/down"' }).filter({ hasText: '"state":"raised"' })
  await raised.first().waitFor(WAIT)
  t.match(await raised.first().textContent(), /linewatch\/demo-store\/box1\/alert\s+\{.*"severity":"major"/, 'the MQTT log shows the alert for line/gsm1/down')
  // red fast blinking: sample the pins for half a second
  const levels = new Set<string>()
  for (let i = 0; i < 25; i++) {
    levels.add(`${io.level(PIN.gsm1Green)}${io.level(PIN.gsm1Red)}`)
    await new Promise((r) => setTimeout(r, 20))
  }
  t.same([...levels].sort(), ['00', '01'], 'pin 3 (gsm1 red) blinks while broken, pin 2 (green) stays dark')
  await waitFor(() => io.level(PIN.buzzer) > 0, 3000, 'buzzer pin high (intermittent)')
  t.pass('pin 6 (buzzer) sounds')
  // the page blinks the same lamps at the same moments as the box
  const times = Array.from({ length: 40 }, (_, i) => Date.now() + i * 37)
  const pageFrames = await page.evaluate(`JSON.stringify(${JSON.stringify(times)}.map((t) => frameAt(snap.panel, t)))`)
  t.same(JSON.parse(pageFrames as string), times.map((at) => frameAt(demo!.box.store.snapshot.panel, at)), "the page's frames are the box's frames at every sampled moment")
  await page.screenshot({ path: SCREENSHOT, fullPage: true })

  // --- silence ---
  t.equal(await clickSim(page, '#silence', 'button/press'), 200, 'Silence button posts to the simulator')
  await page.waitForSelector('#buzzer[data-on="false"]', WAIT)
  t.equal(await page.getAttribute('#buzzer', 'data-on'), 'false', 'buzzer no longer on')
  t.match(await page.locator('#buzzer').textContent(), /silenced/, 'the buzzer says silenced')
  t.equal(await page.getAttribute('[data-lamp="gsm1"]', 'data-color'), 'red', 'the lamp stays red: the line is still down')
  await waitFor(() => io.level(PIN.buzzer) === 0, 5000, 'buzzer pin low')
  t.equal(io.level(PIN.buzzer), 0, 'pin 6 (buzzer) low after silencing')

  // --- heal ---
  t.equal(await clickSim(page, '[data-modem="gsm1"] button[data-action="heal"]', 'modem/gsm1/heal'), 200, 'Heal line posts to the simulator')
  await page.waitForSelector('[data-line="gsm1"] [data-transition="up"]', WAIT)
  t.match(await page.locator('[data-line="gsm1"] [data-transition]').textContent(), /^→ up at \d{1,2}:\d\d:\d\d.*: modem gsm1 registered/, 'the hold-down shows on the card')
  await page.waitForSelector('[data-lamp="gsm1"][data-color="green"]', WAIT)
  t.equal(await page.getAttribute('[data-lamp="gsm1"]', 'data-color'), 'green', 'lamp gsm1 green again')
  await page.waitForSelector('[data-line="gsm1"] [data-state="up"]', WAIT)
  await page.locator('#alerts', { hasText: /^none$/ }).waitFor(WAIT)
  t.equal((await page.locator('#alerts').textContent())?.trim(), 'none', 'the alerts list says none')
  t.match(await page.locator('#buzzer').textContent(), /buzzer quiet/, 'buzzer quiet, no longer "silenced"')
  const cleared = page.locator('#log > div', { hasText: '/alert' }).filter({ hasText: '"id":"line/gsm1/down"' }).filter({ hasText: '"state":"cleared"' })
  await cleared.first().waitFor(WAIT)
  t.pass('the MQTT log shows the clear for line/gsm1/down')
  await waitFor(() => io.level(PIN.gsm1Green) > 0, 5000, 'green LED of gsm1 lit again')
  t.ok(io.level(PIN.gsm1Green) > 0, 'pin 2 (gsm1 green) lit after heal')
  t.equal(io.level(PIN.gsm1Red), 0, 'pin 3 (gsm1 red) dark after heal')
  t.ok(io.level(PIN.gsm2Green) > 0, 'pin 4 (gsm2 green) lit throughout')

  // --- cut the uplink in use from its card: the traffic moves, the page follows ---
  await page.waitForSelector('[data-uplink="wan1"][data-active="true"]', WAIT)
  t.equal(await page.locator('[data-uplink]').count(), 3, 'a card per uplink')
  t.equal(await clickSim(page, '[data-uplink="wan1"] button[data-action="cut"]', 'uplink/wan1/cut'), 200, 'Cut posts to the simulator')
  await page.waitForSelector('[data-uplink="wan2"][data-active="true"]', WAIT)
  t.equal(await page.locator('[data-uplink="wan1"] [data-state]').textContent(), 'down', 'wan1 shows down')
  t.equal(demo.box.simulator!.internet!.defaultInterface, 'sim:wan2', 'the default route moved to wan2 in the simulated table')
  t.equal(await clickSim(page, '[data-uplink="wan1"] button[data-action="restore"]', 'uplink/wan1/restore'), 200, 'Restore posts to the simulator')

  // --- the lamp test from the page: every lamp and every die lit, then back ---
  const [test] = await Promise.all([page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/panel/test', WAIT), page.locator('#lamp-test').click(WAIT)])
  t.equal(test.status(), 200, 'Lamp test posts to the box')
  await page.waitForSelector('[data-lamp="gsm1"][data-shown="amber"]', WAIT)
  t.same(await page.locator('[data-lamp]').evaluateAll((els) => els.map((e) => e.getAttribute('data-shown'))), Array(8).fill('amber'), 'every lamp on the page lit')
  const demoPins = [2, 3, 4, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25]
  t.same(demoPins.map((p) => io.level(p)), Array(demoPins.length).fill(1), 'every lamp pin of the board lit')
  await page.waitForSelector('[data-lamp="gsm1"][data-shown="green"]', WAIT)
  t.pass('back to the state after the test')

  // --- the stack light stops answering: the page shows it, the lamps go on ---
  t.equal(await page.getAttribute('#stack', 'data-shows'), 'summary', 'the stack light shows the summary')
  demo.box.simulator!.modbus.get('stacklight')!.setAnswering(false)
  await page.waitForSelector('#stack.down', WAIT)
  await page.locator('#alerts', { hasText: /stack light/ }).waitFor(WAIT)
  t.pass('the page marks the stack light down and lists the alert')
  demo.box.simulator!.modbus.get('stacklight')!.setAnswering(true)

  t.equal(await page.evaluate('window.__linewatchNoReload'), 42, 'all of it without a reload')
  t.same(dialogs, [], 'no simulator errors shown')
  t.same(pageErrors, [], 'no errors in the page')
  t.same(badResponses, [], 'no failed requests')
})

/**
 * The login in a real browser (headless chromium): the first setup, the page
 * sending its CSRF token with every button, a forged form from another site,
 * logout, a wrong password, the brake, and an operator who cannot open the
 * config. The box's web server on a real port; skipped without chromium.
 */
import { spawnSync } from 'node:child_process'
import t from 'tap'
import { chromium, type Browser, type Page } from 'playwright-core'
import { FakeClock } from '../../src/core/clock.js'
import { StateStore } from '../../src/core/store.js'
import { missing } from '../helpers/real.js'
import { testWeb } from '../helpers/web.js'

const skip = missing('chromium')
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage']
const WAIT = { timeout: 10000 }

async function login(page: Page, url: string, user: string, password: string): Promise<void> {
  await page.goto(`${url}/login`)
  await page.fill('input[name=user]', user)
  await page.fill('input[name=password]', password)
  await page.click('#login', WAIT)
}

t.test('login in chromium: setup, buttons with CSRF, a forged form refused, logout, wrong password, brake, roles', { skip }, async (t) => {
  const clock = new FakeClock(Date.now())
  const store = new StateStore({ site: 'shop', box: 'b1', version: 't', startedAt: 0 }, clock)
  const done = { tests: 0, silenced: 0 }
  const { app, auth } = testWeb({
    http: { auth: 'required' },
    store,
    panel: { lampTest: () => void done.tests++, silence: () => void done.silenced++ },
    fullConfig: { site: 'shop', box: 'b1', mqtt: { password: 'secret-pw' } } as never,
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  let browser: Browser | null = null
  t.teardown(async () => {
    await browser?.close()
    await app.close()
  })
  const path = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).stdout.trim()
  browser = await chromium.launch({ executablePath: path, headless: true, args: CHROMIUM_ARGS })
  const page = await (await browser.newContext()).newPage()

  // 1. no password yet: the page sends the first visitor to the setup
  await page.goto(url)
  t.equal(new URL(page.url()).pathname, '/setup')
  await page.fill('input[name=password]', 'store password 1')
  await page.fill('input[name=confirm]', 'store password 2')
  await page.click('#setup', WAIT)
  t.match(await page.textContent('#message'), /The two passwords differ/)
  await page.fill('input[name=password]', 'store password 1')
  await page.fill('input[name=confirm]', 'store password 1')
  await page.click('#setup', WAIT)
  await page.waitForSelector('#conn:text("live")', WAIT)
  t.equal(new URL(page.url()).pathname, '/', 'set up and logged in')
  t.equal(await page.textContent('#user'), 'admin')
  const cookie = (await page.context().cookies()).find((c) => c.name === 'lw_session')
  t.match(cookie, { httpOnly: true, sameSite: 'Strict' }, 'the session cookie: HttpOnly, SameSite=Strict')

  // 2. the page's own buttons carry the CSRF token; a request without it is refused
  const [lamp] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/api/v1/panel/test'), WAIT), page.click('#lamp-test', WAIT)])
  t.equal(lamp.status(), 200)
  t.equal(done.tests, 1)
  t.equal(await page.evaluate(async () => (await fetch('/api/v1/panel/silence', { method: 'POST' })).status), 403, 'a script without the token: 403')
  t.equal(done.silenced, 0)

  // 3. a forged form on another site (another origin) posting to the box while the admin is logged in
  const evil = await page.context().newPage()
  await evil.goto('about:blank')
  await evil.setContent(`<form id="f" method="post" action="${url}/api/v1/panel/silence"></form>`)
  const [forged] = await Promise.all([evil.waitForResponse((r) => r.url().endsWith('/api/v1/panel/silence'), WAIT), evil.evaluate('document.getElementById("f").submit()')])
  t.equal(forged.status(), 403, 'refused')
  t.equal(done.silenced, 0, 'and the buzzer was not silenced')

  // 4. logout: back to the login, and the old page cannot do anything
  await page.click('#logout', WAIT)
  await page.waitForURL(`${url}/login`, WAIT)
  t.equal(await page.evaluate(async () => (await fetch('/api/v1/state')).status), 401)

  // 5. an operator: a wrong password, then in; the lamp test yes, the config no
  await auth.credentials.setPassword('ops', 'operator pass 1', 'operator', 0)
  await login(page, url, 'ops', 'not the password')
  t.match(await page.textContent('#message'), /Wrong user name or password/)
  await login(page, url, 'ops', 'operator pass 1')
  await page.waitForSelector('#conn:text("live")', WAIT)
  const [lamp2] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/api/v1/panel/test'), WAIT), page.click('#lamp-test', WAIT)])
  t.equal(lamp2.status(), 200)
  const config = await page.goto(`${url}/api/v1/config`)
  t.equal(config?.status(), 403, 'an operator cannot open the config')
  await page.goto(url)
  await page.click('#logout', WAIT)
  await login(page, url, 'admin', 'store password 1')
  const adminConfig = await page.goto(`${url}/api/v1/config`)
  t.equal(adminConfig?.status(), 200, 'the admin can')
  t.notMatch(await adminConfig!.text(), /secret-pw/, 'with the secrets redacted')

  // 6. the brake: after five wrong passwords the account waits, even for the right one
  const other = await (await browser.newContext()).newPage()
  for (let i = 0; i < 6; i++) await login(other, url, 'ops', `guess ${i} xxxx`)
  await login(other, url, 'ops', 'operator pass 1')
  t.match(await other.textContent('#message'), /Too many wrong passwords: try again in \d+ s/)
  t.equal(new URL(other.url()).pathname, '/login', 'not logged in')
})

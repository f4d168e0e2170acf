import t from 'tap'
import { parsePbxReport } from '../../src/lines/pbx-report.js'
import { FakeClock } from '../../src/core/clock.js'
import { ErrorCode, LinewatchError } from '../../src/core/errors.js'
import { silentLogger } from '../../src/core/logger.js'
import { StateStore } from '../../src/core/store.js'
import type { ModemActions } from '../../src/web/modem-routes.js'
import { testWeb } from '../helpers/web.js'

const TOKEN = 'a-token-of-24-characters'
const auth = { authorization: `Bearer ${TOKEN}` }

function setup(token: string | undefined, behave: Partial<ModemActions> = {}) {
  const store = new StateStore({ site: 's', box: 'b', version: 't', startedAt: 0 }, new FakeClock())
  const calls: unknown[][] = []
  const modems: ModemActions = {
    has: (id) => id === 'gsm1',
    sendSms: async (...a) => {
      calls.push(['sms', ...a])
      return { to: a[1], encoding: 'gsm7', mode: 'text', parts: 1, references: [7] }
    },
    dial: async (...a) => {
      calls.push(['dial', ...a])
      return { direction: 'out', number: a[1], state: 'ended', outcome: 'answered', startedAt: 0, answeredAt: 1, endedAt: 2 }
    },
    ...behave,
  }
  return { app: testWeb({ http: { token }, store, modems }).app, calls }
}

t.test('SMS and dial through HTTP, with the token', async (t) => {
  const { app, calls } = setup(TOKEN)
  const sms = await app.inject({ method: 'POST', url: '/api/v1/modems/gsm1/sms', headers: auth, payload: { to: '+79031234567', text: 'Линия 1 не работает' } })
  t.equal(sms.statusCode, 200)
  t.match(sms.json(), { parts: 1, references: [7] })
  const dial = await app.inject({ method: 'POST', url: '/api/v1/modems/gsm1/dial', headers: auth, payload: { number: '+74951234567', ringSeconds: 20 } })
  t.equal(dial.statusCode, 200)
  t.match(dial.json(), { outcome: 'answered', number: '+74951234567' })
  t.same(calls, [
    ['sms', 'gsm1', '+79031234567', 'Линия 1 не работает'],
    ['dial', 'gsm1', '+74951234567', { ringSeconds: 20 }],
  ])
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/modems/gsm1/sms', payload: { to: '+79031234567', text: 'x' } })).statusCode, 401, 'no token, no SMS')
  await app.close()
})

t.test('on a box open to anyone (http.auth: none, the demo) the actions are off (403): nobody may spend money unasked', async (t) => {
  const { app, calls } = setup(undefined)
  const r = await app.inject({ method: 'POST', url: '/api/v1/modems/gsm1/sms', payload: { to: '+79031234567', text: 'x' } })
  t.equal(r.statusCode, 403)
  t.match(r.json().message, /http\.auth: required/)
  t.same(calls, [])
  await app.close()
})

t.test('bad requests and module failures map to clear statuses', async (t) => {
  const fails = (err: Error) => async () => {
    throw err
  }
  const cases: [Error, number][] = [
    [new LinewatchError(ErrorCode.INVALID_INPUT, '"abc" is not a number'), 400],
    [new LinewatchError(ErrorCode.AT_BUSY, 'a call is in progress'), 409],
    [new LinewatchError(ErrorCode.AT_ERROR, 'AT+CMGS=23: CMS ERROR: 500'), 502],
    [new LinewatchError(ErrorCode.AT_PORT_CLOSED, 'modem gsm1: port closed'), 503],
    [new LinewatchError(ErrorCode.AT_TIMEOUT, 'no final result code'), 504],
    [new Error('surprise'), 500],
  ]
  for (const [err, status] of cases) {
    const { app } = setup(TOKEN, { sendSms: fails(err), dial: fails(err) })
    const r = await app.inject({ method: 'POST', url: '/api/v1/modems/gsm1/sms', headers: auth, payload: { to: '+79031234567', text: 'x' } })
    t.equal(r.statusCode, status, `${err.message} → ${status}`)
    t.equal(r.json().message, err.message, 'the reason is passed on')
    await app.close()
  }
  const { app } = setup(TOKEN)
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/modems/nope/sms', headers: auth, payload: { to: '+7', text: 'x' } })).statusCode, 404)
  for (const payload of [{ to: '+79031234567' }, { to: '+79031234567', text: '' }, { to: '+79031234567', text: 'x', extra: 1 }, 'not json', { to: 5, text: 'x' }]) {
    const r = await app.inject({ method: 'POST', url: '/api/v1/modems/gsm1/sms', headers: { ...auth, 'content-type': 'application/json' }, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) })
    t.equal(r.statusCode, 400, `refused: ${JSON.stringify(payload)}`)
  }
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/modems/gsm1/dial', headers: auth, payload: { number: '+7495', ringSeconds: 1000 } })).statusCode, 400)
  await app.close()
})

t.test('a test call to a line through HTTP: token required, unknown lines 404, the result when it is over', async (t) => {
  const store = new StateStore({ site: 's', box: 'b', version: 't', startedAt: 0 }, new FakeClock())
  const reports: unknown[] = []
  const lines = {
    has: (id: string) => id === 'gsm1',
    test: async (id: string) => ({ line: id, number: '+74951110001', from: 'gsm2', ok: true, detail: 'rang on gsm1 after 2 s (called from gsm2)' }),
    reports: (id: string) => id === 'sip1',
    report: (id: string, r: unknown) => void reports.push([id, r]),
  }
  const { app } = testWeb({ http: { token: TOKEN }, store, lines })
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/lines/gsm1/test-call' })).statusCode, 401)
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/lines/sip9/test-call', headers: auth })).statusCode, 404)
  const r = await app.inject({ method: 'POST', url: '/api/v1/lines/gsm1/test-call', headers: auth })
  t.equal(r.statusCode, 200)
  t.match(r.json(), { ok: true, from: 'gsm2' })
  await app.close()
  const { app: open } = testWeb({ store, lines })
  t.equal((await open.inject({ method: 'POST', url: '/api/v1/lines/gsm1/test-call' })).statusCode, 403, 'a box open to anyone (http.auth: none): off')
  // the PBX's reports on an open box (they spend nothing); bodies checked
  const post = (id: string, body: unknown) => open.inject({ method: 'POST', url: `/api/v1/lines/${id}/report`, payload: body as object })
  t.equal((await post('sip1', { type: 'call', callerId: '+79161234567' })).statusCode, 202)
  t.equal((await post('sip1', { type: 'registration', state: 'unregistered', reason: '408 Request Timeout' })).statusCode, 202)
  t.equal((await post('sip1', { type: 'hangup', id: 'c1' })).statusCode, 202)
  t.equal((await post('sip1', { type: 'refused', cause: 'congestion' })).statusCode, 202)
  t.equal((await post('gsm1', { type: 'call' })).statusCode, 404, 'a line without pbxReports')
  // a bad body: 400 with the one problem, in the words MQTT's reports get (not every oneOf branch)
  for (const bad of [{ type: 'call', callerId: 5 }, { type: 'registration', state: 'maybe' }, { type: 'dance' }, { type: 'call', extra: 1 }, { type: 'hangup' }, { type: 'refused', direction: 'sideways' }]) {
    const res = await post('sip1', bad)
    t.equal(res.statusCode, 400, JSON.stringify(bad))
    const overMqtt = parsePbxReport(JSON.stringify(bad))
    t.same(res.json(), { error: 'bad-report', message: 'error' in overMqtt ? overMqtt.error : 'accepted over MQTT' }, `${JSON.stringify(bad)}: the same words as over MQTT`)
    t.notMatch(res.json().message, /oneOf|must match exactly one schema|body\//, 'one problem, not every branch of the schema')
  }
  t.same(reports, [
    ['sip1', { type: 'call', callerId: '+79161234567' }],
    ['sip1', { type: 'registration', state: 'unregistered', reason: '408 Request Timeout' }],
    ['sip1', { type: 'hangup', id: 'c1' }],
    ['sip1', { type: 'refused', cause: 'congestion' }],
  ])
  await open.close()
})

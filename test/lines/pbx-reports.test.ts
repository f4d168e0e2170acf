import t from 'tap'
import mqtt from 'mqtt'
import { Box } from '../../src/app.js'
import { channelAlert } from '../../src/alerts/rules.js'
import { validateConfigText } from '../../src/config/index.js'
import { FakeClock } from '../../src/core/clock.js'
import { silentLogger } from '../../src/core/logger.js'
import { ChannelWatch, STALE_CALL_MS } from '../../src/lines/channels.js'
import { LineMonitor } from '../../src/lines/monitor.js'
import { parsePbxReport } from '../../src/lines/pbx-report.js'
import { topicMatches } from '../../src/report/mqtt.js'
import { startEmbeddedBroker } from '../../src/sim/broker.js'
import { waitFor } from '../helpers/flush.js'
import { MqttWatch } from '../helpers/mqtt-watch.js'
import { LINE_DEFAULTS } from '../helpers/parts.js'
import { testStore } from '../helpers/store.js'
import { tempDir } from '../helpers/tmp.js'

t.test('PBX reports: each kind parsed; garbage and wrong shapes refused with the reason', async (t) => {
  t.same(parsePbxReport('{"type":"call","callerId":"+79161234567","id":"c1"}'), { report: { type: 'call', callerId: '+79161234567', id: 'c1' } })
  t.same(parsePbxReport('{"type":"hangup","id":"c1"}'), { report: { type: 'hangup', id: 'c1' } })
  t.same(parsePbxReport('{"type":"refused","cause":"503 Service Unavailable"}'), { report: { type: 'refused', cause: '503 Service Unavailable' } })
  t.same(parsePbxReport(Buffer.from('{"type":"registration","state":"failed"}')), { report: { type: 'registration', state: 'failed' } })
  const refused: [string, RegExp][] = [
    ['\u00ff\u0000garbage', /^not JSON/],
    ['', /^not JSON/],
    ['[]', /"type" must be one of call, hangup, refused, registration/],
    ['null', /"type" must be one of/],
    ['{"type":"dance"}', /"type" must be one of/],
    ['{"type":"hangup"}', /^a hangup report: "id" is missing$/],
    ['{"type":"call","extra":1}', /^a call report: "extra" is not a field of it$/],
    ['{"type":"call","callerId":5}', /^a call report: "callerId" must be a string or null$/],
    ['{"type":"registration","state":"maybe"}', /^a registration report: "state" must be one of registered, unregistered, failed$/],
    ['{"type":"call","at":-1}', /^a call report: "at" must be >= 0$/],
  ]
  for (const [text, why] of refused) t.match(parsePbxReport(text), { error: why }, JSON.stringify(text))
})

t.test('topic filters: + is one level, # the rest', async (t) => {
  t.ok(topicMatches('a/b/pbx/+/report', 'a/b/pbx/sip1/report'))
  t.notOk(topicMatches('a/b/pbx/+/report', 'a/b/pbx/sip1/x/report'))
  t.notOk(topicMatches('a/b/pbx/+/report', 'a/b/pbx/sip1'))
  t.ok(topicMatches('a/#', 'a/b/c'))
})

t.test('channels: a refusal with channels free is the carrier short of channels; all of them busy at once clears it', async (t) => {
  const clock = new FakeClock()
  const { store } = testStore(clock)
  const line = { id: 'trunk', kind: 'sip' as const, numbers: [], channels: 4, ...LINE_DEFAULTS }
  new LineMonitor(store, [line])
  const ch = new ChannelWatch({ store, lines: [line] })
  const get = () => store.get('line', 'trunk')!
  t.equal(channelAlert(get(), 'en'), null, 'nothing to say before any call')
  ch.started('trunk', 'a', clock.now())
  ch.started('trunk', 'b', clock.now())
  ch.started('trunk', 'b', clock.now())
  t.match(get().channelUse, { busy: 2, peak: 2, short: null }, 'a call reported twice holds one channel')
  ch.refused('trunk', '503 Service Unavailable')
  t.match(get().channelUse, { busy: 2, short: { busy: 2, cause: '503 Service Unavailable', refusals: 1 } })
  t.match(channelAlert(get(), 'en'), {
    id: 'line/trunk/channels',
    state: 'raised',
    message: 'Line trunk: the carrier gives fewer channels than contracted: a call was refused with 2 of 4 channels busy (503 Service Unavailable)',
  })
  t.match(channelAlert(get(), 'ru'), { message: /оператор даёт меньше каналов, чем по договору: звонок отклонён, когда было занято 2 из 4/ })
  ch.ended('trunk', 'b')
  ch.refused('trunk', null)
  t.match(get().channelUse, { busy: 1, short: { busy: 1, refusals: 2 } }, 'the fewest busy at a refusal is kept')
  for (const id of ['b', 'c', 'd']) ch.started('trunk', id, clock.now())
  t.match(get().channelUse, { busy: 4, peak: 4, short: null })
  t.match(channelAlert(get(), 'en'), { state: 'cleared', message: 'Line trunk: all 4 channels carried calls at once' })
  ch.refused('trunk', 'congestion')
  t.equal(get().channelUse.short, null, 'a refusal with every channel busy is what was bought')
  clock.advance(STALE_CALL_MS + 60_000)
  ch.tick(clock.now())
  t.equal(get().channelUse.busy, 0, 'calls without a hang-up for hours are let go')
  ch.ended('trunk', 'nope')
  t.equal(get().channelUse.peak, 4)
})

t.test('PBX reports over MQTT (<base>/pbx/<line>/report): calls, refusals, registration; garbage ignored; heard again after the broker comes back', async (t) => {
  let broker = await startEmbeddedBroker('127.0.0.1', 0)
  const port = Number(new URL(broker.url).port)
  t.teardown(() => broker.close())
  const dir = tempDir(t, 'lw-pbx-')
  const { config, problems } = validateConfigText(`
site: shop1
box: b1
board: sim
lines:
  - { id: sip1, kind: sip, numbers: ["+74951110000"], channels: 2, pbxReports: true }
  - { id: sip2, kind: sip, numbers: ["+74951110009"], channels: 2 }
mqtt: { url: "${broker.url}", reconnectMinMs: 100, reconnectMaxMs: 1000 }
http: { host: 127.0.0.1, port: 0 }
storage: { dir: "${dir}" }
`)
  t.same(problems, [])
  const base = 'linewatch/shop1/b1'
  // a report someone published retained: a box that subscribes (at start, after each reconnect) must not take it as new
  const early = await mqtt.connectAsync(broker.url, { clientId: 'pbx-early' })
  await early.publishAsync(`${base}/pbx/sip1/report`, JSON.stringify({ type: 'call', callerId: '+79990000000' }), { qos: 1, retain: true })
  await early.endAsync()
  const box = new Box({ config: config!, log: silentLogger() })
  t.teardown(() => box.stop())
  await box.start()
  const pbx = mqtt.connect(broker.url, { clientId: 'pbx', reconnectPeriod: 100 })
  pbx.on('error', () => {})
  t.teardown(() => pbx.endAsync(true))
  await waitFor(() => pbx.connected && box.mqtt.connected, 5000, 'both connected')
  const watch = await MqttWatch.open(broker.url, `${base}/#`)
  t.teardown(() => watch.close())
  const send = (line: string, body: unknown) => pbx.publishAsync(`${base}/pbx/${line}/report`, typeof body === 'string' ? body : JSON.stringify(body), { qos: 1 })
  const line = () => box.store.get('line', 'sip1')!

  await send('sip1', '\u00ffnot json at all')
  await send('sip1', { type: 'call', extra: true })
  await send('sip2', { type: 'call' })
  await send('sip1', { type: 'call', callerId: '+79161234567', id: 'c1' })
  await send('sip1', { type: 'call', callerId: '+79161234567', id: 'c1' })
  await waitFor(() => line().lastCallerId === '+79161234567', 3000, 'the call heard')
  t.match(line(), { callsThisHour: 1, channelUse: { busy: 1 } }, 'the garbage and the retained report before it changed nothing; the call reported twice counts once')
  t.equal(box.store.get('line', 'sip2')!.lastCallAt, null, 'a line without pbxReports takes no reports')
  await send('sip1', { type: 'call', id: 'c2', direction: 'out' })
  await send('sip1', { type: 'hangup', id: 'c1' })
  await send('sip1', { type: 'refused', cause: '503 Service Unavailable' })
  await watch.until(() => watch.seen.some((s) => s.topic === `${base}/alert` && s.payload.includes('"line/sip1/channels"')), 'channels alert on MQTT')
  t.match(line(), { callsThisHour: 1, channelUse: { busy: 1, peak: 2, short: { busy: 1 } } }, 'an outgoing call holds a channel (two at once before the hang-up) but is not an incoming call')
  await send('sip1', { type: 'registration', state: 'unregistered', reason: '408' })
  await waitFor(() => line().state === 'down', 3000, 'line down')
  t.match(line(), { reason: 'PBX: trunk unregistered (408)', routable: false })

  // the broker goes away and comes back: the box subscribes again by itself
  await broker.close()
  await waitFor(() => !box.mqtt.connected, 5000, 'box sees the broker gone')
  broker = await startEmbeddedBroker('127.0.0.1', port)
  await waitFor(() => box.mqtt.connected && pbx.connected, 10000, 'both back')
  await waitFor(async () => {
    await send('sip1', { type: 'registration', state: 'registered' })
    return box.store.get('line', 'sip1')!.signals.registration?.state === 'up'
  }, 10000, 'a report after the broker came back')
  t.pass('reports heard again after the broker came back')
})

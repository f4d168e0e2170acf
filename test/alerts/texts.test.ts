/**
 * Alert texts as a reader of each language expects them: the verb agrees
 * with its subject (one stack light, several lamps), Russian nouns agree with
 * their number, decimals are written as the reader writes them.
 */
import t from 'tap'
import { channelAlert, panelOutputAlert, ruPlural, silenceAlert, wiredUplinksAlert } from '../../src/alerts/rules.js'
import type { LineSnapshot, UplinkSnapshot } from '../../src/core/state.js'

t.test('the status panel: one stack light is, several lamps are', async (t) => {
  t.equal(panelOutputAlert('modbus', false, 'no answer', 'en').message, 'Status panel: the stack light (Modbus) is not working: no answer')
  t.equal(panelOutputAlert('modbus', true, undefined, 'en').message, 'Status panel: the stack light (Modbus) works again')
  t.equal(panelOutputAlert('gpio', false, 'EBUSY', 'en').message, 'Status panel: the lamps (GPIO) are not working: EBUSY')
  t.equal(panelOutputAlert('gpio', true, undefined, 'en').message, 'Status panel: the lamps (GPIO) work again')
  t.equal(panelOutputAlert('modbus', false, 'no answer', 'ru').message, 'Световое табло: сигнальная колонна (Modbus) не работает: no answer')
  t.equal(panelOutputAlert('modbus', true, undefined, 'ru').message, 'Световое табло: сигнальная колонна (Modbus) снова работает')
  t.equal(panelOutputAlert('gpio', false, 'EBUSY', 'ru').message, 'Световое табло: лампы (GPIO) не работают: EBUSY')
  t.equal(panelOutputAlert('gpio', true, undefined, 'ru').message, 'Световое табло: лампы (GPIO) снова работают')
})

t.test('Russian nouns agree with their number', async (t) => {
  const forms = (n: number) => ruPlural(n, 'канал', 'канала', 'каналов')
  t.same([1, 2, 4, 5, 11, 12, 14, 21, 22, 25, 101, 111, 112].map(forms), ['канал', 'канала', 'канала', 'каналов', 'каналов', 'каналов', 'каналов', 'канал', 'канала', 'каналов', 'канал', 'каналов', 'каналов'])
})

const line = (channels: number, busy: number): LineSnapshot =>
  ({ id: 'trunk', channels, channelUse: { busy, peak: busy, short: null } }) as unknown as LineSnapshot

t.test('every channel busy at once: the count agrees, and a one-channel line reads right', async (t) => {
  t.equal(channelAlert(line(4, 4), 'ru')!.message, 'Линия trunk: все 4 канала были заняты одновременно')
  t.equal(channelAlert(line(5, 5), 'ru')!.message, 'Линия trunk: все 5 каналов были заняты одновременно')
  t.equal(channelAlert(line(1, 1), 'ru')!.message, 'Линия trunk: её канал принял звонок')
  t.equal(channelAlert(line(1, 1), 'en')!.message, 'Line trunk: its channel carried a call')
  t.equal(channelAlert(line(30, 30), 'en')!.message, 'Line trunk: all 30 channels carried calls at once')
})

t.test('a silent line: plural calls, and a decimal comma in Russian', async (t) => {
  const silent = { id: 'gsm1', silence: { firing: 'adaptive', minutes: 35, expectedCalls: 2.14 } } as unknown as LineSnapshot
  t.equal(silenceAlert(silent, 'en')!.message, 'Line gsm1: no incoming calls for 35 min (2.1 expected); the line may be dead')
  t.equal(silenceAlert(silent, 'ru')!.message, 'Линия gsm1: нет входящих звонков уже 35 мин (ожидалось 2,1); возможно, линия не работает')
})

t.test('one wired uplink is named as one', async (t) => {
  const u = (id: string, state: string, metered = false) => ({ id, state, metered, active: metered, preference: 1 }) as unknown as UplinkSnapshot
  t.equal(wiredUplinksAlert([u('wan1', 'down'), u('lte', 'up', true)], 'en')!.message, 'Internet down: the wired uplink wan1 is down; running on lte (metered)')
  t.equal(wiredUplinksAlert([u('wan1', 'down'), u('wan2', 'down')], 'en')!.message, 'Internet down: every wired uplink (wan1, wan2) is down')
  t.equal(wiredUplinksAlert([u('wan1', 'down')], 'ru')!.message, 'Интернет пропал: проводной канал wan1 не работает')
})

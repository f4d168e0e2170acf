import type { AlertRecord, LineSnapshot, ModemSnapshot, UplinkSnapshot } from '../core/state.js'

export type Language = 'en' | 'ru'

/** Russian nouns agree with the number: 1 канал, 2 канала, 5 каналов (11–14 take the last form). */
export function ruPlural(n: number, one: string, few: string, many: string): string {
  const d10 = n % 10
  const d100 = n % 100
  if (d10 === 1 && d100 !== 11) return one
  if (d10 >= 2 && d10 <= 4 && (d100 < 12 || d100 > 14)) return few
  return many
}

const PANEL_OUTPUT = {
  en: { modbus: 'the stack light (Modbus)', gpio: 'the lamps (GPIO)' },
  ru: { modbus: 'сигнальная колонна (Modbus)', gpio: 'лампы (GPIO)' },
}
const panelOutput = (lang: Language, output: string) => (output === 'modbus' ? PANEL_OUTPUT[lang].modbus : PANEL_OUTPUT[lang].gpio)
/** A decimal as a Russian reader writes it: 2,1 */
const ruDecimal = (x: number) => x.toFixed(1).replace('.', ',')

// Each text was read aloud once by a speaker of the language: the verb agrees with its subject
// (the stack light *is*, the lamps *are*; колонна не работает, лампы не работают), numbers with their nouns.
const TEXT = {
  en: {
    lineDown: (id: string, reason: string) => `Line ${id} is down: ${reason}`,
    lineUp: (id: string, reason: string) => `Line ${id} is back up: ${reason}`,
    simBad: (id: string, sim: string) => `Modem ${id}: SIM problem: ${sim}`,
    simOk: (id: string) => `Modem ${id}: the SIM is ready again`,
    silent: (id: string, minutes: number, expected: number) => `Line ${id}: no incoming calls for ${minutes} min (${expected.toFixed(1)} expected); the line may be dead`,
    silentOver: (id: string) => `Line ${id}: the silence is over`,
    testFailed: (id: string, detail: string) => `Line ${id}: the test call failed: ${detail}`,
    testOk: (id: string) => `Line ${id}: the test call passed`,
    channelsShort: (id: string, busy: number, bought: number, cause: string | null) =>
      `Line ${id}: the carrier gives fewer channels than contracted: a call was refused with ${busy} of ${bought} channels busy${cause ? ` (${cause})` : ''}`,
    channelsOk: (id: string, bought: number) => (bought === 1 ? `Line ${id}: its channel carried a call` : `Line ${id}: all ${bought} channels carried calls at once`),
    wiredDown: (ids: string[], metered: string | null) =>
      `Internet down: ${ids.length === 1 ? `the wired uplink ${ids[0]} is down` : `every wired uplink (${ids.join(', ')}) is down`}${metered ? `; running on ${metered} (metered)` : ''}`,
    wiredUp: (id: string) => `Internet back: ${id} is up`,
    bundleLow: (plan: string, bundle: string, path: string | null, left: number, total: number) =>
      `${path ? `Path ${path}` : `Plan ${plan}`}: bundle ${bundle} is nearly used up: ${left} of ${total} min left; calls will then be paid by the minute`,
    bundleOk: (plan: string, bundle: string, path: string | null) => `${path ? `Path ${path}` : `Plan ${plan}`}: bundle ${bundle} has minutes again`,
    panelDown: (output: string, error: string) => `Status panel: ${panelOutput('en', output)} ${output === 'modbus' ? 'is' : 'are'} not working: ${error}`,
    panelUp: (output: string) => `Status panel: ${panelOutput('en', output)} ${output === 'modbus' ? 'works' : 'work'} again`,
    storageDown: (problem: string) => `The box cannot save its state: ${problem}. It keeps working from memory; what changes now is lost at a restart`,
    storageUp: () => 'The box can save its state again',
    serviceLevelLow: (sl: number, offered: number, target: number, seconds: number) =>
      `Service level this hour: ${sl} % of ${offered} ${offered === 1 ? 'call' : 'calls'} answered within ${seconds} s (target ${target} %)`,
    serviceLevelOk: () => 'Service level is on target again',
    missedOpen: (count: number, minutes: number, caller: string) =>
      `${count} missed ${count === 1 ? 'call has' : 'calls have'} not been called back for over ${minutes} min (the oldest from ${caller})`,
    missedOk: () => 'Every missed call has been called back',
  },
  ru: {
    lineDown: (id: string, reason: string) => `Линия ${id} не работает: ${reason}`,
    lineUp: (id: string, reason: string) => `Линия ${id} снова работает: ${reason}`,
    simBad: (id: string, sim: string) => `Модем ${id}: проблема с SIM-картой: ${sim}`,
    simOk: (id: string) => `Модем ${id}: SIM-карта снова готова`,
    silent: (id: string, minutes: number, expected: number) => `Линия ${id}: нет входящих звонков уже ${minutes} мин (ожидалось ${ruDecimal(expected)}); возможно, линия не работает`,
    silentOver: (id: string) => `Линия ${id}: тишина закончилась`,
    testFailed: (id: string, detail: string) => `Линия ${id}: тестовый звонок не прошёл: ${detail}`,
    testOk: (id: string) => `Линия ${id}: тестовый звонок прошёл`,
    channelsShort: (id: string, busy: number, bought: number, cause: string | null) =>
      `Линия ${id}: оператор даёт меньше каналов, чем по договору: звонок отклонён, когда было занято ${busy} из ${bought}${cause ? ` (${cause})` : ''}`,
    channelsOk: (id: string, bought: number) =>
      bought === 1 ? `Линия ${id}: её канал принял звонок` : `Линия ${id}: все ${bought} ${ruPlural(bought, 'канал', 'канала', 'каналов')} были заняты одновременно`,
    wiredDown: (ids: string[], metered: string | null) =>
      `Интернет пропал: ${ids.length === 1 ? `проводной канал ${ids[0]} не работает` : `все проводные каналы (${ids.join(', ')}) не работают`}${metered ? `; работаем через ${metered} (платный трафик)` : ''}`,
    wiredUp: (id: string) => `Интернет снова есть: ${id} работает`,
    bundleLow: (plan: string, bundle: string, path: string | null, left: number, total: number) =>
      `${path ? `Направление ${path}` : `Тариф ${plan}`}: пакет ${bundle} почти израсходован: осталось ${left} из ${total} мин; дальше звонки будут оплачиваться поминутно`,
    bundleOk: (plan: string, bundle: string, path: string | null) => `${path ? `Направление ${path}` : `Тариф ${plan}`}: в пакете ${bundle} снова есть минуты`,
    panelDown: (output: string, error: string) => `Световое табло: ${panelOutput('ru', output)} не ${output === 'modbus' ? 'работает' : 'работают'}: ${error}`,
    panelUp: (output: string) => `Световое табло: ${panelOutput('ru', output)} снова ${output === 'modbus' ? 'работает' : 'работают'}`,
    storageDown: (problem: string) => `Коробка не может сохранять своё состояние: ${problem}. Она продолжает работать по памяти; то, что изменится сейчас, потеряется при перезапуске`,
    storageUp: () => 'Коробка снова сохраняет своё состояние',
    serviceLevelLow: (sl: number, offered: number, target: number, seconds: number) =>
      `Уровень обслуживания за этот час: ${sl} % из ${offered} ${ruPlural(offered, 'звонка', 'звонков', 'звонков')} отвечены за ${seconds} с (цель ${target} %)`,
    serviceLevelOk: () => 'Уровень обслуживания снова в норме',
    missedOpen: (count: number, minutes: number, caller: string) =>
      `${count} ${ruPlural(count, 'пропущенный звонок', 'пропущенных звонка', 'пропущенных звонков')} без перезвона дольше ${minutes} мин (самый давний — с номера ${caller})`,
    missedOk: () => 'На все пропущенные звонки перезвонили',
  },
} as const

/** The alert a line's state calls for: raised while down, cleared when up again. Pure. */
export function lineAlert(line: LineSnapshot, lang: Language): Omit<AlertRecord, 'ts'> | null {
  const id = `line/${line.id}/down`
  if (line.state === 'down') {
    return { id, severity: 'major', source: `line/${line.id}`, state: 'raised', message: TEXT[lang].lineDown(line.id, line.reason) }
  }
  if (line.state === 'up') {
    return { id, severity: 'major', source: `line/${line.id}`, state: 'cleared', message: TEXT[lang].lineUp(line.id, line.reason) }
  }
  return null
}

/**
 * A SIM that is missing, locked or failed needs a person, not a retry loop:
 * one alert while it lasts, cleared when the SIM reads READY again. Pure.
 */
export function simAlert(modem: ModemSnapshot, lang: Language): Omit<AlertRecord, 'ts'> | null {
  const id = `modem/${modem.id}/sim`
  if (modem.sim === 'unknown') return null
  if (modem.sim === 'READY') return { id, severity: 'major', source: `modem/${modem.id}`, state: 'cleared', message: TEXT[lang].simOk(modem.id) }
  return { id, severity: 'major', source: `modem/${modem.id}`, state: 'raised', message: TEXT[lang].simBad(modem.id, modem.sim) }
}

/**
 * A line silent for longer than likely: raised while the detector fires, cleared when a new silence
 * starts (the next call, or the line watched again after being down). No word while it is not watched. Pure.
 */
export function silenceAlert(line: LineSnapshot, lang: Language): Omit<AlertRecord, 'ts'> | null {
  const id = `line/${line.id}/silent`
  if (!line.silence) return null
  if (line.silence.firing) {
    return { id, severity: 'major', source: `line/${line.id}`, state: 'raised', message: TEXT[lang].silent(line.id, line.silence.minutes, line.silence.expectedCalls) }
  }
  return { id, severity: 'major', source: `line/${line.id}`, state: 'cleared', message: TEXT[lang].silentOver(line.id) }
}

/** The last test call failed: raised until one passes. Pure. */
export function testCallAlert(line: LineSnapshot, lang: Language): Omit<AlertRecord, 'ts'> | null {
  const t = line.lastTestCall
  if (!t) return null
  const id = `line/${line.id}/test-call`
  return t.ok
    ? { id, severity: 'major', source: `line/${line.id}`, state: 'cleared', message: TEXT[lang].testOk(line.id) }
    : { id, severity: 'major', source: `line/${line.id}`, state: 'raised', message: TEXT[lang].testFailed(line.id, t.detail) }
}

/** The carrier refused a call with channels free: raised until every bought channel carries a call at once. Pure. */
export function channelAlert(line: LineSnapshot, lang: Language): Omit<AlertRecord, 'ts'> | null {
  const id = `line/${line.id}/channels`
  const short = line.channelUse.short
  if (short) return { id, severity: 'minor', source: `line/${line.id}`, state: 'raised', message: TEXT[lang].channelsShort(line.id, short.busy, line.channels, short.cause) }
  if (line.channelUse.busy >= line.channels) return { id, severity: 'minor', source: `line/${line.id}`, state: 'cleared', message: TEXT[lang].channelsOk(line.id, line.channels) }
  return null
}

/**
 * Every wired uplink down: the office cannot hear the box over MQTT, so this
 * one goes by SMS whatever the settings (`sms`), at once; its clear when one
 * is back. Nothing while any wired uplink is still unknown. Pure.
 */
export function wiredUplinksAlert(uplinks: UplinkSnapshot[], lang: Language): Omit<AlertRecord, 'ts'> | null {
  const wired = uplinks.filter((u) => !u.metered)
  if (wired.length === 0) return null
  const base = { id: 'uplinks/wired', severity: 'critical' as const, source: 'uplinks', sms: true }
  const working = wired.find((u) => u.state === 'up' || u.state === 'degraded')
  if (working) return { ...base, state: 'cleared', message: TEXT[lang].wiredUp(working.id) }
  if (wired.every((u) => u.state === 'down')) {
    // the metered uplink the traffic goes to: the choice of uplink comes just after this state change
    const fallback = uplinks.filter((u) => u.metered && (u.state === 'up' || u.state === 'degraded')).sort((a, b) => Number(b.active) - Number(a.active) || a.preference - b.preference)[0]
    return { ...base, state: 'raised', message: TEXT[lang].wiredDown(wired.map((u) => u.id), fallback?.id ?? null) }
  }
  return null
}

/** A bundle's minutes below this share of its size: the alert is raised. */
export const BUNDLE_LOW_SHARE = 0.1

/**
 * A pool of bundle minutes nearly used up (below 10 % left): raised; cleared when its new period brings
 * the minutes back. A path's own pool is `routing/bundle/<plan>/<bundle>/<path>`, a shared one
 * `routing/bundle/<plan>/<bundle>`. Pure.
 */
export function bundleAlert(plan: string, bundle: string, path: string | null, leftSeconds: number, totalSeconds: number, lang: Language): Omit<AlertRecord, 'ts'> | null {
  if (!Number.isFinite(totalSeconds) || totalSeconds <= 0) return null
  const base = { id: `routing/bundle/${plan}/${bundle}${path ? `/${path}` : ''}`, severity: 'minor' as const, source: path ? `routing/${path}` : `routing/${plan}` }
  if (leftSeconds < BUNDLE_LOW_SHARE * totalSeconds) return { ...base, state: 'raised', message: TEXT[lang].bundleLow(plan, bundle, path, Math.floor(leftSeconds / 60), Math.round(totalSeconds / 60)) }
  return { ...base, state: 'cleared', message: TEXT[lang].bundleOk(plan, bundle, path) }
}

/** A panel output (the GPIO lamps, the Modbus stack light) stopped or started working. Minor: the buzzer stays quiet by default. Pure. */
export function panelOutputAlert(output: string, ok: boolean, error: string | undefined, lang: Language): Omit<AlertRecord, 'ts'> {
  const base = { id: `panel/${output}`, severity: 'minor' as const, source: 'panel' }
  return ok ? { ...base, state: 'cleared', message: TEXT[lang].panelUp(output) } : { ...base, state: 'raised', message: TEXT[lang].panelDown(output, error ?? 'failed') }
}

/** The state folder cannot be written (read-only, full): major, the box runs from memory. Pure. */
export function storageAlert(problem: string | null, lang: Language): Omit<AlertRecord, 'ts'> {
  const base = { id: 'box/storage', severity: 'major' as const, source: 'box' }
  return problem === null ? { ...base, state: 'cleared', message: TEXT[lang].storageUp() } : { ...base, state: 'raised', message: TEXT[lang].storageDown(problem) }
}

/** Calls offered this hour before its service level can raise the alert: one unlucky call is not a trend. */
export const SERVICE_LEVEL_MIN_OFFERED = 5

/** This hour's service level below the target (stats.alerts.serviceLevel): minor. Pure. */
export function serviceLevelAlert(serviceLevel: number | null, offered: number, target: { percent: number; seconds: number }, lang: Language): Omit<AlertRecord, 'ts'> {
  const base = { id: 'stats/service-level', severity: 'minor' as const, source: 'stats' }
  if (serviceLevel !== null && offered >= SERVICE_LEVEL_MIN_OFFERED && serviceLevel < target.percent) return { ...base, state: 'raised', message: TEXT[lang].serviceLevelLow(Math.round(serviceLevel), offered, target.percent, target.seconds) }
  return { ...base, state: 'cleared', message: TEXT[lang].serviceLevelOk() }
}

/** Missed calls open longer than `minutes` (stats.alerts.missedNotCalledBackMinutes): minor; `oldest` is the first one's caller. Pure. */
export function missedCallsAlert(open: number, oldest: string | null, minutes: number, lang: Language): Omit<AlertRecord, 'ts'> {
  const base = { id: 'stats/missed-calls', severity: 'minor' as const, source: 'stats' }
  if (open > 0 && oldest) return { ...base, state: 'raised', message: TEXT[lang].missedOpen(open, minutes, oldest) }
  return { ...base, state: 'cleared', message: TEXT[lang].missedOk() }
}

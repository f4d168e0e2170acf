import type { SimIO } from './gpio.js'
import type { SimGateway } from './binding.js'
import { SIM_UPLINK_PREFIX } from './internet.js'

export const MODEM_ACTIONS = [
  'break',
  'heal',
  'ring',
  'mute',
  'unmute',
  'hang',
  'reboot',
  'slow',
  'vanish',
  'return',
  'power-off',
  'power-on',
  'weak',
  'strong',
  'garbage',
] as const
export type ModemAction = (typeof MODEM_ACTIONS)[number]

/** `slow` without a number. */
export const DEFAULT_SLOW_MS = 2500

/** What the demo's page and terminal can do to a simulated modem. Returns a sentence for the user. */
export function modemAction(gw: SimGateway, name: string, action: string, arg?: string): string {
  const modem = gw.get(name)
  if (!modem) throw new Error(`no simulated modem "${name}" (have: ${[...gw.modems.keys()].join(', ')})`)
  switch (action as ModemAction) {
    case 'break':
      modem.setRegistration('not-registered')
      return `${name}: lost registration`
    case 'heal':
      modem.setAnswering(true)
      modem.replyDelayMs = 0
      modem.setRegistration('home')
      modem.setSignal(21)
      return `${name}: registered again${modem.powered ? '' : ' (but it is switched off: power-on)'}`
    case 'ring': {
      const caller = arg ?? '+74951234567'
      modem.ring(caller === 'withheld' ? null : caller, { times: 2 })
      return `${name}: ringing from ${caller}`
    }
    case 'mute':
      modem.setAnswering(false)
      return `${name}: hung hard (hears nothing, not even AT+CFUN=1,1; only its power key or supply brings it back)`
    case 'unmute':
      modem.setAnswering(true)
      return `${name}: answering again`
    case 'hang':
      modem.hang('soft')
      return `${name}: hung (answers nothing, but AT+CFUN=1,1 still reboots it)`
    case 'reboot':
      if (!modem.powered) throw new Error(`${name} is switched off`)
      modem.rebootByItself()
      return `${name}: rebooting by itself (silent, then its boot banners)`
    case 'slow': {
      const ms = arg === undefined ? DEFAULT_SLOW_MS : Number(arg)
      if (!Number.isInteger(ms) || ms < 0) throw new Error(`slow takes a delay in ms (0 = normal), not "${arg}"`)
      modem.replyDelayMs = ms
      return ms === 0 ? `${name}: answers at once again` : `${name}: every answer ${ms} ms late`
    }
    case 'vanish':
      gw.vanish(name)
      return `${name}: port vanished (as on a USB re-enumeration); opening it fails until "return"`
    case 'return':
      gw.reappear(name)
      return gw.present(name) ? `${name}: port is back` : `${name}: port stays away while the USB module is switched off`
    case 'power-off':
      modem.setPower(false)
      return `${name}: supply cut${modem.personality.usb ? ' (its USB port is gone)' : ''}`
    case 'power-on':
      modem.setPower(true)
      return modem.powered ? `${name}: supply back, booting` : `${name}: supply back; it stays off until its power key is pressed`
    case 'weak': {
      const csq = arg === undefined ? 3 : Number(arg)
      if (!Number.isInteger(csq) || csq < 0 || (csq > 31 && csq !== 99)) throw new Error(`signal must be a CSQ value 0..31 or 99, not "${arg}"`)
      modem.setSignal(csq)
      return `${name}: signal CSQ ${csq}`
    }
    case 'strong':
      modem.setSignal(25)
      return `${name}: signal CSQ 25`
    case 'garbage':
      modem.sendGarbage(Buffer.from([0xff, 0x00, 0xfe, 0x13, 0x8a, 0x0d, 0x0a, 0x7f, 0x80]))
      return `${name}: sent garbage bytes`
  }
  throw new Error(`unknown action "${action}" (try: ${MODEM_ACTIONS.join(', ')})`)
}

export const LINE_ACTIONS = ['cut', 'restore', 'deafen', 'call'] as const

/** What the demo can do to a simulated analog line. Returns a sentence for the user. */
export function lineAction(gw: SimGateway, name: string, action: string, arg?: string): string {
  const line = gw.analogLines.get(name)
  if (!line) throw new Error(`no simulated analog line "${name}" (have: ${[...gw.analogLines.keys()].join(', ') || 'none'})`)
  switch (action) {
    case 'cut':
      line.cut()
      return `${name}: cable cut (no line voltage, no calls)`
    case 'restore':
      line.restore()
      return `${name}: line voltage back, calls arrive`
    case 'deafen':
      line.deafen()
      return `${name}: the exchange stops putting calls through (voltage still present: only silence and test calls can tell)`
    case 'call': {
      const handle = line.incoming(arg ?? '+74951234567', null)
      return handle === null ? `${name}: busy (already ringing)` : line.ringing ? `${name}: ringing (${line.cadence.onMs / 1000} s on, ${line.cadence.offMs / 1000} s off)` : `${name}: the call went nowhere`
    }
  }
  throw new Error(`unknown action "${action}" (try: ${LINE_ACTIONS.join(', ')})`)
}

/** Press and release a button wired to ground (pull-up input), as a finger would. */
export function pressButton(io: SimIO, pin: number, holdMs = 80): Promise<void> {
  io.drive(pin, 0)
  return new Promise((resolve) =>
    setTimeout(() => {
      io.drive(pin, null)
      resolve()
    }, holdMs),
  )
}

export const UPLINK_ACTIONS = ['cut', 'restore', 'lossy', 'slow'] as const

/** What the demo can do to a simulated uplink (`sim:<name>`): its provider's packets. Returns a sentence for the user. */
export function uplinkAction(gw: SimGateway, name: string, action: string, arg?: string): string {
  const link = gw.internet?.links.get(`${SIM_UPLINK_PREFIX}${name}`)
  if (!link) throw new Error(`no simulated uplink "${name}" (have: ${[...(gw.internet?.links.keys() ?? [])].map((k) => k.slice(SIM_UPLINK_PREFIX.length)).join(', ') || 'none'})`)
  const number = (what: string, fallback: number, max: number) => {
    const n = arg === undefined ? fallback : Number(arg)
    if (!Number.isFinite(n) || n < 0 || n > max) throw new Error(`${action} takes ${what} 0..${max}, not "${arg}"`)
    return n
  }
  switch (action) {
    case 'cut':
      link.cut = true
      return `${name}: provider cut (every packet lost)`
    case 'restore':
      Object.assign(link, { cut: false, lossPct: 0, rttMs: link.rttMs > 200 ? 25 : link.rttMs })
      return `${name}: provider back to normal`
    case 'lossy':
      link.lossPct = number('a loss in percent', 5, 100)
      return `${name}: ${link.lossPct}% of packets lost`
    case 'slow':
      link.rttMs = number('a round trip in ms', 400, 5000)
      return `${name}: round trip ${link.rttMs} ms`
  }
  throw new Error(`unknown action "${action}" (try: ${UPLINK_ACTIONS.join(', ')})`)
}

import type { SimIO } from './gpio.js'
import type { SimGateway } from './binding.js'

export const MODEM_ACTIONS = ['break', 'heal', 'ring', 'mute', 'unmute', 'weak', 'strong', 'garbage'] as const
export type ModemAction = (typeof MODEM_ACTIONS)[number]

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
      modem.setRegistration('home')
      modem.setSignal(21)
      return `${name}: registered again`
    case 'ring': {
      const caller = arg ?? '+74951234567'
      modem.ring(caller === 'withheld' ? null : caller, { times: 2 })
      return `${name}: ringing from ${caller}`
    }
    case 'mute':
      modem.setAnswering(false)
      return `${name}: hung (answers nothing; the box's recovery ladder should bring it back)`
    case 'unmute':
      modem.setAnswering(true)
      return `${name}: answering again`
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

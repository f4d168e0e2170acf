import { createInterface } from 'node:readline'
import { systemClock } from '../core/clock.js'
import { errorMessage } from '../core/errors.js'
import { SimGateway } from './binding.js'
import { MODEM_ACTIONS, modemAction } from './controls.js'
import { SimModem } from './modem.js'
import { PERSONALITIES, type PersonalityName } from './personalities.js'
import { linkSimModem } from './serial-link.js'
import { readSentSms } from './sms-text.js'

export interface SimModemCliOptions {
  port: string
  personality: string
  baudRate: number
  input: NodeJS.ReadableStream
  print: (line: string) => void
}

/**
 * `linewatch sim modem --port PATH`: a simulated module on a real serial
 * device (one end of a socat pseudo-terminal pair), so `linewatch run` can be
 * tried against it exactly as against hardware. Reads knob commands on stdin.
 */
export async function runSimModem(opts: SimModemCliOptions): Promise<{ stop(): Promise<void> }> {
  if (!(opts.personality in PERSONALITIES)) throw new Error(`unknown personality "${opts.personality}" (have: ${Object.keys(PERSONALITIES).join(', ')})`)
  const gw = new SimGateway()
  const modem = gw.add('modem', new SimModem({ clock: systemClock, personality: opts.personality as PersonalityName }))
  const link = await linkSimModem(modem, opts.port, opts.baudRate)
  modem.on('command', (c) => opts.print(`<- ${c}`))
  modem.on('sms', (sms) => {
    const m = readSentSms(sms)
    opts.print(`SMS to ${m.to ?? '?'}${m.part ? ` (part ${m.part})` : ''}: ${m.text}`)
  })
  opts.print(`simulated ${opts.personality} modem on ${opts.port}; commands: ${[...MODEM_ACTIONS, 'power'].join(', ')} ('power' presses its power key: off if on, on if off)`)
  const rl = createInterface({ input: opts.input })
  rl.on('line', (text) => {
    const [cmd, arg] = text.trim().split(/\s+/)
    if (!cmd) return
    try {
      if (cmd === 'power') {
        modem.pressPowerKey()
        opts.print(`power key pressed: ${modem.powered ? 'booting' : 'powered down'}`)
      } else if (cmd === 'vanish' || cmd === 'return') {
        // the port is a real pseudo-terminal held open by this process: it cannot vanish as a USB device does
        opts.print(`${cmd}: not possible here: ${opts.port} is a pseudo-terminal, not a simulated port; stop this process (or the socat pair) to take the device away`)
      } else {
        opts.print(modemAction(gw, 'modem', cmd, arg))
        if (cmd === 'power-off' && modem.personality.usb) opts.print(`(${opts.port} stays: a pseudo-terminal cannot vanish; the module is just silent)`)
      }
    } catch (err) {
      opts.print(errorMessage(err))
    }
  })
  return {
    async stop() {
      rl.close()
      modem.stop()
      await link.close()
    },
  }
}

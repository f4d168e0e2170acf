import { createInterface } from 'node:readline'
import { systemClock } from '../core/clock.js'
import { errorMessage } from '../core/errors.js'
import { SimGateway } from './binding.js'
import { MODEM_ACTIONS, modemAction } from './controls.js'
import { SimModem } from './modem.js'
import { PERSONALITIES, type PersonalityName } from './personalities.js'
import { linkSimModem } from './serial-link.js'

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
  opts.print(`simulated ${opts.personality} modem on ${opts.port}; commands: ${[...MODEM_ACTIONS, 'power'].join(', ')}`)
  const rl = createInterface({ input: opts.input })
  rl.on('line', (text) => {
    const [cmd, arg] = text.trim().split(/\s+/)
    if (!cmd) return
    try {
      if (cmd === 'power') {
        modem.pressPowerKey()
        opts.print('power key pressed: rebooting')
      } else opts.print(modemAction(gw, 'modem', cmd, arg))
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

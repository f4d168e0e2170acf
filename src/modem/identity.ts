import { ErrorCode, hasCode } from '../core/errors.js'
import type { ModemIdentity } from '../core/state.js'

/** An identity answer without its echo-like prefix ("+CGMR: EC25EFAR06A06M4G" → "EC25EFAR06A06M4G"). */
export function identityText(line: string | undefined): string | null {
  const t = (line ?? '').replace(/^\+\w+:\s*/, '').replace(/^Revision:\s*/i, '').trim()
  return t || null
}

/**
 * Who the module and its SIM are. Each answer is optional (older modules lack
 * some commands, ICCID has a vendor command per family, no SIM means no IMSI):
 * an ERROR leaves that field null, a timeout ends the attempt.
 */
export async function readIdentity(send: (cmd: string) => Promise<string[]>): Promise<ModemIdentity> {
  const ask = async (cmds: string[], pick: (lines: string[]) => string | null): Promise<string | null> => {
    for (const cmd of cmds) {
      try {
        const v = pick(await send(cmd))
        if (v) return v
      } catch (err) {
        if (!hasCode(err, ErrorCode.AT_ERROR)) throw err
      }
    }
    return null
  }
  const text = (lines: string[]) => identityText(lines[0])
  const digits = (lines: string[]) => lines.map((l) => /(\d{14,22}[0-9A-Fa-f]?)/.exec(l)?.[1]).find(Boolean) ?? null
  return {
    manufacturer: await ask(['AT+CGMI'], text),
    model: await ask(['AT+CGMM'], text),
    firmware: await ask(['AT+CGMR'], text),
    imei: await ask(['AT+CGSN'], digits),
    iccid: await ask(['AT+CCID', 'AT+QCCID', 'AT+CICCID', 'AT^ICCID?'], digits),
    imsi: await ask(['AT+CIMI'], digits),
  }
}

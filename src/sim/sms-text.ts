import { decodeSubmitPdu } from '../modem/sms.js'
import { decodeUcs2Hex } from '../modem/ussd.js'
import type { SentSms } from './sms.js'

/** What a phone would show for a message the simulated module sent: `to`, the text, and the part (n/total) of a long one. */
export function readSentSms(sms: SentSms): { to: string | null; text: string; part: string | null } {
  if (sms.mode === 'pdu') {
    const pdu = decodeSubmitPdu(sms.body)
    if (!pdu) return { to: null, text: `(undecodable PDU ${sms.body})`, part: null }
    return { to: pdu.to, text: pdu.text, part: pdu.concat ? `${pdu.concat.seq}/${pdu.concat.total}` : null }
  }
  const ucs2 = sms.cscs === 'UCS2'
  const to = ucs2 && sms.to ? decodeUcs2Hex(sms.to) ?? sms.to : sms.to
  const text = ucs2 && sms.dcs === 8 ? decodeUcs2Hex(sms.body) ?? sms.body : sms.body
  return { to, text, part: null }
}

/**
 * How simulated modules differ, as real ones do: names, firmware strings,
 * how they write a location (quoted or bare hex), what they print at boot,
 * and which vendor command answers the ICCID. Taken from the modules'
 * manuals and from the reply corpus in test/modem/fixtures/real-replies.ts.
 */
export interface Personality {
  manufacturer: string
  model: string
  firmware: string
  /** Huawei-style modules write LAC and cell id as bare hex: `+CREG: 1,8BE3,2BAF`. */
  quoteLocation: boolean
  /** Access technology appended to registration reports (7 = LTE), or null. */
  act: number | null
  bootBanners: string[]
  /** Commands that answer the ICCID, and the prefix of the answer. */
  iccid: { commands: string[]; prefix: string }
}

export const PERSONALITIES = {
  quectel: {
    manufacturer: 'Quectel',
    model: 'EC25',
    firmware: 'EC25EFAR06A06M4G',
    quoteLocation: true,
    act: 7,
    bootBanners: ['RDY', '+CFUN: 1', '+CPIN: READY', '+QUSIM: 1', '+QIND: SMS DONE', '+QIND: PB DONE'],
    iccid: { commands: ['+QCCID'], prefix: '+QCCID: ' },
  },
  simcom: {
    manufacturer: 'SIMCOM_Ltd',
    model: 'SIMCOM_SIM800L',
    firmware: 'Revision:1418B04SIM800L24',
    quoteLocation: true,
    act: null,
    bootBanners: ['RDY', '+CFUN: 1', '+CPIN: READY', 'Call Ready', 'SMS Ready'],
    iccid: { commands: ['+CCID', '+CICCID'], prefix: '' },
  },
  huawei: {
    manufacturer: 'huawei',
    model: 'E173',
    firmware: '11.126.85.00.209',
    quoteLocation: false,
    act: null,
    bootBanners: ['^SYSSTART', '+CPIN: READY', '^SRVST: 2'],
    iccid: { commands: ['^ICCID?'], prefix: '^ICCID: ' },
  },
} as const satisfies Record<string, Personality>

export type PersonalityName = keyof typeof PERSONALITIES

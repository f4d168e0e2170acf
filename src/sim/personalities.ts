/**
 * How simulated modules differ, as real ones do: names, firmware strings,
 * how they write a location (quoted or bare hex), what they print at boot
 * and at power-down, which vendor command answers the ICCID, how they come
 * back when power returns, whether their port is USB. Taken from the
 * modules' manuals and hardware design guides and from the reply corpus in
 * test/modem/fixtures/real-replies.ts.
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
  /** What it prints when the power key switches it off (firmware not hung); null: nothing. */
  powerDownLine: string | null
  /** Whether it boots by itself when the supply comes back (else it waits for a PWRKEY pulse). */
  bootsOnPower: boolean
  /** On USB (the port is a USB device that vanishes while the module is off) rather than a UART. */
  usb: boolean
  /** AT+CLCC=1 also reports each call state change as an unsolicited +CLCC (SIMCom). */
  clccUrc: boolean
  /** AT+CSCS after boot. */
  defaultCscs: 'GSM' | 'IRA' | 'UCS2'
  /** From power-on to its boot banner, typically (the bench boots it this long; SimModem's bootMs defaults to 3 s). */
  typicalBootMs: number
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
    powerDownLine: 'POWERED DOWN',
    bootsOnPower: true,
    usb: true,
    clccUrc: false,
    defaultCscs: 'GSM',
    // Quectel's forum (EG25-G, same family): RDY "can be received after 12s"
    typicalBootMs: 12_000,
  },
  simcom: {
    manufacturer: 'SIMCOM_Ltd',
    model: 'SIMCOM_SIM800L',
    firmware: 'Revision:1418B04SIM800L24',
    quoteLocation: true,
    act: null,
    bootBanners: ['RDY', '+CFUN: 1', '+CPIN: READY', 'Call Ready', 'SMS Ready'],
    iccid: { commands: ['+CCID', '+CICCID'], prefix: '' },
    powerDownLine: 'NORMAL POWER DOWN',
    // a SIM800 stays off when the supply returns until PWRKEY is pulled low
    bootsOnPower: false,
    usb: false,
    clccUrc: true,
    defaultCscs: 'IRA',
    // SIM800 hardware design V1.09, fig. 12: the serial port is active > 1.4 s after power-on, then RDY
    typicalBootMs: 3000,
  },
  huawei: {
    manufacturer: 'huawei',
    model: 'E173',
    firmware: '11.126.85.00.209',
    quoteLocation: false,
    act: null,
    bootBanners: ['^SYSSTART', '+CPIN: READY', '^SRVST: 2'],
    iccid: { commands: ['^ICCID?'], prefix: '^ICCID: ' },
    powerDownLine: null,
    // a USB stick: powered by the bus, it starts as soon as it has power
    bootsOnPower: true,
    usb: true,
    clccUrc: false,
    defaultCscs: 'IRA',
    // no figure found for the E173: the bench's old 10 s
    typicalBootMs: 10_000,
  },
} as const satisfies Record<string, Personality>

export type PersonalityName = keyof typeof PERSONALITIES

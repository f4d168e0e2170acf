/**
 * Lines modules print on their own about themselves: boot banners, SIM and
 * readiness reports, power-down and voltage/temperature warnings, call
 * notices in vendor spellings. The supervisor uses them to know a module
 * rebooted or is about to lose power. Pure.
 */
export type BannerKind =
  | 'boot'
  | 'ready'
  | 'sim'
  | 'functionality'
  | 'power-down'
  | 'voltage-warning'
  | 'temperature'
  | 'charge-only'
  | 'vendor-status'
  | 'call'

const RULES: [RegExp, BannerKind][] = [
  [/^(RDY|\^SYSSTART)$/, 'boot'],
  [/^(Call Ready|SMS Ready|SMS DONE|PB DONE|\+QIND: (PB|SMS) DONE)$/, 'ready'],
  [/^(\+CPIN: .+|\+QUSIM: \d+|\+PACSP\d|\^SIMST: ?[\d,]+|\+CME ERROR: SIM .+)$/, 'sim'],
  [/^\+CFUN: ?\d+$/, 'functionality'],
  // SIMCom: NORMAL POWER DOWN/OFF, UNDER-/OVER-VOLTAGE POWER DOWN/OFF; Quectel: POWERED DOWN, UNDER_VOLTAGE POWER DOWN
  [/^((NORMAL|(UNDER|OVER)[-_]VOLTAGE) POWER (DOWN|OFF)|POWERED DOWN)$/, 'power-down'],
  // sic: SIMCom spells it WARNNING
  [/^((UNDER|OVER)[-_]VOLTAGE WARN+ING|\+QIND: "vbatt",-?\d+)$/, 'voltage-warning'],
  [/^\+CMTE: ?-?\d+$/, 'temperature'],
  [/^CHARGE-ONLY MODE$/, 'charge-only'],
  [/^(RING|\+CRING: .*|VOICE CALL: .*|MISSED_CALL: .*|\^CEND:.*)$/, 'call'],
  // Huawei status lines; ^BOOT repeats periodically and is NOT a reboot
  [/^\^(BOOT|SRVST|MODE|RSSI|DSFLOWRPT|HCSQ):/, 'vendor-status'],
]

export function classifyBanner(line: string): BannerKind | null {
  for (const [re, kind] of RULES) if (re.test(line)) return kind
  return null
}

/** The box `linewatch demo` runs: two GSM lines on simulated modems, a SIP line, an analog line on GPIO, two wired uplinks and a metered LTE one, a panel. */
export const DEMO_CONFIG_YAML = `
site: demo-store
box: box1
board: sim
modems:
  - { id: gsm1, port: "sim:gsm1", pollSeconds: 5, commandTimeoutMs: 1500, bootWaitSeconds: 8, powerKey: { pin: 8 }, balance: { ussd: "*100#", everyMinutes: 5 } }
  - { id: gsm2, port: "sim:gsm2", pollSeconds: 5, commandTimeoutMs: 1500, bootWaitSeconds: 8, powerKey: { pin: 9 }, powerCut: { pin: 10 } }
lines:
  - { id: gsm1, kind: gsm, numbers: ["+74951110001"], channels: 1, modem: gsm1, hysteresis: { holdDownSeconds: 5 } }
  - { id: gsm2, kind: gsm, numbers: ["+74951110002"], channels: 1, modem: gsm2, hysteresis: { holdDownSeconds: 5 } }
  - { id: sip1, kind: sip, numbers: ["+74951110000"], channels: 10 }
  - id: pots1
    kind: analog
    numbers: ["+74951110003"]
    hysteresis: { holdDownSeconds: 10 }
    analog: { voltage: { pin: 11 }, ring: { pin: 12 } }
uplinks:
  - id: wan1
    interface: "sim:wan1"
    gateway: 192.0.2.1
    probes: { targets: [{ type: icmp, host: 198.18.0.1 }, { type: tcp, host: 198.18.0.2, port: 443 }] }
    holdDownSeconds: 15
  - id: wan2
    interface: "sim:wan2"
    gateway: 192.0.2.2
    probes: { targets: [{ type: icmp, host: 198.18.0.1 }, { type: dns, host: 198.18.0.53 }] }
    holdDownSeconds: 15
  - id: lte
    interface: "sim:lte"
    gateway: 192.0.2.3
    metered: true
    probes: { targets: [{ type: icmp, host: 198.18.0.1 }], standbyEveryMs: 10000 }
failover: { routes: metrics, meteredReportSeconds: 60 }
panel:
  lamps:
    - { id: system, source: system, green: 16, red: 17 }
    - { id: gsm1, source: line/gsm1, green: 2, red: 3 }
    - { id: gsm2, source: line/gsm2, green: 4, red: 5 }
    - { id: pots1, source: line/pots1, green: 14, red: 15 }
    - { id: sip1, source: line/sip1, green: 18, red: 19 }
    - { id: modem1, source: modem/gsm1, green: 20, red: 21 }
    - { id: wan1, source: uplink/wan1, green: 22, red: 23 }
    - { id: wan2, source: uplink/wan2, green: 24, red: 25 }
  buzzer: { pin: 6 }
  button: { pin: 7 }
  # a stack light on RS-485 showing the worst of everything; here a simulated Modbus slave, watched
  # every 3 s so that "stack off" shows within seconds
  modbus: { port: "sim:stacklight", slaveId: 1, coils: { red: 0, amber: 1, green: 2, buzzer: 3 }, refreshSeconds: 3, retrySeconds: 2 }
alerts:
  language: en
numbering: { countryCode: "7", nationalPrefix: "8", internationalPrefix: "810", areaCode: "495", localDigits: 7 }
routing:
  plans:
    - id: carrier
      currency: RUB
      deck: { file: decks/carrier.csv }
      bands:
        - { name: offpeak, days: [mon, tue, wed, thu, fri], from: "20:00", to: "24:00" }
        - { name: offpeak, days: [sat, sun], from: "00:00", to: "24:00" }
    - id: sims
      currency: RUB
      deck: { file: decks/sims.csv }
      bundles: [{ id: mobile300, minutes: 300, prefixes: ["79"] }]
  paths:
    - { id: sip1, line: sip1, dial: "PJSIP/{e164}@carrier", plan: carrier }
    - { id: pots1, line: pots1, dial: "DAHDI/g1/{national}", plan: carrier }
    - { id: gsm1, line: gsm1, dial: "Dongle/gsm1/{national}", plan: sims }
    - { id: gsm2, line: gsm2, dial: "Dongle/gsm2/{national}", plan: sims }
mqtt:
  url: mqtt://127.0.0.1:1883
http:
  host: 127.0.0.1
  port: 8080
`

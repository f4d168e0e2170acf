/**
 * The parsers against what real modems send (test/modem/fixtures/real-replies.ts:
 * lines collected from modem manuals and open-source modem projects' test data,
 * each with its source).
 */
import t from 'tap'
import { classifyBanner } from '../../src/modem/banners.js'
import { parseClcc, parseClipInfo, parseCmti } from '../../src/modem/calls.js'
import { parseCopsInfo, parseCsq, parseFinal, parseRegistration } from '../../src/modem/parse.js'
import { parseCusd } from '../../src/modem/ussd.js'
import { CLCC, CLIP, CMTI, COPS, CSQ, CUSD, FINAL_CODES, LOOKALIKES, REGISTRATION, URC_BANNERS } from './fixtures/real-replies.js'

const label = (line: string, source: string) => `${JSON.stringify(line).slice(0, 90)}  (${source})`

t.test('registration: +CREG/+CGREG/+CEREG/+C5GREG in every shape', async (t) => {
  for (const { line, source, want } of REGISTRATION) {
    const got = parseRegistration(line)
    t.same(got && { kind: got.kind, stat: got.stat, lac: got.lac, cellId: got.cellId, act: got.act }, want, label(line, source))
  }
})

t.test('+CSQ', async (t) => {
  for (const { line, source, want } of CSQ) {
    const got = parseCsq(line)
    t.same(got && { csq: got.csq, ber: got.ber }, want, label(line, source))
  }
})

t.test('+COPS?', async (t) => {
  for (const { line, source, want } of COPS) t.same(parseCopsInfo(line), want, label(line, source ?? 'constructed'))
})

t.test('+CLCC', async (t) => {
  for (const { line, source, want } of CLCC) t.same(parseClcc(line), want, label(line, source))
})

t.test('+CLIP', async (t) => {
  for (const { line, source, want } of CLIP) t.same(parseClipInfo(line), want, label(line, source))
})

t.test('+CUSD, with the text decoded (UCS2 hex, packed GSM-7, plain)', async (t) => {
  for (const { line, source, want } of CUSD) {
    const got = parseCusd(line)
    t.same(got && { status: got.status, text: got.text, dcs: got.dcs }, { status: want.status, text: want.text, dcs: want.dcs }, label(line, source ?? 'constructed'))
    if (want.decoded !== undefined) t.equal(got?.decoded, want.decoded, `decoded: ${want.decoded.slice(0, 40)}`)
  }
})

t.test('+CMTI', async (t) => {
  for (const { line, source, want } of CMTI) t.same(parseCmti(line), want, label(line, source))
})

t.test('banners and warnings modules print by themselves', async (t) => {
  for (const { line, source, want } of URC_BANNERS) t.equal(classifyBanner(line), want.kind, label(line, source))
})

t.test('final result codes (verbose: the driver sends ATV1)', async (t) => {
  for (const { line, source, want } of FINAL_CODES) {
    if (/^\d$/.test(line)) continue // numeric codes only after ATV0, which the driver never sends
    const got = parseFinal(line)
    t.same(got && { ok: got.ok, code: got.code, detail: got.detail ?? null }, want, label(line, source))
  }
})

t.test('lines that look final and are not (and the reverse)', async (t) => {
  // per-command terminators (CLOSE OK for AT+CIPCLOSE, Wavecom's bare +CPIN:) and the prompt are the engine's business
  const generic = LOOKALIKES.filter((l) => !['CLOSE OK', 'SHUT OK', '+CPIN: READY', '> '].includes(l.line))
  for (const { line, source, want } of generic) t.equal(parseFinal(line) !== null, want.final, label(line, source))
})

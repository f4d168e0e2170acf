/**
 * SIP OPTIONS keepalive (RFC 3261 §11): ask the carrier's proxy "are you
 * there?" over UDP (retransmitted from 500 ms, doubling, as timer E) or TCP,
 * and take the status line of the answer and the round trip. Any final answer
 * means the proxy is there; 503 means it is there and refusing service.
 */
import { randomBytes } from 'node:crypto'
import { createSocket } from 'node:dgram'
import { connect } from 'node:net'

export interface SipProbeTarget {
  host: string
  port: number
  transport: 'udp' | 'tcp'
  timeoutMs: number
}

export interface SipProbeResult {
  /** The final status code (200, 404, 503, …); null when nothing came back in time. */
  code: number | null
  reason: string
  rttMs: number | null
}

const T1_MS = 500

/** The OPTIONS request; `local` is our address as the proxy sees the Via. */
/** An address for a SIP URI or Via: IPv6 in brackets. */
const hostPart = (h: string) => (h.includes(':') && !h.startsWith('[') ? `[${h}]` : h)

export function optionsRequest(target: SipProbeTarget, local: { address: string; port: number }, ids: { branch: string; tag: string; callId: string; cseq: number }): string {
  const uri = `sip:${hostPart(target.host)}:${target.port}`
  const me = hostPart(local.address)
  const transport = target.transport.toUpperCase()
  return [
    `OPTIONS ${uri} SIP/2.0`,
    `Via: SIP/2.0/${transport} ${me}:${local.port};branch=z9hG4bK${ids.branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:linewatch@${me}>;tag=${ids.tag}`,
    `To: <${uri}>`,
    `Call-ID: ${ids.callId}`,
    `CSeq: ${ids.cseq} OPTIONS`,
    `Contact: <sip:linewatch@${me}:${local.port};transport=${target.transport}>`,
    'Accept: application/sdp',
    'User-Agent: linewatch',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n')
}

/** The status of a response to our request (matched by Call-ID), or null when it is not one. Provisional (1xx) answers are not final. */
export function parseResponse(text: string, callId: string): { code: number; reason: string } | null {
  const status = /^SIP\/2\.0 (\d{3}) ?([^\r\n]*)/.exec(text)
  if (!status) return null
  const id = /^(?:Call-ID|i)\s*:\s*(\S+)/im.exec(text)?.[1]
  if (id !== callId) return null
  const code = Number(status[1])
  return code >= 200 ? { code, reason: status[2]!.trim() } : null
}

const newIds = (cseq: number) => ({ branch: randomBytes(6).toString('hex'), tag: randomBytes(4).toString('hex'), callId: `${randomBytes(8).toString('hex')}@linewatch`, cseq })

let cseq = 0

/** One OPTIONS to the proxy. Never throws: failures are a null code with the reason. */
export function probeSip(target: SipProbeTarget): Promise<SipProbeResult> {
  return target.transport === 'udp' ? probeUdp(target) : probeTcp(target)
}

function probeUdp(target: SipProbeTarget): Promise<SipProbeResult> {
  return new Promise((resolve) => {
    const ids = newIds(++cseq)
    const socket = createSocket(target.host.includes(':') ? 'udp6' : 'udp4')
    const started = performance.now()
    let retransmit: NodeJS.Timeout | null = null
    let done = false
    // once: a late DNS answer or error after the deadline must not close the socket twice
    const finish = (r: SipProbeResult) => {
      if (done) return
      done = true
      clearTimeout(deadline)
      if (retransmit) clearTimeout(retransmit)
      socket.close()
      resolve(r)
    }
    const deadline = setTimeout(() => finish({ code: null, reason: `no answer in ${target.timeoutMs} ms`, rttMs: null }), target.timeoutMs)
    socket.on('error', (err) => finish({ code: null, reason: err.message, rttMs: null }))
    socket.on('message', (msg) => {
      const r = parseResponse(msg.toString('latin1'), ids.callId)
      if (r) finish({ ...r, rttMs: Math.round(performance.now() - started) })
    })
    // a name that does not resolve (DNS down) comes back here as an error: a probe result, never a crash
    socket.connect(target.port, target.host, (err?: Error) => {
      if (err) return finish({ code: null, reason: err.message, rttMs: null })
      const request = optionsRequest(target, socket.address(), ids)
      let wait = T1_MS
      const send = () => {
        socket.send(request)
        retransmit = setTimeout(send, wait)
        wait *= 2
      }
      send()
    })
  })
}

function probeTcp(target: SipProbeTarget): Promise<SipProbeResult> {
  return new Promise((resolve) => {
    const ids = newIds(++cseq)
    const started = performance.now()
    const socket = connect({ host: target.host, port: target.port })
    let text = ''
    let done = false
    const finish = (r: SipProbeResult) => {
      if (done) return
      done = true
      clearTimeout(deadline)
      socket.destroy()
      resolve(r)
    }
    const deadline = setTimeout(() => finish({ code: null, reason: `no answer in ${target.timeoutMs} ms`, rttMs: null }), target.timeoutMs)
    socket.on('error', (err) => finish({ code: null, reason: err.message, rttMs: null }))
    socket.on('connect', () => socket.write(optionsRequest(target, { address: socket.localAddress ?? '0.0.0.0', port: socket.localPort ?? 0 }, ids)))
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1')
      // a stream carries messages back to back, each a head and Content-Length bytes of body
      for (let end = text.indexOf('\r\n\r\n'); end >= 0; end = text.indexOf('\r\n\r\n')) {
        const head = text.slice(0, end)
        const length = Number(/^(?:Content-Length|l)\s*:\s*(\d+)/im.exec(head)?.[1] ?? 0)
        if (text.length < end + 4 + length) break
        text = text.slice(end + 4 + length)
        const r = parseResponse(head, ids.callId)
        if (r) return finish({ ...r, rttMs: Math.round(performance.now() - started) })
      }
      if (text.length > 65536) finish({ code: null, reason: 'answer too long', rttMs: null })
    })
  })
}

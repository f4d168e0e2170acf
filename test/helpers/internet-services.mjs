#!/usr/bin/env node
// What an uplink probe expects to find on the internet, for the netns topology:
// a TCP port that accepts, an HTTP server that answers 204, a DNS server that
// answers every A query with 192.0.2.1. Plain Node, no dependencies, because it
// runs inside a namespace with `ip netns exec node internet-services.mjs`.
//
//   --host ADDR (repeatable; default 0.0.0.0) --tcp PORT (443) --http PORT (80) --dns PORT (53)
//
// Prints "ready" once everything listens; exits 0 on SIGTERM or SIGINT.
import { createSocket } from 'node:dgram'
import { createServer as createHttp } from 'node:http'
import { createServer as createTcp } from 'node:net'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    host: { type: 'string', multiple: true, default: ['0.0.0.0'] },
    tcp: { type: 'string', default: '443' },
    http: { type: 'string', default: '80' },
    dns: { type: 'string', default: '53' },
  },
})

/** The answer to a DNS query, or null for something that is not one. */
function dnsAnswer(q) {
  if (q.length < 12 || q[2] & 0x80) return null
  let i = 12
  while (i < q.length && q[i] !== 0) {
    if (q[i] & 0xc0) return null // no compression in a question
    i += q[i] + 1
  }
  if (i + 5 > q.length) return null
  const question = q.subarray(12, i + 5)
  const isA = q.readUInt16BE(i + 1) === 1 && q.readUInt16BE(i + 3) === 1
  const header = Buffer.alloc(12)
  q.copy(header, 0, 0, 2) // id
  header[2] = 0x80 | (q[2] & 0x79) // QR, the query's opcode and RD
  header[3] = 0x80 // RA, NOERROR
  header.writeUInt16BE(1, 4) // one question
  header.writeUInt16BE(isA ? 1 : 0, 6)
  // name: pointer to the question's (offset 12), type A, class IN, TTL 60, 4 bytes of 192.0.2.1
  const answer = isA ? Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]) : Buffer.alloc(0)
  return Buffer.concat([header, question, answer])
}

const closers = []
const listening = []
for (const host of values.host) {
  const tcp = createTcp((s) => s.on('error', () => {}).end())
  const http = createHttp((_req, res) => res.writeHead(204).end())
  const dns = createSocket(host.includes(':') ? 'udp6' : 'udp4')
  dns.on('message', (msg, from) => {
    const reply = dnsAnswer(msg)
    if (reply) dns.send(reply, from.port, from.address)
  })
  listening.push(
    new Promise((r) => tcp.listen(Number(values.tcp), host, r)),
    new Promise((r) => http.listen(Number(values.http), host, r)),
    new Promise((r) => dns.bind(Number(values.dns), host, r)),
  )
  closers.push(() => tcp.close(), () => http.close(), () => dns.close())
}
for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => {
  for (const close of closers) close()
  process.exit(0)
})
await Promise.all(listening)
process.stdout.write('ready\n')

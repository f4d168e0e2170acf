/**
 * The Modbus RTU coil driver and the simulated slave: the slave's framing on
 * an in-memory line, then the driver against it, in memory and over a real
 * socat pseudo-terminal pair (real termios, reads that split as they will).
 */
import t from 'tap'
import { ModbusCoils, crc16, withCrc, type ModbusLink } from '../../src/hw/modbus-coils.js'
import { SimModbusSlave } from '../../src/sim/modbus-slave.js'
import { waitFor } from '../helpers/flush.js'
import { memoryLine } from '../helpers/memory-line.js'
import { slaveOnPty } from '../helpers/modbus-pty.js'
import { missing } from '../helpers/real.js'

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex')
type Teardown = { teardown(fn: () => unknown): void }
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A slave on one end of a memory line; `master` is the other end, `heard()` what came back. */
function slaveRig(t: Teardown, slaveId = 1) {
  const [master, device] = memoryLine()
  const slave = new SimModbusSlave({ slaveId, coils: 10, registers: 2 }).attach(device)
  let got = Buffer.alloc(0)
  master.on('data', (d: Buffer) => (got = Buffer.concat([got, d])))
  t.teardown(() => {
    slave.detach()
    master.destroy()
    device.destroy()
  })
  return {
    slave,
    master,
    /** Bytes answered since the last call, after waiting for `length` of them (or `ms` of silence). */
    async heard(length = 0, ms = 50): Promise<Buffer> {
      if (length) await waitFor(() => got.length >= length, 1000, `${length} bytes of answer`)
      else await sleep(ms)
      const was = got
      got = Buffer.alloc(0)
      return was
    },
  }
}

t.test('CRC-16/MODBUS known vectors', async (t) => {
  t.equal(crc16(hex('01 05 00 02 FF 00')), 0xfa2d)
  t.same(withCrc(hex('01 05 00 02 FF 00')), hex('01 05 00 02 FF 00 2D FA'), 'low byte first')
  t.same(withCrc([0x01, 0x03, 0x00, 0x00, 0x00, 0x01]), hex('01 03 00 00 00 01 84 0A'))
})

t.test('slave: write single coil is echoed and sets the coil, with an event', async (t) => {
  const { slave, master, heard } = slaveRig(t)
  const events: [number, boolean][] = []
  slave.on('coil', (a, v) => events.push([a, v]))
  master.write(hex('01 05 00 02 FF 00 2D FA'))
  t.same(await heard(8), hex('01 05 00 02 FF 00 2D FA'))
  t.equal(slave.coils[2], true)
  master.write(withCrc(hex('01 05 00 02 FF 00')))
  await heard(8)
  t.same(events, [[2, true]], 'an event on a change only')
})

t.test('slave: read and write multiple coils, read and write registers', async (t) => {
  const { slave, master, heard } = slaveRig(t)
  // coils 1..9 = 1 0 1 1 0 0 0 0 1 : 0x0D, 0x01 (LSB first)
  master.write(withCrc(hex('01 0F 00 01 00 09 02 0D 01')))
  t.same(await heard(8), withCrc(hex('01 0F 00 01 00 09')))
  t.same(slave.coils, [false, true, false, true, true, false, false, false, false, true])
  master.write(withCrc(hex('01 01 00 00 00 0A')))
  t.same(await heard(7), withCrc(hex('01 01 02 1A 02')))
  master.write(withCrc(hex('01 06 00 01 12 34')))
  t.same(await heard(8), withCrc(hex('01 06 00 01 12 34')))
  master.write(withCrc(hex('01 03 00 00 00 02')))
  t.same(await heard(9), withCrc(hex('01 03 04 00 00 12 34')))
})

t.test('slave: garbage before a frame is skipped', async (t) => {
  const { slave, master, heard } = slaveRig(t)
  master.write(hex('FF 00 13 01 05 00'))
  master.write(withCrc(hex('01 05 00 03 FF 00')))
  t.same(await heard(8), withCrc(hex('01 05 00 03 FF 00')))
  t.equal(slave.coils[3], true)
})

t.test('slave: a frame delivered one byte at a time is reassembled', async (t) => {
  const { slave, master, heard } = slaveRig(t)
  for (const frame of [withCrc(hex('01 05 00 04 FF 00')), withCrc(hex('01 0F 00 06 00 03 01 05'))]) {
    for (const b of frame) {
      master.write(Buffer.from([b]))
      await new Promise((r) => setImmediate(r))
    }
  }
  t.same(await heard(16), Buffer.concat([withCrc(hex('01 05 00 04 FF 00')), withCrc(hex('01 0F 00 06 00 03'))]))
  t.same(slave.coils.slice(4, 9), [true, false, true, false, true])
})

t.test('slave: a bad CRC or another slave id gets silence and changes nothing; the line resyncs', async (t) => {
  const { slave, master, heard } = slaveRig(t, 3)
  master.write(hex('03 05 00 02 FF 00 2D FB'))
  t.equal((await heard()).length, 0, 'bad CRC: silence')
  master.write(withCrc(hex('01 05 00 02 FF 00')))
  t.equal((await heard()).length, 0, 'slave 1 is not us: silence')
  t.equal(slave.coils[2], false)
  master.write(withCrc(hex('03 05 00 02 FF 00')))
  t.same(await heard(8), withCrc(hex('03 05 00 02 FF 00')), 'the next good frame is answered')
})

t.test('slave: exceptions', async (t) => {
  const { master, heard } = slaveRig(t)
  master.write(withCrc(hex('01 01 00 08 00 05')))
  t.same(await heard(5), withCrc(hex('01 81 02')), 'read beyond the coil count: 02')
  master.write(withCrc(hex('01 05 00 0A FF 00')))
  t.same(await heard(5), withCrc(hex('01 85 02')), 'write beyond the coil count: 02')
  master.write(withCrc(hex('01 05 00 01 12 34')))
  t.same(await heard(5), withCrc(hex('01 85 03')), 'a coil value other than FF00/0000: 03')
  master.write(withCrc(hex('01 07')))
  t.same(await heard(5), withCrc(hex('01 87 01')), 'unknown function (ends on silence): 01')
  master.write(withCrc(hex('01 02 00 00 00 01')))
  t.same(await heard(5), withCrc(hex('01 82 01')), 'discrete inputs are not implemented: 01')
})

t.test('slave: setAnswering(false) is deaf and mute', async (t) => {
  const { slave, master, heard } = slaveRig(t)
  slave.setAnswering(false)
  master.write(withCrc(hex('01 05 00 01 FF 00')))
  t.equal((await heard()).length, 0)
  t.equal(slave.coils[1], false)
  slave.setAnswering(true)
  master.write(withCrc(hex('01 05 00 01 FF 00')))
  t.equal((await heard(8)).length, 8)
  t.equal(slave.coils[1], true)
})

/** Resource kinds alive now, to prove close() leaves no timer or handle behind. */
const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length

/** A driver on a memory line; each (re)open makes a new line and moves the slave onto it, as a re-plugged adapter. */
function memoryDriver(t: Teardown, timeoutMs = 150) {
  const slave = new SimModbusSlave({ slaveId: 3, coils: 8 })
  const links: ModbusLink[] = []
  const coils = new ModbusCoils({ port: '/dev/ttyMEM0', slaveId: 3, timeoutMs }, async () => {
    const [master, device] = memoryLine()
    slave.attach(device)
    links.push(master)
    return master
  })
  t.teardown(async () => {
    await coils.close()
    slave.detach()
  })
  return { slave, coils, links }
}

t.test('driver (memory line): write, read back, exceptions', async (t) => {
  const { slave, coils } = memoryDriver(t)
  await coils.open()
  await coils.writeCoil(2, true)
  t.equal(slave.coils[2], true)
  await coils.writeCoils(4, [true, false, true])
  t.same(await coils.readCoils(0, 8), [false, false, true, false, true, false, true, false])
  t.equal(coils.connected, true)
  await t.rejects(coils.writeCoil(9, true), { message: 'modbus /dev/ttyMEM0 slave 3: write coil 9: Modbus exception 2: Illegal data address (register not supported by device)' })
  t.equal(coils.connected, true, 'an exception is an answer')
  t.match(coils.lastError?.message, /exception 2/)
  await coils.writeCoil(2, false)
  t.equal(coils.lastError, null)
})

t.test('driver (memory line): a lost port is reopened by the next call; close() leaves nothing behind', async (t) => {
  const { slave, coils, links } = memoryDriver(t, 300)
  await coils.open()
  await coils.writeCoil(1, true)
  links[0]!.destroy() // the USB adapter is pulled
  await waitFor(() => coils.lastError !== null, 1000, 'the loss to be noticed')
  t.equal(coils.connected, false)
  t.match(coils.lastError?.message, /^modbus \/dev\/ttyMEM0 slave 3: port lost/)
  await coils.writeCoil(5, true)
  t.equal(links.length, 2, 'reopened')
  t.equal(slave.coils[5], true)
  t.equal(coils.connected, true)

  // a call in flight when close() comes: it fails at once, and no timer outlives close()
  const before = timers()
  slave.setAnswering(false)
  const started = Date.now()
  const pending = coils.writeCoil(6, true)
  await new Promise((r) => setImmediate(r))
  await coils.close()
  await t.rejects(pending, { message: 'modbus /dev/ttyMEM0 slave 3: write coil 6: closed' })
  t.ok(Date.now() - started < 200, 'did not wait for the 300 ms timeout')
  t.equal(timers(), before, 'no timer left')
  t.ok(links.every((l) => l.destroyed), 'every line closed')
  await t.rejects(coils.writeCoil(6, true), { message: /not open/ })
})

t.test('driver over a real pseudo-terminal pair', { skip: missing('socat') && 'socat not installed' }, async (t) => {
  const pty = await slaveOnPty(3)
  const slave = pty.slave
  const coils = new ModbusCoils({ port: pty.box, slaveId: 3, timeoutMs: 200 })
  t.teardown(async () => {
    await coils.close()
    await pty.close()
  })

  await coils.open()
  await coils.writeCoil(2, true)
  t.equal(slave.coils[2], true, 'write coil sets the slave coil')
  await coils.writeCoils(5, [true, true])
  t.same(await coils.readCoils(0, 8), [false, false, true, false, false, true, true, false], 'read back')
  t.equal(coils.connected, true)

  slave.setAnswering(false)
  const started = Date.now()
  const expected = `modbus ${pty.box} slave 3: no answer to write coil 2 within 200 ms`
  await t.rejects(coils.writeCoil(2, false), { message: expected })
  const took = Date.now() - started
  t.ok(took >= 190 && took < 400, `rejected after the timeout (${took} ms)`)
  t.equal(coils.connected, false)
  t.equal(coils.lastError?.message, expected)
  t.equal(slave.coils[2], true, 'the silent slave did not act')

  slave.setAnswering(true)
  await coils.writeCoil(2, false)
  t.equal(slave.coils[2], false, 'answers again: the next write works')
  t.equal(coils.connected, true)
  t.equal(coils.lastError, null)
})

import t from 'tap'
import { AtFramer, type AtFrame } from '../../src/modem/framer.js'

function frame(chunks: (string | Buffer)[]): { frames: AtFrame[]; discarded: number } {
  const f = new AtFramer()
  const frames: AtFrame[] = []
  let discarded = 0
  f.on('data', (x: AtFrame) => frames.push(x))
  f.on('discard', (n: number) => (discarded += n))
  for (const c of chunks) f.write(typeof c === 'string' ? Buffer.from(c, 'latin1') : c)
  f.end()
  return { frames, discarded }
}

const lines = (frames: AtFrame[]) => frames.map((x) => (x.type === 'line' ? x.text : '<prompt>'))

t.test('a reply split across many reads, one byte at a time', async (t) => {
  const reply = '\r\n+CSQ: 21,99\r\n\r\nOK\r\n'
  t.same(lines(frame([...reply]).frames), ['+CSQ: 21,99', 'OK'])
})

t.test('two replies in one read', async (t) => {
  t.same(lines(frame(['\r\n+CSQ: 21,99\r\n\r\nOK\r\n\r\n+CREG: 2,1,"18D8","0C3F12"\r\n\r\nOK\r\n']).frames), ['+CSQ: 21,99', 'OK', '+CREG: 2,1,"18D8","0C3F12"', 'OK'])
})

t.test('CR-only and LF-only line ends and blank lines', async (t) => {
  t.same(lines(frame(['OK\rRING\n\n\r\r\n+CLIP: "+79161234567",145\n']).frames), ['OK', 'RING', '+CLIP: "+79161234567",145'])
})

t.test('a line split mid-word across reads keeps its leftovers', async (t) => {
  t.same(lines(frame(['\r\n+CR', 'EG: 1,"18', 'D8","0C3F12"\r', '\n']).frames), ['+CREG: 1,"18D8","0C3F12"'])
})

t.test('garbage bytes are dropped and reported, the text around them survives', async (t) => {
  const garbage = Buffer.from([0xff, 0x00, 0xfe, 0x13, 0x8a, 0x7f, 0x80])
  const { frames, discarded } = frame([garbage, Buffer.from('\r\nO'), garbage, Buffer.from('K\r\n')])
  t.same(lines(frames), ['OK'])
  t.equal(discarded, 14)
})

t.test('the SMS prompt "> " has no line end and is still seen', async (t) => {
  t.same(lines(frame(['\r\n> ']).frames), ['<prompt>'])
  t.same(lines(frame(['\r\n>', ' ']).frames), ['<prompt>'], 'prompt split across reads')
  t.same(lines(frame(['> x\r\n']).frames), ['> x'], 'a line that starts with "> " is a line')
})

t.test('a line longer than the limit is dropped whole, so memory stays bounded', async (t) => {
  const { frames, discarded } = frame(['A'.repeat(2100), 'B'.repeat(2100), '\r\nOK\r\n'])
  t.same(lines(frames), ['OK'], 'no fragment of the long line comes out as a line')
  t.equal(discarded, 4200)
})

t.test('echo of a command comes through as a line (the engine drops it)', async (t) => {
  t.same(lines(frame(['AT+CSQ\r\r\n+CSQ: 5,99\r\n\r\nOK\r\n']).frames), ['AT+CSQ', '+CSQ: 5,99', 'OK'])
})

/**
 * The GPIO v2 addon itself (native/gpio-v2/gpio_v2.c), compiled here the way image/build.sh compiles it
 * in the image (one cc call against the running Node's headers): it builds without warnings, loads,
 * and turns every failing system call into a JavaScript error with the errno, never a crash. There is
 * no GPIO chip on a build machine, so the ioctls are tried on files that are not chips; the lines
 * themselves are exercised on the image's kernel (image/test-gpio.sh) and through a fake addon
 * (gpio-v2-chip.test.ts).
 */
import { spawnSync } from 'node:child_process'
import { closeSync, existsSync, openSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import t from 'tap'
import { openGpioV2Chip, type GpioV2Native } from '../../src/hw/io/gpio-v2-chip.js'
import { missing } from '../helpers/real.js'
import { tempDir } from '../helpers/tmp.js'

const source = new URL('../../native/gpio-v2/gpio_v2.c', import.meta.url).pathname
const headers = join(dirname(dirname(process.execPath)), 'include', 'node')
/** The errno of the error `f` throws (undefined if it throws none or one without). */
function errnoOf(f: () => unknown): number | undefined {
  try {
    f()
  } catch (err) {
    return (err as { errno?: number }).errno
  }
  return undefined
}

const skip = missing('cc') || (!existsSync(join(headers, 'node_api.h')) && `Node's headers are not at ${headers}`)

t.test('the addon builds, loads and reports failures as errors', { skip }, async (t) => {
  const out = join(tempDir(t), 'gpio_v2.node')
  const cc = spawnSync('cc', ['-O2', '-Wall', '-shared', '-fPIC', '-DNODE_GYP_MODULE_NAME=gpio_v2', `-I${headers}`, '-o', out, source], { encoding: 'utf8' })
  t.equal(cc.status, 0, `cc: ${cc.stderr}`)
  t.equal(cc.stderr.trim(), '', 'no warnings')
  const g = createRequire(import.meta.url)(out) as GpioV2Native
  for (const f of ['chipInfo', 'request', 'getValues', 'setValues', 'close', 'watch', 'unwatch'] as const) t.type(g[f], 'function', f)
  for (const [k, v] of Object.entries(g.flags)) t.ok(Number.isInteger(v) && v > 0, `flag ${k}`)

  t.equal(errnoOf(() => g.chipInfo('/nonexistent/gpiochip0')), 2, 'no such chip: ENOENT')
  t.equal(errnoOf(() => g.chipInfo('/dev/null')), 25, 'not a chip: ENOTTY, not a crash')
  t.equal(errnoOf(() => g.request('/dev/null', [0], g.flags.OUTPUT, 0, 'test')), 25)
  t.throws(() => g.request('/dev/null', [], g.flags.INPUT, 0, 'test'), RangeError, 'no lines')
  t.throws(() => (g.chipInfo as () => unknown)(), TypeError, 'too few arguments')
  const fd = openSync('/dev/null', 'r')
  t.teardown(() => closeSync(fd))
  t.equal(errnoOf(() => g.getValues(fd, 1)), 25)
  t.equal(errnoOf(() => g.setValues(fd, 1, 1)), 25)

  // the chip as the box opens it: no chip with the label and a fallback that is not there
  t.throws(() => openGpioV2Chip({ labels: ['pinctrl-bcm2835'], fallback: '/nonexistent/gpiochip0' }, () => ({ ...g, chips: () => [] })), /no chip labelled pinctrl-bcm2835 .* \/nonexistent\/gpiochip0 cannot be opened: .*No such file/)
})

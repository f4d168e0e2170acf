/**
 * The SD image's smoke test (image/test.sh) as part of the suite: the image built by
 * image/build.sh is booted under qemu-system-aarch64 and every check it makes over the serial
 * console and the web port is an assertion here. It takes minutes of emulation, so it runs only
 * when asked (LINEWATCH_IMAGE_TEST=1: .ci/run sets it as root, after building the image) and
 * says why it is skipped otherwise. Asked for with no image built, it fails: the build broke.
 */
import { existsSync, readFileSync } from 'node:fs'
import t from 'tap'
import { assertCheckLines, runImageScript } from '../helpers/image-script.js'
import { missing } from '../helpers/real.js'

const repo = new URL('../../', import.meta.url).pathname
const { version } = JSON.parse(readFileSync(`${repo}package.json`, 'utf8')) as { version: string }
const dir = process.env.LINEWATCH_IMAGE_DIR ?? `${repo}dist-image`
const image = `${dir}/linewatch-${version}-arm64.img.xz`
const asked = process.env.LINEWATCH_IMAGE_TEST === '1'
const BOOT_LIMIT_S = 1200

// build.sh leaves this when arm64 cannot run here: then there is no image to ask for
const notBuilt = existsSync(`${dir}/build-skipped.txt`) && !existsSync(image) ? readFileSync(`${dir}/build-skipped.txt`, 'utf8').trim() : ''
const skip = !asked
  ? 'the image is booted only when asked: LINEWATCH_IMAGE_TEST=1 (.ci/run as root), or npm run image:test'
  : missing('qemu-system-aarch64') || missing('mcopy') || (notBuilt && `the image was not built: ${notBuilt}`)

// the file's own time limit (tap's is 120 s): tap's runner honours the root test's setTimeout
if (!skip) t.setTimeout((2 * BOOT_LIMIT_S + 600) * 1000) // two boots: virt, then the Pi 3B

t.test('the image boots under QEMU and runs linewatch from the boot partition\'s config', { skip, timeout: (2 * BOOT_LIMIT_S + 300) * 1000 }, async (t) => {
  if (!existsSync(image)) return t.fail(`${image} is missing: image/build.sh did not make it`)
  const out = await runImageScript([`${repo}image/test.sh`, '--dir', dir], { ...process.env, LINEWATCH_IMAGE_TEST_SECONDS: String(BOOT_LIMIT_S) })
  t.comment(out.text)
  const checks = assertCheckLines(t, out.text)
  t.ok(checks.length >= 12, `every check ran (${checks.length} of 12)`)
  t.match(out.text, /^boot to healthy: \d+ s/m, '/healthz answered')
  t.equal(out.code, 0, 'image/test.sh passed')
})

/**
 * The update's path in QEMU (image/test-update.sh, docs/updates.md) as part of the suite: the built
 * image takes a signed bundle (1 -> 2, confirmed on slot b), then a broken one that must fall back
 * to 2 by itself; with "full" also a power cut while the slot is written. Minutes of emulation a
 * boot, so only when asked: LINEWATCH_IMAGE_TEST_UPDATE=short or =full.
 */
import { existsSync, readFileSync } from 'node:fs'
import t from 'tap'
import { assertCheckLines, runImageScript } from '../helpers/image-script.js'
import { missing } from '../helpers/real.js'

const repo = new URL('../../', import.meta.url).pathname
const { version } = JSON.parse(readFileSync(`${repo}package.json`, 'utf8')) as { version: string }
const dir = process.env.LINEWATCH_IMAGE_DIR ?? `${repo}dist-image`
const image = `${dir}/linewatch-${version}-arm64.img.xz`
const mode = process.env.LINEWATCH_IMAGE_TEST_UPDATE ?? ''
const LIMIT_S = mode === 'full' ? 5400 : 3600

const skip = mode !== 'short' && mode !== 'full'
  ? 'the update path is booted only when asked: LINEWATCH_IMAGE_TEST_UPDATE=short or full (image/test-update.sh)'
  : missing('qemu-system-aarch64') || missing('mcopy') || missing('debugfs')

if (!skip) t.setTimeout((LIMIT_S + 120) * 1000)

t.test(`updates in QEMU (${mode || 'not asked'})`, { skip, timeout: LIMIT_S * 1000 }, async (t) => {
  if (!existsSync(image)) return t.fail(`${image} is missing: image/build.sh did not make it`)
  const args = [`${repo}image/test-update.sh`, '--dir', dir, ...(mode === 'short' ? ['--short'] : [])]
  const out = await runImageScript(args)
  t.comment(out.text)
  const checks = assertCheckLines(t, out.text)
  const want = mode === 'full' ? 4 : 3
  t.equal(checks.filter((l) => l.startsWith('ok: ')).length, want, `every step passed (${want})`)
  t.equal(out.code, 0, 'image/test-update.sh passed')
})

/**
 * The SD image's figures, as image/build.sh and image/test.sh last measured them (they write
 * dist-image/<name>.build.json and .test.json): the build takes ~10 minutes as root and the boot
 * several minutes under emulation, so `npm run bench` reports their last run, with its date, and
 * does not redo it. Nothing is reported when the image was never built here.
 */
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

type Figure = { figure: string; value: number; unit: string }

interface BuildFigures { date: string; buildSeconds: number; imageBytes: number; compressedBytes: number }
interface TestFigures { date: string; bootToHealthySeconds: number; serviceRssKiB: number | null; exampleRssKiB?: number | null; demoRssKiB?: number | null; systemUsedMiB: number | null; pi3BootToServiceSeconds?: number | null }

const MiB = 1024 * 1024

async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}

export async function benchImage(): Promise<{ figures: Figure[]; skipped?: string }> {
  const root = new URL('../../', import.meta.url) // dist/scripts/ → repo root
  const { version } = JSON.parse(await readFile(new URL('package.json', root), 'utf8')) as { version: string }
  const base = fileURLToPath(new URL(`dist-image/linewatch-${version}-arm64`, root))
  const build = await readJson<BuildFigures>(`${base}.build.json`)
  if (!build) return { figures: [], skipped: 'no image built here (sudo npm run image:build, then npm run image:test)' }
  const figures: Figure[] = [
    { figure: `image: build time (image/build.sh, ${build.date.slice(0, 10)})`, value: build.buildSeconds, unit: 's' },
    { figure: 'image: size flashed', value: Math.round(build.imageBytes / MiB), unit: 'MiB' },
    { figure: 'image: size compressed (.img.xz)', value: Math.round(build.compressedBytes / MiB), unit: 'MiB' },
  ]
  const test = await readJson<TestFigures>(`${base}.test.json`)
  if (!test) return { figures, skipped: 'the image was not booted yet (npm run image:test)' }
  figures.push({ figure: `image under QEMU virt, TCG: power-on → /healthz (image/test.sh, ${test.date.slice(0, 10)})`, value: test.bootToHealthySeconds, unit: 's' })
  if (test.serviceRssKiB !== null) figures.push({ figure: 'image under QEMU: linewatch.service resident memory', value: Math.round(test.serviceRssKiB / 1024), unit: 'MiB' })
  if (test.exampleRssKiB) figures.push({ figure: 'image under QEMU: linewatch run on the example config, resident memory after 90 s', value: Math.round(test.exampleRssKiB / 1024), unit: 'MiB' })
  if (test.demoRssKiB) figures.push({ figure: 'image under QEMU: linewatch demo, resident memory after 90 s', value: Math.round(test.demoRssKiB / 1024), unit: 'MiB' })
  if (test.systemUsedMiB !== null) figures.push({ figure: 'image under QEMU: the whole system\'s memory in use', value: test.systemUsedMiB, unit: 'MiB' })
  if (test.pi3BootToServiceSeconds != null) figures.push({ figure: 'image under QEMU raspi3b, TCG: power-on → linewatch.service started', value: test.pi3BootToServiceSeconds, unit: 's' })
  return { figures }
}

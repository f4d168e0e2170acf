/**
 * image/linewatch-grow-data (the data partition grows to the card at boot): its decisions, with the
 * disk tools it calls replaced by scripts on PATH that answer as util-linux, growpart and resize2fs do
 * (the real run is the image's smoke test on a card larger than the image, image/test.sh).
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { tempDir } from '../helpers/tmp.js'

const script = new URL('../../image/linewatch-grow-data', import.meta.url).pathname

/** Runs the script with fake tools: growpart prints `growpart` and exits `growExit`; df answers sizes in turn. */
function run(t: { teardown(fn: () => void): void }, growpart: string, growExit: number, sizes: [number, number], resizeExit = 0) {
  const bin = tempDir(t)
  const log = join(bin, 'calls')
  const tool = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $*" >> ${log}\n${body}\n`)
    chmodSync(join(bin, name), 0o755)
  }
  tool('findmnt', 'echo /dev/mmcblk0p4')
  tool('readlink', 'echo /dev/mmcblk0p4')
  tool('lsblk', 'echo mmcblk0')
  tool('cat', 'echo 4')
  tool('growpart', `echo '${growpart}'; exit ${growExit}`)
  tool('resize2fs', `exit ${resizeExit}`)
  // df is asked before and after the resize
  writeFileSync(join(bin, 'df-count'), '0')
  tool('df', `n=$(/bin/cat ${join(bin, 'df-count')}); echo $((n + 1)) > ${join(bin, 'df-count')}; echo "1M-blocks"; [ "$n" = 0 ] && echo " ${sizes[0]}" || echo " ${sizes[1]}"`)
  const r = spawnSync('/bin/sh', [script], { encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin` } })
  const calls = readFileSync(log, 'utf8')
  return { code: r.status, out: r.stdout, err: r.stderr, calls }
}

t.test('a card with room: the partition, then the file system, and says so', async (t) => {
  const r = run(t, 'CHANGED: partition=4 start=6000000 old: size=131072 end=6131072 new: size=25000000 end=31000000', 0, [59, 12100])
  t.equal(r.code, 0)
  t.match(r.calls, /growpart \/dev\/mmcblk0 4\n(df .*\n)?resize2fs \/dev\/mmcblk0p4/, 'the partition of the card /data is on, then its file system')
  t.match(r.out, /CHANGED: partition=4/)
  t.match(r.out, /\/data grew from 59 to 12100 MiB/)
})

t.test('a card already filled: nothing to say, still resizes (a cut between the two steps is finished)', async (t) => {
  const r = run(t, 'NOCHANGE: partition 4 is size 25000000. it cannot be grown', 1, [12100, 12100])
  t.equal(r.code, 0, 'NOCHANGE is not a failure')
  t.equal(r.out, '')
  t.match(r.calls, /resize2fs \/dev\/mmcblk0p4/)
})

t.test('growpart fails: the unit fails with its words, the file system is not touched', async (t) => {
  const r = run(t, 'FAILED: failed to resize', 2, [59, 59])
  t.equal(r.code, 1)
  t.match(r.err, /growpart \/dev\/mmcblk0 4 failed: FAILED: failed to resize/)
  t.notMatch(r.calls, /resize2fs/)
})

t.test('resize2fs fails: the unit fails', async (t) => {
  const r = run(t, 'CHANGED: partition=4', 0, [59, 59], 1)
  t.equal(r.code, 1)
  t.match(r.err, /resize2fs \/dev\/mmcblk0p4 failed/)
})

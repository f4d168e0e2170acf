/**
 * image/linewatch-grow-data (the data partition grows to the card at boot): its decisions, with the
 * disk tools it calls replaced by scripts on PATH that answer as util-linux and resize2fs do, and a fake /sys
 * (the real run is the image's smoke test on a card larger than the image, image/test.sh).
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { tempDir } from '../helpers/tmp.js'

const script = new URL('../../image/linewatch-grow-data', import.meta.url).pathname

/**
 * Runs the script with fake tools and a fake /sys: the disk has `total` sectors, partition 4 starts at
 * 6000000 with `size`; partx sets the size sfdisk wrote (as the kernel would); df answers sizes in turn.
 */
function run(t: { teardown(fn: () => void): void }, total: number, size: number, sizes: [number, number], exits: { sfdisk?: number; resize2fs?: number } = {}) {
  const bin = tempDir(t)
  const log = join(bin, 'calls')
  const sys = join(bin, 'sys/class/block')
  mkdirSync(join(sys, 'mmcblk0p4'), { recursive: true })
  mkdirSync(join(sys, 'mmcblk0'), { recursive: true })
  writeFileSync(join(sys, 'mmcblk0p4/partition'), '4\n')
  writeFileSync(join(sys, 'mmcblk0p4/start'), '6000000\n')
  writeFileSync(join(sys, 'mmcblk0p4/size'), `${size}\n`)
  writeFileSync(join(sys, 'mmcblk0/size'), `${total}\n`)
  const tool = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $*" >> ${log}\n${body}\n`)
    chmodSync(join(bin, name), 0o755)
  }
  tool('findmnt', 'echo /dev/mmcblk0p4')
  tool('readlink', 'echo /dev/mmcblk0p4')
  tool('lsblk', 'echo mmcblk0')
  tool('sfdisk', `read line; echo "stdin $line" >> ${log}; exit ${exits.sfdisk ?? 0}`)
  tool('partx', `echo ${total - 6000000} > ${join(sys, 'mmcblk0p4/size')}`)
  tool('resize2fs', `exit ${exits.resize2fs ?? 0}`)
  // df is asked before and after the resize
  writeFileSync(join(bin, 'df-count'), '0')
  tool('df', `n=$(cat ${join(bin, 'df-count')}); echo $((n + 1)) > ${join(bin, 'df-count')}; echo "1M-blocks"; [ "$n" = 0 ] && echo " ${sizes[0]}" || echo " ${sizes[1]}"`)
  writeFileSync(log, '')
  const r = spawnSync('/bin/sh', [script], { encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin`, LINEWATCH_SYS: join(bin, 'sys') } })
  const calls = readFileSync(log, 'utf8')
  return { code: r.status, out: r.stdout, err: r.stderr, calls }
}

const MiB = 2048 // sectors

t.test('a card with room: the partition table, the kernel told, then the file system, and says so', async (t) => {
  const r = run(t, 6000000 + 12000 * MiB, 64 * MiB, [59, 11900])
  t.equal(r.code, 0, r.err)
  t.match(r.calls, /sfdisk --no-reread --no-tell-kernel -q -N 4 \/dev\/mmcblk0\nstdin , \+\npartx -u -n 4 \/dev\/mmcblk0\n(df .*\n)?resize2fs \/dev\/mmcblk0p4/, 'the partition of the card /data is on to the end, then its file system')
  t.match(r.out, /partition 4 of \/dev\/mmcblk0 grew from 64 to 12000 MiB/)
  t.match(r.out, /\/data grew from 59 to 11900 MiB/)
})

t.test('a card already filled (under a MiB of slack): the table is not written, the fs still resized (a cut between the two steps is finished)', async (t) => {
  const r = run(t, 6000000 + 12000 * MiB + 2047, 12000 * MiB, [11900, 11900])
  t.equal(r.code, 0)
  t.equal(r.out, '')
  t.notMatch(r.calls, /sfdisk|partx/)
  t.match(r.calls, /resize2fs \/dev\/mmcblk0p4/)
})

t.test('sfdisk fails: the unit fails with a reason, neither the kernel nor the file system is touched', async (t) => {
  const r = run(t, 6000000 + 12000 * MiB, 64 * MiB, [59, 59], { sfdisk: 1 })
  t.equal(r.code, 1)
  t.match(r.err, /sfdisk -N 4 \/dev\/mmcblk0 failed/)
  t.notMatch(r.calls, /partx|resize2fs/)
})

t.test('resize2fs fails: the unit fails', async (t) => {
  const r = run(t, 6000000 + 12000 * MiB, 12000 * MiB, [59, 59], { resize2fs: 1 })
  t.equal(r.code, 1)
  t.match(r.err, /resize2fs \/dev\/mmcblk0p4 failed/)
})

/**
 * Which device an update writes (src/update/paths.ts): the slot's partition by its position on the card
 * that holds LWBOOT, as the initramfs boots it, never by a file-system label that a half-written slot
 * may carry too.
 */
import { symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { slotDevice } from '../../src/update/paths.js'
import { tempDir } from '../helpers/tmp.js'

t.test('partition 2 is slot a, 3 is slot b, on the disk whose partition 1 LWBOOT is', async (t) => {
  const dir = tempDir(t)
  for (const name of ['mmcblk0p1', 'vdb1', 'sda5']) writeFileSync(join(dir, name), '')
  symlinkSync(join(dir, 'mmcblk0p1'), join(dir, 'LWBOOT'))
  t.equal(slotDevice('a', join(dir, 'LWBOOT')), join(dir, 'mmcblk0p2'))
  t.equal(slotDevice('b', join(dir, 'LWBOOT')), join(dir, 'mmcblk0p3'))
  t.equal(slotDevice('b', join(dir, 'vdb1')), join(dir, 'vdb3'))
  t.equal(slotDevice('a', join(dir, 'sda5')), '/dev/disk/by-label/linewatch-a', 'LWBOOT not partition 1: the label')
  t.equal(slotDevice('b', join(dir, 'none')), '/dev/disk/by-label/linewatch-b', 'no LWBOOT (a development machine): the label')
})

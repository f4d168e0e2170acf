import t from 'tap'
import { compareVersions, isVersion } from '../../src/update/version.js'

t.test('release order, prereleases before their release', async (t) => {
  const sorted = ['0.9.9', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.1', '1.2.0', '1.10.0', '2.0.0']
  const shuffled = [...sorted].reverse()
  t.same(shuffled.sort(compareVersions), sorted)
  t.equal(compareVersions('1.5.0', '1.5.0'), 0)
  t.ok(isVersion('1.5.0'))
  t.notOk(isVersion('1.5'))
  t.notOk(isVersion('v1.5.0'))
  t.throws(() => compareVersions('x', '1.0.0'))
})

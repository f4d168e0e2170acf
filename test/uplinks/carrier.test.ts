import t from 'tap'
import { parseLinkLine } from '../../src/uplinks/carrier.js'

// lines as iproute2 6.x prints them for a veth whose peer was set down, then up again
t.test('ip -o monitor link lines: the interface and its carrier', async (t) => {
  t.same(parseLinkLine('3: up1@if2: <NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN> mtu 1500 qdisc noqueue state LOWERLAYERDOWN group default \\    link/ether f6:ef:6b:6e:45:23 brd ff:ff:ff:ff:ff:ff'), { iface: 'up1', carrier: false }, 'the peer gone: no carrier')
  t.same(parseLinkLine('3: up1@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default \\    link/ether f6:ef:6b:6e:45:23 brd ff:ff:ff:ff:ff:ff'), { iface: 'up1', carrier: true })
  t.same(parseLinkLine('2: eth0: <BROADCAST,MULTICAST> mtu 1500 qdisc fq_codel state DOWN mode DEFAULT group default qlen 1000'), { iface: 'eth0', carrier: false }, 'set down by an admin')
  t.same(parseLinkLine('7: wwan0: <POINTOPOINT,MULTICAST,NOARP,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UNKNOWN mode DEFAULT'), { iface: 'wwan0', carrier: true }, 'a modem reports state UNKNOWN with LOWER_UP')
  t.same(parseLinkLine('Deleted 5: usb0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP'), { iface: 'usb0', carrier: false }, 'the interface gone')
  t.equal(parseLinkLine('    link/ether f6:ef:6b:6e:45:23 brd ff:ff:ff:ff:ff:ff'), null)
  t.equal(parseLinkLine(''), null)
})

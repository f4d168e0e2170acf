#!/usr/bin/env bash
# The update's long path in QEMU (issue 21, docs/updates.md). Not in CI by default (minutes a step):
# test/image/update.test.ts runs it with LINEWATCH_IMAGE_TEST_UPDATE=short|full. Steps:
#   1. the built image (version V), with a test key put into slot a (debugfs: no rebuild);
#   2. bundles made here from the image's own root (image/build.sh's <name>.root.ext4): "2" (the same
#      system as version 99.0.0, in its manifest and its package.json) and "3" (99.1.0, /usr/bin/linewatch replaced by `exit 1`:
#      the service and the confirmation fail);
#   3. boot; update to 2 from a second disk (a USB stick), typed at the console as an installer would, logging
#      out while it writes; the box reboots into slot b and confirms it;
#   4. update to 3: slot a written, tried, not confirmed: FailureAction reboots, back on b by itself,
#      box/update raised;
#   5. update to 2 again and kill QEMU while `write` runs: the next boot is still b.
#   image/test-update.sh [--dir DIR] [--short]   (default ./dist-image; --short: steps 3 and 4 only)
# Prints "ok: <step> (N s)" or "FAILED: <why>" per step (test/image/update.test.ts asserts them).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=dist-image
short=
while [ $# -gt 0 ]; do
  case $1 in
    --dir) dir=$2; shift 2 ;;
    --short) short=1; shift ;;
    *) echo "usage: image/test-update.sh [--dir DIR] [--short]"; exit 2 ;;
  esac
done
. image/lib.sh
lw_image
why=$(lw_missing "$dir" root.ext4) || { echo "update test: SKIPPED: $why"; exit 0; }
[ -f dist/scripts/update-bundle.js ] || { echo "update test: SKIPPED: dist/scripts/update-bundle.js is missing (npm run build)"; exit 0; }
for tool in debugfs mkfs.vfat mcopy sfdisk; do
  command -v $tool >/dev/null || { echo "update test: SKIPPED: $tool is missing"; exit 0; }
done

work=$(mktemp -d /var/tmp/linewatch-update-test.XXXXXX)
qemu_pid=
cleanup() { [ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
fail() {
  echo "FAILED: $*"
  lw_serial_tail "$work/serial.log"
  # what the box itself says, while it still answers on the console: its pending jobs and its journal
  if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null && [ -n "${password:-}" ]; then
    echo "--- the box's jobs and journal:"
    on_box 240 "$S systemctl list-jobs --no-pager" "$S journalctl -b --no-pager -o short-monotonic | tail -n 150" 2>&1 | tr -d '\r' || true
  fi
  exit 1
}
t0=$(date +%s)
start=$t0
ok() { echo "ok: $* ($(( $(date +%s) - t0 )) s)"; t0=$(date +%s); }

lw_unpack "$dir" "$work/disk.img"
# partition 2 (slot a): its offset and size from the table
read -r a_start a_size < <(sfdisk -d "$work/disk.img" | sed -n 's/.*img2 : start= *\([0-9]*\), size= *\([0-9]*\).*/\1 \2/p')
node dist/scripts/update-bundle.js keygen --out "$work/key" >/dev/null
dd if="$work/disk.img" of="$work/a.ext4" bs=512 skip="$a_start" count="$a_size" status=none
debugfs -w -R "write $work/key/update-key.pub /usr/share/linewatch/update-key.pub" "$work/a.ext4" >/dev/null 2>&1
# iterating without a rebuild: LINEWATCH_UPDATE_TEST_PATCH=DIR puts DIR's files (their paths under DIR) into
# slot a and into the bundles' roots, e.g. DIR/opt/linewatch/dist/src/update/install.js
patch_into() {
  [ -n "${LINEWATCH_UPDATE_TEST_PATCH:-}" ] || return 0
  local f p n=0
  while IFS= read -r f; do
    p=/${f#"$LINEWATCH_UPDATE_TEST_PATCH"/}
    debugfs -w -R "rm $p" "$1" >/dev/null 2>&1 || true
    debugfs -w -R "write $f $p" "$1" >/dev/null 2>&1
    debugfs -w -R "set_inode_field $p mode 0100$(stat -c %a "$f")" "$1" >/dev/null 2>&1
    n=$((n + 1))
  done < <(find "$LINEWATCH_UPDATE_TEST_PATCH" -type f)
  echo "update test: $n files of $LINEWATCH_UPDATE_TEST_PATCH patched into $(basename "$1")"
}
patch_into "$work/a.ext4"
dd if="$work/a.ext4" of="$work/disk.img" bs=512 seek="$a_start" conv=notrunc status=none

kver=$(debugfs -R "ls -p /usr/lib/modules" "$work/a.ext4" 2>/dev/null | awk -F/ '$6 ~ /arm64/ {print $6; exit}')
# each bundled root carries the test key too, or the system it brings could not take the next update;
# and its own version in /opt/linewatch/package.json (what `linewatch --version` and the box report), so the
# system that runs after the update is seen to be 2, not 1 still
cp --sparse=always "$dir/$name.root.ext4" "$work/two.ext4"
debugfs -w -R "write $work/key/update-key.pub /usr/share/linewatch/update-key.pub" "$work/two.ext4" >/dev/null 2>&1
debugfs -R "cat /opt/linewatch/package.json" "$work/two.ext4" 2>/dev/null | sed "s/\"version\": \"$version\"/\"version\": \"99.0.0\"/" > "$work/package.json"
grep -q '"version": "99.0.0"' "$work/package.json" || fail "no version $version in the image's /opt/linewatch/package.json"
debugfs -w -R "rm /opt/linewatch/package.json" "$work/two.ext4" >/dev/null 2>&1
debugfs -w -R "write $work/package.json /opt/linewatch/package.json" "$work/two.ext4" >/dev/null 2>&1
debugfs -w -R "set_inode_field /opt/linewatch/package.json mode 0100644" "$work/two.ext4" >/dev/null 2>&1
patch_into "$work/two.ext4"
node dist/scripts/update-bundle.js make --key "$work/key/update-key.pem" --image "$work/two.ext4" --version 99.0.0 --kernel "$kver" --out "$work/two.lwb"
cp --sparse=always "$work/two.ext4" "$work/broken.ext4"
printf '#!/bin/sh\nexit 1\n' > "$work/broken.sh"
debugfs -w -R "rm /usr/bin/linewatch" "$work/broken.ext4" >/dev/null 2>&1
debugfs -w -R "write $work/broken.sh /usr/bin/linewatch" "$work/broken.ext4" >/dev/null 2>&1
debugfs -w -R "set_inode_field /usr/bin/linewatch mode 0100755" "$work/broken.ext4" >/dev/null 2>&1
node dist/scripts/update-bundle.js make --key "$work/key/update-key.pem" --image "$work/broken.ext4" --version 99.1.0 --kernel "$kver" --out "$work/three.lwb"

# the "USB stick": a FAT disk with the bundles, mounted by its label (virtio-mmio disks are found in reverse order: it is /dev/vda)
stick_mb=$(( ($(stat -c %s "$work/two.lwb") + $(stat -c %s "$work/three.lwb")) / 1048576 + 64 ))
mkfs.vfat -C -n STICK "$work/stick.img" $(( stick_mb * 1024 )) >/dev/null
mcopy -i "$work/stick.img" "$work/two.lwb" "$work/three.lwb" ::/

# no broker in the file: the confirmation does not wait for MQTT (docs/updates.md)
cat > "$work/linewatch.yaml" <<'EOF'
site: update
box: qemu
board: sim
modems:
  - { id: gsm1, port: "sim:gsm1" }
lines:
  - { id: gsm1, kind: gsm, numbers: ["+74951110001"], channels: 1, modem: gsm1 }
http: { host: 0.0.0.0, port: 8080 }
update: { confirmMinutes: 5 }
EOF
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
printf '%s\n' "$password" > "$work/admin-password.txt"
mcopy -o -i "$work/disk.img@@4M" "$work/linewatch.yaml" "$work/admin-password.txt" ::/

boot() {
  lw_qemu_virt "$dir" "$work" -drive file="$work/stick.img",if=none,format=raw,id=d1 -device virtio-blk-device,drive=d1 \
    -netdev user,id=n0 -device virtio-net-device,netdev=n0
}
# runs commands as admin on the serial console (QEMU reboots the guest in place, same kernel and initrd)
on_box() { python3 image/serial-console.py "$work/serial.sock" admin "$password" "$1" "${@:2}"; }
# waits until the console shows PATTERN (the boot log, a progress line)
wait_serial() { local why; why=$(lw_wait_serial "$work" "$1" "$2") || fail "$why"; }
# admin is in sudo with the password the installer gave; a new slot gets it from the update (carry.ts), nothing
# is left on the boot partition for it
S="echo '$password' | sudo -S -p ''"
# a login after a fallback boot under a CI run's load: more than 300 s once (2026-12-05: the guest's kernel stalled, RCU), as the first boot's
status() { on_box 900 "$S linewatch update --status" | tr -d '\r'; }
# update_from_stick BUNDLE [ARGS]: starts `linewatch update` as a transient systemd service, its progress on
# /dev/console, and logs out (the update ends in a reboot: a console session waiting for it would wait out its
# own limit). For the power cut, whose moment is read off the console's progress lines.
n_update=0
mount_stick="mkdir -p /mnt/stick && { mountpoint -q /mnt/stick || mount LABEL=STICK /mnt/stick; }"
update_from_stick() {
  n_update=$((n_update + 1))
  on_box 120 "$S sh -c '$mount_stick && systemd-run --quiet --collect --unit=lw-test-update-$n_update -p StandardOutput=file:/dev/console -p StandardError=file:/dev/console linewatch update /mnt/stick/$*'" \
    || fail "the update to $1 could not be started on the console"
}
# update_and_log_out BUNDLE: what an installer types, `sudo linewatch update FILE`, then logs out while it
# writes. The command hands itself to linewatch-update-cli.service: the logout (systemd then stops the getty's
# unit with every process the login left, the image has no pam_systemd) must not stop the update.
update_and_log_out() {
  # logs out once the service runs (a box starved of CPU may take a minute to get there), 3 min at most
  on_box 300 "$S sh -c '$mount_stick' && { $S linewatch update /mnt/stick/$1 & } && for i in \$(seq 90); do systemctl is-active -q linewatch-update-cli && break; sleep 2; done; sleep 3" \
    || fail "the update to $1 could not be started on the console"
  grep -q 'running as linewatch-update-cli.service' "$work/serial.log" || fail "linewatch update did not hand itself to its service"
}

: > "$work/serial.log"
boot
wait_serial 'linewatch-slot: booting slot a' 600
# the login prompt waits for network.target and firstboot (getty is after systemd-user-sessions): under a CI
# run's load (the suite and the smoke test's emulator beside this one) that came more than 300 s after the
# initramfs (2026-12-05), beyond a login's own limit
wait_serial 'login:' 900
status | grep -q '"active": "a"' || fail "the first boot is not on slot a"
ok "first boot on slot a"

: > "$work/serial.log"
update_and_log_out two.lwb
wait_serial 'linewatch-slot: booting slot b' 900
wait_serial 'confirmed healthy' 900
# the login proves admin's password came along into slot b (carry.ts)
status | grep -q '"active": "b"' || fail "2 was not confirmed on slot b"
on_box 60 "linewatch --version" | tr -d '\r' | grep -qx '99.0.0' || fail "slot b does not run version 2 (99.0.0): $(on_box 60 'linewatch --version' | tr -d '\r' | tail -2)"
ok "1 -> 2 (typed at the console, logged out while it wrote): booted slot b and confirmed healthy"

: > "$work/serial.log"
update_from_stick three.lwb
wait_serial 'linewatch-slot: booting slot a' 900
wait_serial 'was tried and not confirmed: back on slot b' 1200
s=$(status)
grep -q '"active": "b"' <<<"$s" || fail "not back on slot b: $s"
ok "2 -> broken 3: tried on slot a, back on 2 (slot b) by itself"
[ -n "$short" ] && { echo "update test: passed (short: 1 -> 2 confirmed, broken 3 fell back to 2; $(( $(date +%s) - start )) s)"; exit 0; }

: > "$work/serial.log"
update_from_stick two.lwb --force
wait_serial '^write  *[1-9][0-9] %' 900
kill -9 "$qemu_pid"; wait "$qemu_pid" 2>/dev/null || true; qemu_pid=
: > "$work/serial.log"
boot
wait_serial 'linewatch-slot: booting slot b' 600
wait_serial 'login:' 900
status | grep -q '"active": "b"' || fail "after the power cut the box is not on slot b"
ok "power cut while slot a is written: boots 2 (slot b)"

echo "update test: passed (1 -> 2 confirmed, broken 3 fell back to 2, power cut mid-write boots 2; $(( $(date +%s) - start )) s)"

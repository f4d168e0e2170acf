# image/lib.sh: what the QEMU runs of the built image share (test.sh, test-update.sh): finding the
# image, unpacking it, the virt machine's command line, the serial console. Sourced, from the repo's root.

# lw_image: sets $version and $name (linewatch-V-arm64, the files image/build.sh writes)
lw_image() {
  version=$(node -p "require('./package.json').version")
  name=linewatch-$version-arm64
}

# lw_missing DIR [SUFFIX...]: prints what is missing to boot the image (its xz, kernel, initrd, DIR/$name.SUFFIX,
# QEMU) and returns 1; nothing and 0 when all is there
lw_missing() {
  local dir=$1 f
  shift
  for f in "$dir/$name.img.xz" "$dir/$name.vmlinuz" "$dir/$name.initrd" "${@/#/$dir/$name.}"; do
    [ -f "$f" ] || { echo "$f is missing (build it with: sudo image/build.sh)"; return 1; }
  done
  command -v qemu-system-aarch64 >/dev/null || { echo "qemu-system-aarch64 is missing (apt-get install qemu-system-arm)"; return 1; }
}

# lw_unpack DIR OUT: the flashed card as a raw file
lw_unpack() { xz -dc "$1/$name.img.xz" > "$2"; }

# lw_qemu_virt DIR WORK [QEMU ARGS...]: boots WORK/disk.img on the virt machine with the image's own
# kernel and initrd (slot a's label: the initramfs picks the slot from the boot state), serial console on
# WORK/serial.sock, logged (appended: QEMU's reboots keep one log) to WORK/serial.log; in the background,
# its pid in $qemu_pid
lw_qemu_virt() {
  local dir=$1 work=$2
  shift 2
  rm -f "$work/serial.sock"
  qemu-system-aarch64 -M virt -cpu cortex-a72 -smp 2 -m 1024 -display none -monitor none \
    -kernel "$dir/$name.vmlinuz" -initrd "$dir/$name.initrd" \
    -append "root=LABEL=linewatch-a rw console=ttyAMA0 systemd.show_status=1 panic=10" \
    -chardev socket,id=s0,path="$work/serial.sock",server=on,wait=off,logfile="$work/serial.log",logappend=on -serial chardev:s0 \
    -drive file="$work/disk.img",if=none,format=raw,id=d0 -device virtio-blk-device,drive=d0 \
    "$@" > "$work/qemu.log" 2>&1 &
  qemu_pid=$!
}

# lw_wait_serial WORK PATTERN SECONDS: until the console log shows PATTERN; returns 1 (and says why)
# on the time limit or when QEMU is gone
lw_wait_serial() {
  local until=$(( $(date +%s) + $3 ))
  while ! grep -q "$2" "$1/serial.log" 2>/dev/null; do
    [ "$(date +%s)" -lt "$until" ] || { echo "no \"$2\" on the console within $3 s"; return 1; }
    kill -0 "$qemu_pid" 2>/dev/null || { echo "qemu exited"; return 1; }
    sleep 2
  done
}

# lw_serial_tail LOG [N]: what a failure shows of a console log: the boot's own failure lines from the
# whole log first (a timed-out device or a failed unit scrolls out of any tail), then its last N lines
lw_serial_tail() {
  local problems
  problems=$(grep -aE 'Timed out|Dependency failed|\[FAILED\]|emergency|Emergency|You are in|Kernel panic|Give root password' "$1" 2>/dev/null | tail -40)
  [ -n "$problems" ] && printf -- '--- failure lines from the whole console log:\n%s\n--- its last lines:\n' "$problems"
  tail -"${2:-60}" "$1" 2>/dev/null
}

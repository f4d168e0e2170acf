#!/usr/bin/env bash
# The image's smoke test (npm run image:test): boots the built image under qemu-system-aarch64
# (machine virt, the image's own kernel and initrd, serial console), with a boot-partition
# linewatch.yaml that configures the simulated gateway, and checks over the serial line and the
# forwarded web port that the system runs, linewatch.service is active and /healthz answers.
# Prints boot-to-healthy seconds (a relative figure: emulated, not a Pi) and the idle memory of the service,
# of the shipped example config and of the demo, run on the image.
#   image/test.sh [--dir DIR]      (default ./dist-image, as image/build.sh writes it)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=dist-image
[ "${1:-}" = --dir ] && dir=$2
. image/lib.sh
lw_image
why=$(lw_missing "$dir") || { echo "image test: SKIPPED: $why"; exit 0; }

work=$(mktemp -d /var/tmp/linewatch-image-test.XXXXXX)
qemu_pid=
cleanup() { [ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
lw_unpack "$dir" "$work/disk.img"
# a card 1 GiB larger than the image: the data partition must grow to its end at boot (linewatch-grow-data)
truncate -s +1G "$work/disk.img"
# the installer's file on the boot partition (FAT at 4 MiB): the simulated gateway, the page on all addresses
cat > "$work/linewatch.yaml" <<'EOF'
site: smoke
box: qemu
board: sim
modems:
  - { id: gsm1, port: "sim:gsm1" }
lines:
  - { id: gsm1, kind: gsm, numbers: ["+74951110001"], channels: 1, modem: gsm1 }
panel:
  lamps: [{ id: system, source: system, green: 2, red: 3 }]
mqtt: { url: "mqtt://127.0.0.1:1" }
http: { host: 0.0.0.0, port: 8080 }
EOF
# a password for the serial login, given as the installer would (firstboot sets it, then deletes the file)
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
printf '%s\n' "$password" > "$work/admin-password.txt"
# and the web page's own (the image has none built in: nothing works on the page until one is set)
web_password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
printf '%s\n' "$web_password" > "$work/web-password.txt"
mcopy -o -i "$work/disk.img@@4M" "$work/linewatch.yaml" "$work/admin-password.txt" "$work/web-password.txt" ::/
port=$(( 20000 + RANDOM % 20000 ))
t0=$(date +%s)
lw_qemu_virt "$dir" "$work" -netdev user,id=n0,hostfwd=tcp:127.0.0.1:$port-:8080 -device virtio-net-device,netdev=n0
limit=${LINEWATCH_IMAGE_TEST_SECONDS:-900}
healthy=
while [ $(( $(date +%s) - t0 )) -lt "$limit" ]; do
  if healthy=$(curl -fsS --max-time 5 "http://127.0.0.1:$port/healthz" 2>/dev/null); then break; fi
  kill -0 "$qemu_pid" 2>/dev/null || { echo "image test: FAILED: qemu exited"; cat "$work/qemu.log"; lw_serial_tail "$work/serial.log" 40; exit 1; }
  sleep 2
done
seconds=$(( $(date +%s) - t0 ))
failed=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAILED: $1"; failed=1; fi; }
if [ -z "$healthy" ]; then
  echo "image test: FAILED: /healthz did not answer within $limit s"
  lw_serial_tail "$work/serial.log"
  exit 1
fi
echo "boot to healthy: $seconds s (under emulation: a relative figure)"
echo "healthz: $healthy"
# over the serial line: the installer's view of the running system
python3 image/serial-console.py "$work/serial.sock" admin "$password" 300 \
  'systemctl is-system-running --wait' \
  'systemctl --failed --no-legend' \
  'systemctl is-active linewatch.service' \
  'grep -E "^(site|box):" /etc/linewatch/linewatch.yaml' \
  'stat -c "%a %U:%G" /etc/linewatch/linewatch.yaml' \
  'ls /boot/firmware/' \
  'ps -o rss=,vsz=,comm= -p "$(systemctl show -p MainPID --value linewatch.service)"' \
  'free -m' \
  'df -m --output=size /data | tail -1' > "$work/console.txt" || { echo "image test: FAILED: the serial console"; lw_serial_tail "$work/serial.log" 40; exit 1; }
sed 's/^/    /' "$work/console.txt"
section() { awk -v c="== $1" '$0 == c { on = 1; next } /^== / { on = 0 } on' "$work/console.txt"; }
check "the system is running (serial)" '[ "$(section "systemctl is-system-running --wait")" = running ]'
check "linewatch.service is active (serial)" '[ "$(section "systemctl is-active linewatch.service")" = active ]'
check "linewatch.yaml from the boot partition installed (serial)" 'section "grep -E \"^(site|box):\" /etc/linewatch/linewatch.yaml" | grep -q "site: smoke"'
check "linewatch.yaml is 0640 root:linewatch, read by admin as a member (serial)" '[ "$(section "stat -c \"%a %U:%G\" /etc/linewatch/linewatch.yaml")" = "640 root:linewatch" ]'
check "admin-password.txt and web-password.txt removed from the boot partition (serial)" '! section "ls /boot/firmware/" | grep -q -e admin-password -e web-password'
check "the data partition grew to the card's end: /data over 1000 MiB (was 64; serial)" '[ "$(section "df -m --output=size /data | tail -1" | tr -d " ")" -gt 1000 ]'
check "firstboot said what it applied (serial)" 'grep -q "linewatch.yaml: installed as" "$work/serial.log"'
# the web page: nothing without a credential, not the OS password, not a guess; the web password logs in
login() { curl -sS -o /dev/null -w '%{http_code}' -c "$work/cookies" --data-urlencode user=admin --data-urlencode "password=$1" "http://127.0.0.1:$port/login"; }
check "no credential: the state is refused (web)" '[ "$(curl -sS -o /dev/null -w "%{http_code}" "http://127.0.0.1:$port/api/v1/state")" = 401 ]'
check "the OS password is not the web password (web)" '[ "$(login "$password")" = 401 ]'
check "web-password.txt logs in (web)" '[ "$(login "$web_password")" = 303 ]'
runs_smoke_config() {
  curl -fsS -b "$work/cookies" "http://127.0.0.1:$port/api/v1/state" | node -e '
    const j = JSON.parse(require("fs").readFileSync(0, "utf8"))
    process.exit(j.box.site === "smoke" && j.box.box === "qemu" && j.modems.gsm1 ? 0 : 1)'
}
check "the box runs the boot partition's config with its simulated modem (web)" runs_smoke_config
rss=$(section 'ps -o rss=,vsz=,comm= -p "$(systemctl show -p MainPID --value linewatch.service)"' | awk '{print $1}')
echo "linewatch service resident memory: $(( ${rss:-0} / 1024 )) MiB"
used=$(section 'free -m' | awk '/^Mem:/ {print $3}')
echo "the whole system's memory in use: ${used:-?} MiB"
[ "$failed" = 0 ] || { echo "image test: FAILED"; lw_serial_tail "$work/serial.log"; exit 1; }
# the GPIO plugin on a real kernel: gpio-sim where the kernel has it, else virt's PL061 (issue 21; image/test-gpio.sh).
# It runs before the idle memory runs, which are only reported: under load a CI run timed them out, and their
# session left the console logged in for this one (serial-console.py now interrupts and logs out on a timeout).
# LINEWATCH_IMAGE_TEST_GPIO=0 leaves it out.
if [ "${LINEWATCH_IMAGE_TEST_GPIO:-1}" = 1 ]; then
  image/test-gpio.sh "$work/serial.sock" "$password" || { echo "image test: FAILED (gpio)"; exit 1; }
else
  echo "image test: the GPIO run on the kernel (image/test-gpio.sh) left out (LINEWATCH_IMAGE_TEST_GPIO=0)"
fi
# idle memory on the image's own node (issue 20), reported, not checked: the shipped example config (its ports
# and GPIO absent here, routes only reported, its own port and state folder) and the demo, side by side with the
# service above, each read after 90 s, as the installed command runs them (/usr/bin/linewatch, the V8 flag)
idle_rss() {
  python3 image/serial-console.py "$work/serial.sock" admin "$password" 400 \
    "sed -e 's/port: 8080/port: 8092/' -e 's#dir: /var/lib/linewatch#dir: /tmp/lw-example#' -e 's/routes: metrics/routes: report/' /etc/linewatch/linewatch.example.yaml > /tmp/example.yaml" \
    'cd /tmp; LINEWATCH_LOG_LEVEL=error linewatch run --config /tmp/example.yaml >/tmp/example.log 2>&1 & e=$!; LINEWATCH_LOG_LEVEL=error linewatch demo --http-port 8091 --http-host 127.0.0.1 >/tmp/demo.log 2>&1 & d=$!; sleep 90; echo "example $(ps -o rss= -p $e || echo gone: $(tail -c 400 /tmp/example.log))"; echo "demo $(ps -o rss= -p $d || echo gone: $(tail -c 400 /tmp/demo.log))"; kill $e $d; wait' \
    > "$work/idle.txt" 2>&1 || { echo "    (the idle memory runs did not finish over the serial line:)"; tail -15 "$work/idle.txt" | sed 's/^/      /'; }
}
idle_rss
example_rss=$(awk '$1 == "example" && $2 ~ /^[0-9]+$/ {print $2}' "$work/idle.txt")
demo_rss=$(awk '$1 == "demo" && $2 ~ /^[0-9]+$/ {print $2}' "$work/idle.txt")
mib() { if [ -n "$1" ]; then echo "$(( $1 / 1024 )) MiB"; else echo "?"; fi; }
echo "idle resident memory on the image: service (the smoke config) $(mib "$rss"), the example config $(mib "$example_rss"), the demo $(mib "$demo_rss")"
grep -E '^(example|demo) gone:' "$work/idle.txt" | sed 's/^/    /' || true
kill "$qemu_pid"; wait "$qemu_pid" 2>/dev/null || true; qemu_pid=

# The same card in QEMU's Raspberry Pi 3B (the Pi's SD host, the kernel, initrd and device tree the
# firmware hook put on the boot partition): virt's virtio disk cannot tell whether the initramfs
# carries what finds the root on a real card. No network there: the serial console says it.
# systemd leaves the hardware watchdog alone here: QEMU 7.2's bcm2835 power manager resets the
# machine at once when the watchdog is started (it does not count down as the Pi's does).
if [ "${LINEWATCH_IMAGE_TEST_PI:-1}" = 1 ]; then
  # QEMU wants an SD card of a power of two: the next one up (2 GiB would cut off slot b and the data partition)
  card=$((1 << 30)); while [ "$card" -lt "$(stat -c %s "$work/disk.img")" ]; do card=$((card * 2)); done
  truncate -s "$card" "$work/disk.img"
  kernel=$(mdir -b -i "$work/disk.img@@4M" ::/ | grep -o 'vmlinuz-[^/]*$' | head -1)
  for f in bcm2837-rpi-3-b.dtb "$kernel" "initrd.img-${kernel#vmlinuz-}"; do mcopy -o -i "$work/disk.img@@4M" "::$f" "$work/pi-$f"; done
  t1=$(date +%s)
  qemu-system-aarch64 -M raspi3b -display none -monitor none \
    -kernel "$work/pi-$kernel" -initrd "$work/pi-initrd.img-${kernel#vmlinuz-}" -dtb "$work/pi-bcm2837-rpi-3-b.dtb" \
    -append "console=ttyAMA0,115200 root=LABEL=linewatch-a rw rootwait systemd.show_status=1 systemd.watchdog_sec=off" \
    -drive file="$work/disk.img",if=sd,format=raw -serial file:"$work/pi.log" -serial null > "$work/qemu-pi.log" 2>&1 &
  qemu_pid=$!
  pi_started=
  while [ $(( $(date +%s) - t1 )) -lt "$limit" ]; do
    grep -q "Started .*linewatch.service" "$work/pi.log" 2>/dev/null && { pi_started=$(( $(date +%s) - t1 )); break; }
    grep -q "Dropping to a shell" "$work/pi.log" 2>/dev/null && break
    boots=$(grep -ac "Kernel command line: " "$work/pi.log" 2>/dev/null || true)
    [ "${boots:-0}" -gt 1 ] && { echo "Pi 3B: the machine restarted"; break; }
    kill -0 "$qemu_pid" 2>/dev/null || break
    sleep 5
  done
  check "Pi 3B: the initramfs found the root on the SD card (serial)" 'grep -q "EXT4-fs (mmcblk0p2): mounted" "$work/pi.log"'
  check "Pi 3B: linewatch.service started (serial)" '[ -n "$pi_started" ]'
  [ -n "$pi_started" ] && echo "Pi 3B under QEMU (TCG): power-on → linewatch.service started: $pi_started s"
  [ "$failed" = 0 ] || { echo "image test: FAILED on the Pi 3B"; lw_serial_tail "$work/pi.log" 40; exit 1; }
fi
# for npm run bench (scripts/bench-image.ts)
printf '{"date":"%s","bootToHealthySeconds":%s,"serviceRssKiB":%s,"exampleRssKiB":%s,"demoRssKiB":%s,"systemUsedMiB":%s,"pi3BootToServiceSeconds":%s}\n' \
  "$(date -u +%FT%TZ)" "$seconds" "${rss:-null}" "${example_rss:-null}" "${demo_rss:-null}" "${used:-null}" "${pi_started:-null}" > "$dir/$name.test.json"
echo "image test: passed"

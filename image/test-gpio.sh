#!/usr/bin/env bash
# The GPIO plugin against a real kernel (issue 21), on the booted image: image/test.sh runs it on its
# QEMU virt machine (already logged-in once, so it knows the admin password):
#   image/test-gpio.sh SERIAL_SOCKET ADMIN_PASSWORD
# On the image it loads the kernel's gpio-sim, makes a 28-line chip labelled pinctrl-bcm2835 (what
# boards/pi-4b.yaml looks for, so the box runs `board: pi-4b` unchanged through node-libgpiod), and runs
# `linewatch run` with a panel (two lamps, the buzzer, the button) and an analog line's voltage input on it.
# Through gpio-sim's sysfs attributes it reads the lamps' lines as the kernel sees them and pulls the inputs:
# the line goes down and up, the buzzer sounds, a press of the button silences it. Then the CPU the box
# uses, idle, with the inputs on edge events (gpiomon) and on the 10 ms poll (reported, not checked).
# Prints ok:/FAILED: lines like test.sh; exits 1 on a failure, 0 (SKIPPED, with the reason) without gpio-sim.
set -euo pipefail
cd "$(dirname "$0")/.."
sock=$1 password=$2
seconds=${LINEWATCH_GPIO_CPU_SECONDS:-60}

# ---- what runs on the image (as admin; root through sudo for gpio-sim) ----
guest=$(cat <<'GUEST'
set -u
pw=$1 seconds=$2
S() { printf '%s\n' "$pw" | sudo -S -p '' "$@"; }
W() { printf '%s\n' "$2" | S tee "$1" >/dev/null; }
say() { echo "GPIO $*"; }
if ! S modprobe gpio-sim 2>/tmp/modprobe.err; then say "SKIPPED: no gpio-sim module in $(uname -r): $(cat /tmp/modprobe.err)"; exit 0; fi
[ -d /sys/kernel/config/gpio-sim ] || S mount -t configfs none /sys/kernel/config
cfg=/sys/kernel/config/gpio-sim/linewatch
S mkdir -p "$cfg/bank0"
W "$cfg/bank0/num_lines" 28
W "$cfg/bank0/label" pinctrl-bcm2835
W "$cfg/live" 1
S udevadm settle
chip=$(cat "$cfg/bank0/chip_name")
sim=/sys/devices/platform/$(cat "$cfg/dev_name")/$chip
say "chip: /dev/$chip $(stat -c '%G %a' /dev/$chip) (gpio-sim, $(ls -d $sim/sim_gpio* | wc -l) lines, label pinctrl-bcm2835)"
v() { cat "$sim/sim_gpio$1/value"; }
pull() { W "$sim/sim_gpio$1/pull" "$2"; }
# the levels a line showed over a few seconds: 0, 1 or 01 (it toggled)
seen() {
  local end=$(( $(date +%s%N) / 1000000 + $2 )) s=
  while [ $(( $(date +%s%N) / 1000000 )) -lt $end ]; do s="$s$(v "$1")"; sleep 0.02; done
  case $s in *0*1* | *1*0*) echo 01 ;; *1*) echo 1 ;; *) echo 0 ;; esac
}
check() { if [ "$2" = "$3" ]; then say "ok: $1"; else say "FAILED: $1 (saw $2, wanted $3)"; fi; }
cat > /tmp/gpio.yaml <<'EOF'
site: gpio
box: qemu
board: pi-4b
lines:
  - { id: pots1, kind: analog, numbers: ["+74951110003"], analog: { voltage: { pin: GPIO5 } } }
panel:
  lamps:
    - { id: system, source: system, green: GPIO17, red: GPIO27 }
    - { id: pots1, source: line/pots1, green: GPIO22, red: GPIO23 }
  buzzer: { pin: GPIO18 }
  button: { pin: GPIO26 }
mqtt: { url: "mqtt://127.0.0.1:1" }
http: { host: 127.0.0.1, port: 8093 }
storage: { dir: /tmp/lw-gpio }
EOF
pid=
start() {
  rm -rf /tmp/lw-gpio
  LINEWATCH_GPIO_INPUTS=$1 LINEWATCH_LOG_LEVEL=info linewatch run --config /tmp/gpio.yaml > /tmp/gpio-$1.log 2>&1 &
  pid=$!
  # up once the heartbeat lamp (system, green) lights
  for _ in $(seq 300); do
    [ "$(v 17)" = 1 ] && return 0
    kill -0 $pid 2>/dev/null || break
    sleep 0.5
  done
  say "FAILED: linewatch ($1) did not light the system lamp: $(tail -c 600 /tmp/gpio-$1.log)"
  return 1
}
stop() {
  kill $pid; wait $pid 2>/dev/null
  pid=
  local left; left=$(pgrep -x gpiomon | tr '\n' ' ')
  [ -z "$left" ] || say "FAILED: gpiomon left running after linewatch stopped: $left"
}
# CPU time (ticks) of linewatch and its gpiomon children
ticks() { local t=0 p; for p in $pid $(pgrep -P $pid gpiomon); do t=$(( t + $(awk '{print $14 + $15}' /proc/$p/stat) )); done; echo $t; }
cpu() {
  local a b; a=$(ticks); sleep "$seconds"; b=$(ticks)
  say "cpu $1: $(( b - a )) ticks in $seconds s = $(awk -v t=$(( b - a )) -v s="$seconds" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", 100 * t / hz / s }') % of one core"
}
# the box as the panel's staff see it, through the kernel's view of the lines
scenario() {
  local mode=$1
  # nothing drives the voltage input: its pull-up reads 1, no line voltage (presentLevel 0): pots1 down
  check "$mode: the system lamp (GPIO17) blinks its heartbeat" "$(seen 17 4000)" 01
  check "$mode: no voltage: pots1's red (GPIO23) flashes" "$(seen 23 2000)" 01
  check "$mode: pots1's green (GPIO22) dark" "$(seen 22 1000)" 0
  check "$mode: the buzzer (GPIO18) sounds for the line down" "$(seen 18 3000)" 01
  pull 5 pull-down # the opto-coupler conducts: line voltage
  sleep 3
  check "$mode: voltage present: pots1 green steady" "$(seen 22 1500)" 1
  check "$mode: voltage present: red dark" "$(seen 23 1000)" 0
  check "$mode: the line up: the buzzer quiet" "$(seen 18 2500)" 0
  pull 5 pull-up # the line cut
  sleep 3
  check "$mode: voltage gone: red flashes again" "$(seen 23 2000)" 01
  check "$mode: the buzzer sounds again" "$(seen 18 3000)" 01
  pull 26 pull-down; sleep 0.4; pull 26 pull-up # the silence button, pressed and let go
  sleep 1
  check "$mode: the button silenced the buzzer" "$(seen 18 3000)" 0
  check "$mode: the line still down: red still flashes" "$(seen 23 1500)" 01
}
command -v gpiomon >/dev/null && have_gpiomon=1 || have_gpiomon=0
[ "$have_gpiomon" = 1 ] || say "note: gpiomon is not installed (Debian package gpiod): the events run falls back to the poll"
start events || exit 0
watchers=$(pgrep -P $pid -x gpiomon | wc -l)
if [ "$have_gpiomon" = 1 ]; then check "events: gpiomon children watch the inputs" "$([ "$watchers" -gt 0 ] && echo yes)" yes; fi
scenario events
pull 5 pull-down; sleep 3 # idle: line up, buzzer quiet, only the lamps' patterns run
cpu "events ($watchers gpiomon)"
stop
start poll || exit 0
check "poll: no gpiomon child" "$(pgrep -P $pid -x gpiomon | wc -l)" 0
scenario poll
pull 5 pull-down; sleep 3
cpu poll
stop
grep -h -i -E '"level":(40|50)|gpio' /tmp/gpio-events.log /tmp/gpio-poll.log | grep -v -i -E 'mqtt|broker' | tail -8 | sed 's/^/GPIO log: /'
W "$cfg/live" 0
S rmdir "$cfg/bank0" "$cfg"
say done
GUEST
)

# sent over the serial line in pieces (a terminal's line holds 4 KiB)
b64=$(printf '%s\n' "$guest" | base64 -w 900)
cmds=('rm -f /tmp/gpio-test.b64')
while IFS= read -r chunk; do cmds+=("echo $chunk >> /tmp/gpio-test.b64"); done <<< "$b64"
cmds+=("base64 -d /tmp/gpio-test.b64 > /tmp/gpio-test.sh && bash /tmp/gpio-test.sh '$password' $seconds")
out=$(python3 image/serial-console.py "$sock" admin "$password" $(( 900 + 2 * seconds )) "${cmds[@]}") || {
  echo "FAILED: gpio-sim: the serial console"; printf '%s\n' "$out" | tail -20; exit 1; }
report=$(printf '%s\n' "$out" | sed -n 's/^GPIO //p')
printf '%s\n' "$report" | sed -e 's/^ok:/ok: gpio-sim:/' -e 's/^FAILED:/FAILED: gpio-sim:/' -e '/^\(ok\|FAILED\):/!s/^/    gpio-sim: /'
grep -q '^done' <<< "$report" || grep -q '^SKIPPED' <<< "$report" || { echo "FAILED: gpio-sim: the run did not finish"; printf '%s\n' "$out" | tail -20; exit 1; }
! grep -q '^FAILED' <<< "$report"

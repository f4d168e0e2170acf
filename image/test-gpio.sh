#!/usr/bin/env bash
# The GPIO plugin against a real kernel (issue 21), on the booted image: image/test.sh runs it on its
# QEMU virt machine (logged in with the admin password it gave):
#   image/test-gpio.sh SERIAL_SOCKET ADMIN_PASSWORD
# With the kernel's gpio-sim: a 28-line chip labelled pinctrl-bcm2835 (what boards/pi-4b.yaml looks for, so
# the box runs `board: pi-4b` unchanged through node-libgpiod) and `linewatch run` with a panel (two lamps,
# the buzzer, the button) and an analog line's voltage input on it; through gpio-sim's sysfs attributes it
# reads the lamps' lines as the kernel sees them and pulls the inputs: the line goes down and up, the buzzer
# sounds, a press of the button silences it. The image's kernel (trixie-backports' 7.x) has gpio-sim; Debian
# 12's 6.1 and Debian's 6.12 have no gpio-sim (nor gpio-mockup):
# then the same box on virt's own PL061 chip (8 lines, found by the map's fallback /dev/gpiochip0), whose
# outputs are read back through debugfs and whose inputs nothing outside can drive (read, not pulled).
# Either way: which process holds which line (gpioinfo), that linewatch stops on SIGTERM and leaves no
# gpiomon behind, and the CPU the box uses idle with the inputs on edge events (gpiomon) and on the 10 ms
# poll (LINEWATCH_GPIO_CPU_SECONDS each, default 30; reported, not checked).
# Prints ok:/FAILED: lines like test.sh and exits 1 on a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
sock=$1 password=$2
seconds=${LINEWATCH_GPIO_CPU_SECONDS:-30}

# ---- what runs on the image (root through sudo; the box itself as admin) ----
guest=$(cat <<'GUEST'
set -u
pw=$1 seconds=$2
# root for gpio-sim, debugfs and pulls; the box itself runs as admin (the gpio group, as the service's user)
[ "$(id -u)" = 0 ] || exec sudo -S -p '' bash "$0" "$@" <<< "$pw"
say() { echo "GPIO $*"; }
W() { printf '%s\n' "$2" > "$1"; }
check() { if [ "$2" = "$3" ]; then say "ok: $1"; else say "FAILED: $1 (saw ${2:-nothing}, wanted $3)"; fi; }
# the levels a line showed over N ms: 0, 1 or 01 (it toggled). Bash builtins only in the loop (level sets
# $lv; the clock is $EPOCHREALTIME; the pause a read timing out on a FIFO nobody writes): with a fork per
# sample (date, awk, sleep) an emulated machine on a loaded host sampled too seldom to catch the heartbeat's
# 100 ms beats and saw the system lamp dark for 8 s (a CI run beside another QEMU)
mkfifo /tmp/gpio-pause 2>/dev/null || true
exec 8<>/tmp/gpio-pause
seen() {
  local now=${EPOCHREALTIME//[!0-9]/} s=
  local end=$(( now / 1000 + $2 ))
  while (( now / 1000 < end )); do
    level "$1"; s+=$lv
    read -r -t 0.01 -u 8 _ || true
    now=${EPOCHREALTIME//[!0-9]/}
  done
  case $s in *0*1* | *1*0*) echo 01 ;; *1*) echo 1 ;; *0*) echo 0 ;; *) echo - ;; esac
}
if modprobe gpio-sim 2>/tmp/modprobe.err; then
  sim=1
  cfg=/sys/kernel/config/gpio-sim/linewatch
  [ -d /sys/kernel/config/gpio-sim ] || mount -t configfs none /sys/kernel/config
  mkdir -p "$cfg/bank0"
  W "$cfg/bank0/num_lines" 28
  W "$cfg/bank0/label" pinctrl-bcm2835 # what boards/pi-4b.yaml looks for
  W "$cfg/live" 1
  udevadm settle
  chip=$(cat "$cfg/bank0/chip_name")
  simdir=/sys/devices/platform/$(cat "$cfg/dev_name")/$chip
  level() { read -r lv < "$simdir/sim_gpio$1/value"; }
  pull() { W "$simdir/sim_gpio$1/pull" "$2"; }
  say "chip: /dev/$chip (gpio-sim, label pinctrl-bcm2835, 28 lines), $(stat -c 'group %G mode %a' /dev/$chip)"
  pins='GPIO5 GPIO17 GPIO27 GPIO22 GPIO23 GPIO18 GPIO26 true'
else
  # a kernel without gpio-sim (Debian's 6.1 and 6.12; nor gpio-mockup): then this machine's own chip, virt's
  # PL061 (8 lines, line 3 is the power key), found by the board map's fallback /dev/gpiochip0; its
  # outputs read back as the kernel sees them (debugfs); its inputs cannot be driven from outside
  sim=0
  say "note: no gpio-sim in $(uname -r) ($(tr '\n' ' ' < /tmp/modprobe.err)): on virt's own chip (PL061) instead; inputs not pulled"
  mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
  chip=gpiochip0
  base=$(sed -n 's/^gpiochip0: GPIOs \([0-9]*\)-.*/\1/p' /sys/kernel/debug/gpio)
  level() {
    local l g="gpio-$(( base + $1 )) "
    lv=
    while IFS= read -r l; do
      if [[ $l == *"$g"* ]]; then [[ $l == *" hi"* ]] && lv=1 || lv=0; return; fi
    done < /sys/kernel/debug/gpio
  }
  say "chip: /dev/$chip ($(gpiodetect 2>/dev/null | head -1)), $(stat -c 'group %G mode %a' /dev/$chip)"
  # the voltage input reads 0 there (present: presentLevel 0); a button read 0 must be "not pressed"
  pins='GPIO1 GPIO4 GPIO5 GPIO6 GPIO7 GPIO2 GPIO0 false'
fi
set -- $pins
volt=$1 sysg=${2#GPIO} sysr=${3#GPIO} potg=${4#GPIO} potr=${5#GPIO} buzz=${6#GPIO} button=$7 low=$8
cat > /tmp/gpio.yaml <<YAML
site: gpio
box: qemu
board: pi-4b
lines:
  # no hold-down: a line down at start is otherwise called up only after 120 s of voltage (docs/lines.md);
  # the first gpio-sim run waited 3 s and saw it still red
  - { id: pots1, kind: analog, numbers: ["+74951110003"], analog: { voltage: { pin: $volt } }, hysteresis: { holdDownSeconds: 0 } }
panel:
  lamps:
    - { id: system, source: system, green: GPIO$sysg, red: GPIO$sysr }
    - { id: pots1, source: line/pots1, green: GPIO$potg, red: GPIO$potr }
  buzzer: { pin: GPIO$buzz }
  button: { pin: $button, activeLow: $low }
mqtt: { url: "mqtt://127.0.0.1:1" }
http: { host: 127.0.0.1, port: 8093 }
storage: { dir: /tmp/lw-gpio }
YAML
chmod 644 /tmp/gpio.yaml
node_pid() { pgrep -f 'linewatch.js run --config /tmp/gpio.yaml' | head -1; } # this run's, not the service's
start() {
  rm -rf /tmp/lw-gpio /tmp/gpio-$1.log
  runuser -u admin -- env LINEWATCH_GPIO_INPUTS=$1 LINEWATCH_LOG_LEVEL=info linewatch run --config /tmp/gpio.yaml > /tmp/gpio-$1.log 2>&1 &
  # up once the heartbeat lamp (system, green) lights
  for _ in $(seq 300); do
    level $sysg; [ "$lv" = 1 ] && return 0
    sleep 0.5
  done
  say "FAILED: linewatch ($1) did not light the system lamp: $(tail -c 600 /tmp/gpio-$1.log)"
  return 1
}
stop() {
  local n; n=$(node_pid)
  kill -TERM "$n"
  for _ in $(seq 120); do kill -0 "$n" 2>/dev/null || break; sleep 0.5; done
  check "$1: linewatch stopped on SIGTERM within 60 s" "$(kill -0 "$n" 2>/dev/null && echo running || echo stopped)" stopped
  kill -KILL "$n" 2>/dev/null; sleep 1
  check "$1: no gpiomon left behind" "$(pgrep -x gpiomon | wc -l)" 0
}
# CPU time (ticks) of linewatch (node) and its gpiomon children
ticks() { local t=0 p n; n=$(node_pid); for p in $n $(pgrep -P "$n" -x gpiomon); do t=$(( t + $(awk '{print $14 + $15}' /proc/$p/stat) )); done; echo $t; }
cpu() {
  local a b; a=$(ticks); sleep "$seconds"; b=$(ticks)
  say "cpu, idle, inputs on $1: $(( b - a )) ticks in $seconds s = $(awk -v t=$(( b - a )) -v s="$seconds" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", 100 * t / hz / s }') % of one core (linewatch + its gpiomon)"
}
# libgpiod 2's gpioinfo (Debian 13) takes the chip as -c CHIP (a bare word is a line's name) and prints
# consumer="NAME"; 1.x's (Debian 12) takes the chip bare and prints "NAME" in a column
consumers() { { gpioinfo -c $chip 2>/dev/null || gpioinfo $chip; } | grep -c -E "(consumer=)?\"$1\"|consumer=$1([[:space:]]|\$)"; }
# the box as the panel's staff see it, through the kernel's view of the lines
scenario() {
  local mode=$1
  check "$mode: the system lamp (GPIO$sysg) blinks its heartbeat" "$(seen $sysg 8000)" 01
  if [ $sim = 0 ]; then
    check "$mode: the voltage input reads present: pots1 green (GPIO$potg) steady" "$(seen $potg 1500)" 1
    check "$mode: pots1 red (GPIO$potr) dark" "$(seen $potr 1000)" 0
    check "$mode: the buzzer (GPIO$buzz) quiet" "$(seen $buzz 2000)" 0
    return
  fi
  # nothing drives the voltage input: its pull-up reads 1, no line voltage (presentLevel 0): pots1 down
  check "$mode: no voltage: pots1's red (GPIO$potr) flashes" "$(seen $potr 2000)" 01
  check "$mode: pots1's green (GPIO$potg) dark" "$(seen $potg 1000)" 0
  check "$mode: the buzzer (GPIO$buzz) sounds for the line down" "$(seen $buzz 3000)" 01
  pull ${volt#GPIO} pull-down # the opto-coupler conducts: line voltage
  sleep 3
  check "$mode: voltage present: pots1 green steady" "$(seen $potg 1500)" 1
  check "$mode: voltage present: red dark" "$(seen $potr 1000)" 0
  check "$mode: the line up: the buzzer quiet" "$(seen $buzz 2500)" 0
  pull ${volt#GPIO} pull-up # the line cut
  sleep 3
  check "$mode: voltage gone: red flashes again" "$(seen $potr 2000)" 01
  check "$mode: the buzzer sounds again" "$(seen $buzz 3000)" 01
  pull ${button#GPIO} pull-down; sleep 0.4; pull ${button#GPIO} pull-up # the silence button, pressed and let go
  sleep 1
  check "$mode: the button silenced the buzzer" "$(seen $buzz 3000)" 0
  check "$mode: the line still down: red still flashes" "$(seen $potr 1500)" 01
  pull ${volt#GPIO} pull-down; sleep 3 # then idle: line up, buzzer quiet, only the lamps' patterns run
}
# the v2 uAPI addon where the image has it (edge events read by linewatch itself), else node-libgpiod + gpiomon
[ -f /opt/linewatch/native/gpio-v2/gpio_v2.node ] && v2=1 || v2=0
command -v gpiomon >/dev/null && have_gpiomon=1 || have_gpiomon=0
[ "$v2" = 1 ] || [ "$have_gpiomon" = 1 ] || say "note: neither the v2 addon nor gpiomon (Debian package gpiod): the events run falls back to the poll"
start events || exit 0
if [ "$v2" = 1 ]; then
  check "events (v2 uAPI): no gpiomon; linewatch holds all 7 lines, the inputs by its edge request" "$(pgrep -x gpiomon | wc -l) $(consumers linewatch)" "0 7"
elif [ "$have_gpiomon" = 1 ]; then
  check "events: the two inputs held by gpiomon, the five outputs by linewatch" "$(consumers gpiomon) $(consumers linewatch)" "2 5"
fi
scenario events
cpu "edge events ($([ "$v2" = 1 ] && echo "v2 uAPI, " )$(pgrep -x gpiomon | wc -l) gpiomon)"
stop events
start poll || exit 0
check "poll: no gpiomon; linewatch holds all 7 lines" "$(pgrep -x gpiomon | wc -l) $(consumers linewatch)" "0 7"
scenario poll
cpu "the 10 ms poll"
stop poll
# what the box said wrong about its pins (a broker is absent on purpose)
grep -h -E '"level":(40|50)' /tmp/gpio-events.log /tmp/gpio-poll.log | grep -v -i -E 'mqtt|broker' | tail -6 | cut -c1-300 | sed 's/^/GPIO log: /'
if [ $sim = 1 ]; then W "$cfg/live" 0; rmdir "$cfg/bank0" "$cfg"; fi
say done
GUEST
)

# sent over the serial line in pieces (a terminal's line holds 4 KiB)
b64=$(printf '%s\n' "$guest" | base64 -w 900)
cmds=('rm -f /tmp/gpio-test.b64')
while IFS= read -r chunk; do cmds+=("echo $chunk >> /tmp/gpio-test.b64"); done <<< "$b64"
cmds+=("base64 -d /tmp/gpio-test.b64 > /tmp/gpio-test.sh && bash /tmp/gpio-test.sh '$password' $seconds")
out=$(python3 image/serial-console.py "$sock" admin "$password" $(( 900 + 2 * seconds )) "${cmds[@]}") || {
  echo "FAILED: gpio: the serial console"; printf '%s\n' "$out" | tail -20; exit 1; }
report=$(printf '%s\n' "$out" | sed -n 's/^GPIO //p')
printf '%s\n' "$report" | sed -e 's/^ok:/ok: gpio:/' -e 's/^FAILED:/FAILED: gpio:/' -e '/^\(ok\|FAILED\):/!s/^/    gpio: /'
grep -q '^done' <<< "$report" || { echo "FAILED: gpio: the run did not finish"; printf '%s\n' "$out" | tail -20; exit 1; }
! grep -q '^FAILED' <<< "$report"

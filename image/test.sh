#!/usr/bin/env bash
# The image's smoke test (npm run image:test): boots the built image under qemu-system-aarch64
# (machine virt, the image's own kernel and initrd, serial console), with a boot-partition
# linewatch.yaml that configures the simulated gateway, and checks over the serial line and the
# forwarded web port that the system runs, linewatch.service is active and /healthz answers.
# Prints boot-to-healthy seconds (a relative figure: emulated, not a Pi) and the service's memory.
#   image/test.sh [--dir DIR]      (default ./dist-image, as image/build.sh writes it)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=dist-image
[ "${1:-}" = --dir ] && dir=$2
version=$(node -p "require('./package.json').version")
name=linewatch-$version-arm64
for f in "$dir/$name.img.xz" "$dir/$name.vmlinuz" "$dir/$name.initrd"; do
  [ -f "$f" ] || { echo "image test: SKIPPED: $f is missing (build it with: sudo image/build.sh)"; exit 0; }
done
command -v qemu-system-aarch64 >/dev/null || { echo "image test: SKIPPED: qemu-system-aarch64 is missing (apt-get install qemu-system-arm)"; exit 0; }

work=$(mktemp -d /var/tmp/linewatch-image-test.XXXXXX)
qemu_pid=
cleanup() { [ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
xz -dc "$dir/$name.img.xz" > "$work/disk.img"
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
mcopy -o -i "$work/disk.img@@4M" "$work/linewatch.yaml" ::/linewatch.yaml
port=$(( 20000 + RANDOM % 20000 ))
t0=$(date +%s)
qemu-system-aarch64 -M virt -cpu cortex-a72 -smp 2 -m 1024 -nographic \
  -kernel "$dir/$name.vmlinuz" -initrd "$dir/$name.initrd" \
  -append "root=LABEL=linewatch-root rw console=ttyAMA0 systemd.show_status=1" \
  -drive file="$work/disk.img",if=none,format=raw,id=d0 -device virtio-blk-device,drive=d0 \
  -netdev user,id=n0,hostfwd=tcp:127.0.0.1:$port-:8080 -device virtio-net-device,netdev=n0 \
  > "$work/serial.log" 2>&1 &
qemu_pid=$!
limit=${LINEWATCH_IMAGE_TEST_SECONDS:-900}
healthy=
while [ $(( $(date +%s) - t0 )) -lt "$limit" ]; do
  if body=$(curl -fsS --max-time 5 "http://127.0.0.1:$port/healthz" 2>/dev/null); then healthy=$body; break; fi
  kill -0 "$qemu_pid" 2>/dev/null || { echo "image test: FAILED: qemu exited"; tail -40 "$work/serial.log"; exit 1; }
  sleep 5
done
seconds=$(( $(date +%s) - t0 ))
grep -q "Started linewatch.service\|Started.*linewatch call-center" "$work/serial.log" && echo "serial: linewatch.service started" || echo "serial: no 'Started linewatch' line seen"
grep -q "Applied.*boot partition\|Finished.*linewatch-firstboot" "$work/serial.log" && echo "serial: the boot-partition file was applied" || true
if [ -z "$healthy" ]; then
  echo "image test: FAILED: /healthz did not answer within $limit s"
  tail -60 "$work/serial.log"
  exit 1
fi
echo "healthz: $healthy"
state=$(curl -fsS "http://127.0.0.1:$port/api/v1/state")
echo "$state" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);console.log("site/box:",j.box.site+"/"+j.box.box,"; modem gsm1:",j.modems.gsm1?.state)})'
echo "boot to healthy: $seconds s (under emulation)"

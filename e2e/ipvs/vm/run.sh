#!/usr/bin/env bash
# run.sh — boot, drive and stop the swarmlab test VM made by build.sh.
#
#   ./run.sh start [--no-ipvs] [--cgroup2]   boot it in the background; returns when its dockerd answers
#   ./run.sh ssh [CMD...]                    a root shell in the VM, or run CMD there
#   ./run.sh cp FILE... VMDIR                copy host files into the VM (scp)
#   ./run.sh load-image IMAGE...             copy images from the host engine into the VM's engine
#   ./run.sh env                             prints: export DOCKER_HOST=tcp://127.0.0.1:12375
#   ./run.sh status | console | stop
#
# The VM's Docker engine is published on the host at tcp://127.0.0.1:$DOCKER_PORT
# (plain TCP, no TLS: QEMU user networking forwards only from 127.0.0.1).
# sshd is on 127.0.0.1:$SSH_PORT (key in ssh/).  Ports that containers in the VM
# publish on the VM's 127.0.0.1 (swarmlab's 8000/9000/1936/5000) are reachable
# only from inside the VM: check them with './run.sh ssh curl ...'.
#
# Example: swarmlab on a kernel with IPVS
#   sudo ./build.sh && ./run.sh start
#   ./run.sh load-image swarmlab/node:latest            # ~3 min under TCG; the VM cannot pull
#   make build && ./run.sh cp bin/swarmlab /usr/local/bin/
#   ./run.sh ssh swarmlab doctor
#   ./run.sh ssh swarmlab up                            # under TCG: chooses a longer heartbeat by itself
#   ./run.sh ssh swarmlab verify
#   ./run.sh ssh curl -s http://127.0.0.1:8000/
#   ./run.sh stop
#   --no-ipvs boots without loading ip_vs, as a stock distro is until the first
#   VIP service makes the kernel autoload it.
#
# Environment:
#   ACCEL=kvm|tcg   default: kvm when /proc/cpuinfo has vmx/svm, else tcg (see NOTE)
#   MEM=6G CPUS=2   VM size (keep within what the host can spare)
#   DOCKER_PORT=12375 SSH_PORT=12222 BOOT_TIMEOUT=900
#
# NOTE on KVM: on some cloud machines /dev/kvm is the paravirtual
# 'kvm_pvm' module (cpuinfo has no vmx/svm; kernel cmdline nested_pvm=1).  PVM
# runs unmodified kernels by emulation: a stock Debian kernel crawls (about 100 s
# of guest time to reach FPU init) and stops at instructions the emulator lacks
# (a livelock on 'lock cmpxchg16b' in SLUB unless cx16 is masked, then
# "KVM internal error. Suberror: 1" on 'xrstor').  So ACCEL defaults to tcg
# there (multi-threaded TCG: ~5 s to the initramfs, ~1 min to a ready dockerd).
# On a host with real VT-x/AMD-V, ACCEL=kvm is picked automatically.
set -euo pipefail
# Everything it makes goes to VM_DIR (default /var/tmp/swarmlab-vm), not into the checkout.
CALLER_PWD=$PWD   # for relative paths given to cp
VM_DIR=${VM_DIR:-/var/tmp/swarmlab-vm}
mkdir -p "$VM_DIR"
cd "$VM_DIR"
MEM=${MEM:-6G}
CPUS=${CPUS:-2}
DOCKER_PORT=${DOCKER_PORT:-12375}
SSH_PORT=${SSH_PORT:-12222}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-900}
PIDFILE=$VM_DIR/qemu.pid
CONSOLE=$VM_DIR/console.log
KEY_OPTS=(-i "$VM_DIR/ssh/id_ed25519" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
          -o LogLevel=ERROR -o ConnectTimeout=10 -o ServerAliveInterval=30 -o BatchMode=yes)
SSH_OPTS=(-p "$SSH_PORT" "${KEY_OPTS[@]}")
export DOCKER_VM="tcp://127.0.0.1:$DOCKER_PORT"

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

accel_args() {
  local accel=${ACCEL:-}
  if [ -z "$accel" ]; then
    if grep -qwE 'vmx|svm' /proc/cpuinfo; then accel=kvm; else accel=tcg; fi
  fi
  case $accel in
    kvm) if grep -qwE 'vmx|svm' /proc/cpuinfo; then echo "-accel kvm -cpu host"
         else echo "-accel kvm -cpu host,-arch-capabilities,-cx16,-xsave"; fi ;;   # PVM: diagnosis only
    tcg) echo "-accel tcg,thread=multi,tb-size=512 -cpu max" ;;
    *)   echo "ACCEL must be kvm or tcg" >&2; exit 2 ;;
  esac
}

start() {
  local append="root=/dev/vda rw console=ttyS0 loglevel=4 panic=10 nokaslr"
  for a in "$@"; do
    case $a in
      --no-ipvs) append+=" vm.ipvs=0" ;;   # do not preload ip_vs (as on a fresh distro boot)
      --cgroup2) append+=" vm.cgroup=v2" ;;
      *) echo "unknown option $a" >&2; exit 2 ;;
    esac
  done
  if running; then echo "VM already running (pid $(cat "$PIDFILE"))"; return; fi
  [ -f root.img ] || { echo "no root.img: run ./build.sh first" >&2; exit 1; }
  : > "$CONSOLE"
  local t0; t0=$(date +%s)
  # vmlinux (PVH entry) boots straight into the kernel; no BIOS real mode, no in-guest decompression.
  # shellcheck disable=SC2046
  setsid qemu-system-x86_64 $(accel_args) -m "$MEM" -smp "$CPUS" -name swarmvm \
    -kernel "$VM_DIR/vmlinux" -initrd "$VM_DIR/initrd.img" -append "$append" \
    -drive file="$VM_DIR/root.img",if=virtio,format=raw,cache=unsafe \
    -netdev user,id=n0,hostfwd=tcp:127.0.0.1:"$DOCKER_PORT"-:2375,hostfwd=tcp:127.0.0.1:"$SSH_PORT"-:22 \
    -device virtio-net-pci,netdev=n0 \
    -display none -serial file:"$CONSOLE" -monitor unix:"$VM_DIR/monitor.sock",server,nowait \
    -no-reboot -d cpu_reset,guest_errors -D "$VM_DIR/qemu-debug.log" \
    < /dev/null > "$VM_DIR/qemu.log" 2>&1 &
  echo $! > "$PIDFILE"   # qemu's stderr (and why it exited) is in qemu.log; resets in qemu-debug.log
  echo "qemu pid $(cat "$PIDFILE"); console: $CONSOLE; waiting for the VM's dockerd (up to ${BOOT_TIMEOUT}s)"
  while ! grep -qa 'VM-READY\|dockerd did not start\|Kernel panic' "$CONSOLE"; do
    running || { echo "qemu exited"; tail -20 "$CONSOLE" "$VM_DIR/qemu.log"; exit 1; }
    [ $(( $(date +%s) - t0 )) -lt "$BOOT_TIMEOUT" ] || { echo "timed out"; tail -20 "$CONSOLE"; exit 1; }
    sleep 2
  done
  grep -a 'vm-init' "$CONSOLE" || true
  grep -qa 'VM-READY' "$CONSOLE" || exit 1
  echo "VM ready in $(( $(date +%s) - t0 ))s.  export DOCKER_HOST=$DOCKER_VM"
}

stop() {
  running || { echo "VM not running"; rm -f "$PIDFILE"; return; }
  local pid; pid=$(cat "$PIDFILE")
  ssh "${SSH_OPTS[@]}" root@127.0.0.1 /sbin/vm-poweroff 2>/dev/null || true
  for _ in $(seq 1 90); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  if kill -0 "$pid" 2>/dev/null; then echo "no clean power-off; killing qemu $pid"; kill "$pid"; fi
  rm -f "$PIDFILE"; echo "VM stopped"
}

cmd=${1:-status}; shift || true
case $cmd in
  start) start "$@" ;;
  stop) stop ;;
  ssh) if [ -t 0 ]; then exec ssh "${SSH_OPTS[@]}" -t root@127.0.0.1 "$@"; else exec ssh "${SSH_OPTS[@]}" root@127.0.0.1 "$@"; fi ;;
  cp) n=$#; dest=${!n}; cd "$CALLER_PWD"; exec scp -P "$SSH_PORT" "${KEY_OPTS[@]}" "${@:1:n-1}" root@127.0.0.1:"$dest" ;;
  load-image) for img in "$@"; do docker save "$img" | DOCKER_HOST=$DOCKER_VM docker load; done ;;
  env) echo "export DOCKER_HOST=$DOCKER_VM" ;;
  console) tail -f "$CONSOLE" ;;
  status) if running; then echo "running (pid $(cat "$PIDFILE"))"; DOCKER_HOST=$DOCKER_VM docker version --format 'VM engine {{.Server.Version}}, kernel {{.Server.KernelVersion}}' 2>/dev/null || true; else echo "stopped"; fi ;;
  *) sed -n '2,15p' "$0"; exit 2 ;;
esac

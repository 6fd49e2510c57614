#!/usr/bin/env bash
# build.sh — make a bootable Debian 12 VM (kernel + initramfs + ext4 root image)
# whose kernel HAS IPVS, to run swarmlab's VIP / routing-mesh path ('make
# e2e-ipvs') on a host whose own kernel lacks it, or cannot load modules.
# Run as root on Debian 12, once (~10 min); needs only Debian packages.
# Everything lands in $VM_DIR (default /var/tmp/swarmlab-vm):
#
#   kernel/               the extracted linux-image-6.1.0-*-amd64 package
#   vmlinuz, vmlinux      the kernel (bzImage, and the raw ELF for PVH boot)
#   initrd.img            a tiny busybox initramfs: loads virtio + ext4, mounts /dev/vda
#   rootfs/               debootstrap'ed bookworm: docker.io, iptables, sshd, kmod, curl ...
#   root.img              ext4 image of rootfs/ (sparse, $DISK_SIZE)
#   ssh/id_ed25519        the key run.sh uses to reach the VM as root
#
# Usage:   sudo ./build.sh            # all steps; steps already done are skipped
#          sudo ./build.sh image      # only re-make root.img from rootfs/ (after editing rootfs/)
#          FORCE=1 ./build.sh         # redo everything
# Then:    ./run.sh start   (see run.sh)
set -euo pipefail
# Everything it makes goes to VM_DIR (default /var/tmp/swarmlab-vm), not into the checkout.
VM_DIR=${VM_DIR:-/var/tmp/swarmlab-vm}
mkdir -p "$VM_DIR"
cd "$VM_DIR"
DISK_SIZE=${DISK_SIZE:-12G}
# The Debian mirror apt already uses on this machine (override with MIRROR=...).
MIRROR=${MIRROR:-$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)}
[ -n "$MIRROR" ] || MIRROR=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
[ -n "$MIRROR" ] || { echo "no Debian mirror found in apt's sources; set MIRROR" >&2; exit 1; }
FORCE=${FORCE:-0}
log() { printf '\n==> %s\n' "$*"; }

host_packages() {
  local need=()
  for p in qemu-system-x86 qemu-utils busybox-static debootstrap e2fsprogs openssh-client cpio python3; do
    dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
  done
  if [ ${#need[@]} -gt 0 ]; then
    log "Installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
}

# The Debian kernel: linux-image-amd64 is a meta package; download the real one it depends on.
get_kernel() {
  if [ -f vmlinuz ] && [ "$FORCE" != 1 ]; then return; fi
  log "Downloading and extracting the Debian kernel"
  local pkg
  pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
  [ -n "$pkg" ] || { echo "cannot resolve linux-image-amd64 (run apt-get update)" >&2; exit 1; }
  rm -rf debs kernel && mkdir -p debs kernel
  (cd debs && apt-get download "$pkg" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
  dpkg-deb -x debs/"$pkg"_*.deb kernel
  local kv; kv=$(ls kernel/lib/modules)
  cp kernel/boot/vmlinuz-"$kv" vmlinuz
  # The raw ELF kernel, for QEMU's PVH entry (skips the real-mode setup and the
  # in-guest xz decompression, which matters on slow accelerators).
  python3 - <<'EOF'
import lzma
data = open('vmlinuz', 'rb').read()
i = data.find(b'\xfd7zXZ\x00')
open('vmlinux', 'wb').write(lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data[i:]))
EOF
  busybox depmod -b kernel "$kv"   # the .deb ships no modules.dep; its postinst makes it
  echo "$kv" > kernel/VERSION
  # What the lab needs, as modules of this kernel (CONFIG_IP_VS=m etc.).
  for m in ip_vs ip_vs_rr ip_vs_wrr ip_vs_sh xt_ipvs overlay br_netfilter vxlan veth virtio_blk virtio_net ext4; do
    grep -qE "/$m\.ko:" kernel/lib/modules/"$kv"/modules.dep || { echo "module $m missing" >&2; exit 1; }
  done
}

# A busybox initramfs: the Debian kernel has virtio_pci, virtio_blk and ext4 as modules.
make_initrd() {
  if [ -f initrd.img ] && [ "$FORCE" != 1 ]; then return; fi
  log "Making initrd.img (busybox)"
  local kv d list f line m
  kv=$(cat kernel/VERSION); d=kernel/lib/modules/$kv
  rm -rf initramfs && mkdir -p initramfs/bin initramfs/lib/modules/"$kv"
  cp /bin/busybox initramfs/bin/busybox
  list=""
  for m in virtio_pci virtio_blk virtio_net crc32c_generic ext4; do
    line=$(grep -E "/$m\.ko:" "$d"/modules.dep); list="$list ${line%%:*} ${line#*:}"
  done
  for f in $list; do mkdir -p initramfs/lib/modules/"$kv"/"$(dirname "$f")"; cp "$d/$f" initramfs/lib/modules/"$kv"/"$f"; done
  cp "$d"/modules.dep "$d"/modules.alias "$d"/modules.builtin "$d"/modules.order initramfs/lib/modules/"$kv"/
  cat > initramfs/init <<'EOF'
#!/bin/busybox sh
# Load the virtio + ext4 modules, mount /dev/vda, hand over to /sbin/vm-init.
/bin/busybox --install -s /bin
mkdir -p /proc /sys /dev /newroot
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in virtio_pci virtio_blk virtio_net crc32c_generic ext4; do modprobe "$m" || echo "initramfs: modprobe $m failed"; done
if grep -q 'vmtest=1' /proc/cmdline; then   # boot-speed test: stop here
  echo "initramfs: VMTEST OK uptime=$(cut -d' ' -f1 /proc/uptime)s"; poweroff -f
fi
for i in $(seq 1 100); do [ -b /dev/vda ] && break; sleep 0.1; done
mount -t ext4 -o rw /dev/vda /newroot || { echo "initramfs: cannot mount /dev/vda"; exec sh; }
umount /sys /proc
mount --move /dev /newroot/dev 2>/dev/null || umount /dev
exec switch_root /newroot /sbin/vm-init
EOF
  chmod +x initramfs/init
  (cd initramfs && find . | cpio -o -H newc 2>/dev/null | gzip -1) > initrd.img
}

make_rootfs() {
  if [ -x rootfs/usr/sbin/dockerd ] && [ "$FORCE" != 1 ]; then return; fi
  log "debootstrap bookworm into rootfs/ (a few minutes)"
  rm -rf rootfs
  debootstrap --variant=minbase \
    --include=docker.io,iptables,iproute2,procps,ca-certificates,kmod,curl,openssh-server,iputils-ping,netbase,less,xz-utils \
    bookworm rootfs "$MIRROR" > debootstrap.log 2>&1 || { tail -20 debootstrap.log; exit 1; }
}

configure_rootfs() {
  log "Configuring rootfs/ (modules, init, sshd, key)"
  local kv; kv=$(cat kernel/VERSION)
  rm -rf rootfs/lib/modules/"$kv"; mkdir -p rootfs/lib/modules
  cp -a kernel/lib/modules/"$kv" rootfs/lib/modules/
  chroot rootfs depmod "$kv"
  echo swarmvm > rootfs/etc/hostname
  printf '127.0.0.1 localhost\n127.0.1.1 swarmvm\n' > rootfs/etc/hosts
  printf 'nameserver 10.0.2.3\n' > rootfs/etc/resolv.conf
  mkdir -p ssh rootfs/root/.ssh
  [ -f ssh/id_ed25519 ] || ssh-keygen -q -t ed25519 -N '' -C swarmvm -f ssh/id_ed25519
  install -m 600 ssh/id_ed25519.pub rootfs/root/.ssh/authorized_keys
  sed -i 's/^#\?PermitRootLogin.*/PermitRootLogin prohibit-password/; s/^#\?UseDNS.*/UseDNS no/' rootfs/etc/ssh/sshd_config

  # PID 1 (no systemd): tini reaps orphans; vm-init-main does the work.
  cat > rootfs/sbin/vm-init <<'EOF'
#!/bin/sh
exec /usr/bin/tini-static -s -- /sbin/vm-init-main
EOF
  cat > rootfs/sbin/vm-init-main <<'EOF'
#!/bin/sh
# Boot the swarmlab test VM: mounts, kernel modules, network, sshd, dockerd.
# Kernel command line knobs (set by run.sh):
#   vm.ipvs=0        do not preload ip_vs (the kernel still autoloads it on first use)
#   vm.cgroup=v2     mount the unified cgroup v2 hierarchy (default: v1, like the host)
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
say() { echo "vm-init: $*" > /dev/ttyS0; }
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -o remount,rw /
CMDLINE=$(cat /proc/cmdline)
case " $CMDLINE " in
  *" vm.cgroup=v2 "*)
    mount -t cgroup2 cgroup2 /sys/fs/cgroup ;;
  *)
    mount -t tmpfs -o mode=755 cgroup /sys/fs/cgroup
    for c in cpuset cpu,cpuacct blkio memory devices freezer net_cls,net_prio perf_event hugetlb pids rdma misc; do
      mkdir -p /sys/fs/cgroup/$c; mount -t cgroup -o $c cgroup /sys/fs/cgroup/$c 2>/dev/null || rmdir /sys/fs/cgroup/$c
    done
    mkdir -p /sys/fs/cgroup/systemd; mount -t cgroup -o none,name=systemd cgroup /sys/fs/cgroup/systemd
    [ -d /sys/fs/cgroup/cpu,cpuacct ] && { ln -s cpu,cpuacct /sys/fs/cgroup/cpu; ln -s cpu,cpuacct /sys/fs/cgroup/cpuacct; }
    [ -d /sys/fs/cgroup/net_cls,net_prio ] && { ln -s net_cls,net_prio /sys/fs/cgroup/net_cls; ln -s net_cls,net_prio /sys/fs/cgroup/net_prio; } ;;
esac
hostname swarmvm
MODS="overlay br_netfilter vxlan veth bridge nf_conntrack nf_nat iptable_nat iptable_filter iptable_mangle xt_MASQUERADE xt_conntrack xt_addrtype nf_tables nft_compat nft_chain_nat"
case " $CMDLINE " in *" vm.ipvs=0 "*) ;; *) MODS="$MODS ip_vs ip_vs_rr ip_vs_wrr ip_vs_sh xt_ipvs";; esac
for m in $MODS; do modprobe "$m" 2>/dev/null || say "modprobe $m failed"; done
sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0     # QEMU user networking: fixed addresses
ip route add default via 10.0.2.2
mkdir -p /run/sshd && /usr/sbin/sshd -E /var/log/sshd.log
say "sshd up at $(cut -d' ' -f1 /proc/uptime)s"
# The host drives this engine through QEMU's 127.0.0.1-only port forward.
dockerd -H unix:///var/run/docker.sock -H tcp://0.0.0.0:2375 > /var/log/dockerd.log 2>&1 &
for i in $(seq 1 300); do docker info >/dev/null 2>&1 && break; sleep 1; done
if docker info >/dev/null 2>&1; then say "VM-READY dockerd up at $(cut -d' ' -f1 /proc/uptime)s"
else say "dockerd did not start:"; tail -20 /var/log/dockerd.log > /dev/ttyS0; fi
while :; do sleep 3600; done
EOF
  cat > rootfs/sbin/vm-poweroff <<'EOF'
#!/bin/sh
# Clean shutdown (called by 'run.sh stop'): stop dockerd, sync, power off.
pid=$(cat /var/run/docker.pid 2>/dev/null) && kill "$pid" 2>/dev/null
for i in $(seq 1 60); do [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break; sleep 1; done
sync; mount -o remount,ro / 2>/dev/null; sync
echo o > /proc/sysrq-trigger
EOF
  chmod +x rootfs/sbin/vm-init rootfs/sbin/vm-init-main rootfs/sbin/vm-poweroff
}

make_image() {
  log "Making root.img ($DISK_SIZE, sparse) from rootfs/"
  rm -f root.img
  mkfs.ext4 -q -L swarmvm -d rootfs root.img "$DISK_SIZE"
  ls -lhs root.img
}

host_packages
case "${1:-all}" in
  image) configure_rootfs; make_image ;;
  all)   get_kernel; make_initrd; make_rootfs; configure_rootfs; make_image ;;
  *)     echo "usage: $0 [all|image]" >&2; exit 2 ;;
esac
log "Done. Start it with: $(dirname "$0")/run.sh start"

#!/usr/bin/env bash
# make e2e-ipvs: swarmlab's end-to-end checks on a kernel WITH IPVS.
#
# Boots Debian's stock kernel in a QEMU VM (e2e/ipvs/vm/), runs the lab inside
# it and the checks of ./e2e/ipvs there (compiled here with 'go test -c'):
#
#   lab               boot without ip_vs loaded, as a fresh distribution boot:
#                     up (which must find IPVS itself), the stacks unchanged
#                     (VIPs, routing-mesh ports), doctor, the handout's
#                     'service create --publish 8000:8080' on every node's
#                     port 8000, 'stack deploy' of the ingress by hand, verify,
#                     chaos worker01, no defunct processes in the nodes, down
#   detect-fresh      boot without ip_vs loaded: doctor finds IPVS, loads it
#   detect-preloaded  boot with ip_vs loaded: doctor finds IPVS
#   chaos             up, then 'chaos worker01' CHAOS_RUNS times (default 3),
#                     each with 0 failed requests, then down (not in the
#                     default PHASES: PHASES=chaos make e2e-ipvs)
#   smoke             CI's short run ('make e2e-ipvs-smoke', not in the
#                     default PHASES): up --bare, the handout's service on
#                     every node's port 8000, scale api=6, webapi.yml
#                     deployed unchanged and reached through its VIP, down
#
# Build the VM once first, as root: sudo e2e/ipvs/vm/build.sh (~3-10 min),
# or set BUILD_VM=1 to have it built here when it is missing or was built by
# another build.sh. Under emulation (no VT-x) a run takes about 30 minutes;
# see README.md.
#
# Environment: PHASES (default: lab detect-fresh detect-preloaded),
# ARTIFACTS (default artifacts/e2e-ipvs), VM_DIR (as for vm/run.sh),
# KEEP_VM=1 leaves the VM running after the last phase, BUILD_VM=1 (above).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=$PATH:/usr/local/go/bin
VM=e2e/ipvs/vm/run.sh
VM_DIR=${VM_DIR:-/var/tmp/swarmlab-vm}
PHASES=${PHASES:-lab detect-fresh detect-preloaded}
ART=${ARTIFACTS:-artifacts/e2e-ipvs}
NODE_IMAGE=swarmlab/node:latest
log() { printf '\n==> %s\n' "$*"; }

if [ "$("$VM" status)" != stopped ]; then
  echo "the VM is running already; stop it first ('$VM stop')" >&2; exit 1
fi
rm -rf "$ART" && mkdir -p "$ART"
TIMINGS=$ART/timings.tsv
printf 'phase\tstep\tseconds\tnote\n' > "$TIMINGS"
T_START=$(date +%s)

# timed PHASE STEP CMD...: runs CMD and appends its duration to timings.tsv.
timed() {
  local phase=$1 step=$2 t0 rc=0; shift 2
  t0=$(date +%s)
  "$@" || rc=$?
  printf '%s\t%s\t%s\t%s\n' "$phase" "$step" "$(( $(date +%s) - t0 ))" "$([ $rc = 0 ] && echo ok || echo "failed ($rc)")" >> "$TIMINGS"
  return $rc
}

stop_vm() { [ "${KEEP_VM:-0}" = 1 ] || "$VM" stop || true; }
trap stop_vm EXIT

# build_vm makes the VM unless VM_DIR holds one built by this very build.sh
# (its digest is kept in VM_DIR/build.sha256): a run reuses the VM, and with
# it the node image loaded into the VM's engine.
build_vm() {
  local want
  want=$(sha256sum e2e/ipvs/vm/build.sh | cut -d' ' -f1)
  if [ -f "$VM_DIR/root.img" ] && [ "$(cat "$VM_DIR/build.sha256" 2>/dev/null)" = "$want" ]; then
    echo "the VM in $VM_DIR is built already"; return
  fi
  [ "$(id -u)" = 0 ] || { echo "building the VM needs root: sudo BUILD_VM=1 $0" >&2; return 1; }
  VM_DIR=$VM_DIR bash e2e/ipvs/vm/build.sh || return 1
  echo "$want" > "$VM_DIR/build.sha256"
}
if [ "${BUILD_VM:-0}" = 1 ]; then
  log "Building the VM in $VM_DIR when it is missing"
  timed vm "build the VM (when missing)" build_vm
fi
[ -f "$VM_DIR/root.img" ] || { echo "no VM in $VM_DIR: build it once with 'sudo e2e/ipvs/vm/build.sh' (~10 min), or set BUILD_VM=1" >&2; exit 1; }

log "Building swarmlab and the checks"
make build
CGO_ENABLED=0 go test -c -tags e2e -trimpath -o bin/e2e-ipvs.test ./e2e/ipvs/
docker image inspect "$NODE_IMAGE" >/dev/null 2>&1 || ./bin/swarmlab build node-image

# The VM's engine keeps its images between boots: load the node image only
# when the VM lacks this one (~3 min under emulation).
load_node_image() {
  local want have
  want=$(docker image inspect -f '{{.Id}}' "$NODE_IMAGE")
  have=$(DOCKER_HOST=tcp://127.0.0.1:${DOCKER_PORT:-12375} docker image inspect -f '{{.Id}}' "$NODE_IMAGE" 2>/dev/null || true)
  if [ "$want" = "$have" ]; then echo "the VM has $NODE_IMAGE already"; return; fi
  "$VM" load-image "$NODE_IMAGE"
}

# run_checks PHASE FRESH TEST: run the compiled checks in the VM, then fetch
# their artifacts.
run_checks() {
  local phase=$1 fresh=$2 test=$3 rc=0
  "$VM" cp bin/swarmlab /usr/local/bin/swarmlab < /dev/null
  "$VM" cp bin/e2e-ipvs.test /root/e2e-ipvs.test < /dev/null
  "$VM" ssh "cd /root && rm -rf e2e-ipvs/$phase && SWARMLAB_E2E_IPVS=1 SWARMLAB_BIN=/usr/local/bin/swarmlab \
    SWARMLAB_ARTIFACTS=/root/e2e-ipvs/$phase SWARMLAB_E2E_FRESH=$fresh SWARMLAB_E2E_WORKERS=${SWARMLAB_E2E_WORKERS:-} \
    SWARMLAB_E2E_CHAOS_RUNS=${CHAOS_RUNS:-3} \
    ./e2e-ipvs.test -test.v -test.run '^$test\$' -test.timeout 150m" < /dev/null 2>&1 | tee "$ART/$phase.log" || rc=$?
  mkdir -p "$ART/$phase"
  "$VM" ssh "tar -C /root/e2e-ipvs/$phase -c ." < /dev/null | tar -x -C "$ART/$phase" || true
  [ -f "$ART/$phase/timings.tsv" ] && sed "s/^/$phase\t/" "$ART/$phase/timings.tsv" >> "$TIMINGS"
  "$VM" ssh "tail -200 /var/log/dockerd.log" < /dev/null > "$ART/$phase/vm-dockerd.log" 2>&1 || true
  return $rc
}

failed=()
for phase in $PHASES; do
  case $phase in
    lab)              boot=(--no-ipvs); fresh=1; test=TestLab ;;
    detect-fresh)     boot=(--no-ipvs); fresh=1; test=TestDetect ;;
    detect-preloaded) boot=();          fresh=0; test=TestDetect ;;
    smoke)            boot=();          fresh=;  test=TestSmoke ;;
    chaos)            boot=();          fresh=;  test=TestChaos ;;
    *) echo "unknown phase $phase" >&2; exit 2 ;;
  esac
  log "Phase $phase: booting the VM ${boot[*]}"
  if ! timed "$phase" "boot to a ready dockerd" "$VM" start "${boot[@]}" < /dev/null; then
    failed+=("$phase"); "$VM" stop || true; continue
  fi
  if [ "$phase" = lab ] || [ "$phase" = smoke ] || [ "$phase" = chaos ]; then
    timed "$phase" "load $NODE_IMAGE" load_node_image || { failed+=("$phase"); "$VM" stop; continue; }
  fi
  timed "$phase" "checks ($test)" run_checks "$phase" "$fresh" "$test" || failed+=("$phase")
  if [ "$phase" != "${PHASES##* }" ] || [ "${KEEP_VM:-0}" != 1 ]; then
    timed "$phase" "stop the VM" "$VM" stop
  fi
done

printf 'all\ttotal\t%s\t%s\n' "$(( $(date +%s) - T_START ))" "$PHASES" >> "$TIMINGS"
log "Timings (seconds), also in $TIMINGS"
column -t -s $'\t' "$TIMINGS" || cat "$TIMINGS"
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]} (logs in $ART)" >&2
  exit 1
fi
echo "e2e-ipvs passed (logs in $ART)"

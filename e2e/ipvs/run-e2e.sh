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
#
# Build the VM once first, as root: sudo e2e/ipvs/vm/build.sh (~10 min).
# Under emulation (no VT-x) a run takes about 30 minutes; see README.md.
#
# Environment: PHASES (default: all three, in that order), ARTIFACTS
# (default artifacts/e2e-ipvs), VM_DIR (as for vm/run.sh), KEEP_VM=1 leaves
# the VM running after the last phase.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=$PATH:/usr/local/go/bin
VM=e2e/ipvs/vm/run.sh
VM_DIR=${VM_DIR:-/var/tmp/swarmlab-vm}
PHASES=${PHASES:-lab detect-fresh detect-preloaded}
ART=${ARTIFACTS:-artifacts/e2e-ipvs}
NODE_IMAGE=swarmlab/node:latest
log() { printf '\n==> %s\n' "$*"; }

[ -f "$VM_DIR/root.img" ] || { echo "no VM in $VM_DIR: build it once with 'sudo e2e/ipvs/vm/build.sh' (~10 min)" >&2; exit 1; }
if [ "$("$VM" status)" != stopped ]; then
  echo "the VM is running already; stop it first ('$VM stop')" >&2; exit 1
fi
rm -rf "$ART" && mkdir -p "$ART"
TIMINGS=$ART/timings.tsv
printf 'phase\tstep\tseconds\tnote\n' > "$TIMINGS"

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
    SWARMLAB_ARTIFACTS=/root/e2e-ipvs/$phase SWARMLAB_E2E_FRESH=$fresh \
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
    *) echo "unknown phase $phase" >&2; exit 2 ;;
  esac
  log "Phase $phase: booting the VM ${boot[*]}"
  if ! timed "$phase" "boot to a ready dockerd" "$VM" start "${boot[@]}" < /dev/null; then
    failed+=("$phase"); "$VM" stop || true; continue
  fi
  if [ "$phase" = lab ]; then
    timed "$phase" "load $NODE_IMAGE" load_node_image || { failed+=("$phase"); "$VM" stop; continue; }
  fi
  timed "$phase" "checks ($test)" run_checks "$phase" "$fresh" "$test" || failed+=("$phase")
  if [ "$phase" != "${PHASES##* }" ] || [ "${KEEP_VM:-0}" != 1 ]; then
    timed "$phase" "stop the VM" "$VM" stop
  fi
done

log "Timings (seconds), also in $TIMINGS"
column -t -s $'\t' "$TIMINGS" || cat "$TIMINGS"
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]} (logs in $ART)" >&2
  exit 1
fi
echo "e2e-ipvs passed (logs in $ART)"

#!/usr/bin/env bash
# make dist: release archives that need nothing but Docker.
#
# swarmlab-server (the lab's servers alone) is built static for linux/amd64
# and linux/arm64 and compressed with zstd into internal/payload/files; each
# CLI is then built with the dist tag, which embeds both and leaves the
# servers out of the CLI itself. Output, in DIST (default dist/):
#   swarmlab_VERSION_OS_ARCH.tar.gz (.zip for Windows), SHA256SUMS
# TARGETS limits the CLIs built (default: linux, darwin, windows x amd64, arm64).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
DIST=${DIST:-dist}
mkdir -p "$DIST" && DIST=$(cd "$DIST" && pwd)
TARGETS=${TARGETS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64}
LDFLAGS="-s -w -X github.com/swarmlab/swarmlab/internal/version.Version=$VERSION"
for tool in zstd zip tar; do
  command -v $tool >/dev/null || { echo "make dist needs $tool (Debian: apt-get install -y $tool)" >&2; exit 1; }
done

work=$(mktemp -d)
payload=internal/payload/files
trap 'rm -rf "$work" "$payload"' EXIT
mkdir -p "$payload"
export CGO_ENABLED=0
for arch in amd64 arm64; do
  GOOS=linux GOARCH=$arch go build -trimpath -ldflags "$LDFLAGS" -o "$work/server-$arch" ./cmd/swarmlab-server
  # -19: about 30% smaller than gzip -9 for these binaries; decompressing takes ~60 ms.
  zstd -q -19 -f "$work/server-$arch" -o "$payload/linux_$arch.zst"
done

for target in $TARGETS; do
  os=${target%/*} arch=${target#*/}
  name=swarmlab_${VERSION}_${os}_${arch}
  exe=swarmlab
  [ "$os" = windows ] && exe=swarmlab.exe
  mkdir -p "$work/$name"
  GOOS=$os GOARCH=$arch go build -tags dist -trimpath -ldflags "$LDFLAGS" -o "$work/$name/$exe" ./cmd/swarmlab
  cp README.md "$work/$name/"
  rm -f "$DIST/$name.tar.gz" "$DIST/$name.zip"
  if [ "$os" = windows ]; then
    (cd "$work" && zip -q -9 -r "$DIST/$name.zip" "$name")
  else
    tar -C "$work" --owner=0 --group=0 -c "$name" | gzip -9 >"$DIST/$name.tar.gz"
  fi
done
(cd "$DIST" && sha256sum swarmlab_"${VERSION}"_* >SHA256SUMS)
ls -l "$DIST"

#!/usr/bin/env bash
# Refreshes the terminal widget of 'swarmlab open' (xterm.js and its fit
# addon) from npm, pinned, into the embedded assets, with a VERSIONS file
# giving each version and SHA-256. Building swarmlab needs none of this:
# the files are committed.
#
#   XTERM_VERSION=6.0.0 FIT_VERSION=0.11.0 scripts/vendor-xterm.sh
set -euo pipefail
XTERM_VERSION=${XTERM_VERSION:-6.0.0}
FIT_VERSION=${FIT_VERSION:-0.11.0}
root=$(cd "$(dirname "$0")/.." && pwd)
dest=$root/internal/window/assets/vendor
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm pack --silent "@xterm/xterm@$XTERM_VERSION" "@xterm/addon-fit@$FIT_VERSION" >/dev/null
mkdir xterm fit
tar -xzf "xterm-xterm-$XTERM_VERSION.tgz" -C xterm
tar -xzf "xterm-addon-fit-$FIT_VERSION.tgz" -C fit
mkdir -p "$dest"
cp xterm/package/lib/xterm.js "$dest/xterm.js"
cp xterm/package/css/xterm.css "$dest/xterm.css"
cp fit/package/lib/addon-fit.js "$dest/addon-fit.js"
cp xterm/package/LICENSE "$dest/LICENSE.xterm"
cd "$dest"
{
	echo "# Vendored by scripts/vendor-xterm.sh (make vendor-xterm); do not edit by hand."
	echo "@xterm/xterm $XTERM_VERSION"
	echo "@xterm/addon-fit $FIT_VERSION"
	echo
	sha256sum xterm.js xterm.css addon-fit.js LICENSE.xterm
} >VERSIONS
cat VERSIONS

#!/bin/sh
# The browser tests' fixture (CTest `browser`): installs playwright-core,
# pinned by package-lock.json, into BUILD_DIR/node_modules with `npm ci`
# (once: again only when the lock file changed).  The source tree stays
# clean; the tests find the module through NODE_PATH.
# Exit 77 (skipped) when node, npm or /usr/bin/chromium is missing.
# Usage: setup.sh SOURCE_DIR BUILD_DIR
set -eu
SRC=$1
DIR=$2
for tool in node npm; do
    command -v "$tool" >/dev/null 2>&1 || { echo "setup: no $tool: browser tests skipped" >&2; exit 77; }
done
[ -x "${XPORTA_CHROMIUM:-/usr/bin/chromium}" ] || { echo "setup: no ${XPORTA_CHROMIUM:-/usr/bin/chromium} (Debian: apt-get install chromium): browser tests skipped" >&2; exit 77; }
mkdir -p "$DIR"
if [ -d "$DIR/node_modules/playwright-core" ] && cmp -s "$SRC/package-lock.json" "$DIR/package-lock.json"; then
    exit 0
fi
cp "$SRC/package.json" "$SRC/package-lock.json" "$DIR/"
cd "$DIR"
npm ci --no-audit --no-fund --loglevel=error

#!/bin/sh
# bench/history/run.sh BUILD_DIR [MESSAGES PEERS GAP]
#
# `xporta history` on a generated archive: one account, MESSAGES archived
# messages (default 100,000) with PEERS contacts (default 50), 1 to GAP
# seconds apart (default 1260: about two years): its time and peak RSS
# (/usr/bin/time -v), the size of what it writes, then the largest month
# page opened in headless Chromium (bench/history/open.js: time to show it,
# and a search over the whole index).  Needs BUILD_DIR/browser/node_modules
# (`ctest -L browser` in BUILD_DIR installs it) for the browser part.
#
# The file is kept in $BENCH_DIR (default /tmp/xporta-bench) for reuse.
set -eu
B=${1:-build-rel}
MESSAGES=${2:-100000}
PEERS=${3:-50}
GAP=${4:-1260}
DIR=${BENCH_DIR:-/tmp/xporta-bench}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$DIR"
F="$DIR/history-$MESSAGES-$PEERS-$GAP.xml"
OUT="$DIR/history-$MESSAGES-$PEERS-$GAP"
if [ ! -s "$F" ]; then
    "$B/bench/gen_pie" --users 1 --roster "$PEERS" --peers "$PEERS" --gap "$GAP" \
        --messages "$MESSAGES" >"$F.tmp"
    mv "$F.tmp" "$F"
fi
echo "file: $F ($(du -h "$F" | cut -f1)): $MESSAGES messages, $PEERS contacts, gap 1..$GAP s"
rm -rf "$OUT"
/usr/bin/time -v "$B/xporta" history "$F" -o "$OUT" 2>"$DIR/history-time.txt"
grep -E 'User time|System time|Elapsed|Maximum resident' "$DIR/history-time.txt" | sed 's/^\t*/  /'
echo "  output: $(du -sh "$OUT" | cut -f1), of which search index $(du -sh "$OUT/search" | cut -f1) in $(ls "$OUT/search" | wc -l) files; $(find "$OUT" -name 'c*-*.html' | wc -l) month pages"
BIG=$(cd "$OUT" && ls -S a*/c*-*.html | head -1)
echo "  largest month page: $BIG, $(du -h "$OUT/$BIG" | cut -f1), $(grep -c '<li id="m' "$OUT/$BIG") messages"
if [ -d "$B/browser/node_modules/playwright-core" ]; then
    NODE_PATH="$B/browser/node_modules" node "$HERE/open.js" "$OUT" "$BIG"
else
    echo "  (no $B/browser/node_modules: run ctest -L browser in $B first)"
fi

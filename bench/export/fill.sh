#!/bin/sh
# bench/export/fill.sh BUILD_DIR [CONTACTS MESSAGES]
#
# The account the export benchmarks read, on a private Prosody 0.12 with
# its archive in SQLite (page size 250, Nagle on as shipped), in
# $BENCH_SERVERS (default /tmp/xporta-bench-servers): started if needed,
# filled once with bench/gen_pie --users 1 (CONTACTS contacts, default
# 5,000, every one distinct; MESSAGES archived messages, default 100,000)
# through Prosody's own import, and kept for the next run (filling takes a
# few minutes: prosody-migrator into SQLite, ~2 s per 1,000 messages).
# Writes the password to $BENCH_SERVERS/bench/pw.  Used by run.sh and
# compare.sh; prints nothing on success.
set -eu
B=${1:-build-rel}
CONTACTS=${2:-5000}
MESSAGES=${3:-100000}
X=$(cd "$B" && pwd)/xporta
GEN=$(cd "$B" && pwd)/bench/gen_pie
HERE=$(cd "$(dirname "$0")" && pwd)
SERVERS="$HERE/../../tests/servers/xporta-servers"
export XPORTA_SERVERS_DIR="${BENCH_SERVERS:-/tmp/xporta-bench-servers}"
export XPORTA_PROSODY_ARCHIVE=sql
WORK=$XPORTA_SERVERS_DIR/bench
mkdir -p "$WORK"

bash "$SERVERS" start prosody >/dev/null
# shellcheck source=/dev/null
. "$XPORTA_SERVERS_DIR/servers.env"
DOM=$XPORTA_PROSODY_DOMAIN
USER=bench$CONTACTS-$MESSAGES
JID=$USER@$DOM
# What the account was filled with; an older fill (gen_pie before --users 1
# gave distinct contacts) must not be measured as if it were this one.
RECIPE="gen_pie --users 1 --roster $CONTACTS --messages $MESSAGES (distinct contacts)"
MARK=$WORK/$USER.filled
if [ -f "$MARK" ] && [ "$(cat "$MARK")" != "$RECIPE" ]; then
    echo "$JID was filled by an older recipe; stop these servers and remove" \
        "$XPORTA_SERVERS_DIR, then run again" >&2
    exit 1
fi
if [ ! -f "$MARK" ]; then
    echo "filling $JID ($CONTACTS contacts, $MESSAGES messages)..." >&2
    "$GEN" --users 1 --roster "$CONTACTS" --messages "$MESSAGES" >"$WORK/gen.xml"
    rm -rf "$WORK/in"
    "$X" convert -q --dialect prosody \
        --rename-host "h0.example=$DOM" "$WORK/gen.xml" -o "$WORK/in"
    mv "$WORK/in/user0@$DOM.xml" "$WORK/in/$JID.xml"
    sed -i "s/<user name='user0'>/<user name='$USER'>/" "$WORK/in/$JID.xml"
    bash "$SERVERS" import prosody "$WORK/in" >/dev/null
    rm -rf "$WORK/in" "$WORK/gen.xml"
    echo "$RECIPE" >"$MARK"
fi
bash "$SERVERS" adduser prosody "$USER" benchpw >/dev/null
echo benchpw >"$WORK/pw"

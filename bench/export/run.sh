#!/bin/sh
# bench/export/run.sh BUILD_DIR [CONTACTS MESSAGES]
#
# Archive export throughput and peak memory of `xporta export` against a
# local Prosody 0.12 (SQLite archive, page size 250, Nagle on as shipped),
# one query at a time and several in flight, and in the same run the
# server's own dump of the same account (prosody-migrator to XEP-0227) as
# the reference.  Default account: 5,000 contacts, 100,000 messages.
#
# Uses a private pair of servers in $BENCH_SERVERS (default
# /tmp/xporta-bench-servers); filling the account takes a few minutes
# (prosody-migrator into SQLite, ~2 s per 1,000 messages) and is kept for
# the next run.  MIGRATOR_TIMEOUT (seconds, default 900) bounds the
# server's own export, which is quadratic in the archive size.
set -eu
B=${1:-build-rel}
CONTACTS=${2:-5000}
MESSAGES=${3:-100000}
X=$(cd "$B" && pwd)/xporta
GEN=$(cd "$B" && pwd)/bench/gen_pie
HERE=$(cd "$(dirname "$0")" && pwd)
SERVERS="$HERE/../../tests/servers/xporta-servers"
export XPORTA_SERVERS_DIR=${BENCH_SERVERS:-/tmp/xporta-bench-servers}
export XPORTA_PROSODY_ARCHIVE=sql
WORK=$XPORTA_SERVERS_DIR/bench
TIMEOUT=${MIGRATOR_TIMEOUT:-900}
mkdir -p "$WORK"

bash "$SERVERS" start prosody >/dev/null
. "$XPORTA_SERVERS_DIR/servers.env"
USER=bench$CONTACTS-$MESSAGES
JID=$USER@$XPORTA_PROSODY_DOMAIN
if [ ! -f "$WORK/$USER.filled" ]; then
    echo "filling $JID ($CONTACTS contacts, $MESSAGES messages)..." >&2
    "$GEN" --users 1 --roster "$CONTACTS" --messages "$MESSAGES" >"$WORK/gen.xml"
    rm -rf "$WORK/in"
    "$X" convert -q --dialect prosody \
        --rename-host "h0.example=$XPORTA_PROSODY_DOMAIN" "$WORK/gen.xml" -o "$WORK/in"
    mv "$WORK/in/user0@$XPORTA_PROSODY_DOMAIN.xml" "$WORK/in/$JID.xml"
    sed -i "s/<user name='user0'>/<user name='$USER'>/" "$WORK/in/$JID.xml"
    bash "$SERVERS" import prosody "$WORK/in" >/dev/null
    rm -rf "$WORK/in" "$WORK/gen.xml"
    touch "$WORK/$USER.filled"
fi
bash "$SERVERS" adduser prosody "$USER" benchpw >/dev/null
echo benchpw >"$WORK/pw"
PPID_=$(cat "$XPORTA_SERVERS_DIR/prosody/prosody.pid")

cpu() { awk '{print $14 + $15}' "/proc/$PPID_/stat"; }

# export_run LABEL PARALLEL
export_run() {
    rm -f "$WORK/out.xml" "$WORK"/out.xml.part*
    c0=$(cpu)
    /usr/bin/time -f "%e %M %U %S" -o "$WORK/time" "$X" export -q "$JID" \
        -o "$WORK/out.xml" --parallel "$2" --host 127.0.0.1 \
        --port "$XPORTA_PROSODY_PORT" --cafile "$XPORTA_TEST_CAFILE" \
        --password-file "$WORK/pw"
    c1=$(cpu)
    n=$(grep -c "<result xmlns='urn:xmpp:mam:2'" "$WORK/out.xml")
    read -r secs kb us ss <"$WORK/time"
    awk -v l="$1" -v s="$secs" -v n="$n" -v k="$kb" -v c="$us" -v d="$ss" \
        -v p="$(( c1 - c0 ))" 'BEGIN { printf "| %s | %d | %.1f | %.0f | %.1f MiB | %.2f s | %.1f s |\n", l, n, s, n / s, k / 1024, c + d, p / 100 }'
}

echo "Account: $JID, $CONTACTS contacts, $MESSAGES archived messages (Prosody 0.12, SQLite archive)"
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo
echo "| run | messages | seconds | messages/s | peak RSS | client CPU | server CPU |"
echo "|---|---|---|---|---|---|---|"
export_run "xporta export --parallel 1" 1
export_run "xporta export --parallel 4" 4
export_run "xporta export --parallel 8" 8

# The server's own dump of the same account: prosody-migrator, internal
# (SQLite) storage to xep0227, run by the servers script (Prosody stopped).
rm -rf "$WORK/mig"
mkdir -p "$WORK/mig"
start=$(date +%s.%N)
if timeout "$TIMEOUT" bash "$SERVERS" export prosody "$WORK/mig" >/dev/null 2>&1; then
    end=$(date +%s.%N)
    n=$(grep -c "<result xmlns='urn:xmpp:mam:2'" "$WORK/mig/$JID.xml" || true)
    awk -v s="$start" -v e="$end" -v n="$n" 'BEGIN { printf "| prosody-migrator to xep0227 (all users) | %d | %.1f | %.0f | | | |\n", n, e - s, n / (e - s) }'
else
    echo "| prosody-migrator to xep0227 (all users) | - | > $TIMEOUT | not finished | | | |"
fi
bash "$SERVERS" start prosody >/dev/null

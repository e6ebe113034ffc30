#!/bin/sh
# bench/export/run.sh BUILD_DIR [CONTACTS MESSAGES]
#
# Archive export throughput and peak memory of `xporta export` against a
# local Prosody 0.12 (SQLite archive, page size 250, Nagle on as shipped),
# one query at a time and several in flight (best of $RUNS runs, default
# 3), and in the same run the
# server's own dump of the same account (prosody-migrator to XEP-0227) as
# the reference.  Default account: 5,000 contacts, 100,000 messages
# (bench/gen_pie --users 1: every contact distinct).
#
# The reference dumps this account and nothing else: prosody-migrator reads
# a copy of the data store holding only it (the user's files of the
# internal store, and a snapshot of the SQLite database with every other
# row deleted), in two passes as the servers script does: the account's
# other stores (internal -> xep0227), then its archive (sql -> xep0227).
# Prosody 0.12's xep0227 driver appends each archived message by reading,
# parsing and rewriting the user's whole file (mod_storage_xep0227.lua,
# archive append), so that pass is quadratic in the archive size; it is
# stopped after MIGRATOR_TIMEOUT seconds (default 1800), and the table then
# shows the messages it had written, their rate, and the time a quadratic
# fit of its progress (sampled every 30 s, in $WORK/migrator-progress)
# projects for the whole archive.  (Stopped, it usually leaves the file
# cut or empty: the file is rewritten in place for every message.)
#
# The account: bench/export/fill.sh (a private Prosody in $BENCH_SERVERS,
# default /tmp/xporta-bench-servers; filled once, kept for the next run).
# xporta against the raw client, alternately: compare.sh.
set -eu
B=${1:-build-rel}
CONTACTS=${2:-5000}
MESSAGES=${3:-100000}
X=$(cd "$B" && pwd)/xporta
HERE=$(cd "$(dirname "$0")" && pwd)
sh "$HERE/fill.sh" "$B" "$CONTACTS" "$MESSAGES"
export XPORTA_SERVERS_DIR="${BENCH_SERVERS:-/tmp/xporta-bench-servers}"
WORK=$XPORTA_SERVERS_DIR/bench
TIMEOUT=${MIGRATOR_TIMEOUT:-1800}
# shellcheck source=/dev/null
. "$XPORTA_SERVERS_DIR/servers.env"
DOM=$XPORTA_PROSODY_DOMAIN
USER=bench$CONTACTS-$MESSAGES
JID=$USER@$DOM
PPID_=$(cat "$XPORTA_SERVERS_DIR/prosody/prosody.pid")

cpu() { awk '{print $14 + $15}' "/proc/$PPID_/stat"; }
# Roster items in a XEP-0227 file (Prosody writes attributes in any order).
items() { grep -o "<item [^>]*jid='" "$1" | wc -l; }

# export_run LABEL PARALLEL: RUNS runs (default 3), the fastest shown.
export_run() {
    best=
    i=0
    while [ "$i" -lt "${RUNS:-3}" ]; do
        i=$((i + 1))
        rm -f "$WORK/out.xml" "$WORK"/out.xml.part*
        c0=$(cpu)
        /usr/bin/time -f "%e %M %U %S" -o "$WORK/time" "$X" export -q "$JID" \
            -o "$WORK/out.xml" --parallel "$2" --host 127.0.0.1 \
            --port "$XPORTA_PROSODY_PORT" --cafile "$XPORTA_TEST_CAFILE" \
            --password-file "$WORK/pw"
        c1=$(cpu)
        n=$(grep -c "<result xmlns='urn:xmpp:mam:2'" "$WORK/out.xml")
        r=$(items "$WORK/out.xml")
        read -r secs kb us ss <"$WORK/time"
        row=$(awk -v l="$1" -v s="$secs" -v n="$n" -v r="$r" -v k="$kb" -v c="$us" -v d="$ss" \
            -v p="$((c1 - c0))" 'BEGIN { printf "| %s | %d | %d | %.1f | %.0f | %.1f MiB | %.2f s | %.1f s |", l, r, n, s, n / s, k / 1024, c + d, p / 100 }')
        if [ -z "$best" ] || awk -v a="$secs" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$secs
            bestrow=$row
        fi
    done
    echo "$bestrow"
}

echo "Account: $JID, $CONTACTS contacts, $MESSAGES archived messages (Prosody 0.12, SQLite archive)"
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| run | contacts | messages | seconds | messages/s | peak RSS | client CPU | server CPU |"
echo "|---|---|---|---|---|---|---|---|"
export_run "xporta export --parallel 1" 1
export_run "xporta export --parallel 4" 4
export_run "xporta export --parallel 8" 8

# --- The server's own dump of the same account, and of nothing else --------
SRC=$WORK/migsrc # the data store, this account only
OUT=$WORK/mig    # the migrator's XEP-0227 output
rm -rf "$SRC" "$OUT"
mkdir -p "$SRC" "$OUT"
# Prosody's file names: every non-alphanumeric byte as %xx (util.datamanager).
enc() {
    printf '%s' "$1" |
        lua5.4 -e 'io.write((io.read("a"):gsub("%W", function(c) return ("%%%02x"):format(c:byte()) end)))'
}
HDIR=$(enc "$DOM")
UENC=$(enc "$USER")
for d in "$XPORTA_PROSODY_DATA_DIR/$HDIR"/*/; do
    for f in "$d$UENC".*; do
        [ -e "$f" ] || continue
        mkdir -p "$SRC/$HDIR/$(basename "$d")"
        cp "$f" "$SRC/$HDIR/$(basename "$d")/"
    done
done
# A consistent snapshot of the database (VACUUM INTO), then only this account.
ARCHIVED=$(lua5.4 - "$XPORTA_PROSODY_DATA_DIR/prosody.sqlite" "$SRC/prosody.sqlite" "$DOM" "$USER" <<'EOF'
local DBI = require "DBI"
local src, dst, host, user = arg[1], arg[2], arg[3], arg[4]
local db = assert(DBI.Connect("SQLite3", src))
db:autocommit(true) -- VACUUM refuses to run inside a transaction
assert(assert(db:prepare("VACUUM INTO ?")):execute(dst))
db:close()
db = assert(DBI.Connect("SQLite3", dst))
db:autocommit(true)
for _, t in ipairs({ "prosody", "prosodyarchive" }) do
    local st = assert(db:prepare("DELETE FROM " .. t .. " WHERE host != ? OR user != ?"))
    assert(st:execute(host, user))
end
local st = assert(db:prepare("SELECT COUNT(*) FROM prosodyarchive"))
assert(st:execute())
for row in st:rows() do print(row[1]) end
assert(assert(db:prepare("VACUUM")):execute())
db:close()
EOF
)
# The xep0227 driver writes to the data path, the migrator's compiled-in
# CFG_DATADIR (it reads no prosody.cfg.lua): a copy with it pointed at OUT.
MIGRATOR=$WORK/prosody-migrator
sed "s|^CFG_DATADIR=.*|CFG_DATADIR='$OUT';|" /usr/bin/prosody-migrator >"$MIGRATOR"
grep -qF "CFG_DATADIR='$OUT';" "$MIGRATOR"
CFG=$WORK/migrator.cfg.lua
cat >"$CFG" <<EOF
local main = { "accounts"; "roster"; "vcard"; "private"; "pep-pubsub"; }
local archive = { "archive-archive"; }
internal { hosts = { ["$DOM"] = main; }; type = "internal"; path = "$SRC"; }
sql { hosts = { ["$DOM"] = archive; }; type = "sql"; driver = "SQLite3"; database = "$SRC/prosody.sqlite"; }
xep0227 { hosts = { ["$DOM"] = main; }; type = "xep0227"; }
EOF
# migrate FROM TO [TIMEOUT]: the migrator under /usr/bin/time; its log is
# $WORK/migrator.log.  --root: run as root, it would switch to 'prosody'.
migrate() {
    /usr/bin/time -f "%e %M %U %S" -o "$WORK/time" \
        timeout "${3:-0}" lua5.4 "$MIGRATOR" --root --config "$CFG" "$1" "$2" \
        >>"$WORK/migrator.log" 2>&1
}
count() { # archived messages in the migrator's output (one long line)
    grep -o "<result xmlns='urn:xmpp:mam:2'" "$OUT/$JID.xml" 2>/dev/null | wc -l
}
: >"$WORK/migrator.log"

# The account's other stores (roster, vCard, private, PEP): one pass.
migrate internal xep0227
read -r secs kb us ss <"$WORK/time"
r=$(items "$OUT/$JID.xml")
awk -v s="$secs" -v r="$r" -v k="$kb" -v c="$us" -v d="$ss" 'BEGIN {
    printf "| prosody-migrator internal -> xep0227 (all but the archive) | %d | - | %.1f | - | %.1f MiB | | %.2f s |\n", r, s, k / 1024, c + d }'

# The archive, appended to the same file; sampled every 30 s.
rm -f "$WORK/migrator-progress"
start=$(date +%s)
rc=0
migrate sql xep0227 "$TIMEOUT" &
mpid=$!
best=0
while sleep 30 && kill -0 "$mpid" 2>/dev/null; do
    t=$(($(date +%s) - start))
    # The file is rewritten for every message: a read may find it cut short.
    for _ in 1 2 3 4 5; do
        n=$(count)
        [ "$n" -le "$best" ] || break
        sleep 0.2
    done
    [ "$n" -le "$best" ] || best=$n
    echo "$t $best" >>"$WORK/migrator-progress"
done
wait "$mpid" || rc=$?
n=$(count)
[ "$n" -gt "$best" ] || n=$best
tail -n 1 "$WORK/time" >"$WORK/time1"
read -r secs kb us ss <"$WORK/time1"
PROJECTION=
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; then
    echo "| prosody-migrator sql -> xep0227 (the archive): failed, exit $rc (see $WORK/migrator.log) | - | $n | | | | | |"
elif [ "$rc" -eq 0 ]; then
    awk -v s="$secs" -v n="$n" -v k="$kb" -v c="$us" -v d="$ss" 'BEGIN {
        printf "| prosody-migrator sql -> xep0227 (the archive) | - | %d | %.1f | %.0f | %.1f MiB | | %.2f s |\n", n, s, n / s, k / 1024, c + d }'
else
    awk -v s="$secs" -v n="$n" -v m="$ARCHIVED" -v k="$kb" -v c="$us" -v d="$ss" 'BEGIN {
        printf "| prosody-migrator sql -> xep0227 (the archive), stopped after %d s | - | %d of %d | %.1f | %.1f | %.1f MiB | | %.2f s |\n", s, n, m, s, n / s, k / 1024, c + d }'
    # Least squares fit of t = a n + b n^2 to the samples, projected to the
    # whole archive; and the rate over the last sample interval.
    PROJECTION=$(awk -v m="$ARCHIVED" '
        $2 > 0 { x = $2; t = $1; s2 += x * x; s3 += x * x * x; s4 += x * x * x * x
                 sy1 += t * x; sy2 += t * x * x; k++ }
        { lt = pt; ln = pn; pt = $1; pn = $2 }
        END {
            det = s2 * s4 - s3 * s3
            if (k < 3 || det == 0) { print "too few samples to project"; exit }
            a = (sy1 * s4 - sy2 * s3) / det; b = (s2 * sy2 - s3 * sy1) / det
            printf "prosody-migrator to xep0227: %.1f messages/s over the last %d s; all %d messages projected at %.1f hours (t = a n + b n^2 fitted to %d samples: a = %.3g s, b = %.3g s)\n",
                (pn - ln) / (pt - lt), pt - lt, m, (a * m + b * m * m) / 3600, k, a, b }' "$WORK/migrator-progress")
fi

[ -z "$PROJECTION" ] || printf '\n%s\n' "$PROJECTION"
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf "$SRC" "$WORK/time" "$WORK/time1"

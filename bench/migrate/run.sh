#!/bin/sh
# bench/migrate/run.sh BUILD_DIR [CONTACTS PEP PRIVATE]
#
# `xporta migrate` of one live account between the local servers: time,
# requests in flight, peak memory, client and server CPU.  Default account:
# 5,000 contacts, 500 PEP items over 7 nodes (bookmarks, microblog, message
# displayed sync, nick, avatar, geoloc) and 200 private XML namespaces
# (bench/gen_pie --pep/--private), filled into Prosody 0.12 by its own
# server-side import (prosody-migrator).  Runs, each into a fresh account:
#
#   - migrate Prosody -> ejabberd 23.01 at --parallel 1, 4 (default), 8, 16
#     (8 x N requests in flight);
#   - the same command again on the last target: plans, writes nothing;
#   - xporta import of the same data from its XEP-0227 file into ejabberd;
#   - migrate ejabberd -> Prosody, from the account the import filled;
#   - migrate Prosody -> ejabberd at --parallel 1, 4 and 16 again, with
#     ejabberd's mod_roster told to store the roster version
#     (store_current_id: true, set in the private ejabberd.yml and
#     reloaded, then put back).  Debian's ejabberd.yml, like the test
#     servers', has `versioning: true` alone: ejabberd then hashes the whole
#     roster for every roster push, so each contact written costs time
#     proportional to the contacts already there.
#
# Private XML (XEP-0049) cannot be listed by a client: migrate reads the
# namespaces xporta knows (storage:bookmarks, storage:rosternotes, ...), 4 of
# the 200 here, and verify checks those; only the file import writes all
# 200.  The output ends with how many migrate found.
#
# Every run must end "verified: every record is on the target"; the last
# column says whether it did (else the exit status).  Uses a private pair of
# servers in $BENCH_SERVERS (default /tmp/xporta-bench-mig-servers); the
# filled source account is kept for the next run.  Logs of each run are in
# $BENCH_SERVERS/bench/*.log.
set -eu
B=${1:-build-rel}
CONTACTS=${2:-5000}
PEP=${3:-500}
PRIVATE=${4:-200}
X=$(cd "$B" && pwd)/xporta
GEN=$(cd "$B" && pwd)/bench/gen_pie
HERE=$(cd "$(dirname "$0")" && pwd)
SERVERS="$HERE/../../tests/servers/xporta-servers"
export XPORTA_SERVERS_DIR="${BENCH_SERVERS:-/tmp/xporta-bench-mig-servers}"
export XPORTA_PROSODY_ARCHIVE=sql
WORK=$XPORTA_SERVERS_DIR/bench
mkdir -p "$WORK"

bash "$SERVERS" start all >/dev/null
# shellcheck source=/dev/null
. "$XPORTA_SERVERS_DIR/servers.env"
P_DOM=$XPORTA_PROSODY_DOMAIN
E_DOM=$XPORTA_EJABBERD_DOMAIN
USER=mig$CONTACTS-$PEP-$PRIVATE
SRC=$USER@$P_DOM
FILE=$WORK/$USER.xml # the source account's data as a XEP-0227 file
# What the account was filled with: an older fill is not measured as this one.
RECIPE="gen_pie --users 1 --roster $CONTACTS --messages 0 --pep $PEP --private $PRIVATE (distinct contacts)"
MARK=$WORK/$USER.filled
if [ -f "$MARK" ] && [ "$(cat "$MARK")" != "$RECIPE" ]; then
    echo "$SRC was filled by an older recipe; stop these servers and remove" \
        "$XPORTA_SERVERS_DIR, then run again" >&2
    exit 1
fi
if [ ! -f "$MARK" ]; then
    echo "filling $SRC ($CONTACTS contacts, $PEP PEP items, $PRIVATE private XML)..." >&2
    "$GEN" --users 1 --roster "$CONTACTS" --messages 0 --pep "$PEP" \
        --private "$PRIVATE" >"$WORK/gen.xml"
    rm -rf "$WORK/in"
    "$X" convert -q --dialect prosody \
        --rename-host "h0.example=$P_DOM" "$WORK/gen.xml" -o "$WORK/in"
    mv "$WORK/in/user0@$P_DOM.xml" "$WORK/in/$SRC.xml"
    sed -i "s/<user name='user0'>/<user name='$USER'>/" "$WORK/in/$SRC.xml"
    bash "$SERVERS" import prosody "$WORK/in" >/dev/null
    cp "$WORK/in/$SRC.xml" "$FILE"
    rm -rf "$WORK/in" "$WORK/gen.xml"
    echo "$RECIPE" >"$MARK"
fi
bash "$SERVERS" adduser prosody "$USER" benchpw >/dev/null
echo benchpw >"$WORK/pw"

pid_of() { cat "$XPORTA_SERVERS_DIR/$1/$1.pid"; }
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# fresh SERVER USER: an empty account.  Prosody 0.12 keeps the rosters it
# loaded for offline users in a cache (rostermanager, 1,024 entries) that
# deleting the user does not clear: a re-created account would show the old
# contacts (and migrate would find them "same" and write nothing) until
# Prosody restarts.  So Prosody is restarted after the deletion.
fresh() {
    bash "$SERVERS" deluser "$1" "$2" >/dev/null
    if [ "$1" = prosody ]; then
        bash "$SERVERS" stop prosody >/dev/null
        bash "$SERVERS" start prosody >/dev/null
    fi
    bash "$SERVERS" adduser "$1" "$2" benchpw >/dev/null
}
conn() { # SIDE SERVER: --SIDE-host/--SIDE-port/--SIDE-password-file
    if [ "$2" = prosody ]; then port=$XPORTA_PROSODY_PORT; else port=$XPORTA_EJABBERD_PORT; fi
    echo "--$1-host 127.0.0.1 --$1-port $port --$1-password-file $WORK/pw"
}

# run LABEL IN_FLIGHT FROM_SERVER TO_SERVER XPORTA_ARGS...
# FROM_SERVER is "-" for a file.  Prints one table row.
run() {
    label=$1 inflight=$2 from=$3 to=$4
    shift 4
    log=$WORK/run$(( n = ${n:-0} + 1 )).log
    rm -rf "$WORK/state$n"
    tp=$(pid_of "$to")
    t0=$(cpu "$tp")
    f0=0
    if [ "$from" != - ]; then fp=$(pid_of "$from"); f0=$(cpu "$fp"); fi
    set +e
    /usr/bin/time -f "%e %M %U %S" -o "$WORK/time" "$X" "$@" \
        --cafile "$XPORTA_TEST_CAFILE" --state-dir "$WORK/state$n" >"$log" 2>&1
    rc=$?
    set -e
    t1=$(cpu "$tp")
    f1=$f0
    [ "$from" = - ] || f1=$(cpu "$fp")
    # A failed command adds a line "Command exited with non-zero status N".
    tail -n 1 "$WORK/time" >"$WORK/time1"
    read -r secs kb us ss <"$WORK/time1"
    wrote=$(sed -n 's/^wrote \([0-9]*\) records, \([0-9.]*\)\/s.*/\1 \2/p' "$log")
    [ -n "$wrote" ] || wrote="0 0"
    if grep -q "verified: every record is on the target" "$log"; then
        ok=yes
    else
        ok="NO (exit $rc, see $log)"
    fi
    srv=$(awk -v f="$(( f1 - f0 ))" -v t="$(( t1 - t0 ))" -v s="$from" 'BEGIN {
        if (s == "-") printf "- / %.1f s", t / 100; else printf "%.1f / %.1f s", f / 100, t / 100 }')
    # shellcheck disable=SC2086
    set -- $wrote
    awk -v l="$label" -v q="$inflight" -v s="$secs" -v w="$1" -v r="$2" -v k="$kb" \
        -v c="$us" -v d="$ss" -v v="$srv" -v o="$ok" 'BEGIN {
        printf "| %s | %s | %.1f | %d | %s | %.1f MiB | %.2f s | %s | %s |\n",
            l, q, s, w, r, k / 1024, c + d, v, o }'
    rm -rf "$WORK/state$n"
}

rm -rf "$WORK"/state* "$WORK"/run*.log

# roster_version_stored true|false: ejabberd's mod_roster store_current_id
E_YML=$XPORTA_SERVERS_DIR/ejabberd/ejabberd.yml
roster_version_stored() {
    if [ "$1" = true ]; then
        sed -i 's/^  mod_roster: {versioning: true}$/  mod_roster: {versioning: true, store_current_id: true}/' "$E_YML"
        grep -q 'store_current_id: true' "$E_YML" || return 1
    else
        sed -i 's/^  mod_roster: {versioning: true, store_current_id: true}$/  mod_roster: {versioning: true}/' "$E_YML"
    fi
    bash "$SERVERS" ejabberdctl reload_config >/dev/null
}

echo "Account: $SRC: $CONTACTS contacts, $PEP PEP items, $PRIVATE private XML namespaces"
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| run | in flight | seconds | records written | writes/s | peak RSS | client CPU | server CPU (source / target) | verified |"
echo "|---|---|---|---|---|---|---|---|---|"
for p in 1 4 8 16; do
    fresh ejabberd "$USER"
    # shellcheck disable=SC2046
    run "migrate Prosody -> ejabberd --parallel $p" $(( 8 * p )) prosody ejabberd \
        migrate "$SRC" "$USER@$E_DOM" --parallel "$p" \
        $(conn old prosody) $(conn new ejabberd)
done
# shellcheck disable=SC2046
run "the same again (nothing to write)" 32 prosody ejabberd \
    migrate "$SRC" "$USER@$E_DOM" $(conn old prosody) $(conn new ejabberd)
IMP=imp$CONTACTS-$PEP-$PRIVATE
fresh ejabberd "$IMP"
run "import FILE -> ejabberd" 32 - ejabberd \
    import "$FILE" "$IMP@$E_DOM" --host 127.0.0.1 --port "$XPORTA_EJABBERD_PORT" \
    --password-file "$WORK/pw"
fresh prosody "$IMP"
# shellcheck disable=SC2046
run "migrate ejabberd -> Prosody" 32 ejabberd prosody \
    migrate "$IMP@$E_DOM" "$IMP@$P_DOM" $(conn old ejabberd) $(conn new prosody)
if roster_version_stored true; then
    for p in 1 4 16; do
        fresh ejabberd "$USER"
        # shellcheck disable=SC2046
        run "migrate Prosody -> ejabberd --parallel $p, store_current_id" $(( 8 * p )) \
            prosody ejabberd migrate "$SRC" "$USER@$E_DOM" --parallel "$p" \
            $(conn old prosody) $(conn new ejabberd)
    done
    roster_version_stored false
else
    echo "| (store_current_id rows skipped: mod_roster line not found in $E_YML) | | | | | | | | |"
fi
echo
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
# XEP-0049 has no way to list what an account keeps in private XML: a live
# export asks for the namespaces it knows (export has --private-ns for more,
# migrate has not), so the file import is the only row that carries all.
found=$(sed -n 's/^export: private: \([0-9]*\).*/\1/p' "$WORK/run1.log")
echo "Private XML found by migrate on the source: ${found:-?} of $PRIVATE namespaces" \
    "(XEP-0049 cannot list them; the rest are unknown to xporta)."
bash "$SERVERS" deluser ejabberd "$USER" >/dev/null
bash "$SERVERS" deluser ejabberd "$IMP" >/dev/null
bash "$SERVERS" deluser prosody "$IMP" >/dev/null
rm -rf "$WORK"/state* "$WORK/time" "$WORK/time1"

#!/usr/bin/env bash
# xporta server-export and server-import on ejabberd's SQL storage (issue
# 12), against a real ejabberd 23.01 in one mode (SQLite or PostgreSQL,
# default schema or new_sql_schema):
#
#   server_ejabberd.sh STORAGE SCHEMA XPORTA XP_POPULATE PROBE DATA_DIR WORK_DIR
#
#  1. ejabberd filled by real clients (ejabberd_sql_live.sh: rows per table
#     as in the fixture, the probe's view kept as "before");
#  2. while it runs: an import is refused, naming the process (SQLite: the
#     process holding the file; PostgreSQL: its sessions), and on SQLite so
#     is an export (ejabberd waits for no lock: its writes would fail);
#  3. stopped: exported (`xporta check` accepts it, every kind is there);
#  4. the tables emptied (the schema file loaded again): a dry run changes
#     nothing, the import fills them; exported again, the file equals the
#     first; a second import finds everything the same;
#  5. ejabberd started on the result, read by an independent client
#     (xmpp_probe.py, slixmpp): the old password works (SCRAM-SHA-1), the
#     roster with every subscription state, the pending request presented
#     with its status, the offline messages delivered, MAM with the same
#     ids, times and order, MAM preferences, PEP nodes with their access
#     models and items, the blocklist enforced both ways.
# Exits 77 when ejabberd, slixmpp or the database drivers are missing.
set -u
STORAGE=$1 SCHEMA=$2
X=$(realpath "$3") POP=$(realpath "$4") PROBE=$(realpath "$5") DATA=$(realpath "$6") WORK=$(realpath "$7")
HERE=$(cd "$(dirname "$0")" && pwd)
SCRIPT=$HERE/../servers/xporta-servers
PY=/usr/bin/python3

KEEP=1 bash "$HERE/ejabberd_sql_live.sh" "$STORAGE" "$SCHEMA" "$POP" "$DATA" "$WORK"
rc=$?
[ $rc -eq 77 ] && exit 77
out=$WORK/ejabberd-sql-$STORAGE-$SCHEMA
export XPORTA_SERVERS_DIR=$out-servers
srv() { bash "$SCRIPT" "$@"; }
T=$(mktemp -d "${TMPDIR:-/tmp}/xporta-server-ejabberd-XXXXXX")
cleanup() {
    srv stop all >/dev/null 2>&1
    rm -rf "$T"
}
trap cleanup EXIT
. "$HERE/checks.sh"
[ $rc -eq 0 ] || { echo "FAIL: the fill (ejabberd_sql_live.sh) failed" >&2; exit 1; }

set -a
. "$XPORTA_SERVERS_DIR/servers.env"
set +a
D=$XPORTA_EJABBERD_DOMAIN
W=$T/w
mkdir -p "$W"
printf '%s\n' "${PASS:-xporta-pass}" >"$W/pass"
chmod 600 "$W/pass"
HOSTOPT=
[ "$SCHEMA" = default ] && HOSTOPT="--host $D"
sfx=
[ "$SCHEMA" = new ] && sfx=.new
case $STORAGE in
sqlite)
    DB=$XPORTA_EJABBERD_SQLITE
    STORE=ejabberd+sqlite:$DB
    SCHEMA_FILE=/usr/share/ejabberd/sql/lite$sfx.sql
    users() { sqlite3 "$DB" 'SELECT count(*) FROM users'; }
    ;;
pgsql)
    export PGPASSFILE=$XPORTA_PG_PASSFILE
    STORE=ejabberd+pgsql://$XPORTA_PG_EJABBERD_USER@$XPORTA_PG_HOST:$XPORTA_PG_PORT/$XPORTA_PG_EJABBERD_DB
    SCHEMA_FILE=/usr/share/ejabberd/sql/pg$sfx.sql
    users() { srv ejabberd-sql -At -c 'SELECT count(*) FROM users'; }
    ;;
esac
m="$STORAGE/$SCHEMA"

# 2. while ejabberd runs
srv start ejabberd >"$W/start1.log" 2>&1 || { bad "$m: ejabberd does not start"; cat "$W/start1.log" >&2; exit 1; }
pid=$(pgrep -f "beam.smp.*$XPORTA_SERVERS_DIR" | head -n 1)
if [ "$STORAGE" = sqlite ]; then
    run 8 "$X" server-export $HOSTOPT "$STORE" -o "$W/a.xml"
    has "$T/err" "ejabberd (beam.smp, pid $pid) has it open"
else
    run 0 "$X" server-export $HOSTOPT "$STORE" -o "$W/live.xml"
fi
run 8 "$X" server-import "$DATA/full.xml" "$STORE"
if [ "$STORAGE" = sqlite ]; then
    has "$T/err" "ejabberd (beam.smp, pid $pid) has it open"
else
    has "$T/err" "ejabberd runs on it"
fi
srv stop ejabberd >/dev/null 2>&1

# 3. exported
run 0 "$X" server-export $HOSTOPT "$STORE" -o "$W/a.xml"
run 0 "$X" check "$W/a.xml"
"$X" stats "$W/a.xml" >"$W/stats" 2>&1
has "$W/stats" "alice@$D: credentials 1, roster 5, pending 1, vcard 1, private 2, privacy 2, blocklist 2, offline 2, pep-node 7, pep-affiliations 7, pep-item 8, archive 22, mam-prefs 1"
[ "$STORAGE" = pgsql ] && { run 0 "$X" diff "$W/live.xml" "$W/a.xml"; has "$T/out" "same records"; }

# 4. into emptied tables
case $STORAGE in
sqlite)
    mv "$DB" "$DB.orig"
    sqlite3 "$DB" <"$SCHEMA_FILE" || bad "$m: loading $SCHEMA_FILE"
    ;;
pgsql)
    srv ejabberd-sql -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public' >/dev/null &&
        srv ejabberd-sql -f "$SCHEMA_FILE" >/dev/null || bad "$m: loading $SCHEMA_FILE"
    ;;
esac
run 0 "$X" server-import --dry-run "$W/a.xml" "$STORE"
has "$T/err" "dry run: nothing was changed"
[ "$(users)" = 0 ] &&
    ok || bad "$m: a dry run wrote users"
run 0 "$X" server-import "$W/a.xml" "$STORE"
hasre "$T/err" "server-import: 9 accounts in"
run 0 "$X" server-export $HOSTOPT "$STORE" -o "$W/b.xml"
run 0 "$X" diff "$W/a.xml" "$W/b.xml"
has "$T/out" "same records"
# (the default schema: a database that holds accounts needs --host)
run 0 "$X" server-import $HOSTOPT "$W/a.xml" "$STORE"
awk '/^  [a-z-]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+$/ {
    rows++; if ($3 != 0 || $4 != $2) bad = bad " " $1 }
    END { if (!rows || bad) { print "not all same:" bad; exit 1 } }' "$T/err" >"$W/same.out" &&
    ok || bad "$m: second import: $(cat "$W/same.out")"

# 5. the real server and an independent client on the result
srv start ejabberd >"$W/start2.log" 2>&1 || { bad "$m: ejabberd does not start on the import"; cat "$W/start2.log" >&2; exit 1; }
"$PY" "$PROBE" --servers-env "$XPORTA_SERVERS_DIR/servers.env" --jid "alice@$D" --password-file "$W/pass" \
    --mam-page 7 --peer-jid "troll@$D" --peer-password-file "$W/pass" -o "$W/after.json" >"$W/probe.log" 2>&1 ||
    bad "$m: xmpp_probe.py alice exited $?"
if "$PY" "$HERE/probe_compare.py" --no-nick "$out/probe-alice.json" "$W/after.json" "$D" >"$W/compare.log" 2>&1; then ok; else
    bad "$m: what the client sees differs"
    cat "$W/compare.log" >&2
fi

# 6. a user's history beside the running ejabberd (issue 16): on
# PostgreSQL the archive is accepted (mod_mam caches only preferences),
# offline messages are refused (mod_offline caches their count); alice
# keeps her 22 messages and gets the file's 5, logged in meanwhile; a
# second run adds nothing; bob's archive and alice's offline rows stay.
# (No --host: the default schema takes the account's domain.)
if [ "$STORAGE" = pgsql ]; then
    LIVE=$HERE/../data/store-live.xml
    sqlc() { srv ejabberd-sql -At -c "$1"; }
    bob_before=$(sqlc "SELECT count(*), sum(length(xml)) FROM archive WHERE username = 'bob'")
    spool_before=$(sqlc "SELECT count(*) FROM spool WHERE username = 'alice'")
    "$PY" "$PROBE" --servers-env "$XPORTA_SERVERS_DIR/servers.env" --jid "alice@$D" --password-file "$W/pass" \
        --no-presence -o "$W/live0.json" >/dev/null 2>&1 || bad "$m: probe before the live import"
    "$PY" "$PROBE" --servers-env "$XPORTA_SERVERS_DIR/servers.env" --jid "alice@$D" --password-file "$W/pass" \
        --no-presence --collect 5 -o "$W/online.json" >/dev/null 2>&1 &
    online=$!
    sleep 2
    run 0 "$X" server-import --live "alice@$D" "$LIVE" "$STORE"
    hasre "$T/err" "archive +5 +5 +0"
    has "$T/err" "offline: left out: ejabberd caches each user's offline message count"
    wait $online || bad "$m: alice's session during the live import"
    "$PY" "$PROBE" --servers-env "$XPORTA_SERVERS_DIR/servers.env" --jid "alice@$D" --password-file "$W/pass" \
        --no-presence -o "$W/live1.json" >/dev/null 2>&1 || bad "$m: probe after the live import"
    run 0 "$X" server-import --live "alice@$D" "$LIVE" "$STORE"
    hasre "$T/err" "archive +5 +0 +5"
    "$PY" "$PROBE" --servers-env "$XPORTA_SERVERS_DIR/servers.env" --jid "alice@$D" --password-file "$W/pass" \
        --no-presence -o "$W/live2.json" >/dev/null 2>&1 || bad "$m: probe after the second live import"
    "$PY" - "$W/live0.json" "$W/live1.json" "$W/live2.json" "alice@$D" >"$W/live.log" 2>&1 <<'PYEOF' && ok || { bad "$m: live history"; cat "$W/live.log" >&2; }
import json, sys
before, one, two = (json.load(open(f))["mam"]["messages"] for f in sys.argv[1:4])
me = sys.argv[4]
assert len(one) == len(before) + 5, (len(before), len(one))
assert len(two) == len(one), (len(one), len(two))
key = lambda m: (m["id"], m["stamp"], m["from"], m["body"])
assert [key(m) for m in one if not m["stamp"].startswith("2021")] == [key(m) for m in before], "the messages there before changed"
new = [m for m in one if m["stamp"].startswith("2021")]
want = [("2021-03-01T10:00:00", "peer@old.example/phone", me + "/laptop", "hello from 2021"),
        ("2021-03-01T10:01:30", me + "/laptop", "peer@old.example", "hi, an answer"),
        ("2021-03-01T12:00:00", "someone@elsewhere.example/x", me, "from elsewhere"),
        ("2021-03-02T08:00:00.6", "peer@old.example/phone", me, "offline one <b>bold</b>"),
        ("2021-03-02T08:05:00.2", "peer@old.example/phone", me, "offline two")]
assert len(new) == 5, new
for g, w in zip(new, want):
    assert g["stamp"].startswith(w[0]) and (g["from"], g["to"], g["body"]) == w[1:], (g, w)
PYEOF
    [ "$(sqlc "SELECT count(*), sum(length(xml)) FROM archive WHERE username = 'bob'")" = "$bob_before" ] &&
        ok || bad "$m: bob's archive changed"
    [ "$(sqlc "SELECT count(*) FROM spool WHERE username = 'alice'")" = "$spool_before" ] &&
        ok || bad "$m: alice's offline rows changed"
fi

echo "$m: $n checks, $fails failed"
[ "$fails" -eq 0 ]

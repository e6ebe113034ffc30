#!/bin/sh
# Faults on ejabberd's SQL storage on PostgreSQL 15 (issue 12), in a
# PostgreSQL of this test's own (tests/servers/xporta-servers, in DIR; no
# ejabberd), because it stops it in the middle of an import:
#
#   server_ejabberd_pgsql_faults.sh SERVERS_SCRIPT DIR XPORTA TESTDATA
#
#  - damaged rows (archive.xml, users' SCRAM form) named with table, row
#    and account, that account left out whole, the others written;
#  - a schema of another version and an empty database refused at open,
#    naming the table and column;
#  - the database going away in the middle of a large import (bench/
#    gen_pie): the run fails saying so, the accounts it committed are
#    whole (none half written), and once PostgreSQL is back the same
#    command finishes: the export equals the source; a second run changes
#    nothing.
# Exits 77 without PostgreSQL or ejabberd's schema files.
set -u
SCRIPT=$1 DIR=$2 X=$3 D=$4
export XPORTA_SERVERS_DIR="$DIR"
SQL=/usr/share/ejabberd/sql
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || { echo "skip: postgresql is needed"; exit 77; }
[ -f "$SQL/pg.new.sql" ] || { echo "skip: ejabberd's schema files ($SQL) are needed"; exit 77; }
srv() { bash "$SCRIPT" "$@"; }
T=$(mktemp -d "${TMPDIR:-/tmp}/xporta-ejd-pg-faults-XXXXXX")
export XDG_STATE_HOME="$T/state"
. "$(dirname "$0")/../integration/checks.sh"
DB=xe$$
cleanup() {
    [ -n "${IMP:-}" ] && kill -9 "$IMP" 2>/dev/null
    if srv status postgres >/dev/null 2>&1; then
        for d in a b old empty big; do srv psql -q -c "DROP DATABASE IF EXISTS ${DB}_$d WITH (FORCE)" >/dev/null 2>&1; done
    fi
    srv stop postgres >/dev/null 2>&1
    [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
srv start postgres >"$T/start.log" 2>&1 || { echo "FAIL: PostgreSQL does not start" >&2; cat "$T/start.log" >&2; exit 1; }
set -a
. "$DIR/servers.env"
set +a
psql_() { srv psql "$@"; }
for d in a b old empty big; do psql_ -q -c "CREATE DATABASE ${DB}_$d" || { echo "cannot create databases" >&2; exit 1; }; done
for d in a b old big; do psql_ -q -d "${DB}_$d" -f "$SQL/pg.new.sql" >/dev/null 2>&1 || bad "loading pg.new.sql"; done
PG=ejabberd+pgsql://$XPORTA_PG_USER@$XPORTA_PG_HOST:$XPORTA_PG_PORT
H=new.localhost
users() { psql_ -At -d "$1" -c "SELECT string_agg(username, ' ' ORDER BY username) FROM users"; }
nothing_written() {
    awk '/^  [a-z-]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+$/ {
        rows++; if ($3 != 0) w = w " " $1 }
        END { if (!rows || w) { print "written:" w; exit 1 } }' "$T/err" >"$T/nw" &&
        ok || bad "$1: $(cat "$T/nw")"
}

# the fixture (rows a real ejabberd wrote on PostgreSQL) into ${DB}_a
grep -v '^\\' "$D/ejabberd-sql/pg-new.sql" | psql_ -q -d "${DB}_a" >/dev/null 2>"$T/load.err" || { bad "loading pg-new.sql"; cat "$T/load.err" >&2; }
run 0 "$X" server-export "$PG/${DB}_a" -o "$T/src.xml"
"$X" stats "$T/src.xml" >"$T/stats" 2>&1
has "$T/stats" "alice@$H: credentials 1, roster 5, pending 1, vcard 1, private 2, privacy 2, blocklist 2, offline 2, pep-node 7, pep-affiliations 7, pep-item 8, archive 22, mam-prefs 1"

# ---- damaged rows --------------------------------------------------------
psql_ -q -d "${DB}_a" -c "UPDATE archive SET xml = '<message><body>cut' WHERE username = 'bob' AND timestamp = (SELECT min(timestamp) FROM archive WHERE username = 'bob')"
psql_ -q -d "${DB}_a" -c "UPDATE users SET password = 'sha1:' || password WHERE username = 'carol'"
psql_ -q -d "${DB}_a" -c "UPDATE rosterusers SET jid = 'a@b@c' WHERE username = 'grace'"
bts=$(psql_ -At -d "${DB}_a" -c "SELECT min(timestamp) FROM archive WHERE username = 'bob'")
run 3 "$X" server-export "$PG/${DB}_a" -o "$T/bad.xml"
[ ! -e "$T/bad.xml" ] && ok || bad "an export with an unreadable account left a file"
run 1 "$X" server-import "$PG/${DB}_a" "$PG/${DB}_b"
has "$T/err" "bob@$H: left out: $PG/${DB}_a: table archive, timestamp $bts (bob@$H): its XML does not parse"
has "$T/err" "carol@$H: left out: $PG/${DB}_a: table users (carol@$H): SCRAM credentials whose password starts with 'sha1:'"
has "$T/err" "grace@$H: left out: $PG/${DB}_a: table rosterusers, jid 'a@b@c' (grace@$H): a contact whose JID does not parse"
has "$T/err" "3 of 9 accounts could not be read"
[ "$(users "${DB}_b")" = "alice dave erin frank paula troll" ] && ok || bad "imported: $(users "${DB}_b")"
[ "$(psql_ -At -d "${DB}_b" -c "SELECT count(*) FROM archive WHERE username IN ('bob', 'carol', 'grace')")" = 0 ] &&
    ok || bad "archive rows of an account left out"
# repaired: the same command finishes; the export equals the source
psql_ -q -d "${DB}_a" -c "DROP SCHEMA public CASCADE; CREATE SCHEMA public" >/dev/null 2>&1
psql_ -q -d "${DB}_a" -f "$SQL/pg.new.sql" >/dev/null 2>&1
grep -v '^\\' "$D/ejabberd-sql/pg-new.sql" | psql_ -q -d "${DB}_a" >/dev/null 2>&1
run 0 "$X" server-import "$PG/${DB}_a" "$PG/${DB}_b"
has "$T/err" "3 accounts (and 6 by an earlier run) in"
run 0 "$X" server-export "$PG/${DB}_b" -o "$T/b.xml"
run 0 "$X" diff "$T/src.xml" "$T/b.xml"
has "$T/out" "same records"
run 0 "$X" server-import "$T/src.xml" "$PG/${DB}_b"
nothing_written "a second run"

# ---- schemas ---------------------------------------------------------------
psql_ -q -d "${DB}_old" -c "ALTER TABLE rosterusers DROP COLUMN askmessage"
run 3 "$X" server-import "$T/src.xml" "$PG/${DB}_old"
has "$T/err" "$PG/${DB}_old: table rosterusers has no column askmessage: not the schema of ejabberd 23.01 (/usr/share/ejabberd/sql/pg.new.sql"
[ "$(users "${DB}_old")" = "" ] && ok || bad "an import into another schema wrote users"
run 3 "$X" server-import "$T/src.xml" "$PG/${DB}_empty"
has "$T/err" "$PG/${DB}_empty: no table \"users\""
has "$T/err" "pg.sql or pg.new.sql"
[ "$(psql_ -At -d "${DB}_empty" -c "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")" = 0 ] &&
    ok || bad "an import made tables in an empty database"

# ---- PostgreSQL goes away in the middle of a large import -----------------
# ejabberd's own ids (so that the end can equal the source): generated,
# imported into SQLite and exported
G=$(dirname "$X")/bench/gen_pie
if [ -x "$G" ] && command -v sqlite3 >/dev/null 2>&1; then
    "$G" --users 200 --roster 20 --messages ${XPORTA_BIG_MESSAGES:-1000} --seed 11 >"$T/gen.xml"
    grep -v '^INSERT' "$D/ejabberd-sql/lite-new.sql" | sqlite3 "$T/big.db"
    run 0 "$X" server-import -q "$T/gen.xml" "ejabberd+sqlite:$T/big.db"
    run 0 "$X" server-export "ejabberd+sqlite:$T/big.db" -o "$T/big.xml"
    rm -f "$T/gen.xml" "$T/big.db"
    t0=$(date +%s)
    "$X" server-import "$T/big.xml" "$PG/${DB}_big" >"$T/big.out" 2>"$T/big.err" &
    IMP=$!
    # stop it once some accounts are committed (the store commits every 2 s)
    i=0
    until [ "$(psql_ -At -d "${DB}_big" -c "SELECT count(*) FROM users" 2>/dev/null)" -ge 20 ] 2>/dev/null || [ $i -ge 600 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    srv stop postgres >/dev/null 2>&1 || bad "stopping PostgreSQL"
    wait "$IMP"
    rc=$?
    IMP=
    echo "PostgreSQL stopped $(($(date +%s) - t0)) s into the import; it exited $rc"
    [ $rc -ne 0 ] && ok || bad "the import did not notice that PostgreSQL went away"
    has "$T/big.err" "$PG/${DB}_big"
    srv start postgres >"$T/start2.log" 2>&1 || { bad "PostgreSQL does not start again"; cat "$T/start2.log" >&2; exit 1; }
    # what is there is whole: every account in it equals the source's
    run 0 "$X" server-export "$PG/${DB}_big" -o "$T/half.xml"
    "$X" diff "$T/big.xml" "$T/half.xml" >"$T/out" 2>&1
    if grep -E '^(differs|only in B)' "$T/out" >"$T/half"; then
        bad "an account half written when PostgreSQL went away"
        head -5 "$T/half" >&2
    else ok; fi
    n0=$(psql_ -At -d "${DB}_big" -c "SELECT count(*) FROM users")
    echo "$n0 of 200 accounts were committed before it went away"
    [ "$n0" -gt 0 ] && [ "$n0" -lt 200 ] && ok || bad "$n0 accounts committed: PostgreSQL was not stopped in the middle"
    run 0 "$X" server-import "$T/big.xml" "$PG/${DB}_big"
    hasre "$T/err" "server-import: $((200 - n0)) accounts \(and $n0 by an earlier run\) in"
    run 0 "$X" server-export "$PG/${DB}_big" -o "$T/big-back.xml"
    run 0 "$X" diff "$T/big.xml" "$T/big-back.xml"
    has "$T/out" "same records"
    run 0 "$X" server-import "$T/big.xml" "$PG/${DB}_big"
    nothing_written "after PostgreSQL came back, a second run"
fi

echo "server_ejabberd_pgsql_faults: $n checks, $fails failed"
[ "$fails" -eq 0 ]

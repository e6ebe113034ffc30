#!/bin/sh
# server-export and server-import on Prosody's SQL storage in a real
# PostgreSQL 15 (started by tests/servers/xporta-servers, no Prosody):
#
#   server_pgsql.sh start|stop SERVERS_SCRIPT DIR
#   server_pgsql.sh run SERVERS_SCRIPT DIR XPORTA TESTDATA
#
# start/stop are the CTest fixture "postgres" (PostgreSQL alone, in DIR);
# run: the data directory a real Prosody 0.12 wrote (tests/data/
# prosody-internal) goes into PostgreSQL and back unchanged, with Prosody's
# own schema; a second import is all "same"; the address forms, a password
# in the address refused, the passfile; damaged rows (XML in
# prosodyarchive, JSON in prosody) named with table and row, that account
# left out and the others imported; a binary SCRAM salt refused with the
# reason; a running Prosody on this database found (a stand-in process
# named prosody), a second writer locked out.  Exits 77 without
# PostgreSQL.
set -u
cmd=$1 SCRIPT=$2 DIR=$3
export XPORTA_SERVERS_DIR="$DIR"
case $cmd in
start)
    compgen_pg() { ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; }
    compgen_pg || { echo "skip: postgresql is needed"; exit 77; }
    exec bash "$SCRIPT" start postgres
    ;;
stop)
    [ -f "$DIR/servers.env" ] || exit 0
    exec bash "$SCRIPT" stop postgres
    ;;
run) ;;
*)
    echo "usage: $0 start|stop|run SERVERS_SCRIPT DIR [XPORTA TESTDATA]" >&2
    exit 2
    ;;
esac
X=$4 D=$5
[ -f "$DIR/servers.env" ] || { echo "skip: no PostgreSQL (the postgres fixture did not start)"; exit 77; }
set -a
. "$DIR/servers.env"
set +a
T=$(mktemp -d "${TMPDIR:-/tmp}/xporta-server-pgsql-XXXXXX")
export XDG_STATE_HOME="$T/state"
. "$(dirname "$0")/../integration/checks.sh"
psql_() { bash "$SCRIPT" psql "$@"; }
DB=xp$$
cleanup() {
    [ -n "${FAKE:-}" ] && kill "$FAKE" 2>/dev/null
    for d in a b bad c; do psql_ -q -c "DROP DATABASE IF EXISTS ${DB}_$d WITH (FORCE)" >/dev/null 2>&1; done
    rm -rf "$T"
}
trap cleanup EXIT
for d in a b c; do psql_ -q -c "CREATE DATABASE ${DB}_$d" || { echo "cannot create databases" >&2; exit 1; }; done
PG=prosody+pgsql://$XPORTA_PG_USER@$XPORTA_PG_HOST:$XPORTA_PG_PORT

# the real data into PostgreSQL and back
run 0 "$X" server-export "prosody:$D/prosody-internal" -o "$T/a.xml"
run 0 "$X" server-import "$T/a.xml" "$PG/${DB}_a"
hasre "$T/err" "archive +42 +42 +0 +0 +0 +0"
hasre "$T/err" "server-import: 7 accounts in"
run 0 "$X" server-export "$PG/${DB}_a" -o "$T/b.xml"
run 0 "$X" diff "$T/a.xml" "$T/b.xml"
has "$T/out" "same records"
# an ejabberd+pgsql store is named as such in messages (Prosody's tables
# are not ejabberd's)
"$X" server-export --host old.localhost "ejabberd+pgsql://$XPORTA_PG_USER@$XPORTA_PG_HOST:$XPORTA_PG_PORT/${DB}_a" \
    -o "$T/e.xml" >"$T/out" 2>"$T/err" && bad "ejabberd+pgsql on Prosody's tables succeeded"
has "$T/err" "ejabberd+pgsql://$XPORTA_PG_USER@$XPORTA_PG_HOST:$XPORTA_PG_PORT/${DB}_a"
hasnt "$T/err" "prosody+pgsql"
# Prosody's own schema (util/sql.lua for PostgreSQL, as a real Prosody 0.12
# made it) and rows as mod_storage_sql writes them
psql_ -At -d "${DB}_a" -c "SELECT indexdef FROM pg_indexes WHERE tablename LIKE 'prosody%' ORDER BY 1" >"$T/idx"
cat >"$T/idx.want" <<'EOF'
CREATE INDEX prosody_index ON public.prosody USING btree (host, "user", store, key)
CREATE INDEX prosodyarchive_sort ON public.prosodyarchive USING btree (host, "user", store, sort_id)
CREATE INDEX prosodyarchive_when ON public.prosodyarchive USING btree (host, "user", store, "when")
CREATE INDEX prosodyarchive_with_when ON public.prosodyarchive USING btree (host, "user", store, "with", "when")
CREATE UNIQUE INDEX prosodyarchive_index ON public.prosodyarchive USING btree (host, "user", store, key)
CREATE UNIQUE INDEX prosodyarchive_pkey ON public.prosodyarchive USING btree (sort_id)
EOF
cmp -s "$T/idx" "$T/idx.want" && ok || { bad "indexes differ from Prosody's"; diff "$T/idx.want" "$T/idx" >&2; }
psql_ -At -d "${DB}_a" -c "SELECT table_name, column_name, data_type, is_nullable, coalesce(column_default, '') FROM information_schema.columns WHERE table_name LIKE 'prosody%' ORDER BY 1, ordinal_position" >"$T/cols"
has "$T/cols" "prosodyarchive|sort_id|bigint|NO|nextval('prosodyarchive_sort_id_seq'::regclass)"
has "$T/cols" "prosodyarchive|when|integer|NO|"
has "$T/cols" "prosody|value|text|NO|"
psql_ -At -d "${DB}_a" -c "SELECT store, key, type, value FROM prosody WHERE \"user\" = 'alice' ORDER BY 1, 2" >"$T/rows"
has "$T/rows" "accounts|stored_key|string|de2fc1731dbdc7db63abcc6f3f23d77d5fccd801"
has "$T/rows" "accounts|iteration_count|number|"
has "$T/rows" 'roster||json|{"__hash":[false,{'
has "$T/rows" "blocklist|spam@spam.example|"
psql_ -At -d "${DB}_a" -c "SELECT key, \"with\", type FROM prosodyarchive WHERE \"user\" = 'bob' AND store = 'archive' ORDER BY sort_id LIMIT 1" >"$T/rows"
has "$T/rows" "BAGUPFic9hRVfAIKnb_Gs5uv|alice@old.localhost|xml"
# a second run: the same, nothing written
run 0 "$X" server-import "$T/a.xml" "$PG/${DB}_a"
hasre "$T/err" "archive +42 +0 +42 +0 +0 +0"
hasre "$T/err" "roster +9 +0 +9 +0 +0 +0"
# store to store, no file between; a dry run into an empty database
# creates nothing
run 0 "$X" server-import --dry-run "prosody:$D/prosody-internal" "$PG/${DB}_b"
has "$T/err" "dry run: nothing was changed"
[ "$(psql_ -At -d "${DB}_b" -c "SELECT to_regclass('prosody') IS NULL")" = t ] && ok || bad "a dry run created tables"
run 0 "$X" server-import "prosody:$D/prosody-internal" "$PG/${DB}_b"
run 0 "$X" server-export "$PG/${DB}_b" -o "$T/c.xml"
run 0 "$X" diff "$T/a.xml" "$T/c.xml"
has "$T/out" "same records"

# addresses: a libpq connection string (socket), a bare database name
# (libpq's defaults: PGHOST, PGPORT, PGUSER), URIs
run 0 "$X" server-export "prosody+pgsql:host=$XPORTA_PG_SOCKET_DIR port=$XPORTA_PG_PORT dbname=${DB}_a user=$XPORTA_PG_USER" -o "$T/d.xml"
run 0 "$X" server-export "prosody+pgsql:${DB}_a" -o "$T/e.xml"
run 0 "$X" server-export "prosody+pgsql:postgresql://$XPORTA_PG_USER@$XPORTA_PG_HOST:$XPORTA_PG_PORT/${DB}_a" -o "$T/f.xml"
for f in d e f; do cmp -s "$T/b.xml" "$T/$f.xml" && ok || bad "$f.xml differs from b.xml"; done
# never a password in the address; a missing passfile says where it goes
run 2 "$X" server-export "prosody+pgsql://$XPORTA_PG_USER:s3cret@$XPORTA_PG_HOST:$XPORTA_PG_PORT/${DB}_a" -o "$T/g.xml"
has "$T/err" "must not hold the password"
# shellcheck disable=SC2088
has "$T/err" "~/.pgpass"
hasnt "$T/err" "s3cret"
run 2 "$X" server-import "$T/a.xml" "prosody+pgsql:dbname=${DB}_a password=s3cret"
hasnt "$T/err" "s3cret"
run 6 env PGPASSFILE="$T/nothing" "$X" server-export "$PG/${DB}_a" -o "$T/g.xml"
has "$T/err" "no password supplied"
has "$T/err" "PGPASSFILE"
run 2 "$X" server-export "prosody+pgsql:host='x" -o "$T/g.xml"
has "$T/err" "not a PostgreSQL address"
run 3 "$X" server-export "$PG/$XPORTA_PG_DB" -o "$T/g.xml"
has "$T/err" "not Prosody's database"
run 0 "$X" server-export --help
has "$T/out" "prosody+pgsql://USER@HOST[:PORT]/DATABASE"

# damage: unparsable XML in prosodyarchive, bad JSON in prosody; those
# accounts are left out, named with table and row, the others go on
psql_ -q -c "CREATE DATABASE ${DB}_bad TEMPLATE ${DB}_a" || bad "template copy"
psql_ -q -d "${DB}_bad" -c "UPDATE prosodyarchive SET value = '<message><body>cut' WHERE sort_id = (SELECT min(sort_id) FROM prosodyarchive WHERE \"user\" = 'alice' AND store = 'archive')"
sid=$(psql_ -At -d "${DB}_bad" -c "SELECT min(sort_id) FROM prosodyarchive WHERE \"user\" = 'alice' AND store = 'archive'")
psql_ -q -d "${DB}_bad" -c "UPDATE prosody SET value = '{\"name\":' WHERE \"user\" = 'bob' AND store = 'roster' AND key = 'alice@old.localhost'"
run 1 "$X" server-import "$PG/${DB}_bad" "$PG/${DB}_c"
has "$T/err" "alice@old.localhost: left out: $PG/${DB}_bad: table prosodyarchive, sort_id $sid (alice@old.localhost, store archive), value at 1:"
has "$T/err" "bob@old.localhost: left out: $PG/${DB}_bad: table prosody, bob@old.localhost store roster key 'alice@old.localhost':"
has "$T/err" "2 of 7 accounts could not be read"
psql_ -At -d "${DB}_c" -c "SELECT DISTINCT \"user\" FROM prosody ORDER BY 1" | tr '\n' ' ' >"$T/users"
has "$T/users" "carol dave erin frank grace"
hasnt "$T/users" "alice"
hasnt "$T/users" "bob"
[ "$(psql_ -At -d "${DB}_c" -c "SELECT count(*) FROM prosodyarchive WHERE \"user\" IN ('alice', 'bob')")" = 0 ] &&
    ok || bad "alice or bob imported in part"
run 3 "$X" server-export "$PG/${DB}_bad" -o "$T/bad.xml"
has "$T/err" "table prosodyarchive, sort_id $sid"
[ ! -e "$T/bad.xml" ] && ok || bad "an export with an unreadable account left a file"

# a binary SCRAM salt (ejabberd's kind): PostgreSQL's TEXT cannot keep it
cat >"$T/bin.xml" <<'XML'
<server-data xmlns='urn:xmpp:pie:0'><host jid='e.example'>
<user name='eve'><scram-credentials xmlns='urn:xmpp:pie:0#scram' mechanism='SCRAM-SHA-1'><iter-count>4096</iter-count><salt>QSXCR+Q6sek8bf92</salt><server-key>0pXWGK0GZJ6TR73AIUN3ITYtA1g=</server-key><stored-key>Q6qT/SbybblGCZz8e8eSfCJOQic=</stored-key></scram-credentials>
<query xmlns='jabber:iq:roster'><item jid='x@e.example' subscription='both'/></query></user>
<user name='pat' password='s3cret'/></host></server-data>
XML
run 7 "$X" server-import "$T/bin.xml" "$PG/${DB}_c"
has "$T/err" "the SCRAM salt is binary, and Prosody on PostgreSQL keeps text only"
psql_ -At -d "${DB}_c" -c "SELECT \"user\", store FROM prosody WHERE host = 'e.example' ORDER BY 1, 2" | tr '\n' ' ' >"$T/rows"
has "$T/rows" "eve|roster"
has "$T/rows" "pat|accounts"
hasnt "$T/rows" "eve|accounts"

# a run that stops at a write error (a time after 2038: Prosody's "when" is
# INTEGER on PostgreSQL) keeps the accounts it completed, whole and
# journaled, and nothing of the one that failed; the next run writes that
# one only
msg() { # ID STAMP
    printf "<archive xmlns='urn:xmpp:pie:0#mam'><result xmlns='urn:xmpp:mam:2' id='%s'><forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' stamp='%s'/><message xmlns='jabber:client' from='x@w.example' to='y@w.example' type='chat'><body>hi</body></message></forwarded></result></archive>" "$1" "$2"
}
{
    echo "<server-data xmlns='urn:xmpp:pie:0'><host jid='w.example'>"
    for u in u1 u2 u3; do echo "<user name='$u' password='p'>$(msg "$u-1" 2020-01-01T00:00:00Z)</user>"; done
    echo "<user name='u4' password='p'>$(msg u4-1 2100-01-01T00:00:00Z)</user>"
    echo "</host></server-data>"
} >"$T/late.xml"
run 3 "$X" server-import "$T/late.xml" "$PG/${DB}_b"
has "$T/err" "u4@w.example store archive has a time Prosody's \"when\" column (INTEGER) cannot hold"
[ "$(psql_ -At -d "${DB}_b" -c "SELECT count(DISTINCT \"user\") FROM prosody WHERE host = 'w.example'")" = 3 ] &&
    ok || bad "a run that failed did not keep the accounts it completed"
[ "$(psql_ -At -d "${DB}_b" -c "SELECT count(*) FROM prosody WHERE host = 'w.example' AND \"user\" = 'u4'")" = 0 ] &&
    ok || bad "a run that failed kept part of the account that failed"
sed -i 's/2100-01-01/2030-01-01/' "$T/late.xml"
run 0 "$X" server-import "$T/late.xml" "$PG/${DB}_b"
hasre "$T/err" "server-import: 1 accounts \(and 3 by an earlier run\) in"
[ "$(psql_ -At -d "${DB}_b" -c "SELECT count(*) FROM prosodyarchive WHERE host = 'w.example'")" = 4 ] &&
    ok || bad "the accounts of the failed run are missing"

# a running Prosody on this database: refused with its pid (a stand-in:
# a process whose command is prosody, with a configuration naming it)
mkdir "$T/bin"
printf '#!/bin/sh\nsleep 60 &\ntrap '"'"'kill $!; exit 0'"'"' TERM\nwait\n' >"$T/bin/prosody"
cat >"$T/other.cfg.lua" <<EOF
-- sql = { driver = "PostgreSQL"; database = "${DB}_c"; host = "localhost"; port = $XPORTA_PG_PORT }
sql = { driver = "PostgreSQL"; database = "${DB}_c"; host = "localhost"; port = 1 }
EOF
sh "$T/bin/prosody" --config "$T/other.cfg.lua" </dev/null >/dev/null 2>&1 &
FAKE=$!
run 0 "$X" server-import "$T/a.xml" "$PG/${DB}_c"
kill "$FAKE"
cat >"$T/prosody.cfg.lua" <<EOF
storage = "sql"
sql = {
    driver = "PostgreSQL", database = "${DB}_c",
    username = "$XPORTA_PG_USER"; host = "localhost"; port = $XPORTA_PG_PORT
}
EOF
sh "$T/bin/prosody" --config "$T/prosody.cfg.lua" </dev/null >/dev/null 2>&1 &
FAKE=$!
run 8 "$X" server-import "$T/a.xml" "$PG/${DB}_c"
has "$T/err" "Prosody is running on $PG/${DB}_c (pid $FAKE, configuration $T/prosody.cfg.lua)"
kill "$FAKE"
FAKE=
# one writer per database, from any machine: an advisory lock
psql_ -q -d "${DB}_c" -c "SELECT pg_advisory_lock(8102700245617254401), pg_sleep(2)" >/dev/null &
LOCKER=$!
i=0
until [ "$(psql_ -At -d "${DB}_c" -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")" = 1 ] || [ $i -ge 50 ]; do
    sleep 0.1
    i=$((i + 1))
done
run 8 "$X" server-import "$T/a.xml" "$PG/${DB}_c"
has "$T/err" "another xporta writes to this database"
wait "$LOCKER"

echo "server_pgsql: $n checks, $fails failed"
[ "$fails" -eq 0 ]

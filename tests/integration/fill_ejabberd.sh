#!/usr/bin/env bash
# fill_ejabberd.sh: an ejabberd SQL database filled by the real ejabberd 23.01 through
# real clients, for the tests of the ejabberd store drivers (issue 12).
#
#   fill_ejabberd.sh STORAGE SCHEMA OUT [XP_POPULATE]
#
# STORAGE is sqlite or pgsql (ejabberd's storage, XPORTA_EJABBERD_STORAGE), SCHEMA default
# or new (XPORTA_EJABBERD_SQL_SCHEMA; see tests/servers/README.md). OUT is a new or empty
# directory. XP_POPULATE is the built test tool (default: $XP_POPULATE, else
# build/tests/xp_populate). The servers run in $XPORTA_SERVERS_DIR (default OUT/servers)
# and are stopped at the end, unless KEEP=1. XPORTA_EJABBERD_SCRAM_HASH passes through.
#
# What is made: accounts alice, bob, carol, dave, erin, frank, grace, troll on
# new.localhost and paula on new2.localhost, all with password $PASS (default
# xporta-pass); alice's roster (both/to/from/none, pending out to frank, pending in from
# grace with status and nick), vCard (and the avatar mod_avatar mirrors from it), private
# XML, blocklist (spam@spam.example, troll@new.localhost; gone@spam.example blocked and
# unblocked), privacy lists (alice: "work", "invisible"; carol: "quiet", default), an
# offline message from bob and one from paula, PEP nodes with their configurations and
# items (avatar, nick, vcard4, OMEMO devices and moved open, bookmarks whitelist with
# max_items=max), the MAM archive (20 messages with bob, plus paula's) and MAM
# preferences; paula: a roster item, private XML, a vCard. See
# tests/data/scenarios/fill-common.xml, fill-ejabberd.xml, fill-offline.xml and
# fill-ejabberd-server.xml.
#
# Written to OUT:
#   ejabberd.db     sqlite: a copy of the database (ejabberd stopped)
#   ejabberd.sql    sqlite: sqlite3 .dump of it (schema and rows);
#                   pgsql: pg_dump --data-only --inserts of database ejabberd (rows only:
#                   the schema is /usr/share/ejabberd/sql/pg[.new].sql)
#   ejabberd-schema.sql  pgsql: pg_dump --schema-only (what pg[.new].sql made)
#   export/         ejabberd's own XEP-0227 export of both vhosts (export_piefxis): an oracle
#   probe-alice.json  what a client sees of alice (xmpp_probe.py --no-presence, so the
#                   offline messages stay queued)
#   servers.env     the settings the servers ran with
set -euo pipefail

PROG=${0##*/}
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
note() { printf '%s: %s\n' "$PROG" "$*"; }

[ $# -ge 3 ] && [ $# -le 4 ] || die "usage: $PROG sqlite|pgsql default|new OUT [XP_POPULATE]"
STORAGE=$1 SCHEMA=$2 OUT=$3
case $STORAGE in sqlite | pgsql) ;; *) die "STORAGE must be sqlite or pgsql, not '$STORAGE'" ;; esac
case $SCHEMA in default | new) ;; *) die "SCHEMA must be default or new, not '$SCHEMA'" ;; esac

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SERVERS=$ROOT/tests/servers/xporta-servers
SCEN=$ROOT/tests/data/scenarios
PROBE=$HERE/xmpp_probe.py
POP=${4:-${XP_POPULATE:-$ROOT/build/tests/xp_populate}}
[ -x "$POP" ] || die "xp_populate not found at $POP: build it (cmake --build build --target xp_populate) or pass its path"
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import slixmpp' 2>/dev/null ||
    die "the probe needs Debian's python3-slixmpp (apt-get install python3-slixmpp)"

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
[ -z "$(ls -A "$OUT")" ] || die "$OUT is not empty"
export XPORTA_SERVERS_DIR=${XPORTA_SERVERS_DIR:-$OUT/servers}
export XPORTA_EJABBERD_STORAGE=$STORAGE XPORTA_EJABBERD_SQL_SCHEMA=$SCHEMA
PASS=${PASS:-xporta-pass}

srv() { bash "$SERVERS" "$@"; }

cleanup() {
    local rc=$?
    if [ "${KEEP:-0}" != 1 ]; then
        srv stop all >/dev/null 2>&1 || true
    fi
    if [ $rc -ne 0 ]; then
        printf '%s: failed; logs:\n' "$PROG" >&2
        srv logs all >&2 2>/dev/null || true
    fi
    rm -f "$OUT/.pass"
}
trap cleanup EXIT

t0=$(date +%s.%N)
srv start ejabberd
set -a
# shellcheck disable=SC1091
. "$XPORTA_SERVERS_DIR/servers.env"
set +a
D1=$XPORTA_EJABBERD_DOMAIN D2=$XPORTA_EJABBERD_DOMAIN2

for u in alice bob carol dave erin frank grace troll; do srv adduser ejabberd "$u@$D1" "$PASS" >/dev/null; done
srv adduser ejabberd "paula@$D2" "$PASS" >/dev/null
note "accounts made; filling (xp_populate)"
"$POP" "$XPORTA_SERVERS_DIR/servers.env" "$SCEN/fill-ejabberd.xml" PASS="$PASS" >"$OUT/fill.log" 2>&1 ||
    { tail -n 30 "$OUT/fill.log" >&2; die "fill-ejabberd.xml failed; see $OUT/fill.log"; }
"$POP" "$XPORTA_SERVERS_DIR/servers.env" "$SCEN/fill-ejabberd-server.xml" PASS="$PASS" >>"$OUT/fill.log" 2>&1 ||
    { tail -n 30 "$OUT/fill.log" >&2; die "fill-ejabberd-server.xml failed; see $OUT/fill.log"; }

(umask 077 && printf '%s\n' "$PASS" >"$OUT/.pass")
/usr/bin/python3 "$PROBE" --servers-env "$XPORTA_SERVERS_DIR/servers.env" --jid "alice@$D1" \
    --password-file "$OUT/.pass" --no-presence -o "$OUT/probe-alice.json" ||
    die "xmpp_probe.py failed on alice@$D1 (exit $?)"
srv export ejabberd "$OUT/export" all >/dev/null

# A consistent copy needs ejabberd stopped (SQLite: nothing left in its journal).
srv stop ejabberd >/dev/null
case $STORAGE in
    sqlite)
        cp "$XPORTA_EJABBERD_SQLITE" "$OUT/ejabberd.db"
        sqlite3 "$OUT/ejabberd.db" .dump >"$OUT/ejabberd.sql"
        ;;
    pgsql)
        pgd() {
            PGPASSFILE=$XPORTA_PG_PASSFILE pg_dump --no-owner --no-privileges -h "$XPORTA_PG_HOST" \
                -p "$XPORTA_PG_PORT" -U "$XPORTA_PG_EJABBERD_USER" -d "$XPORTA_PG_EJABBERD_DB" "$@"
        }
        pgd --data-only --inserts -f "$OUT/ejabberd.sql" || die "pg_dump of $XPORTA_PG_EJABBERD_DB failed"
        pgd --schema-only -f "$OUT/ejabberd-schema.sql" || die "pg_dump --schema-only of $XPORTA_PG_EJABBERD_DB failed"
        ;;
esac
cp "$XPORTA_SERVERS_DIR/servers.env" "$OUT/servers.env"
t1=$(date +%s.%N)
note "$STORAGE/$SCHEMA: done in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s; results in $OUT:"
ls -1 "$OUT" | sed 's/^/    /'
if [ "${KEEP:-0}" = 1 ]; then note "servers left running in $XPORTA_SERVERS_DIR (KEEP=1)"; fi

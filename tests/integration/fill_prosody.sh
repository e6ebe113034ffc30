#!/usr/bin/env bash
# fill_prosody.sh: a Prosody data store filled by the real Prosody 0.12 through real
# clients, for the tests of the store drivers (issue 11).
#
#   fill_prosody.sh MODE OUT [XP_POPULATE]
#
# MODE is internal, sqlite or pgsql (Prosody's storage, see tests/servers/README.md).
# OUT is a new or empty directory. XP_POPULATE is the built test tool (default: $XP_POPULATE,
# else build/tests/xp_populate). The servers run in $XPORTA_SERVERS_DIR (default
# OUT/servers) and are stopped at the end, unless KEEP=1.
#
# What is made, in every mode: accounts alice, bob, carol, dave, erin, frank, grace, troll
# on old.localhost (SCRAM, password $PASS, default xporta-pass) and paula on old2.localhost
# (plain-text password); alice's roster (both/to/from/none, pending out to frank, pending in
# from grace with status and nick), vCard (kept as PEP by mod_vcard_legacy), private XML,
# blocklist (spam@spam.example, troll@old.localhost), privacy lists (alice: two, carol:
# a default), an offline message from bob and one from paula, PEP nodes with their
# configurations and items (avatar, nick, vcard4, OMEMO devices, moved, bookmarks), the
# MAM archive (20 messages with bob, plus paula's) and MAM preferences. See
# tests/data/scenarios/fill-common.xml, fill-prosody.xml, fill-offline.xml and
# fill-prosody-server.xml.
#
# Written to OUT:
#   data/           internal: a copy of Prosody's data directory (Prosody stopped)
#   prosody.sqlite  sqlite: a copy of the database (Prosody stopped)
#   prosody.sql     pgsql: pg_dump of Prosody's database (plain SQL, no owner)
#   xep0227/        prosody-migrator's export of every user (USER@DOMAIN.xml): an oracle
#   probe-alice.json  what a client sees of alice (xmpp_probe.py --no-presence, so the
#                   offline messages stay queued)
#   servers.env     the settings the servers ran with
set -euo pipefail

PROG=${0##*/}
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
note() { printf '%s: %s\n' "$PROG" "$*"; }

[ $# -ge 2 ] && [ $# -le 3 ] || die "usage: $PROG internal|sqlite|pgsql OUT [XP_POPULATE]"
MODE=$1 OUT=$2
case $MODE in internal | sqlite | pgsql) ;; *) die "MODE must be internal, sqlite or pgsql, not '$MODE'" ;; esac

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SERVERS=$ROOT/tests/servers/xporta-servers
SCEN=$ROOT/tests/data/scenarios
PROBE=$HERE/xmpp_probe.py
POP=${3:-${XP_POPULATE:-$ROOT/build/tests/xp_populate}}
[ -x "$POP" ] || die "xp_populate not found at $POP: build it (cmake --build build --target xp_populate) or pass its path"
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import slixmpp' 2>/dev/null ||
    die "the probe needs Debian's python3-slixmpp (apt-get install python3-slixmpp)"

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
[ -z "$(ls -A "$OUT")" ] || die "$OUT is not empty"
export XPORTA_SERVERS_DIR=${XPORTA_SERVERS_DIR:-$OUT/servers}
export XPORTA_PROSODY_STORAGE=$MODE XPORTA_PROSODY_PRIVACY=on XPORTA_PROSODY_PLAIN=on
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
srv start prosody
set -a
# shellcheck disable=SC1091
. "$XPORTA_SERVERS_DIR/servers.env"
set +a
D1=$XPORTA_PROSODY_DOMAIN D2=$XPORTA_PROSODY_DOMAIN2

for u in alice bob carol dave erin frank grace troll; do srv adduser prosody "$u@$D1" "$PASS" >/dev/null; done
srv adduser prosody "paula@$D2" "$PASS" >/dev/null
note "accounts made; filling (xp_populate)"
"$POP" "$XPORTA_SERVERS_DIR/servers.env" "$SCEN/fill-prosody.xml" PASS="$PASS" >"$OUT/fill.log" 2>&1 ||
    { tail -n 30 "$OUT/fill.log" >&2; die "fill-prosody.xml failed; see $OUT/fill.log"; }
"$POP" "$XPORTA_SERVERS_DIR/servers.env" "$SCEN/fill-prosody-server.xml" PASS="$PASS" >>"$OUT/fill.log" 2>&1 ||
    { tail -n 30 "$OUT/fill.log" >&2; die "fill-prosody-server.xml failed; see $OUT/fill.log"; }

(umask 077 && printf '%s\n' "$PASS" >"$OUT/.pass")
/usr/bin/python3 "$PROBE" --servers-env "$XPORTA_SERVERS_DIR/servers.env" --jid "alice@$D1" \
    --password-file "$OUT/.pass" --no-presence -o "$OUT/probe-alice.json" ||
    die "xmpp_probe.py failed on alice@$D1 (exit $?)"

# A consistent copy needs Prosody stopped (it caches and writes behind).
srv stop prosody >/dev/null
case $MODE in
    internal)
        cp -a "$XPORTA_PROSODY_DATA_DIR" "$OUT/data"
        rm -f "$OUT/data/prosody.sock"
        ;;
    sqlite)
        cp -a "$XPORTA_PROSODY_DATA_DIR/prosody.sqlite" "$OUT/prosody.sqlite"
        ;;
    pgsql)
        PGPASSFILE=$XPORTA_PG_PASSFILE pg_dump --no-owner --no-privileges -h "$XPORTA_PG_HOST" \
            -p "$XPORTA_PG_PORT" -U "$XPORTA_PG_PROSODY_USER" -d "$XPORTA_PG_PROSODY_DB" \
            -f "$OUT/prosody.sql" || die "pg_dump of $XPORTA_PG_PROSODY_DB failed"
        ;;
esac
srv export prosody "$OUT/xep0227" >/dev/null
cp "$XPORTA_SERVERS_DIR/servers.env" "$OUT/servers.env"
t1=$(date +%s.%N)
note "$MODE: done in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s; results in $OUT:"
ls -1 "$OUT" | sed 's/^/    /'
if [ "${KEEP:-0}" = 1 ]; then note "servers left running in $XPORTA_SERVERS_DIR (KEEP=1)"; fi

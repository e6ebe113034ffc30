#!/usr/bin/env bash
# ejabberd_sql_live.sh: ejabberd 23.01 on SQL (issue 12), one mode per run: a fresh
# ejabberd on STORAGE (sqlite|pgsql) with SCHEMA (default|new), filled through real
# clients by fill_ejabberd.sh, must hold as many rows per table as the committed
# fixture tests/data/ejabberd-sql/FIXTURE made the same way (the contents differ only in
# salts, times and ids).
#
#   ejabberd_sql_live.sh STORAGE SCHEMA XP_POPULATE DATA_DIR WORK_DIR
#
# Exit 77 (skipped) when ejabberd, its SQL driver, sqlite3 or PostgreSQL is missing.
set -euo pipefail
PROG=${0##*/}
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
skip() { printf '%s: skipped: %s\n' "$PROG" "$*"; exit 77; }

[ $# -eq 5 ] || die "usage: $PROG sqlite|pgsql default|new XP_POPULATE DATA_DIR WORK_DIR"
STORAGE=$1 SCHEMA=$2 POP=$3 DATA=$4 WORK=$5
HERE=$(cd "$(dirname "$0")" && pwd)

command -v ejabberdctl >/dev/null || [ -x /usr/sbin/ejabberdctl ] || skip "ejabberd is not installed"
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import slixmpp' 2>/dev/null || skip "python3-slixmpp is not installed"
case $STORAGE in
    sqlite)
        compgen -G "/usr/lib/erlang/lib/p1_sqlite3-*" >/dev/null || skip "erlang-p1-sqlite3 is not installed"
        command -v sqlite3 >/dev/null || skip "sqlite3 is not installed"
        fixture=lite-$SCHEMA.sql
        ;;
    pgsql)
        compgen -G "/usr/lib/erlang/lib/p1_pgsql-*" >/dev/null || skip "erlang-p1-pgsql is not installed"
        compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || skip "postgresql is not installed"
        fixture=pg-$SCHEMA.sql
        ;;
    *) die "STORAGE must be sqlite or pgsql" ;;
esac

out=$WORK/ejabberd-sql-$STORAGE-$SCHEMA
# A fresh server every time: the fill expects empty accounts.
if [ -d "$out-servers" ]; then
    XPORTA_SERVERS_DIR=$out-servers bash "$HERE/../servers/xporta-servers" stop all >/dev/null 2>&1 || true
fi
rm -rf "$out" "$out-servers"
XPORTA_SERVERS_DIR=$out-servers bash "$HERE/fill_ejabberd.sh" "$STORAGE" "$SCHEMA" "$out" "$POP"

counts() { grep -o '^INSERT INTO [^ (]*' "$1" | sed 's/public\.//; s/"//g' | sort | uniq -c; }
if ! diff <(counts "$DATA/ejabberd-sql/$fixture") <(counts "$out/ejabberd.sql"); then
    die "rows per table differ from tests/data/ejabberd-sql/$fixture (< fixture, > now; dump in $out)"
fi
# The schema is the one asked for: users has a server_host column iff new (a few tables,
# mix_* and others, have one in both schemas).
if [ "$STORAGE" = sqlite ]; then
    host=$(sqlite3 "$out/ejabberd.db" "SELECT count(*) FROM pragma_table_info('users') WHERE name = 'server_host'")
else
    host=$(awk '/^CREATE TABLE public.users \(/ { t = 1 } t && /server_host/ { n++ } t && /^\);/ { t = 0 } END { print n + 0 }' "$out/ejabberd-schema.sql")
fi
want=0
[ "$SCHEMA" = default ] || want=1
[ "$host" = "$want" ] || die "users.server_host: $host column(s), expected $want for the $SCHEMA schema"
# What a client sees: the probe read alice's roster, archive and PEP back.
/usr/bin/python3 - "$out/probe-alice.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
subs = {i["jid"].split("@")[0]: (i["subscription"], i["ask"]) for i in d["roster"]}
assert subs == {"bob": ("both", None), "carol": ("to", None), "dave": ("from", None),
                "erin": ("none", None), "frank": ("none", "subscribe")}, subs
assert len(d["mam"]["messages"]) == 22 and d["mam"]["complete"], d["mam"]["count"]
models = {n["node"]: n["config"].get("pubsub#access_model") for n in d["pep"]}
assert models.get("urn:xmpp:bookmarks:1") == "whitelist", models
assert sorted(d["blocklist"]) == ["spam@spam.example", "troll@new.localhost"], d["blocklist"]
assert not d["errors"], d["errors"]
PY
printf '%s: %s/%s: rows per table as in %s; probe ok\n' "$PROG" "$STORAGE" "$SCHEMA" "$fixture"

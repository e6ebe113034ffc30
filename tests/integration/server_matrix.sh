#!/usr/bin/env bash
# The interoperability matrix (shared/servers.md §4.3, issue 12): whole
# servers moved with xporta server-import between Prosody 0.12 and ejabberd
# 23.01 in all four directions, each with a host rename, each proven by the
# real target server and an independent client (xmpp_probe.py, slixmpp):
#
#   server_matrix.sh SERVERS_SCRIPT XPORTA XP_POPULATE PROBE
#
#  1. ejabberd (SQLite, default schema) -> Prosody (internal files),
#     new.localhost -> old.localhost;
#  2. Prosody (internal files) -> ejabberd (PostgreSQL, new schema),
#     old.localhost -> new.localhost;
#  3. ejabberd (default schema) -> ejabberd (SQLite, new schema) whose
#     domains are moved.localhost and moved2.localhost;
#  4. Prosody (SQLite) -> ejabberd (PostgreSQL, default schema),
#     old.localhost -> new.localhost;
#  5. SCRAM-SHA-256: an ejabberd account made under auth_scram_hash sha256
#     logs in with SCRAM-SHA-256 on another such ejabberd after the move;
#     Prosody's SCRAM-SHA-1 credentials in an ejabberd configured for
#     sha256: no mechanism the client can use is offered (documented here,
#     and checked so that a change shows).
# One fill per source server (fill_ejabberd.sh, fill_prosody.sh): three
# fills, every direction runs from them.  In each direction, after the
# import the target server starts and the probe must show for alice: the
# old password (SCRAM-SHA-1), the roster with names, groups and every
# subscription state (pending out included), grace's pending request with
# its status, private XML, PEP nodes with their access models and items,
# the blocklist (listed and enforced both ways), the offline messages
# delivered at login, the whole archive in order with its original times
# (to the second into Prosody, which keeps whole seconds; ids made anew by
# ejabberd from Prosody's); the vCard record is compared in the target's
# own export (vcard-temp as a client sees it only ejabberd -> ejabberd:
# Prosody serves vcard-temp made from PEP vcard4).
# Each servers directory has its own Erlang node name (another ejabberd
# on this machine may hold the default one).  Exits 77 when Prosody,
# ejabberd, slixmpp or the SQL drivers are missing.
set -u
SCRIPT=$(realpath "$1") X=$(realpath "$2") POP=$(realpath "$3") PROBE=$(realpath "$4")
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
COMPARE=$HERE/probe_compare.py

skip() { echo "skip: $*"; exit 77; }
command -v prosody >/dev/null 2>&1 || skip "prosody is not installed"
command -v ejabberdctl >/dev/null 2>&1 || [ -x /usr/sbin/ejabberdctl ] || skip "ejabberd is not installed"
[ -x "$PY" ] && "$PY" -c 'import slixmpp' 2>/dev/null || skip "python3-slixmpp is not installed"
command -v sqlite3 >/dev/null 2>&1 || skip "sqlite3 is not installed"
compgen -G "/usr/lib/erlang/lib/p1_sqlite3-*" >/dev/null || skip "erlang-p1-sqlite3 is not installed"
compgen -G "/usr/lib/erlang/lib/p1_pgsql-*" >/dev/null || skip "erlang-p1-pgsql is not installed"
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || skip "postgresql is not installed"
lua5.4 -e "require 'dbd.sqlite3'" >/dev/null 2>&1 || skip "lua-dbi-sqlite3 is not installed"

T=$(mktemp -d "${TMPDIR:-/tmp}/xporta-matrix-XXXXXX")
chmod 711 "$T" # PostgreSQL runs as the user postgres when we are root
export XDG_STATE_HOME="$T/state"
DIRS="e p q r"
cleanup() {
    for d in $DIRS; do
        [ -f "$T/$d/srv/servers.env" ] && XPORTA_SERVERS_DIR=$T/$d/srv bash "$SCRIPT" stop all >/dev/null 2>&1
    done
    rm -rf "$T"
}
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap - EXIT
. "$HERE/checks.sh"
printf '%s\n' "${PASS:-xporta-pass}" >"$T/pass"
chmod 600 "$T/pass"
START=$(date +%s)
elapsed() { echo "$(($(date +%s) - START)) s"; }

# use D: the servers directory $T/D/srv (its own Erlang node) for what follows
use() {
    export XPORTA_SERVERS_DIR=$T/$1/srv XPORTA_EJABBERD_NODE=xporta-matrix-$$-$1@localhost
    unset XPORTA_PROSODY_STORAGE XPORTA_EJABBERD_STORAGE XPORTA_EJABBERD_SQL_SCHEMA \
        XPORTA_EJABBERD_SCRAM_HASH XPORTA_EJABBERD_DOMAIN XPORTA_EJABBERD_DOMAIN2
}
srv() { bash "$SCRIPT" "$@"; }
envof() { (set -a && . "$T/$1/srv/servers.env" && eval "echo \"\$$2\""); }
start() { # SERVER WHAT: start it, or fail the direction
    srv start "$1" >"$T/start.log" 2>&1 && return 0
    bad "$2: $1 does not start"
    sed 's/^/    /' "$T/start.log" | tail -15 >&2
    return 1
}
# probe NAME JID [ARGS...]: the probe on the servers of the current directory
probe() {
    local name=$1 jid=$2
    shift 2
    "$PY" "$PROBE" --servers-env "$XPORTA_SERVERS_DIR/servers.env" --jid "$jid" --password-file "$T/pass" \
        --mam-page 7 -o "$T/$name.json" "$@" >"$T/$name.probe.log" 2>&1
}
# compare WHAT BEFORE AFTER DOMAIN [ARGS...]
compare() {
    local what=$1
    shift
    if "$PY" "$COMPARE" "$@" >"$T/compare.log" 2>&1; then ok; else
        bad "$what: what the client sees differs"
        grep -v '^ok' "$T/compare.log" >&2
    fi
    sed "s/^/    $what: /" "$T/compare.log"
}
# vcards WHAT SOURCE_FILE TARGET_STORE [import args]: the vCard records of
# the target's own export equal the source's (renamed)
vcards() {
    local what=$1 src=$2 tgt=$3
    shift 3
    "$X" convert -q -f --only-kinds vcard "$@" "$src" -o "$T/vc-a.xml" &&
        "$X" server-export -q -f --only-kinds vcard "$tgt" -o "$T/vc-b.xml" &&
        "$X" diff "$T/vc-a.xml" "$T/vc-b.xml" >"$T/vc.out" 2>&1 &&
        grep -q "same records" "$T/vc.out" && ok || { bad "$what: the vCards differ"; cat "$T/vc.out" >&2; }
    grep -q "<vCard" "$T/vc-b.xml" && ok || bad "$what: no vCard in the target"
}

# ---- the sources: one fill each ---------------------------------------------

# ejabberd on SQLite, default schema (new.localhost, new2.localhost)
use e
XPORTA_EJABBERD_STORAGE=sqlite XPORTA_EJABBERD_SQL_SCHEMA=default \
    bash "$HERE/fill_ejabberd.sh" sqlite default "$T/e/fill" "$POP" >"$T/e.fill.log" 2>&1 ||
    { bad "fill_ejabberd.sh failed"; tail -20 "$T/e.fill.log" >&2; exit 1; }
EJD=ejabberd+sqlite:$T/e/fill/ejabberd.db
# Prosody on its internal files (old.localhost, old2.localhost)
use p
bash "$HERE/fill_prosody.sh" internal "$T/p/fill" "$POP" >"$T/p.fill.log" 2>&1 ||
    { bad "fill_prosody.sh internal failed"; tail -20 "$T/p.fill.log" >&2; exit 1; }
# Prosody on SQLite
use q
bash "$HERE/fill_prosody.sh" sqlite "$T/q/fill" "$POP" >"$T/q.fill.log" 2>&1 ||
    { bad "fill_prosody.sh sqlite failed"; tail -20 "$T/q.fill.log" >&2; exit 1; }
echo "sources filled: $(elapsed)"
for s in e p q; do
    "$PY" - "$T/$s/fill/probe-alice.json" <<'PY' && ok || bad "$s: the fill's probe read no vCard or private XML"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["vcard"] and all(d["private"].values()), (d["vcard"], d["private"])
PY
done

# ---- 1. ejabberd (SQLite, default) -> Prosody (internal) ---------------------
m="1 ejabberd->prosody"
use e
PDATA=$(envof e XPORTA_PROSODY_DATA_DIR)
mkdir -p "$PDATA"
R1="--rename-host new.localhost=old.localhost --rename-host new2.localhost=old2.localhost"
# shellcheck disable=SC2086
run 0 "$X" server-import --host new.localhost $R1 "$EJD" "prosody:$PDATA"
hasre "$T/err" "server-import: 9 accounts in"
hasre "$T/err" "archive +44 +44 "
# shellcheck disable=SC2086
"$X" server-export -q --host new.localhost "$EJD" -o "$T/e.xml"
# shellcheck disable=SC2086
vcards "$m" "$T/e.xml" "prosody:$PDATA" $R1
if start prosody "$m"; then
    probe d1 alice@old.localhost --peer-jid troll@old.localhost --peer-password-file "$T/pass" ||
        bad "$m: xmpp_probe.py exited $?"
    compare "$m" "$T/e/fill/probe-alice.json" "$T/d1.json" old.localhost --no-nick --whole-seconds \
        --map new.localhost=old.localhost --map new2.localhost=old2.localhost
    srv stop prosody >/dev/null 2>&1
fi
echo "$m: $(elapsed)"

# ---- 2. Prosody (internal) -> ejabberd (PostgreSQL, new schema) --------------
m="2 prosody->ejabberd"
use p
export XPORTA_EJABBERD_STORAGE=pgsql XPORTA_EJABBERD_SQL_SCHEMA=new
if start postgres "$m"; then
    srv psql -q -U ejabberd -d ejabberd -1 -f /usr/share/ejabberd/sql/pg.new.sql >"$T/schema.log" 2>&1 ||
        { bad "$m: loading pg.new.sql"; cat "$T/schema.log" >&2; }
    export PGPASSFILE=$(envof p XPORTA_PG_PASSFILE)
    PG=ejabberd+pgsql://ejabberd@127.0.0.1:$(envof p XPORTA_PG_PORT)/ejabberd
    R2="--rename-host old.localhost=new.localhost --rename-host old2.localhost=new2.localhost"
    # shellcheck disable=SC2086
    run 0 "$X" server-import $R2 "prosody:$T/p/fill/data" "$PG"
    hasre "$T/err" "server-import: 9 accounts in"
    hasre "$T/err" "archive +[0-9]+ +[0-9]+ +0 +0 +0 +0"
    if start ejabberd "$m"; then
        probe d2 alice@new.localhost --peer-jid troll@new.localhost --peer-password-file "$T/pass" ||
            bad "$m: xmpp_probe.py exited $?"
        compare "$m" "$T/p/fill/probe-alice.json" "$T/d2.json" new.localhost --no-nick --new-ids \
            --whole-seconds --ignore-node storage:bookmarks --map old.localhost=new.localhost --map old2.localhost=new2.localhost
        srv stop ejabberd >/dev/null 2>&1
    fi
fi
echo "$m: $(elapsed)"

# ---- 3. ejabberd (default) -> ejabberd (SQLite, new schema), another domain --
m="3 ejabberd->ejabberd"
use r
export XPORTA_EJABBERD_STORAGE=sqlite XPORTA_EJABBERD_SQL_SCHEMA=new
export XPORTA_EJABBERD_DOMAIN=moved.localhost XPORTA_EJABBERD_DOMAIN2=moved2.localhost
RDB=$T/r/srv/ejabberd/ejabberd.db
mkdir -p "$T/r/srv/ejabberd"
sqlite3 -batch -bail "$RDB" </usr/share/ejabberd/sql/lite.new.sql || bad "$m: loading lite.new.sql"
R3="--rename-host new.localhost=moved.localhost --rename-host new2.localhost=moved2.localhost"
# shellcheck disable=SC2086
run 0 "$X" server-import --host new.localhost $R3 "$EJD" "ejabberd+sqlite:$RDB"
hasre "$T/err" "server-import: 9 accounts in"
hasre "$T/err" "archive +44 +44 "
# shellcheck disable=SC2086
vcards "$m" "$T/e.xml" "ejabberd+sqlite:$RDB" $R3
if start ejabberd "$m"; then
    probe d3 alice@moved.localhost --peer-jid troll@moved.localhost --peer-password-file "$T/pass" ||
        bad "$m: xmpp_probe.py exited $?"
    compare "$m" "$T/e/fill/probe-alice.json" "$T/d3.json" moved.localhost --no-nick --vcard \
        --map new.localhost=moved.localhost --map new2.localhost=moved2.localhost
    srv stop ejabberd >/dev/null 2>&1
fi
echo "$m: $(elapsed)"

# ---- 4. Prosody (SQLite) -> ejabberd (PostgreSQL, default schema) -------------
m="4 prosody-sql->ejabberd"
use q
export XPORTA_EJABBERD_STORAGE=pgsql XPORTA_EJABBERD_SQL_SCHEMA=default
if start postgres "$m"; then
    srv psql -q -U ejabberd -d ejabberd -1 -f /usr/share/ejabberd/sql/pg.sql >"$T/schema.log" 2>&1 ||
        { bad "$m: loading pg.sql"; cat "$T/schema.log" >&2; }
    export PGPASSFILE=$(envof q XPORTA_PG_PASSFILE)
    PG=ejabberd+pgsql://ejabberd@127.0.0.1:$(envof q XPORTA_PG_PORT)/ejabberd
    # the default schema keeps one domain per database: both into new.localhost
    R4="--rename-host old.localhost=new.localhost --rename-host old2.localhost=new.localhost"
    # shellcheck disable=SC2086
    run 0 "$X" server-import $R4 "prosody+sqlite:$T/q/fill/prosody.sqlite" "$PG"
    hasre "$T/err" "server-import: 9 accounts in"
    hasre "$T/err" "archive +[0-9]+ +[0-9]+ +0 +0 +0 +0"
    if start ejabberd "$m"; then
        probe d4 alice@new.localhost --peer-jid troll@new.localhost --peer-password-file "$T/pass" ||
            bad "$m: xmpp_probe.py exited $?"
        # Prosody on SQL does not serve MAM's "never" JIDs (it drops false
        # values when reading: tests/servers/README.md), but keeps them: the
        # data has erin, and ejabberd serves it
        "$PY" - "$T/q/fill/probe-alice.json" "$T/d4.before.json" <<'PY' && ok || bad "$m: the source's MAM prefs"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["mam_prefs"]["never"] == [], d["mam_prefs"]
d["mam_prefs"]["never"] = ["erin@old.localhost"]
json.dump(d, open(sys.argv[2], "w"))
PY
        compare "$m" "$T/d4.before.json" "$T/d4.json" new.localhost --no-nick --new-ids \
            --whole-seconds --ignore-node storage:bookmarks \
            --map old.localhost=new.localhost --map old2.localhost=new.localhost
        srv stop ejabberd >/dev/null 2>&1
    fi
fi
echo "$m: $(elapsed)"

# ---- 5. SCRAM-SHA-256 ----------------------------------------------------------
# An account made by ejabberd under auth_scram_hash sha256 (E's server again,
# on its own database), moved into R (the same hash): it logs in with
# SCRAM-SHA-256.  Prosody's alice (SCRAM-SHA-1) moved into R as
# alice@moved2.localhost: ejabberd under sha256 offers SCRAM-SHA-256 (and
# PLAIN) only, and the SHA-1 credentials answer neither SCRAM.
m="5 scram-sha-256"
use e
export XPORTA_EJABBERD_STORAGE=sqlite XPORTA_EJABBERD_SQL_SCHEMA=default XPORTA_EJABBERD_SCRAM_HASH=sha256
if start ejabberd "$m"; then
    srv adduser ejabberd sam@new.localhost "${PASS:-xporta-pass}" >/dev/null 2>&1 || bad "$m: adduser sam"
    srv stop ejabberd >/dev/null 2>&1
    EDB=$(envof e XPORTA_EJABBERD_SQLITE)
    [ "$(sqlite3 "$EDB" "SELECT substr(password, 1, 7) FROM users WHERE username = 'sam'")" = "sha256:" ] &&
        ok || bad "$m: ejabberd did not make SHA-256 credentials for sam"
    use r
    export XPORTA_EJABBERD_STORAGE=sqlite XPORTA_EJABBERD_SQL_SCHEMA=new XPORTA_EJABBERD_SCRAM_HASH=sha256
    export XPORTA_EJABBERD_DOMAIN=moved.localhost XPORTA_EJABBERD_DOMAIN2=moved2.localhost
    run 0 "$X" server-import --host new.localhost --users sam@new.localhost \
        --rename-host new.localhost=moved.localhost "ejabberd+sqlite:$EDB" "ejabberd+sqlite:$RDB"
    run 0 "$X" server-import --users alice@old.localhost --only-kinds credentials,roster \
        --rename-host old.localhost=moved2.localhost "prosody:$T/p/fill/data" "ejabberd+sqlite:$RDB"
    [ "$(sqlite3 "$RDB" "SELECT substr(password, 1, 7) FROM users WHERE username = 'sam'")" = "sha256:" ] &&
        ok || bad "$m: sam's SHA-256 credentials were not written as ejabberd keeps them"
    if start ejabberd "$m"; then
        probe s1 sam@moved.localhost --mechanism SCRAM-SHA-256 && ok ||
            { bad "$m: sam does not log in with SCRAM-SHA-256 (exit $?)"; cat "$T/s1.probe.log" >&2; }
        "$PY" - "$T/s1.json" <<'PY' && ok || bad "$m: sam's login"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["login"]["ok"] and d["login"]["mechanism"] == "SCRAM-SHA-256", d["login"]
PY
        for mech in SCRAM-SHA-1 SCRAM-SHA-256; do
            probe s2 alice@moved2.localhost --mechanism $mech
            rc=$?
            [ $rc -ne 0 ] && ok || bad "$m: Prosody's SHA-1 alice logged in with $mech on a sha256 ejabberd"
            echo "    $m: Prosody's SCRAM-SHA-1 alice on ejabberd (sha256), $mech: exit $rc, $(
                "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["login"])' "$T/s2.json" 2>/dev/null)"
        done
        srv stop ejabberd >/dev/null 2>&1
    fi
fi
echo "$m: $(elapsed)"

echo "server_matrix: $n checks, $fails failed, $(elapsed)"
[ "$fails" -eq 0 ]

#!/usr/bin/env bash
# xporta server-export and server-import on Prosody's SQL storage, SQLite
# and PostgreSQL, each against a real Prosody 0.12 of its own in that mode
# (stopped and started again, so not the shared fixtures):
#
#   server_sql.sh SERVERS_SCRIPT XPORTA XP_POPULATE PROBE TESTDATA [MODE...]
#
# For each mode (default: sqlite pgsql):
#  1. Prosody filled by real clients (fill_prosody.sh) is exported while it
#     runs: `xporta check` accepts the file, every kind is there;
#  2. an import while it runs is refused, naming the process;
#  3. Prosody stopped, its tables emptied (SQLite: a new file; PostgreSQL:
#     the tables dropped), a dry run changes nothing, the import fills them;
#  4. exported again at once, the file equals the first (xporta diff); a
#     second import finds everything the same and writes nothing;
#  5. Prosody started on the result and read by an independent client
#     (xmpp_probe.py, slixmpp): the old passwords work with SCRAM-SHA-1
#     (alice; paula, whose password was kept in plain text), MAM returns
#     every message in the original order with the original ids and
#     timestamps, the offline messages are delivered at login, the pending
#     request is presented, PEP nodes have their access models and items,
#     the roster, MAM preferences and blocklist are the same, and the
#     blocklist is enforced both ways;
#  6. exported after that, the file still equals the first but for the
#     offline messages (delivered) and what the server did meanwhile (the
#     probe's peer logged in; mod_blocklist migrated a privacy list).
# Then a copy across stores: Prosody's internal storage (tests/data/
# prosody-internal) -> SQLite -> PostgreSQL -> a file equal to the start.
# Exits 77 when the packages of every mode asked for are missing.
set -u
SCRIPT=$(realpath "$1") X=$(realpath "$2") POP=$(realpath "$3") PROBE=$(realpath "$4") DATA=$(realpath "$5")
shift 5
MODES=${*:-sqlite pgsql}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3

usable() {
    command -v prosody >/dev/null 2>&1 || return 1
    [ -x "$PY" ] && "$PY" -c 'import slixmpp' 2>/dev/null || return 1
    case $1 in
    sqlite) lua5.4 -e "require 'dbd.sqlite3'" >/dev/null 2>&1 ;;
    pgsql)
        lua5.4 -e "require 'dbd.postgresql'" >/dev/null 2>&1 &&
            ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1
        ;;
    esac
}
todo=
for m in $MODES; do
    if usable "$m"; then todo="$todo $m"; else echo "note: mode $m skipped (packages missing)"; fi
done
[ -n "$todo" ] || { echo "skip: prosody, slixmpp or the database drivers are missing"; exit 77; }

T=$(mktemp -d "${TMPDIR:-/tmp}/xporta-server-sql-XXXXXX")
chmod 711 "$T" # PostgreSQL runs as the user postgres when we are root
export XDG_STATE_HOME="$T/state"
cleanup() {
    for m in sqlite pgsql; do
        [ -f "$T/$m/srv/servers.env" ] && XPORTA_SERVERS_DIR=$T/$m/srv bash "$SCRIPT" stop all >/dev/null 2>&1
    done
    rm -rf "$T"
}
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap - EXIT
. "$HERE/checks.sh"

# every kind's row of the import table: written 0, same = source
all_same() {
    awk '/^  [a-z-]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+$/ {
        rows++; if ($3 != 0 || $4 != $2) bad = bad " " $1 }
        END { if (!rows || bad) { print "not all same:" bad; exit 1 } }' "$1" >"$T/same.out" &&
        ok || bad "second import: $(cat "$T/same.out")"
}

one_mode() {
    local mode=$1 W=$T/$1 t0
    t0=$(date +%s)
    mkdir -p "$W"
    export XPORTA_SERVERS_DIR=$W/srv XPORTA_PROSODY_STORAGE=$mode
    export XPORTA_PROSODY_PRIVACY=on XPORTA_PROSODY_PLAIN=on
    srv() { bash "$SCRIPT" "$@"; }
    # Prosody filled by real clients, then stopped (PostgreSQL left running)
    KEEP=1 bash "$HERE/fill_prosody.sh" "$mode" "$W/fill" "$POP" >"$W/fill.log" 2>&1 ||
        { bad "$mode: fill_prosody.sh failed"; tail -20 "$W/fill.log" >&2; return; }
    set -a
    . "$XPORTA_SERVERS_DIR/servers.env"
    set +a
    [ "$mode" = pgsql ] && pg_up=1
    local D=$XPORTA_PROSODY_DOMAIN D2=$XPORTA_PROSODY_DOMAIN2 STORE DB
    case $mode in
    sqlite)
        DB=$XPORTA_PROSODY_DATA_DIR/prosody.sqlite
        STORE=prosody+sqlite:$DB
        ;;
    pgsql)
        STORE=prosody+pgsql://$XPORTA_PG_PROSODY_USER@$XPORTA_PG_HOST:$XPORTA_PG_PORT/$XPORTA_PG_PROSODY_DB
        ;;
    esac
    printf '%s\n' "${PASS:-xporta-pass}" >"$W/pass"
    chmod 600 "$W/pass"
    srv start prosody >"$W/start1.log" 2>&1 || { bad "$mode: prosody does not start"; cat "$W/start1.log" >&2; return; }

    # 1. exported while it runs
    run 0 "$X" server-export "$STORE" -o "$W/a.xml"
    run 0 "$X" check "$W/a.xml"
    "$X" stats "$W/a.xml" >"$W/stats" 2>&1
    hasre "$W/stats" "alice@$D: credentials 1, roster 5, pending 1, private 2, privacy [0-9]+, blocklist 2, offline 2, pep-node [0-9]+, pep-affiliations [0-9]+, pep-item [0-9]+, archive 2[0-9], mam-prefs 1"
    hasre "$W/stats" "paula@$D2: credentials 1"
    has "$W/stats" "9 users"
    [ "$(stat -c %a "$W/a.xml")" = 600 ] && ok || bad "$mode: the export is not 0600"

    # 2. refused while Prosody runs
    run 8 "$X" server-import "$W/a.xml" "$STORE"
    has "$T/err" "Prosody is running on"
    has "$T/err" "(pid $(pgrep -f "prosody --config $XPORTA_SERVERS_DIR/prosody/prosody.cfg.lua" | head -n 1),"

    # 3. into empty tables; a dry run first
    srv stop prosody >/dev/null 2>&1
    case $mode in
    sqlite) mv "$DB" "$DB.orig" ;;
    pgsql) srv psql -q -U "$XPORTA_PG_PROSODY_USER" -d "$XPORTA_PG_PROSODY_DB" -c 'DROP TABLE prosody, prosodyarchive' ;;
    esac
    run 0 "$X" server-import --dry-run "$W/a.xml" "$STORE"
    has "$T/err" "dry run: nothing was changed"
    case $mode in
    sqlite) [ ! -e "$DB" ] && ok || bad "sqlite: a dry run made $DB" ;;
    pgsql)
        [ "$(srv psql -At -U "$XPORTA_PG_PROSODY_USER" -d "$XPORTA_PG_PROSODY_DB" -c "SELECT to_regclass('prosody') IS NULL")" = t ] &&
            ok || bad "pgsql: a dry run made tables"
        ;;
    esac
    run 0 "$X" server-import "$W/a.xml" "$STORE"
    hasre "$T/err" "server-import: 9 accounts in"
    hasre "$T/err" "archive +[0-9]+ +[0-9]+ +0 +0 +0 +0"
    cp "$T/err" "$W/import.log"
    [ "$mode" = sqlite ] && { [ "$(stat -c %a "$DB")" = 640 ] && ok || bad "sqlite: the new database is not 0640"; }

    # 4. the same back at once; a second import changes nothing
    run 0 "$X" server-export "$STORE" -o "$W/b.xml"
    run 0 "$X" diff "$W/a.xml" "$W/b.xml"
    has "$T/out" "same records"
    run 0 "$X" server-import "$W/a.xml" "$STORE"
    all_same "$T/err"

    # 5. the real server and an independent client on the result
    srv start prosody >"$W/start2.log" 2>&1 || { bad "$mode: prosody does not start on the import"; cat "$W/start2.log" >&2; return; }
    "$PY" "$PROBE" --servers-env "$XPORTA_SERVERS_DIR/servers.env" --jid "alice@$D" --password-file "$W/pass" \
        --mam-page 7 --peer-jid "troll@$D" --peer-password-file "$W/pass" -o "$W/after.json" >"$W/probe.log" 2>&1 ||
        bad "$mode: xmpp_probe.py alice exited $?"
    "$PY" "$PROBE" --servers-env "$XPORTA_SERVERS_DIR/servers.env" --jid "paula@$D2" --password-file "$W/pass" \
        --no-presence -o "$W/paula.json" >>"$W/probe.log" 2>&1 || bad "$mode: xmpp_probe.py paula exited $?"
    if "$PY" - "$W/fill/probe-alice.json" "$W/after.json" "$W/paula.json" "$D" "$D2" >"$W/compare.log" 2>&1 <<'PY'; then ok; else bad "$mode: what the client sees differs"; cat "$W/compare.log" >&2; fi
import json, sys
import xml.etree.ElementTree as ET
before, after, paula = (json.load(open(f)) for f in sys.argv[1:4])
D, D2 = sys.argv[4], sys.argv[5]
fails = []
def check(cond, what):
    print("%s  %s" % ("ok  " if cond else "FAIL", what))
    if not cond:
        fails.append(what)
for p, who in ((after, "alice"), (paula, "paula (plain-text password)")):
    check(p["login"]["ok"] and p["login"]["mechanism"] == "SCRAM-SHA-1", "%s logs in with the old password, SCRAM-SHA-1" % who)
    check(not p["errors"], "%s: every query answered %s" % (who, p["errors"] or ""))
def roster(p):
    return sorted((i["jid"], i["name"], i["subscription"], i["ask"], tuple(sorted(i["groups"]))) for i in p["roster"] or [])
check(roster(before) == roster(after), "the roster: %s" % roster(after))
fields = ("id", "stamp", "with", "from", "to", "type", "message_id", "body")
def mam(p):
    return [tuple(m.get(f) for f in fields) for m in (p["mam"] or {"messages": []})["messages"]]
b, a = mam(before), mam(after)
check(len(b) >= 22 and a[:len(b)] == b,
      "MAM: %d messages, the same ids, times and order (%d after)" % (len(b), len(a)))
check(after["mam"]["complete"] and after["mam"]["pages"] >= 3, "MAM: complete, over %s pages" % after["mam"]["pages"])
check(before["mam_prefs"] == after["mam_prefs"], "MAM preferences %s" % after["mam_prefs"])
def canon(xml):  # attribute order is Prosody's (a Lua table's)
    return ET.canonicalize(xml) if xml else xml
def pep(p):
    return {n["node"]: (n["access_model"], sorted((i["id"], canon(i["payload"])) for i in n["items"] or []))
            for n in p["pep"] or []}
pb, pa = pep(before), pep(after)
for node, (model, items) in sorted(pb.items()):
    got = pa.get(node)
    check(got is not None and got[0] == model and got[1] == items,
          "PEP %s: access model %s, %d item(s)" % (node, got and got[0], len(got[1]) if got else 0))
check(set(pa) == set(pb), "PEP: the same nodes")
check(before["blocklist"] == after["blocklist"] == sorted(["spam@spam.example", "troll@" + D]),
      "blocklist %s" % after["blocklist"])
pr = after["presented"]
subs = [s for s in pr["subscribe"] if s["from"] == "grace@" + D]
check(len(subs) == 1 and subs[0]["status"] == "Hi Alice, it is Grace" and subs[0]["nick"] == "Grace H.",
      "the pending request from grace presented at login, with status and nick")
for body in ("while you were away", "hello from the plain-text vhost"):
    off = [m for m in pr["messages"] if m["body"] == body]
    check(len(off) == 1 and off[0].get("delay", {}).get("stamp"), "offline message '%s' delivered at login" % body)
bc = after["block_checks"]
check(bc and not bc["from_peer"]["delivered"] and bc["from_peer"]["error"] is not None,
      "a message from the blocked JID is refused")
check(bc and not bc["to_peer"]["delivered"] and (bc["to_peer"]["error"] or {}).get("blocked"),
      "a message to the blocked JID is refused with <blocked/>")
sys.exit(1 if fails else 0)
PY

    # 6. exported after the logins: the same, but for the offline messages
    # (delivered) and what the server did on its own meanwhile: troll (the
    # probe's peer) logged in (a storage:bookmarks node, the block check's
    # message in its archive), and mod_blocklist made carol's blocklist of
    # her default privacy list when alice's presence reached her
    srv stop prosody >/dev/null 2>&1
    run 0 "$X" server-export "$STORE" -o "$W/c.xml"
    "$X" convert -q --users "troll@$D" "$W/c.xml" -o "$W/troll.xml"
    "$X" diff --json --exclude-kinds offline "$W/a.xml" "$W/c.xml" >"$W/diff.json" 2>&1
    if "$PY" - "$W/diff.json" "$W/troll.xml" "$D" >"$W/diff.log" 2>&1 <<'PY'; then ok; else bad "$mode: after the logins, the data differs"; cat "$W/diff.log" >&2; fi
import json, re, sys
diff = json.load(open(sys.argv[1]))
troll = set(re.findall(r"<result xmlns='urn:xmpp:mam:2' id='([^']*)'", open(sys.argv[2]).read()))
D = sys.argv[3]
left = []
for d in diff["differences"]:
    if d["delta"] == "only-b" and (d["key"].startswith("troll@" + D + ":") or
                                   (d["kind"] == "archive" and d["key"] in troll) or
                                   (d["kind"] == "blocklist" and d["key"].startswith("carol@" + D + ":"))):
        continue
    left.append(d)
for d in left:
    print("differs:", d)
sys.exit(1 if left else 0)
PY
    echo "$mode: done in $(($(date +%s) - t0)) s"
}

for m in $todo; do one_mode "$m"; done

# across stores: internal -> SQLite -> PostgreSQL -> a file, equal to the start
if [ -n "${pg_up:-}" ]; then
    export XPORTA_SERVERS_DIR=$T/pgsql/srv
    set -a
    . "$XPORTA_SERVERS_DIR/servers.env"
    set +a
    bash "$SCRIPT" psql -q -c "CREATE DATABASE xcopy" || bad "CREATE DATABASE"
    PG=prosody+pgsql://$XPORTA_PG_USER@$XPORTA_PG_HOST:$XPORTA_PG_PORT/xcopy
    run 0 "$X" server-export "prosody:$DATA/prosody-internal" -o "$T/start.xml"
    run 0 "$X" server-import "prosody:$DATA/prosody-internal" "prosody+sqlite:$T/copy.sqlite"
    run 0 "$X" server-import "prosody+sqlite:$T/copy.sqlite" "$PG"
    run 0 "$X" server-export "$PG" -o "$T/end.xml"
    run 0 "$X" diff "$T/start.xml" "$T/end.xml"
    has "$T/out" "same records"
fi

# shellcheck disable=SC2154 # n and fails: checks.sh
echo "server_sql: $n checks, $fails failed"
[ "$fails" -eq 0 ]

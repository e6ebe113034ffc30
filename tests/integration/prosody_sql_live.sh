#!/usr/bin/env bash
# Prosody on SQL storage, proven by a real client (issue 11): CTest glue and smoke test.
#
#   prosody_sql_live.sh start MODE SERVERS_SCRIPT DIR     fixture servers_MODE setup
#   prosody_sql_live.sh stop  MODE SERVERS_SCRIPT DIR     fixture cleanup
#   prosody_sql_live.sh run   MODE SERVERS_SCRIPT DIR XP_POPULATE SCENARIOS PROBE
#
# MODE is sqlite or pgsql (XPORTA_PROSODY_STORAGE). DIR is the servers' private directory,
# one per mode, under the build tree; for pgsql it holds the PostgreSQL cluster too.
# run: fresh accounts filled by xp_populate (tests/data/scenarios/fill-prosody.xml, through
# xporta's own session layer), then read by xmpp_probe.py (slixmpp, independent of it):
# login with SCRAM-SHA-1, roster, the pending request and the offline message presented at
# login, every MAM message in order over several pages, PEP nodes with their access models
# and items, the blocklist, and a blocked contact refused both ways. Then the rows are
# looked up in the database itself, Prosody is restarted and the account read again.
# Exits 77 (skip) when a package is missing.
set -euo pipefail
PROG=${0##*/}
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
skip() { printf 'skip: %s\n' "$*"; exit 77; }

[ $# -ge 4 ] || die "usage: $PROG start|stop|run MODE SERVERS_SCRIPT DIR [XP_POPULATE SCENARIOS PROBE]"
cmd=$1 mode=$2 script=$3 dir=$4
case $mode in sqlite | pgsql) ;; *) die "MODE must be sqlite or pgsql" ;; esac
export XPORTA_SERVERS_DIR=$dir XPORTA_PROSODY_STORAGE=$mode
PY=/usr/bin/python3

check_installed() {
    command -v prosody >/dev/null 2>&1 || skip "prosody is needed (apt-get install prosody)"
    if [ "$mode" = sqlite ]; then
        lua5.4 -e "require 'dbd.sqlite3'" >/dev/null 2>&1 || skip "lua-dbi-sqlite3 is needed"
    else
        lua5.4 -e "require 'dbd.postgresql'" >/dev/null 2>&1 || skip "lua-dbi-postgresql is needed"
        compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || skip "postgresql is needed"
    fi
    [ -x "$PY" ] && "$PY" -c 'import slixmpp' 2>/dev/null || skip "python3-slixmpp is needed (for $PY)"
}

srv() { bash "$script" "$@"; }

case $cmd in
start)
    check_installed
    exec bash "$script" start prosody
    ;;
stop)
    [ -f "$dir/servers.env" ] || exit 0
    exec bash "$script" stop all
    ;;
run) ;;
*) die "unknown command '$cmd'" ;;
esac

[ $# -eq 7 ] || die "usage: $PROG run MODE SERVERS_SCRIPT DIR XP_POPULATE SCENARIOS PROBE"
pop=$5 scen=$6 probe=$7
check_installed
[ -f "$dir/servers.env" ] || die "no $dir/servers.env: the servers.$mode.start fixture did not run"
set -a
# shellcheck disable=SC1091
. "$dir/servers.env"
set +a
[ "$XPORTA_PROSODY_STORAGE" = "$mode" ] || die "the Prosody in $dir runs on '$XPORTA_PROSODY_STORAGE', not $mode"
domain=$XPORTA_PROSODY_DOMAIN
work=$dir/run-$$
mkdir -p "$work"
trap 'rm -f "$work/pass"' EXIT

# Fresh accounts for this run (the fixture's server may have served others).
sfx=r$$
pass=pw-$$-$RANDOM
(umask 077 && printf '%s\n' "$pass" >"$work/pass")
args=()
for u in alice bob carol dave erin frank grace troll; do
    srv adduser prosody "$u$sfx@$domain" "$pass" >/dev/null
    args+=("${u^^}=$u$sfx")
done
alice=alice$sfx@$domain

t0=$(date +%s%N)
"$pop" "$dir/servers.env" "$scen/fill-prosody.xml" "${args[@]}" PASS="$pass" >"$work/fill.log" 2>&1 ||
    { tail -n 30 "$work/fill.log" >&2; die "xp_populate fill-prosody.xml failed; see $work/fill.log"; }
t1=$(date +%s%N)
echo "filled $alice in $(((t1 - t0) / 1000000)) ms"

probe_run() { # OUT [probe options]
    local out=$1 rc=0
    shift
    "$PY" "$probe" --servers-env "$dir/servers.env" --jid "$alice" --password-file "$work/pass" \
        --mam-page 7 -o "$out" "$@" || rc=$?
    [ "$rc" -eq 0 ] || { [ -f "$out" ] && cat "$out" >&2; die "xmpp_probe.py exited $rc"; }
}
probe_run "$work/probe1.json" --peer-jid "troll$sfx@$domain" --peer-password-file "$work/pass"
t2=$(date +%s%N)
echo "probe in $(((t2 - t1) / 1000000)) ms"

# What Prosody wrote, read from the database itself (and not from files).
case $mode in
sqlite)
    rows=$("$PY" - "$XPORTA_PROSODY_DATA_DIR/prosody.sqlite" "alice$sfx" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
print(db.execute("SELECT count(*) FROM prosodyarchive WHERE user=? AND store='archive'", (sys.argv[2],)).fetchone()[0],
      db.execute("SELECT count(*) FROM prosody WHERE user=? AND store='roster'", (sys.argv[2],)).fetchone()[0])
PY
    )
    ;;
pgsql)
    rows=$(srv psql -U "$XPORTA_PG_PROSODY_USER" -d "$XPORTA_PG_PROSODY_DB" -At -F ' ' -c \
        "SELECT (SELECT count(*) FROM prosodyarchive WHERE \"user\"='alice$sfx' AND store='archive'),
                (SELECT count(*) FROM prosody WHERE \"user\"='alice$sfx' AND store='roster')")
    ;;
esac
read -r archive_rows roster_rows <<<"$rows"
echo "database: $archive_rows archive rows, $roster_rows roster rows for alice$sfx"
[ "$archive_rows" -ge 21 ] || die "expected at least 21 archive rows for alice$sfx in the $mode database, found $archive_rows"
[ "$roster_rows" -ge 6 ] || die "expected the roster (5 contacts and the version) in the $mode database, found $roster_rows rows"
hostdir=$XPORTA_PROSODY_DATA_DIR/${domain//./%2e}
for f in archive/alice$sfx.list roster/alice$sfx.dat accounts/alice$sfx.dat; do
    [ ! -e "$hostdir/$f" ] || die "$hostdir/$f exists: Prosody wrote internal storage in $mode mode"
done

# The same account after a restart: served from the database, not from Prosody's caches.
srv stop prosody >/dev/null
t3=$(date +%s%N)
srv start prosody >/dev/null
t4=$(date +%s%N)
echo "prosody on $mode restarted in $(((t4 - t3) / 1000000)) ms"
probe_run "$work/probe2.json" --no-presence

"$PY" - "$work/probe1.json" "$work/probe2.json" "$domain" "$sfx" <<'PY'
import json, sys
p1, p2 = (json.load(open(f)) for f in sys.argv[1:3])
domain, sfx = sys.argv[3], sys.argv[4]
def J(u): return "%s%s@%s" % (u, sfx, domain)
fails = []
def check(cond, what):
    if not cond:
        fails.append(what)
    print("%s  %s" % ("ok  " if cond else "FAIL", what))

for p, name in ((p1, "first"), (p2, "after restart")):
    check(p["login"]["ok"] and p["login"]["mechanism"] == "SCRAM-SHA-1", "%s login with SCRAM-SHA-1" % name)
    check(not p["errors"], "%s: every query answered %s" % (name, p["errors"] or ""))
    roster = {i["jid"]: i for i in p["roster"] or []}
    want = {J("bob"): ("both", None), J("carol"): ("to", None), J("dave"): ("from", None),
            J("erin"): ("none", None), J("frank"): ("none", "subscribe")}
    got = {j: (i["subscription"], i["ask"]) for j, i in roster.items()}
    check(got == want, "%s roster subscriptions %s" % (name, got))
    check(roster.get(J("bob"), {}).get("groups") == ["Friends", "Work"] and
          roster.get(J("bob"), {}).get("name") == "Bob Example", "%s roster name and groups" % name)
    mam = p["mam"] or {"messages": []}
    msgs = mam["messages"]
    chat = [m for m in msgs if m["with"] == J("bob")]
    want_bodies = []
    for n in range(1, 11):
        want_bodies += ["alice to bob %d" % n, "bob to alice %d" % n]
    check([m["body"] for m in chat][:20] == want_bodies, "%s MAM: the 20 chat messages in order" % name)
    check(any(m["body"] == "while you were away" for m in chat), "%s MAM: the offline message archived" % name)
    ids = [m["id"] for m in msgs]
    check(all(ids) and len(set(ids)) == len(ids), "%s MAM: %d unique archive ids" % (name, len(ids)))
    stamps = [m["stamp"] for m in msgs]
    check(all(stamps) and stamps == sorted(stamps), "%s MAM: timestamps present and in order" % name)
    check(mam.get("complete") and mam.get("pages", 0) >= 3, "%s MAM: complete over %s pages" % (name, mam.get("pages")))
    check(p["mam_prefs"] and p["mam_prefs"]["default"] == "always" and p["mam_prefs"]["always"] == [J("bob")],
          "%s MAM prefs %s" % (name, p["mam_prefs"]))
    pep = {n["node"]: n for n in p["pep"] or []}
    models = {"urn:xmpp:omemo:2:devices": "open", "urn:xmpp:moved:1": "open",
              "urn:xmpp:bookmarks:1": "whitelist", "http://jabber.org/protocol/nick": "presence",
              "urn:xmpp:avatar:data": None, "urn:xmpp:avatar:metadata": None, "urn:xmpp:vcard4": None}
    for node, model in models.items():
        n = pep.get(node)
        check(n is not None and (model is None or n["access_model"] == model) and n["items"],
              "%s PEP %s: access model %s, %d item(s)" % (name, node, n and n["access_model"],
                                                       len(n and n["items"] or [])))
    check(len(pep.get("urn:xmpp:bookmarks:1", {}).get("items") or []) == 2, "%s PEP: both bookmarks" % name)
    check("Alice Liddell" in ((pep.get("urn:xmpp:vcard4", {}).get("items") or [{}])[0].get("payload") or ""),
          "%s PEP vcard4 payload" % name)
    check(p["blocklist"] == sorted(["spam@spam.example", J("troll")]), "%s blocklist %s" % (name, p["blocklist"]))

pr = p1["presented"]
subs = [s for s in pr["subscribe"] if s["from"] == J("grace")]
check(len(subs) == 1 and subs[0]["status"] == "Hi Alice, it is Grace" and subs[0]["nick"] == "Grace H.",
      "pending request from grace presented at login, with status and nick")
off = [m for m in pr["messages"] if m["body"] == "while you were away"]
check(len(off) == 1 and off[0].get("delay", {}).get("stamp"), "offline message delivered at login, with its delay")
bc = p1["block_checks"]
check(bc and not bc["from_peer"]["delivered"] and bc["from_peer"]["error"] is not None,
      "a message from the blocked JID is refused (%s)" % (bc and bc["from_peer"]["error"]))
check(bc and not bc["to_peer"]["delivered"] and (bc["to_peer"]["error"] or {}).get("blocked"),
      "a message to the blocked JID is refused with <blocked/> (%s)" % (bc and bc["to_peer"]["error"]))
check([m["id"] for m in p1["mam"]["messages"]] == [m["id"] for m in p2["mam"]["messages"]][:len(p1["mam"]["messages"])],
      "the archive ids are the same after the restart")
check(p2["presented"] is None, "second probe sent no presence")
if fails:
    print("%d check(s) failed" % len(fails))
    sys.exit(1)
PY
echo "prosody on $mode: all checks passed (work files in $work)"

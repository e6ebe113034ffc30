#!/usr/bin/env bash
# xporta server-import into ejabberd's Mnesia storage (issue 12), through
# the running ejabberd 23.01 (ejabberd+mnesia:CTL, `ejabberdctl load`):
#
#   server_mnesia.sh XPORTA PROBE DATA_DIR WORK_DIR
#
#  1. refused while ejabberd is stopped ("ejabberd must run"); a whole-store
#     read is refused naming the export2sql route;
#  2. a real ejabberd's SQL data (tests/data/ejabberd-sql/lite-new.sql in a
#     SQLite file, ejabberd+sqlite:FILE) into a fresh ejabberd on Mnesia:
#     a dry run loads nothing, the import loads it;
#  3. Prosody's internal storage (tests/data/prosody-internal) renamed to
#     the second vhost (--rename-host old.localhost=new2.localhost): UUID
#     archive ids become decimal ids;
#  4. an independent client (xmpp_probe.py, slixmpp) checks alice of both
#     against the source rows: login with the old password (SCRAM-SHA-1),
#     the roster with its states and the pending request with its status,
#     the offline messages delivered with their times, MAM in order with
#     ejabberd's ids and times kept, MAM preferences, PEP nodes with their
#     access models and items, the blocklist enforced both ways;
#  5. the same import again: offline messages and PEP of the accounts
#     ejabberd already had are left out (Mnesia is not read), with why;
#  6. out of Mnesia again with ejabberd's export2sql, unescaped into SQLite
#     and read by the SQLite store: every record that went in comes out.
# Exits 77 when ejabberd, sqlite3 or slixmpp are missing.
set -u
X=$(realpath "$1") PROBE=$(realpath "$2") DATA=$(realpath "$3") WORK=$(realpath "$4")
HERE=$(cd "$(dirname "$0")" && pwd)
SCRIPT=$HERE/../servers/xporta-servers
PY=/usr/bin/python3
[ -x /usr/sbin/ejabberdctl ] || { echo "SKIP: ejabberd is not installed"; exit 77; }
command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 is not installed"; exit 77; }
"$PY" -c 'import slixmpp' 2>/dev/null || { echo "SKIP: python3-slixmpp is not installed"; exit 77; }

export XPORTA_SERVERS_DIR=$WORK/mnesia-servers XPORTA_EJABBERD_STORAGE=mnesia
unset XPORTA_EJABBERD_SQL_SCHEMA
srv() { bash "$SCRIPT" "$@"; }
T=$(mktemp -d "${TMPDIR:-/tmp}/xporta-server-mnesia-XXXXXX")
export XDG_STATE_HOME=$T/state
cleanup() {
    srv stop all >/dev/null 2>&1
    rm -rf "$T"
}
trap cleanup EXIT
. "$HERE/checks.sh"
srv stop all >/dev/null 2>&1
rm -rf "$XPORTA_SERVERS_DIR"
W=$T/w
mkdir -p "$W"
printf '%s\n' xporta-pass >"$W/pass"
chmod 600 "$W/pass"
# the private ejabberdctl, as one command
CTL=$T/ejabberdctl
printf '#!/bin/sh\nexec bash %q ejabberdctl "$@"\n' "$SCRIPT" >"$CTL"
chmod 755 "$CTL"
STORE=ejabberd+mnesia:$CTL
SRC=$W/src.db
sqlite3 "$SRC" <"$DATA/ejabberd-sql/lite-new.sql" || { echo "FAIL: loading lite-new.sql" >&2; exit 1; }

# 1. ejabberd stopped: refused
srv start ejabberd >"$W/start0.log" 2>&1 || { bad "ejabberd does not start"; cat "$W/start0.log" >&2; exit 1; }
srv stop ejabberd >/dev/null 2>&1
"$X" server-import "ejabberd+sqlite:$SRC" "$STORE" >"$T/out" 2>"$T/err"
[ $? -ne 0 ] && ok || bad "an import with ejabberd stopped succeeded"
has "$T/err" "ejabberd must run for a Mnesia import: start it"
"$X" server-export "$STORE" -o "$W/x.xml" >"$T/out" 2>"$T/err"
[ $? -ne 0 ] && ok || bad "server-export of ejabberd+mnesia succeeded"
has "$T/err" "ejabberdctl --no-timeout export2sql HOST FILE"

# 2. the SQL fixture into Mnesia
srv start ejabberd >"$W/start1.log" 2>&1 || { bad "ejabberd does not start"; cat "$W/start1.log" >&2; exit 1; }
set -a
. "$XPORTA_SERVERS_DIR/servers.env"
set +a
D=$XPORTA_EJABBERD_DOMAIN D2=$XPORTA_EJABBERD_DOMAIN2
[ "$D" = new.localhost ] && [ "$D2" = new2.localhost ] && ok || bad "domains $D $D2"
users() { srv ejabberdctl registered_users "$1" 2>/dev/null | grep -c .; }
run 0 "$X" server-import --dry-run "ejabberd+sqlite:$SRC" "$STORE"
has "$T/err" "dry run: nothing was changed"
has "$T/err" "ejabberd+mnesia is written only"
[ "$(users "$D")" = 0 ] && ok || bad "a dry run wrote users"
t0=$(date +%s.%N)
run 0 "$X" server-import "ejabberd+sqlite:$SRC" "$STORE"
echo "import of the SQL fixture: $(echo "$(date +%s.%N) - $t0" | bc) s"
hasre "$T/err" "server-import: 9 accounts in"
awk '/^  [a-z-]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+$/ {
    rows++; if ($2 != $3) bad = bad " " $1 }
    END { if (!rows || bad) { print "not all written:" bad; exit 1 } }' "$T/err" >"$W/written.out" &&
    ok || bad "import: $(cat "$W/written.out")"
[ "$(users "$D")" = 8 ] && ok || bad "$D has $(users "$D") users, want 8"
ls "$XPORTA_SERVERS_DIR/ejabberd/spool" | grep -q xporta-load && bad "the load directory was left" || ok

# 3. Prosody's internal storage, renamed to the second vhost
run 0 "$X" server-import --rename-host "old.localhost=$D2" "prosody:$DATA/prosody-internal" "$STORE"
hasre "$T/err" "server-import: 7 accounts in"
# (the fixture's password is not known: alice@$D2 gets one; alice@$D
# shows that old passwords work)
srv ejabberdctl change_password alice "$D2" xporta-pass >/dev/null 2>&1 || bad "change_password alice@$D2"

# 4. a real client on the result
probe() { # JID OUT [PEER]
    local peer=()
    [ -n "${3:-}" ] && peer=(--peer-jid "$3" --peer-password-file "$W/pass")
    "$PY" "$PROBE" --servers-env "$XPORTA_SERVERS_DIR/servers.env" --jid "$1" --password-file "$W/pass" \
        --mam-page 7 "${peer[@]}" -o "$2" >"$2.log" 2>&1 || bad "xmpp_probe.py $1 exited $?"
}
probe "alice@$D" "$W/alice.json" "troll@$D"
probe "alice@$D2" "$W/palice.json"
"$PY" - "$SRC" "$W/alice.json" "$W/palice.json" "$DATA/prosody-internal" >"$W/verify.log" 2>&1 <<'PYEOF'
import json, sqlite3, sys, os, re
src, a_json, p_json, pdir = sys.argv[1:5]
db = sqlite3.connect(src)
a = json.load(open(a_json))
p = json.load(open(p_json))
fails = []
def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        fails.append(what)
U, H = "alice", "new.localhost"
check(a["login"].get("ok") and a["login"].get("mechanism") == "SCRAM-SHA-1", "alice logs in with SCRAM-SHA-1")
check(not a["errors"], "no query failed: %s" % a["errors"])
# roster: every item with its state
subs = {"B": "both", "T": "to", "F": "from", "N": "none"}
want = {}
for jid, nick, sub, ask in db.execute("SELECT jid, nick, subscription, ask FROM rosterusers WHERE username=? AND server_host=?", (U, H)):
    if sub == "N" and ask == "I":
        continue  # only a pending request
    groups = sorted(g for (g,) in db.execute("SELECT grp FROM rostergroups WHERE username=? AND jid=? AND server_host=?", (U, jid, H)))
    want[jid] = (nick, subs[sub], "subscribe" if ask in ("O", "B") else None, groups)
got = {i["jid"]: (i["name"], i["subscription"], i["ask"], sorted(i["groups"])) for i in a["roster"]}
check(got == want, "roster %s == %s" % (got, want))
pend = [(r[0], r[1]) for r in db.execute("SELECT jid, askmessage FROM rosterusers WHERE username=? AND server_host=? AND ask IN ('I','B')", (U, H))]
check(sorted((s["from"], s["status"]) for s in a["presented"]["subscribe"]) == sorted(pend), "pending requests %s" % pend)
# offline: delivered, with the times of the spool's delays
spool = [x for (x,) in db.execute("SELECT xml FROM spool WHERE username=? AND server_host=? ORDER BY seq", (U, H))]
msgs = a["presented"]["messages"]
check(len(msgs) == len(spool) == 2, "offline messages delivered: %d of %d" % (len(msgs), len(spool)))
for m, x in zip(msgs, spool):
    st = re.search(r"stamp=['\"]([^'\"]+)", x).group(1)
    check(m["delay"] and m["delay"]["stamp"][:19] == st[:19] and m["id"] in x, "offline %s at %s" % (m["id"], st))
# MAM: ejabberd's ids and times kept, in order
rows = [(str(ts), x) for ts, x in db.execute("SELECT timestamp, xml FROM archive WHERE username=? AND server_host=? ORDER BY timestamp", (U, H))]
mam = a["mam"]["messages"]
check(a["mam"].get("complete") and len(mam) == len(rows) == 22, "MAM count %d, source %d" % (len(mam), len(rows)))
check([m["id"] for m in mam] == [r[0] for r in rows], "MAM ids are ejabberd's, in order")
import datetime
def us(stamp):
    s = stamp.rstrip("Z")
    frac = 0
    if "." in s:
        s, f = s.split(".")
        frac = int((f + "000000")[:6])
    t = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    return int(t.timestamp()) * 1000000 + frac
check(all(us(m["stamp"]) == int(m["id"]) for m in mam), "MAM times are the ids' times")
check(all(m["message_id"] and m["message_id"] in r[1] for m, r in zip(mam, rows)), "MAM messages are the archived ones")
# MAM preferences
d, al, nv = db.execute("SELECT def, always, never FROM archive_prefs WHERE username=? AND server_host=?", (U, H)).fetchone()
pr = a["mam_prefs"]
check(pr["default"] == {"a": "always", "n": "never", "r": "roster"}.get(d, d) and all(j.split("@")[0] in al for j in pr["always"]) and all(j.split("@")[0] in nv for j in pr["never"]) and pr["always"] and pr["never"], "MAM prefs %s" % pr)
# PEP: nodes, access models, items
nodes = {}
for node, nid in db.execute("SELECT node, nodeid FROM pubsub_node WHERE host=? AND plugin='pep'", (U + "@" + H,)):
    am = db.execute("SELECT val FROM pubsub_node_option WHERE nodeid=? AND name='access_model'", (nid,)).fetchone()
    items = sorted(i for (i,) in db.execute("SELECT itemid FROM pubsub_item WHERE nodeid=?", (nid,)))
    nodes[node] = (am[0] if am else "presence", items)
gotp = {n["node"]: (n.get("access_model"), sorted(i["id"] for i in n.get("items", []))) for n in a["pep"]}
check(gotp == nodes, "PEP %s == %s" % (gotp, nodes))
# blocklist, enforced both ways
bl = sorted(v for (v,) in db.execute("SELECT d.value FROM privacy_default_list f JOIN privacy_list l ON l.username=f.username AND l.name=f.name AND l.server_host=f.server_host JOIN privacy_list_data d ON d.id=l.id WHERE l.username=? AND l.server_host=? AND d.t='j' AND d.action='d'", (U, H)))
check(sorted(a["blocklist"]) == bl, "blocklist %s == %s" % (a["blocklist"], bl))
bc = a.get("block_checks") or {}
check(bc.get("from_peer", {}).get("delivered") is False and bc.get("to_peer", {}).get("delivered") is False, "troll blocked both ways")
# Prosody's alice on the second vhost: UUID ids made decimal, in time order
check(p["login"].get("ok"), "Prosody's alice logs in on the second vhost")
if not p["login"].get("ok"):
    sys.exit(1)
pm = p["mam"]["messages"]
check(pm and all(re.fullmatch(r"\d{16}", m["id"]) for m in pm), "Prosody's archive ids are decimal (%d)" % len(pm))
check([us(m["stamp"]) for m in pm] == sorted(us(m["stamp"]) for m in pm) and all(us(m["stamp"]) == int(m["id"]) for m in pm), "Prosody's archive in time order, ids = times")
check(len(p["roster"]) > 0 and p["pep"], "Prosody's alice: roster %d, PEP nodes %d" % (len(p["roster"]), len(p["pep"])))
check(not p["errors"], "Prosody's alice: no query failed: %s" % p["errors"])
sys.exit(1 if fails else 0)
PYEOF
vrc=$?
if [ $vrc -eq 0 ]; then ok; else bad "what the client sees differs from the source:"; grep -v '^ok' "$W/verify.log" >&2; fi
grep -c '^ok' "$W/verify.log" | sed 's/^/client checks passed: /'

# 5. the same import again: Mnesia is not read, so what would be loaded
# twice (offline messages: the probe took alice's; PEP nodes) is left out
# for the accounts ejabberd had before the run, with the reason
run 7 "$X" server-import "ejabberd+sqlite:$SRC" "$STORE"
has "$T/err" "was on ejabberd before this import"
has "$T/err" "the target refused 27 record(s)"
hasre "$T/err" "offline +2 +0 "
[ "$(srv ejabberdctl get_offline_count alice "$D" 2>/dev/null)" = 0 ] && ok ||
    bad "alice's offline messages came back: $(srv ejabberdctl get_offline_count alice "$D" 2>&1)"
# 6. and out of Mnesia again, history and PEP included, the way the man
# page gives: ejabberd's own export2sql writes MySQL-escaped SQL (a " as
# \", a backslash doubled), unescaped for SQLite, read by the SQLite store.
# Everything of the source's accounts on $D is there, but what the probe
# changed (alice's offline messages delivered; its block checks)
mkdir -m 777 "$W/e2s"
srv ejabberdctl --no-timeout export2sql "$D" "$W/e2s/mnesia.sql" >"$W/e2s.log" 2>&1 ||
    bad "ejabberdctl export2sql failed: $(tail -3 "$W/e2s.log")"
sqlite3 "$W/e2s/m.db" </usr/share/ejabberd/sql/lite.sql &&
    perl -pe 's/\\([ntbr"\\])/$1 eq "n" ? "\n" : $1 eq "t" ? "\t" : $1 eq "r" ? "\r" : $1 eq "b" ? "\b" : $1/ge' \
        "$W/e2s/mnesia.sql" | sqlite3 "$W/e2s/m.db" || bad "loading export2sql's output into SQLite"
run 0 "$X" server-export --host "$D" "ejabberd+sqlite:$W/e2s/m.db" -o "$W/e2s/m.xml"
users=$(sqlite3 "$SRC" "SELECT group_concat(username || '@' || server_host) FROM users WHERE server_host = '$D'")
run 0 "$X" server-export --users "$users" "ejabberd+sqlite:$SRC" -o "$W/e2s/src.xml"
"$X" diff --exclude-kinds offline "$W/e2s/src.xml" "$W/e2s/m.xml" >"$W/e2s/diff.txt" 2>&1
if grep -E '^(only in A|differs)' "$W/e2s/diff.txt" >"$W/e2s/lost.txt"; then
    bad "what went into Mnesia did not come out: $(head -5 "$W/e2s/lost.txt")"
else
    ok
fi
hasre "$W/e2s/diff.txt" "^archive +4[0-9] +0 +0 "
hasre "$W/e2s/diff.txt" "^pep-item +[1-9][0-9]* +0 +0 "

echo "server_mnesia: $n checks, $fails failed"
[ "$fails" -eq 0 ]

#!/bin/sh
# xporta server-export and server-import on Prosody's internal storage,
# against a real Prosody 0.12 of its own (it is stopped and started again,
# so it cannot be the shared one):
#   server_prosody.sh SERVERS_SCRIPT XPORTA XP_POPULATE SCENARIOS PROBE
#
#  1. a Prosody filled by real clients (xp_populate) is exported while it
#     runs, into a file that `xporta check` accepts, every kind present;
#  2. an import into it while it runs is refused, naming the process;
#  3. the server stopped, its data moved away, the file is imported into an
#     empty data directory (a dry run first, which writes nothing);
#  4. Prosody started on the result, seen by an independent client (the
#     slixmpp probe, tests/integration/xmpp_probe.py) as it saw the
#     original server: alice logs in with her old password (SCRAM-SHA-1),
#     her offline message is delivered and the pending request presented,
#     MAM gives the same messages with the same ids, times and order, PEP
#     the same nodes, access models and items, the blocklist is enforced;
#     a live export of her account equals the one taken before the move;
#  5. exported again, the data equals the first export (xporta diff);
#  6. a second import finds everything the same and writes nothing;
#     --on-conflict replace on a changed file replaces only that record;
#  7. ejabberd's own export (SCRAM values base64-encoded twice), imported
#     into Prosody with the domain renamed: its user logs in with the old
#     password.
set -u
SCRIPT=$1 X=$(realpath "$2") POP=$(realpath "$3") SCEN=$(realpath "$4")
PROBE=${5:-}
PY=/usr/bin/python3
command -v prosody >/dev/null 2>&1 || { echo "skip: prosody is needed"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/xporta-server-prosody-XXXXXX")
export XPORTA_SERVERS_DIR="$T/servers"
export XDG_STATE_HOME="$T/state"
cleanup() { bash "$SCRIPT" stop all >/dev/null 2>&1; rm -rf "$T"; }
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap - EXIT
[ -n "${KEEP:-}" ] && trap - EXIT
. "$(dirname "$0")/checks.sh"
PASS=server-pass
echo "$PASS" >"$T/pw"

EJ=0
[ -x /usr/sbin/ejabberdctl ] && EJ=1
if [ $EJ = 1 ]; then WHICH=all; else WHICH=prosody; fi
bash "$SCRIPT" start $WHICH >"$T/start.log" 2>&1 || { cat "$T/start.log"; exit 1; }
. "$XPORTA_SERVERS_DIR/servers.env"
D=$XPORTA_PROSODY_DOMAIN
DATA=$XPORTA_SERVERS_DIR/prosody/data
for u in alice bob carol dave erin frank grace troll; do
    bash "$SCRIPT" adduser prosody "$u" "$PASS" >/dev/null || bad "adduser $u"
done
"$POP" "$XPORTA_SERVERS_DIR/servers.env" "$SCEN/fill-prosody.xml" PASS="$PASS" \
    >"$T/fill.log" 2>&1 || { bad "fill"; tail -20 "$T/fill.log" >&2; }

CONN="--host 127.0.0.1 --port $XPORTA_PROSODY_PORT --cafile $XPORTA_TEST_CAFILE --password-file $T/pw"
# what a client sees of alice's account before
# shellcheck disable=SC2086
run 0 "$X" export -q "alice@$D" -o "$T/before.xml" --exclude-kinds offline $CONN

# what an independent client sees of alice before (no presence: the
# offline message must stay for after the move)
HAVE_PROBE=0
if [ -n "$PROBE" ] && "$PY" -c 'import slixmpp' 2>/dev/null; then HAVE_PROBE=1; fi
probe() { # OUT [options]
    out=$1
    shift
    "$PY" "$PROBE" --servers-env "$XPORTA_SERVERS_DIR/servers.env" --jid "alice@$D" \
        --password-file "$T/pw" -o "$out" "$@" >"$T/probe.log" 2>&1 ||
        { bad "probe $*"; tail -5 "$T/probe.log" >&2; }
}
[ $HAVE_PROBE = 1 ] && probe "$T/probe-before.json" --no-presence

# 1. export while it runs
run 0 "$X" server-export "prosody:$DATA" -o "$T/a.xml"
run 0 "$X" check "$T/a.xml"
"$X" stats "$T/a.xml" >"$T/stats" 2>&1
has "$T/stats" "8 users"
hasre "$T/stats" "alice@$D: credentials 1, roster 5, pending 1, private 2, blocklist 2, offline 1, pep-node [0-9]+, .*pep-item [0-9]+, archive 2[0-9], mam-prefs 1"
[ "$(stat -c %a "$T/a.xml")" = 600 ] && ok || bad "the export is not 0600"

# 2. refused while Prosody runs
run 8 "$X" server-import "$T/a.xml" "prosody:$DATA"
has "$T/err" "Prosody is running on $DATA (pid"
has "$T/err" "Stop it first"

# 3. into an empty data directory
bash "$SCRIPT" stop prosody >/dev/null 2>&1
mv "$DATA" "$DATA.orig" && mkdir "$DATA"
run 0 "$X" server-import --dry-run "$T/a.xml" "prosody:$DATA"
has "$T/err" "dry run: nothing was changed"
[ -z "$(ls -A "$DATA")" ] && ok || bad "a dry run wrote into $DATA"
run 0 "$X" server-import "$T/a.xml" "prosody:$DATA"
hasre "$T/err" "archive +42 +42 +0 +0 +0 +0"
hasre "$T/err" "server-import: 8 accounts in"
[ -z "$(find "$DATA" -mindepth 1 -perm /o=rwx)" ] && ok || bad "files readable by others in $DATA"
[ -z "$(find "$DATA" -name '*.xporta-*')" ] && ok || bad "temporary files left in $DATA"
if [ $EJ = 1 ]; then # 7. ejabberd's own export: its SCRAM values
    bash "$SCRIPT" adduser ejabberd ejuser "$PASS" >/dev/null || bad "adduser ejabberd"
    main=$(bash "$SCRIPT" export ejabberd "$T/ej" "$XPORTA_EJABBERD_DOMAIN" 2>"$T/ej.log" | tail -n 1)
    [ -s "$main" ] && ok || { bad "ejabberd export"; cat "$T/ej.log" >&2; }
    run 0 "$X" server-import --users "ejuser@$XPORTA_EJABBERD_DOMAIN" \
        --rename-host "$XPORTA_EJABBERD_DOMAIN=$D" "$main" "prosody:$DATA"
    hasre "$T/err" "credentials +1 +1 +0 +0 +0 +0"
fi

# 4. the real server on the result
bash "$SCRIPT" start prosody >"$T/start2.log" 2>&1 || { bad "prosody does not start on the import"; cat "$T/start2.log" >&2; }
if [ $HAVE_PROBE = 1 ]; then
    probe "$T/probe-after.json" --peer-jid "troll@$D" --peer-password-file "$T/pw"
    "$PY" - "$T/probe-before.json" "$T/probe-after.json" "$D" >"$T/probe-checks" 2>&1 <<'PY'
import json, sys
b, a = (json.load(open(f)) for f in sys.argv[1:3])
D = sys.argv[3]
fails = 0
def check(cond, what):
    global fails
    fails += not cond
    print(("ok    " if cond else "FAIL  ") + what)
check(a["login"]["ok"] and a["login"]["mechanism"] == "SCRAM-SHA-1", "old password, SCRAM-SHA-1")
check(not a["errors"], "every query answered %s" % (a["errors"] or ""))
key = lambda m: (m["id"], m["stamp"], m["with"], m["from"], m["to"], m["body"])
check([key(m) for m in a["mam"]["messages"]] == [key(m) for m in b["mam"]["messages"]]
      and len(b["mam"]["messages"]) >= 21, "MAM: the same %d messages, ids, times, order"
      % len(b["mam"]["messages"]))
check(a["mam_prefs"] == b["mam_prefs"], "MAM prefs %s" % a["mam_prefs"])
check(a["roster"] == b["roster"], "roster")
import xml.etree.ElementTree as ET
canon = lambda x: ET.canonicalize(x) if x else x  # attributes in any order
nodes = lambda p: {n["node"]: (n["access_model"], [(i["id"], canon(i["payload"])) for i in n["items"] or []])
                   for n in p["pep"] or []}
check(nodes(a) == nodes(b), "PEP: the same nodes, access models and items (%d nodes)" % len(nodes(a)))
check(a["blocklist"] == b["blocklist"] and "troll@" + D in a["blocklist"], "blocklist %s" % a["blocklist"])
pr = a["presented"]
check(any(s["from"] == "grace@" + D and s["nick"] == "Grace H." for s in pr["subscribe"]),
      "grace's pending request presented, with her nick")
check(any(m["body"] == "while you were away" for m in pr["messages"]), "the offline message delivered")
bc = a["block_checks"]
check(bc and not bc["from_peer"]["delivered"] and not bc["to_peer"]["delivered"],
      "the blocklist is enforced both ways")
sys.exit(1 if fails else 0)
PY
    if [ $? -eq 0 ]; then ok; else bad "what the probe sees after the move"; cat "$T/probe-checks" >&2; fi
else
    (cd "$T" && "$POP" "$XPORTA_SERVERS_DIR/servers.env" "$SCEN/server-login.xml" \
        ALICE=alice BOB=bob GRACE=grace PASS="$PASS") >"$T/login.log" 2>&1 &&
        ok || { bad "alice after the import"; tail -20 "$T/login.log" >&2; }
    has "$T/offline.xml" "while you were away"
    has "$T/blocklist.xml" "troll@$D"
fi
# shellcheck disable=SC2086
run 0 "$X" export -q "alice@$D" -o "$T/live.xml" --exclude-kinds offline $CONN
ids() { grep -o "<result xmlns='urn:xmpp:mam:2' id='[^']*'>.\{0,200\}stamp='[^']*'" "$1" | sed "s/<forwarded.*stamp=/ /"; }
"$X" convert -q --users "alice@$D" "$T/a.xml" -o "$T/a-alice.xml"
ids "$T/a-alice.xml" >"$T/ids.a"
ids "$T/live.xml" >"$T/ids.live"
[ -s "$T/ids.a" ] && cmp -s "$T/ids.a" "$T/ids.live" && ok ||
    { bad "MAM differs from the source (ids, times, order)"; diff "$T/ids.a" "$T/ids.live" | head >&2; }
if [ $EJ = 1 ]; then # ejabberd's user, with the password it had there
    # shellcheck disable=SC2086
    run 0 "$X" export -q "ejuser@$D" -o "$T/ej-live.xml" $CONN
fi
# what a client reads: the same as before the move (the pending request
# was answered by nobody, so it is still there)
run 0 "$X" diff "$T/before.xml" "$T/live.xml"
has "$T/out" "same records"

# 5. exported again: the same
bash "$SCRIPT" stop prosody >/dev/null 2>&1
run 0 "$X" server-export --users alice,bob,carol,dave,erin,frank,grace,troll \
    "prosody:$DATA" -o "$T/b.xml"
"$X" diff --exclude-kinds offline --max-lines 1000 "$T/a.xml" "$T/b.xml" >"$T/out" 2>&1
# the same, but for what the probe's block checks added: messages, and the
# storage:bookmarks node Prosody makes for troll when he logs in
if grep -E '^(only in A|differs|only in B [^a])' "$T/out" |
    grep -v "^only in B pep-node troll@$D: storage:bookmarks"; then
    bad "the second export differs from the first"
else ok; fi
hasre "$T/out" "^archive +42 +0 +0 +[0-9]+"

# 6. idempotent; conflicts
run 0 "$X" server-import "$T/a.xml" "prosody:$DATA"
hasre "$T/err" "archive +42 +0 +42 +0 +0 +0"
hasre "$T/err" "roster +9 +0 +9 +0 +0 +0"
sed "s/name='Bob Example'/name='Robert'/" "$T/a.xml" >"$T/c.xml"
run 0 "$X" server-import "$T/c.xml" "prosody:$DATA"
hasre "$T/err" "roster +9 +0 +8 +1 +0 +0"
grep -q '"Bob Example"' "$DATA/$(echo "$D" | sed 's/\./%2e/g')/roster/alice.dat" && ok || bad "a conflict was not kept"
run 0 "$X" server-import --on-conflict replace "$T/c.xml" "prosody:$DATA"
hasre "$T/err" "roster +9 +1 +8 +0 +1 +0"
grep -q '"Robert"' "$DATA/$(echo "$D" | sed 's/\./%2e/g')/roster/alice.dat" && ok || bad "--on-conflict replace did not replace"

echo "server_prosody: $n checks, $fails failed"
[ "$fails" -eq 0 ]

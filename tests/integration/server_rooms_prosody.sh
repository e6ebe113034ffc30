#!/bin/sh
# Whole-server moves carry the MUC service's rooms (issue 13 part 4), on a
# real Prosody 0.12 of its own (stopped and started around the imports):
#   server_rooms_prosody.sh SERVERS_SCRIPT XPORTA MUC_ROOMS_PY DATA_DIR
#
#  1. an independent client (muc_rooms.py, slixmpp) makes two rooms on
#     conference.DOMAIN: `team` (name, description, language, members-only,
#     hidden, whois anyone, history 30, moderated; bob admin, carol member
#     with the reserved nick "caro", dave outcast; a subject; 3 messages)
#     and `open` (1 message), and reads them back as their owner: the owner
#     form, the four affiliation lists, its own affiliation on joining, the
#     subject, and the history through MAM;
#  2. server-export writes them as a XEP-0519 component that check accepts;
#  3. Prosody stopped, its data moved away, the file imported into an empty
#     data directory; started on the result, the same client sees the same
#     (MAM ids, times, senders and bodies included);
#  4. a second import writes nothing; --rename-host renames the service;
#  5. exported again from the result: the rooms equal the first export
#     (xporta diff);
#  6. the same file into Prosody on SQLite, and on PostgreSQL when its
#     packages are there (other servers directories): seen the same; on
#     SQLite also tests/data/muc-full.xml (a room as ejabberd keeps one:
#     reasons, more fields) with a message from 2025: noted as older than
#     muc_log_expires_after, and still in MAM after Prosody started.
set -u
SCRIPT=$1 X=$(realpath "$2") MUCPY=$(realpath "$3") TDATA=$(realpath "$4")
PY=/usr/bin/python3
command -v prosody >/dev/null 2>&1 || { echo "skip: prosody is needed"; exit 77; }
"$PY" -c 'import slixmpp' 2>/dev/null || { echo "skip: python3-slixmpp is needed"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/xporta-server-rooms-XXXXXX") || exit 1
[ -d "$T" ] || exit 1
chmod 711 "$T" # PostgreSQL runs as the user postgres when we are root
export XPORTA_SERVERS_DIR="$T/servers"
export XDG_STATE_HOME="$T/state"
cleanup() {
    XPORTA_SERVERS_DIR="$T/servers" bash "$SCRIPT" stop all >/dev/null 2>&1
    XPORTA_SERVERS_DIR="$T/servers-sql" bash "$SCRIPT" stop all >/dev/null 2>&1
    XPORTA_SERVERS_DIR="$T/servers-pg" bash "$SCRIPT" stop all >/dev/null 2>&1
    rm -rf "$T"
}
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap - EXIT
. "$(dirname "$0")/checks.sh"
PASS=rooms-pass
echo "$PASS" >"$T/pw"

bash "$SCRIPT" start prosody >"$T/start.log" 2>&1 || { cat "$T/start.log"; exit 1; }
. "$XPORTA_SERVERS_DIR/servers.env"
D=$XPORTA_PROSODY_DOMAIN SVC=conference.$XPORTA_PROSODY_DOMAIN
DATA=$XPORTA_SERVERS_DIR/prosody/data
for u in boss bob carol dave; do
    bash "$SCRIPT" adduser prosody "$u" "$PASS" >/dev/null || bad "adduser $u"
done
cat >"$T/spec.json" <<EOF
{"rooms": [
 {"name": "team", "nick": "Boss",
  "config": {"muc#roomconfig_roomname": "Team Room",
             "muc#roomconfig_roomdesc": "Weekly planning room",
             "muc#roomconfig_lang": "en",
             "muc#roomconfig_membersonly": "1",
             "muc#roomconfig_publicroom": "0",
             "muc#roomconfig_whois": "anyone",
             "muc#roomconfig_historylength": "30",
             "muc#roomconfig_moderatedroom": "1"},
  "affiliations": {"bob@$D": "admin",
                   "carol@$D": {"affiliation": "member", "nick": "caro"},
                   "dave@$D": {"affiliation": "outcast", "reason": "spam"}},
  "subject": "Sprint 42 planning",
  "messages": ["hello team 1", "hello team 2", "hello team 3"]},
 {"name": "open", "config": {"muc#roomconfig_roomname": "Open"},
  "messages": ["open 1"]}
]}
EOF
MUC() { "$PY" "$MUCPY" "$@" --servers-env "$XPORTA_SERVERS_DIR/servers.env"; }
MUC setup --owner "boss@$D" --owner-password-file "$T/pw" --service "$SVC" \
    --spec "$T/spec.json" >"$T/setup.json" 2>&1 || { bad "room setup"; tail -30 "$T/setup.json" >&2; }
probe() { # OUT
    MUC probe --jid "boss@$D" --password-file "$T/pw" --room "team@$SVC" \
        --room "open@$SVC" --join probe --mam -o "$1" >"$T/probe.log" 2>&1 ||
        { bad "probe $1"; tail -20 "$T/probe.log" >&2; }
}
# The rooms as a client sees them: owner form, lists, own affiliation,
# subject and MAM (ids, times, senders, bodies) must be the same.
compare() { # BEFORE AFTER WHAT
    "$PY" - "$1" "$2" <<'EOF' >"$T/cmp" 2>&1 && ok || { bad "$3: the rooms differ"; cat "$T/cmp" >&2; }
import json, sys
a, b = (json.load(open(p))["rooms"] for p in sys.argv[1:3])
def view(r):
    # list-multi values come in Prosody's table order (pairs()): a set
    config = {k: sorted(v) if isinstance(v, list) else v
              for k, v in (r.get("config") or {}).items()}
    return {"config": config, "affiliations": r.get("affiliations"),
            "joined": ((r.get("joined") or {}).get("item") or {}).get("affiliation"),
            "subject": (r.get("subject") or {}).get("text"),
            "mam": [(m["id"], m["stamp"], m["from"], m["body"])
                    for m in (r.get("mam") or {}).get("messages", [])]}
bad = 0
for room in sorted(set(a) | set(b)):
    va, vb = view(a.get(room, {})), view(b.get(room, {}))
    for k in va:
        if va[k] != vb[k]:
            bad = 1
            print("%s %s:\n  before %s\n  after  %s" % (room, k, va[k], vb[k]))
sys.exit(bad)
EOF
}
probe "$T/before.json"
# what the scenario must show at all, before it is compared
"$PY" - "$T/before.json" "$D" <<'EOF' >"$T/sane" 2>&1 && ok || { bad "the rooms were not made as asked"; cat "$T/sane" >&2; }
import json, sys
r = json.load(open(sys.argv[1]))["rooms"]
d = sys.argv[2]
t = r["team@conference." + d]
assert t["config"]["muc#roomconfig_roomname"] == "Team Room", t["config"]
assert t["affiliations"]["member"]["carol@" + d]["nick"] == "caro", t["affiliations"]
assert "dave@" + d in t["affiliations"]["outcast"], t["affiliations"]
assert t["joined"]["item"]["affiliation"] == "owner", t["joined"]
assert t["subject"]["text"] == "Sprint 42 planning", t["subject"]
assert [m["body"] for m in t["mam"]["messages"]] == ["hello team %d" % i for i in (1, 2, 3)], t["mam"]
assert len(r["open@conference." + d]["mam"]["messages"]) == 1
EOF

# 2. exported (while it runs), as a XEP-0519 component
run 0 "$X" server-export "prosody:$DATA" -o "$T/a.xml"
has "$T/err" "2 rooms"
run 0 "$X" check "$T/a.xml"
has "$T/a.xml" "<component xmlns='urn:xmpp:pie:0#component' jid='$SVC' type='muc'>"
has "$T/a.xml" "<item jid='carol@$D' affiliation='member' nick='caro'/>"
"$X" stats "$T/a.xml" >"$T/stats" 2>&1
hasre "$T/stats" "team@$SVC: .*room-config 1.*room-affiliation 4.*room-subject 1"

# 3. into an empty data directory, refused while Prosody runs
run 8 "$X" server-import "$T/a.xml" "prosody:$DATA"
bash "$SCRIPT" stop prosody >/dev/null 2>&1
mv "$DATA" "$DATA.orig" && mkdir "$DATA"
run 0 "$X" server-import "$T/a.xml" "prosody:$DATA"
has "$T/err" "2 rooms"
hasre "$T/err" "room-config +2 +2 +0"
hasre "$T/err" "room-affiliation +5 +5 +0"
[ -z "$(find "$DATA" -name '*.xporta-*')" ] && ok || bad "temporary files left in $DATA"
M=$(echo "$SVC" | sed 's/\./%2e/g')
[ -f "$DATA/$M/persistent.dat" ] && ok || bad "no persistent.dat for $SVC"
bash "$SCRIPT" start prosody >"$T/start.log" 2>&1 || { cat "$T/start.log"; exit 1; }
probe "$T/after.json"
compare "$T/before.json" "$T/after.json" "internal storage"

# 4. a second run writes nothing; a renamed service
bash "$SCRIPT" stop prosody >/dev/null 2>&1
ls -l --time-style=full-iso -R "$DATA" >"$T/ls1"
run 0 "$X" server-import "$T/a.xml" "prosody:$DATA"
hasre "$T/err" "room-config +2 +0 +2 +0"
hasre "$T/err" "room-affiliation +5 +0 +5 +0"
hasre "$T/err" "archive +4 +0 +4 +0"
ls -l --time-style=full-iso -R "$DATA" >"$T/ls2"
cmp -s "$T/ls1" "$T/ls2" && ok || bad "a second import changed files"
mkdir "$T/renamed"
run 0 "$X" server-import --rename-host "$D=new.example" "$T/a.xml" "prosody:$T/renamed"
[ -f "$T/renamed/conference%2enew%2eexample/config/team.dat" ] && ok || bad "the service was not renamed"
has "$T/renamed/conference%2enew%2eexample/config/team.dat" '["carol@new.example"] = "member";'

# 5. exported again: the same rooms (the users' PEP changed with the logins)
run 0 "$X" server-export "prosody:$DATA" -o "$T/b.xml"
"$X" diff --only-kinds room-config,room-affiliation,room-subject,archive \
    "$T/a.xml" "$T/b.xml" >"$T/diff" 2>&1 && ok || { bad "the second export differs"; tail -20 "$T/diff" >&2; }
hasre "$T/diff" "^room-affiliation +5 +0 +0 +0"

# 6. the same file into Prosody on SQLite
export XPORTA_SERVERS_DIR="$T/servers-sql"
XPORTA_PROSODY_STORAGE=sqlite bash "$SCRIPT" start prosody >"$T/start.log" 2>&1 || { cat "$T/start.log"; exit 1; }
. "$XPORTA_SERVERS_DIR/servers.env"
bash "$SCRIPT" stop prosody >/dev/null 2>&1
DB=$XPORTA_PROSODY_DATA_DIR/prosody.sqlite
run 0 "$X" server-import "$T/a.xml" "prosody+sqlite:$DB"
has "$T/err" "2 rooms"
bash "$SCRIPT" start prosody >"$T/start.log" 2>&1 || { cat "$T/start.log"; exit 1; }
probe "$T/after-sql.json"
compare "$T/before.json" "$T/after-sql.json" "SQLite"
bash "$SCRIPT" stop prosody >/dev/null 2>&1
run 0 "$X" server-import "$T/a.xml" "prosody+sqlite:$DB"
hasre "$T/err" "archive +4 +0 +4 +0"
# a room made elsewhere, with old history
sed -e "s/stamp='2026-11-30T10:00:01.596Z'/stamp='2025-01-01T00:00:00Z'/" \
    -e "s/name='team'/name='legacy'/; s/team@conference/legacy@conference/g" \
    "$TDATA/muc-full.xml" >"$T/legacy.xml"
run 0 "$X" server-import --rename-host "example.org=$D" "$T/legacy.xml" "prosody+sqlite:$DB"
has "$T/err" "1 room message older than a week written"
has "$T/err" 'muc_log_expires_after = "never"'
bash "$SCRIPT" start prosody >"$T/start.log" 2>&1 || { cat "$T/start.log"; exit 1; }
echo secret >"$T/alice-pw"
MUC probe --jid "alice@$D" --password-file "$T/alice-pw" --room "legacy@$SVC" --mam \
    -o "$T/legacy.json" >"$T/probe.log" 2>&1 || { bad "probe legacy"; tail -20 "$T/probe.log" >&2; }
"$PY" - "$T/legacy.json" "$SVC" "$D" <<'EOF' >"$T/cmp" 2>&1 && ok || { bad "the legacy room"; cat "$T/cmp" >&2; }
import json, sys
r = json.load(open(sys.argv[1]))["rooms"]["legacy@" + sys.argv[2]]
d = sys.argv[3]
m = [(x["id"], x["stamp"], x["body"]) for x in r["mam"]["messages"]]
assert m == [("1796444161596084", "2025-01-01T00:00:00Z", "Welcome"),
             ("1796444170000000", "2026-11-30T10:00:10Z", "Hi")], m
assert r["config"]["muc#roomconfig_roomname"] == "Team Room", r["config"]
assert r["affiliations"]["admin"]["bob@" + d]["nick"] == "bobby", r["affiliations"]
assert "spam@bad.example" in r["affiliations"]["outcast"], r["affiliations"]
EOF
bash "$SCRIPT" stop prosody >/dev/null 2>&1

# ... and on PostgreSQL
if lua5.4 -e "require 'dbd.postgresql'" >/dev/null 2>&1 &&
    ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    export XPORTA_SERVERS_DIR="$T/servers-pg"
    XPORTA_PROSODY_STORAGE=pgsql bash "$SCRIPT" start prosody >"$T/start.log" 2>&1 || { cat "$T/start.log"; exit 1; }
    set -a
    . "$XPORTA_SERVERS_DIR/servers.env"
    set +a
    bash "$SCRIPT" stop prosody >/dev/null 2>&1
    PG=prosody+pgsql://$XPORTA_PG_PROSODY_USER@$XPORTA_PG_HOST:$XPORTA_PG_PORT/$XPORTA_PG_PROSODY_DB
    run 0 "$X" server-import "$T/a.xml" "$PG"
    has "$T/err" "2 rooms"
    bash "$SCRIPT" start prosody >"$T/start.log" 2>&1 || { cat "$T/start.log"; exit 1; }
    probe "$T/after-pg.json"
    compare "$T/before.json" "$T/after-pg.json" "PostgreSQL"
    run 0 "$X" server-export "$PG" -o "$T/c.xml"
    "$X" diff --only-kinds room-config,room-affiliation,room-subject,archive \
        "$T/a.xml" "$T/c.xml" >"$T/diff" 2>&1 && ok || { bad "PostgreSQL: the export differs"; tail -20 "$T/diff" >&2; }
    bash "$SCRIPT" stop all >/dev/null 2>&1
else
    echo "note: PostgreSQL part skipped (lua-dbi-postgresql or postgresql missing)"
fi

echo "server_rooms_prosody: $n checks, $fails failed"
[ "$fails" -eq 0 ]

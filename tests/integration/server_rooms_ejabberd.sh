#!/bin/sh
# Whole-server moves carry ejabberd's rooms (issue 13 part 4), on a real
# ejabberd 23.01 on SQL of its own (stopped and started around the imports):
#   server_rooms_ejabberd.sh SERVERS_SCRIPT XPORTA MUC_ROOMS_PY STORAGE SCHEMA
# STORAGE sqlite or pgsql, SCHEMA new or default.
#
#  1. an independent client (muc_rooms.py, slixmpp) makes two rooms on
#     conference.DOMAIN: `team` (name, description, language, members-only,
#     hidden, whois anyone, moderated; bob admin, carol member, dave outcast
#     with a reason; a subject; 3 messages) and `open` (1 message), and
#     reads them back as their owner: the owner form, the four affiliation
#     lists, its own affiliation on joining, the subject, and the history
#     through MAM;
#  2. server-export (refused on SQLite while ejabberd runs) writes them as a
#     XEP-0519 component that check accepts (muc_room, muc_registered, the
#     archive rows of kind groupchat);
#  3. server-import refused while ejabberd runs; into emptied tables (the
#     schema loaded again); ejabberd started on the result, the same client
#     sees the same (MAM ids, times, senders and bodies included);
#  4. a second import writes nothing; --rename-host renames the service
#     (conference.OLD -> conference.NEW) in muc_room and the archive: to
#     the server's second host next to the first one's rooms, served there;
#  5. exported again from the result: the rooms equal the first export;
#  6. (sqlite/new, when Prosody is installed) across servers: rooms made on
#     Prosody moved into ejabberd, and ejabberd's into Prosody, each seen
#     there by the client (configuration, own affiliation, lists, subject,
#     MAM bodies).
set -u
SCRIPT=$1 X=$(realpath "$2") MUCPY=$(realpath "$3") STORAGE=$4 SCHEMA=$5
PY=/usr/bin/python3
command -v ejabberdctl >/dev/null 2>&1 || [ -x /usr/sbin/ejabberdctl ] || { echo "skip: ejabberd is needed"; exit 77; }
"$PY" -c 'import slixmpp' 2>/dev/null || { echo "skip: python3-slixmpp is needed"; exit 77; }
if [ "$STORAGE" = pgsql ] && ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    echo "skip: postgresql is needed"
    exit 77
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/xporta-rooms-ejabberd-XXXXXX") || exit 1
[ -d "$T" ] || exit 1
chmod 711 "$T" # PostgreSQL runs as the user postgres when we are root
export XPORTA_SERVERS_DIR="$T/servers"
export XDG_STATE_HOME="$T/state"
cleanup() {
    XPORTA_SERVERS_DIR="$T/servers" bash "$SCRIPT" stop all >/dev/null 2>&1
    XPORTA_SERVERS_DIR="$T/servers-p" bash "$SCRIPT" stop all >/dev/null 2>&1
    rm -rf "$T"
}
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap - EXIT
. "$(dirname "$0")/checks.sh"
PASS=rooms-pass
echo "$PASS" >"$T/pw"
srv() { bash "$SCRIPT" "$@"; }
m="$STORAGE/$SCHEMA"

XPORTA_EJABBERD_STORAGE=$STORAGE XPORTA_EJABBERD_SQL_SCHEMA=$SCHEMA \
    srv start ejabberd >"$T/start.log" 2>&1 || { cat "$T/start.log"; exit 1; }
set -a
. "$XPORTA_SERVERS_DIR/servers.env"
set +a
D=$XPORTA_EJABBERD_DOMAIN SVC=$XPORTA_EJABBERD_MUC
HOSTOPT=
[ "$SCHEMA" = default ] && HOSTOPT="--host $D"
sfx=
[ "$SCHEMA" = new ] && sfx=.new
case $STORAGE in
sqlite)
    DB=$XPORTA_EJABBERD_SQLITE
    STORE=ejabberd+sqlite:$DB
    SCHEMA_FILE=/usr/share/ejabberd/sql/lite$sfx.sql
    sql() { sqlite3 "$DB" "$1"; }
    empty() { rm -f "$DB" && sqlite3 "$DB" <"$SCHEMA_FILE"; }
    ;;
pgsql)
    export PGPASSFILE=$XPORTA_PG_PASSFILE
    STORE=ejabberd+pgsql://$XPORTA_PG_EJABBERD_USER@$XPORTA_PG_HOST:$XPORTA_PG_PORT/$XPORTA_PG_EJABBERD_DB
    SCHEMA_FILE=/usr/share/ejabberd/sql/pg$sfx.sql
    sql() { srv ejabberd-sql -At -c "$1"; }
    empty() {
        srv ejabberd-sql -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public' >/dev/null &&
            srv ejabberd-sql -f "$SCHEMA_FILE" >/dev/null
    }
    ;;
esac
for u in boss bob carol dave; do
    srv adduser ejabberd "$u" "$PASS" >/dev/null || bad "$m: adduser $u"
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
    --spec "$T/spec.json" >"$T/setup.json" 2>&1 || { bad "$m: room setup"; tail -30 "$T/setup.json" >&2; }
probe() { # OUT [DOMAIN SERVICE]
    MUC probe --jid "boss@${2:-$D}" --password-file "$T/pw" --room "team@${3:-$SVC}" \
        --room "open@${3:-$SVC}" --join probe --mam -o "$1" >"$T/probe.log" 2>&1 ||
        { bad "$m: probe $1"; tail -20 "$T/probe.log" >&2; }
}
# The rooms as a client sees them must be the same: the owner form, the
# lists, its own affiliation, the subject and MAM (ids, times, senders,
# bodies); across servers (a third argument) the room's name, description
# and members-only, the lists (JIDs renamed), the subject and the bodies.
compare() { # BEFORE AFTER WHAT [OLD_DOMAIN NEW_DOMAIN]
    "$PY" - "$@" <<'EOF' >"$T/cmp" 2>&1 && ok || { bad "$m: $3: the rooms differ"; cat "$T/cmp" >&2; }
import json, sys
a, b = (json.load(open(p))["rooms"] for p in sys.argv[1:3])
cross = len(sys.argv) > 5
ren = (lambda s: s.replace(sys.argv[4], sys.argv[5])) if cross else (lambda s: s)
def view(r, renamed):
    conf = r.get("config") or {}
    config = {k: sorted(v) if isinstance(v, list) else v for k, v in conf.items()}
    f = renamed if renamed else (lambda s: s)
    affs = {k: sorted(f(j) for j in v) for k, v in (r.get("affiliations") or {}).items()}
    mam = [(m["id"], m["stamp"], m["from"], m["body"])
           for m in (r.get("mam") or {}).get("messages", [])]
    if cross:
        config = {"name": config.get("muc#roomconfig_roomname"),
                  "desc": config.get("muc#roomconfig_roomdesc") or "",
                  "membersonly": config.get("muc#roomconfig_membersonly") == "1"}
        mam = [x[3] for x in mam if x[3]]
    else:
        affs = r.get("affiliations")
    return {"config": config, "affiliations": affs,
            "joined": ((r.get("joined") or {}).get("item") or {}).get("affiliation"),
            "subject": (r.get("subject") or {}).get("text"), "mam": mam}
bad = 0
rooms = {ren(k): v for k, v in a.items()}
for room in sorted(set(rooms) | set(b)):
    va, vb = view(rooms.get(room, {}), ren if cross else None), view(b.get(room, {}), None)
    for k in va:
        if va[k] != vb[k]:
            bad = 1
            print("%s %s:\n  before %s\n  after  %s" % (room, k, va[k], vb[k]))
sys.exit(bad)
EOF
}
probe "$T/before.json"
"$PY" - "$T/before.json" "$D" "$SVC" <<'EOF' >"$T/sane" 2>&1 && ok || { bad "$m: the rooms were not made as asked"; cat "$T/sane" >&2; }
import json, sys
r = json.load(open(sys.argv[1]))["rooms"]
d, svc = sys.argv[2], sys.argv[3]
t = r["team@" + svc]
assert t["config"]["muc#roomconfig_roomname"] == "Team Room", t["config"]
assert "carol@" + d in t["affiliations"]["member"], t["affiliations"]
assert t["affiliations"]["outcast"]["dave@" + d]["reason"] == "spam", t["affiliations"]
assert t["joined"]["item"]["affiliation"] == "owner", t["joined"]
assert t["subject"]["text"] == "Sprint 42 planning", t["subject"]
assert [m["body"] for m in t["mam"]["messages"] if m["body"]] == ["hello team %d" % i for i in (1, 2, 3)], t["mam"]
assert len(r["open@" + svc]["mam"]["messages"]) == 1
EOF

# 2. exported, as a XEP-0519 component
pid=$(pgrep -f "beam.smp.*$XPORTA_SERVERS_DIR" | head -n 1)
if [ "$STORAGE" = sqlite ]; then
    run 8 "$X" server-export $HOSTOPT "$STORE" -o "$T/a.xml"
    has "$T/err" "ejabberd (beam.smp, pid $pid) has it open"
fi
# 3. refused while ejabberd runs
run 8 "$X" server-import "$(dirname "$MUCPY")/../data/full.xml" "$STORE"
srv stop ejabberd >/dev/null 2>&1
run 0 "$X" server-export $HOSTOPT "$STORE" -o "$T/a.xml"
has "$T/err" "2 rooms"
run 0 "$X" check "$T/a.xml"
has "$T/a.xml" "<component xmlns='urn:xmpp:pie:0#component' jid='$SVC' type='muc'>"
has "$T/a.xml" "<item affiliation='outcast' jid='dave@$D'><reason>spam</reason></item>"
"$X" stats "$T/a.xml" >"$T/stats" 2>&1
hasre "$T/stats" "room team@$SVC: archive 4, room-config 1, room-affiliation 4, room-subject 1"

# 3. into emptied tables
empty || bad "$m: loading $SCHEMA_FILE"
run 0 "$X" server-import --dry-run "$T/a.xml" "$STORE"
[ "$(sql 'SELECT count(*) FROM muc_room')" = 0 ] && ok || bad "$m: a dry run wrote rooms"
run 0 "$X" server-import "$T/a.xml" "$STORE"
has "$T/err" "2 rooms"
hasre "$T/err" "room-config +2 +2 +0"
hasre "$T/err" "room-affiliation +5 +5 +0"
hasre "$T/err" "archive +5 +5 +0"
[ "$(sql "SELECT count(*) FROM archive WHERE kind = 'groupchat' AND username = 'team@$SVC'")" = 4 ] &&
    ok || bad "$m: the room's archive rows"
if [ "$SCHEMA" = new ]; then
    [ "$(sql "SELECT DISTINCT server_host FROM muc_room")" = "$D" ] && ok || bad "$m: muc_room.server_host"
fi

# 4. a second run writes nothing (the default schema: the domain named)
run 0 "$X" server-import $HOSTOPT "$T/a.xml" "$STORE"
hasre "$T/err" "room-config +2 +0 +2 +0"
hasre "$T/err" "room-affiliation +5 +0 +5 +0"
hasre "$T/err" "room-subject +1 +0 +1 +0"
hasre "$T/err" "archive +5 +0 +5 +0"

XPORTA_EJABBERD_STORAGE=$STORAGE XPORTA_EJABBERD_SQL_SCHEMA=$SCHEMA \
    srv start ejabberd >"$T/start.log" 2>&1 || { cat "$T/start.log"; exit 1; }
probe "$T/after.json"
compare "$T/before.json" "$T/after.json" "imported into emptied tables"
srv stop ejabberd >/dev/null 2>&1

# 5. exported again: the same rooms
run 0 "$X" server-export $HOSTOPT "$STORE" -o "$T/b.xml"
"$X" diff --only-kinds room-config,room-affiliation,room-subject,archive \
    "$T/a.xml" "$T/b.xml" >"$T/diff" 2>&1 && ok || { bad "$m: the second export differs"; tail -20 "$T/diff" >&2; }

# 4. renamed to the server's second host, next to the rooms there: served
# on conference.DOMAIN2 (the new schema: server_host DOMAIN2)
if [ "$SCHEMA" = new ]; then
    D2=$XPORTA_EJABBERD_DOMAIN2 SVC2=$XPORTA_EJABBERD_MUC2
    run 0 "$X" server-import --rename-host "$D=$D2" "$T/a.xml" "$STORE"
    has "$T/err" "2 rooms"
    [ "$(sql "SELECT count(*) FROM muc_room WHERE host = '$SVC2' AND server_host = '$D2'")" = 2 ] &&
        ok || bad "$m: the rooms on $SVC2"
    [ "$(sql "SELECT count(*) FROM muc_room WHERE host = '$SVC'")" = 2 ] &&
        ok || bad "$m: the rooms on $SVC were touched"
    XPORTA_EJABBERD_STORAGE=$STORAGE XPORTA_EJABBERD_SQL_SCHEMA=$SCHEMA \
        srv start ejabberd >"$T/start.log" 2>&1 || { cat "$T/start.log"; exit 1; }
    probe "$T/after2.json" "$D2" "$SVC2"
    compare "$T/before.json" "$T/after2.json" "renamed to $D2" "$D" "$D2"
    srv stop ejabberd >/dev/null 2>&1
fi
# ... and into emptied tables, to a host the server does not serve
if [ "$SCHEMA" = new ]; then
    empty || bad "$m: loading $SCHEMA_FILE"
    run 0 "$X" server-import --rename-host "$D=new.example" "$T/a.xml" "$STORE"
    [ "$(sql "SELECT host || ' ' || server_host FROM muc_room WHERE name = 'team'")" = "conference.new.example new.example" ] &&
        ok || bad "$m: the service was not renamed"
    [ "$(sql "SELECT count(*) FROM archive WHERE username = 'team@conference.new.example'")" = 4 ] &&
        ok || bad "$m: the archive's rooms were not renamed"
    has_opt=$(sql "SELECT opts FROM muc_room WHERE name = 'team'")
    case $has_opt in *'<<"dave">>,<<"new.example">>'*) ok ;; *) bad "$m: affiliations not renamed: $has_opt" ;; esac
fi

# 6. across servers
if [ "$STORAGE/$SCHEMA" = sqlite/new ] && command -v prosody >/dev/null 2>&1; then
    export XPORTA_SERVERS_DIR="$T/servers-p"
    srv start prosody >"$T/start.log" 2>&1 || { cat "$T/start.log"; exit 1; }
    . "$XPORTA_SERVERS_DIR/servers.env"
    PD=$XPORTA_PROSODY_DOMAIN PSVC=conference.$XPORTA_PROSODY_DOMAIN
    PDATA=$XPORTA_SERVERS_DIR/prosody/data
    for u in boss bob carol dave; do
        srv adduser prosody "$u" "$PASS" >/dev/null || bad "adduser prosody $u"
    done
    sed "s/@$D/@$PD/g" "$T/spec.json" >"$T/pspec.json"
    MUC setup --owner "boss@$PD" --owner-password-file "$T/pw" --service "$PSVC" \
        --spec "$T/pspec.json" >"$T/psetup.json" 2>&1 || { bad "prosody room setup"; tail -30 "$T/psetup.json" >&2; }
    probe "$T/p-before.json" "$PD" "$PSVC"
    srv stop prosody >/dev/null 2>&1
    # ejabberd -> Prosody: its rooms (and accounts) into Prosody's storage
    mv "$PDATA" "$PDATA.orig" && mkdir "$PDATA"
    # the subject change is no room message for Prosody (it keeps those
    # with a body): left out, with the reason
    run 0 "$X" server-import --rename-host "$D=$PD" "$T/a.xml" "prosody:$PDATA"
    has "$T/err" "2 rooms"
    hasre "$T/err" "archive +5 +4 +0 +0 +0 +1"
    srv start prosody >"$T/start.log" 2>&1 || { cat "$T/start.log"; exit 1; }
    probe "$T/p-after.json" "$PD" "$PSVC"
    compare "$T/before.json" "$T/p-after.json" "ejabberd -> Prosody" "$D" "$PD"
    srv stop prosody >/dev/null 2>&1
    rm -rf "$PDATA" && mv "$PDATA.orig" "$PDATA"
    # Prosody -> ejabberd: into emptied tables, the host renamed
    run 0 "$X" server-export "prosody:$PDATA" -o "$T/p.xml"
    export XPORTA_SERVERS_DIR="$T/servers"
    empty || bad "$m: loading $SCHEMA_FILE"
    run 0 "$X" server-import --rename-host "$PD=$D" "$T/p.xml" "$STORE"
    has "$T/err" "2 rooms"
    run 0 "$X" server-import --rename-host "$PD=$D" "$T/p.xml" "$STORE"
    hasre "$T/err" "room-config +2 +0 +2 +0"
    hasre "$T/err" "room-affiliation +5 +0 +5 +0"
    hasre "$T/err" "room-subject +1 +0 +1 +0"
    hasre "$T/err" "archive +[0-9]+ +0 +[0-9]+ +0"
    XPORTA_EJABBERD_STORAGE=$STORAGE XPORTA_EJABBERD_SQL_SCHEMA=$SCHEMA \
        srv start ejabberd >"$T/start.log" 2>&1 || { cat "$T/start.log"; exit 1; }
    probe "$T/e-after.json"
    compare "$T/p-before.json" "$T/e-after.json" "Prosody -> ejabberd" "$PD" "$D"
    srv stop all >/dev/null 2>&1
fi

echo "server_rooms_ejabberd $m: $n checks, $fails failed"
[ "$fails" -eq 0 ]

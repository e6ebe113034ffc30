#!/bin/sh
# ejabberd's rooms in its SQL storage on SQLite (issue 13 part 4), no
# server: the rows a real ejabberd 23.01 wrote (tests/data/ejabberd-rooms:
# muc_room.opts of `team`, its muc_registered row, its archive rows) in the
# tables of tests/data/ejabberd-sql/lite-{new,default}.sql.
#  - server-export writes the room as a XEP-0519 component (the owner
#    form, the affiliations with reasons and the registered nick, the
#    subject with the time of its archived message, the history);
#  - server-import into empty tables of both schemas writes muc_room,
#    muc_registered and archive rows: the opts byte for byte as ejabberd
#    wrote them but the roles (not carried), exported again the same
#    rooms; a second run writes nothing;
#  - merged: a room already there keeps what the file does not say; a nick
#    registered to another JID stays with it (noted);
#  - tests/data/muc-full.xml (another server's room, and a room without
#    records, made with ejabberd's defaults) with a host rename;
#  - opts that are not ejabberd's: the export fails naming the room.
# Usage: server_ejabberd_rooms.sh PATH/TO/xporta PATH/TO/tests/data
# Exits 77 without the sqlite3 command.
set -u
X=$1 D=$2
command -v sqlite3 >/dev/null 2>&1 || { echo "skip: sqlite3 is needed"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/xporta-ejd-rooms-XXXXXX")
trap 'rm -rf "$T"' EXIT
[ -n "${KEEP:-}" ] && trap - EXIT
export XDG_STATE_HOME="$T/state"
. "$(dirname "$0")/../integration/checks.sh"
E=$D/ejabberd-sql R=$D/ejabberd-rooms
H=new.localhost SVC=conference.new.localhost
schema() { grep -v '^INSERT' "$E/lite-$1.sql" | sqlite3 "$2"; }
q() { sqlite3 "$1" "$2"; }
roles_out() { sed 's/{roles,\[[^]]*\]}/{roles,[]}/'; }

# the source: the real rows, in the new schema
schema new "$T/src.db"
sqlite3 "$T/src.db" <<EOF
INSERT INTO muc_room (name, server_host, host, opts) VALUES ('team', '$H', '$SVC', readfile('$R/team.opts'));
INSERT INTO muc_registered (jid, host, server_host, nick) SELECT 'carol@$H', '$SVC', '$H', 'caro';
CREATE TEMP TABLE t (username, timestamp, peer, bare_peer, xml, txt, kind, nick);
.mode tabs
.import $R/archive.tsv t
INSERT INTO archive (username, server_host, timestamp, peer, bare_peer, xml, txt, kind, nick)
  SELECT username, '$H', timestamp, peer, bare_peer, xml, txt, kind, nick FROM t;
EOF
# opts as they were read (readfile keeps a final newline, ejabberd has none)
q "$T/src.db" "UPDATE muc_room SET opts = rtrim(opts, char(10))"

run 0 "$X" server-export "ejabberd+sqlite:$T/src.db" -o "$T/a.xml"
has "$T/err" "1 rooms"
run 0 "$X" check "$T/a.xml"
"$X" stats "$T/a.xml" >"$T/stats" 2>&1
has "$T/stats" "room team@$SVC: archive 3, room-config 1, room-affiliation 5, room-subject 1"
has "$T/a.xml" "<component xmlns='urn:xmpp:pie:0#component' jid='$SVC' type='muc'>"
has "$T/a.xml" "<item affiliation='member' jid='carol@$H' nick='caro'><reason>team member</reason></item>"
has "$T/a.xml" "<field var='muc#roomconfig_roomname'><value>Team Room</value></field>"
# the subject's time: the archived message that set it
has "$T/a.xml" "<subject>Sprint 42 planning</subject><delay xmlns='urn:xmpp:delay' from='team@$SVC' stamp='2026-12-05T05:46:13.713785Z'/>"
has "$T/a.xml" "<result xmlns='urn:xmpp:mam:2' id='1796449573763928'>"
# the archive row of a room without a muc_room row is not a room
hasnt "$T/a.xml" "secret message"

for s in new default; do
    db=$T/$s.db
    schema "$s" "$db"
    run 0 "$X" server-import "$T/a.xml" "ejabberd+sqlite:$db"
    hasre "$T/err" "room-config +1 +1 +0"
    hasre "$T/err" "archive +3 +3 +0"
    [ "$(q "$db" "SELECT opts FROM muc_room WHERE name = 'team' AND host = '$SVC'" | roles_out)" = \
        "$(roles_out <"$R/team.opts")" ] && ok || bad "$s: opts differ from ejabberd's (but the roles)"
    [ "$(q "$db" "SELECT jid || ' ' || nick FROM muc_registered WHERE host = '$SVC'")" = "carol@$H caro" ] &&
        ok || bad "$s: muc_registered"
    [ "$(q "$db" "SELECT group_concat(timestamp || ' ' || nick || ' ' || kind, ',') FROM (SELECT * FROM archive WHERE username = 'team@$SVC' ORDER BY timestamp)")" = \
        "1796449573713785 Alice groupchat,1796449573763928 Alice groupchat,1796449573814651 Alice groupchat" ] &&
        ok || bad "$s: archive rows"
    if [ "$s" = new ]; then
        [ "$(q "$db" "SELECT DISTINCT server_host FROM muc_room UNION SELECT DISTINCT server_host FROM archive")" = "$H" ] &&
            ok || bad "$s: server_host"
    fi
    run 0 "$X" server-import --host "$H" "$T/a.xml" "ejabberd+sqlite:$db"
    hasre "$T/err" "room-config +1 +0 +1 +0"
    hasre "$T/err" "room-affiliation +5 +0 +5 +0"
    hasre "$T/err" "room-subject +1 +0 +1 +0"
    hasre "$T/err" "archive +3 +0 +3 +0"
    run 0 "$X" server-export --host "$H" "ejabberd+sqlite:$db" -o "$T/b-$s.xml"
    run 0 "$X" diff "$T/a.xml" "$T/b-$s.xml"
    has "$T/out" "same records"
done

# merged into a room that is there: its description stays, the file's
# name replaces it; a nick registered to another JID stays with it
db=$T/merge.db
schema new "$db"
q "$db" "INSERT INTO muc_room (name, server_host, host, opts) VALUES ('team', '$H', '$SVC', '[{title,<<\"Old\">>},{description,<<\"kept\">>},{affiliations,[{{<<\"zed\">>,<<\"$H\">>,<<>>},{member,<<>>}}]}]')"
q "$db" "INSERT INTO muc_registered (jid, host, server_host, nick) VALUES ('zed@$H', '$SVC', '$H', 'caro')"
run 0 "$X" server-import --on-conflict replace "$T/a.xml" "ejabberd+sqlite:$db"
opts=$(q "$db" "SELECT opts FROM muc_room WHERE name = 'team'")
case $opts in *'{title,<<"Team Room">>}'*) ok ;; *) bad "merge: the title: $opts" ;; esac
case $opts in *'<<"zed">>'*'{member,'*) ok ;; *) bad "merge: zed's membership went: $opts" ;; esac
[ "$(q "$db" "SELECT count(*) FROM muc_room")" = 1 ] && ok || bad "merge: two rows for the room"
[ "$(q "$db" "SELECT group_concat(jid, ' ') FROM muc_registered")" = "zed@$H" ] && ok || bad "merge: muc_registered"
has "$T/err" "nick 'caro' is registered to zed@$H"

# another server's rooms, the host renamed
db=$T/full.db
schema new "$db"
run 0 "$X" server-import --rename-host "example.org=$H" "$D/muc-full.xml" "ejabberd+sqlite:$db"
has "$T/err" "2 rooms"
[ "$(q "$db" "SELECT group_concat(name || '@' || host, ' ') FROM (SELECT * FROM muc_room ORDER BY name)")" = "empty@$SVC team@$SVC" ] &&
    ok || bad "muc-full: the rooms"
run 0 "$X" server-import --rename-host "example.org=$H" "$D/muc-full.xml" "ejabberd+sqlite:$db"
awk '/^  room-[a-z]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+$/ || /^  archive / {
    rows++; if ($3 != 0) w = w " " $1 }
    END { if (!rows || w) { print "written:" w; exit 1 } }' "$T/err" >"$T/nw" &&
    ok || bad "muc-full: a second run wrote $(cat "$T/nw")"

# opts ejabberd could not have written
cp "$T/src.db" "$T/bad.db"
q "$T/bad.db" "UPDATE muc_room SET opts = '[{title,<<\"x\">>' WHERE name = 'team'"
run 3 "$X" server-export "ejabberd+sqlite:$T/bad.db" -o "$T/bad.xml"
has "$T/err" "muc_room.opts of team@$SVC"
[ ! -e "$T/bad.xml" ] && ok || bad "a file was left"

echo "server_ejabberd_rooms: $n checks, $fails failed"
[ "$fails" -eq 0 ]

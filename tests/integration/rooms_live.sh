#!/bin/sh
# Group chats follow the user (issue 13), on the real servers:
#   rooms_live.sh SERVERS_SCRIPT SERVERS_DIR XPORTA
#
# An independent owner (slixmpp, muc_rooms.py) makes rooms on the old
# server's MUC service: OLD is owner in one, admin in one, member in two
# members-only rooms (one showing real JIDs), banned in one, and owner of
# a hidden room nobody bookmarked; carol is a member of the owned room.
# OLD bookmarks the first five (XEP-0402).  Then, in both directions
# (Prosody -> ejabberd and ejabberd -> Prosody):
#  - migrate --dry-run says what it would grant and changes nothing;
#  - migrate --notify-owners: NEW is owner where OLD is, member where OLD
#    is admin (only owners make admins), nothing where OLD is a member or
#    banned, and every other affiliation is as it was (read by the owner);
#    the owners whom the room shows get one message; NEW has the
#    bookmarks with their nicks and autojoin;
#  - xporta rooms --room HIDDEN grants the hidden room, the rest is
#    "already"; a grant the owner removed is not made again ("earlier");
#    a second --notify-owners messages nobody twice.
set -u
SCRIPT=$1 DIR=$2 X=$3
HERE=$(cd "$(dirname "$0")" && pwd)
command -v prosody >/dev/null 2>&1 && [ -x /usr/sbin/ejabberdctl ] &&
    /usr/bin/python3 -c 'import slixmpp' 2>/dev/null || {
    echo "skip: prosody, ejabberd and python3-slixmpp are needed"
    exit 77
}
. "$DIR/servers.env"
XPORTA_SERVERS_DIR=$DIR
export XPORTA_SERVERS_DIR
T=$(mktemp -d "${TMPDIR:-/tmp}/xporta-rooms-live-XXXXXX")
trap 'rm -rf "$T"' EXIT
XDG_STATE_HOME=$T/state
export XDG_STATE_HOME
. "$HERE/checks.sh"
EV=$HERE/../tools/events.py
RUN=r$(date +%s)$$
echo xporta-pass >"$T/pw"
MUC() { /usr/bin/python3 "$HERE/muc_rooms.py" "$@" --servers-env "$DIR/servers.env"; }

# affs ROOM: "AFFILIATION JID" lines of the room, as its owner reads them.
affs() {
    MUC probe --jid "$BOSS" --password-file "$T/pw" --room "$1" >"$T/probe.json" 2>"$T/probe.err" ||
        { bad "probe $1"; cat "$T/probe.err" >&2; }
    /usr/bin/python3 - "$T/probe.json" "$1" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))["rooms"][sys.argv[2]]["affiliations"]
for aff in sorted(d):
    for jid in sorted(d[aff]):
        print(aff, jid)
EOF
}
# aff_is ROOM JID AFF ("absent": in no list)
aff_is() {
    got=$(affs "$1" | awk -v j="$2" '$2 == j { print $1 }')
    [ -n "$got" ] || got=absent
    if [ "$got" = "$3" ]; then ok; else bad "$1: $2 is '$got', want '$3'"; fi
}

# scenario OLD_SERVER OLD_DOMAIN NEW_SERVER NEW_DOMAIN PREFIX
scenario() {
    os=$1 od=$2 ns=$3 nd=$4 P=$5
    OSU=$(echo "$os" | tr a-z A-Z) NSU=$(echo "$ns" | tr a-z A-Z)
    OP=$(eval echo "\$XPORTA_${OSU}_PORT") NP=$(eval echo "\$XPORTA_${NSU}_PORT")
    SVC=conference.$od
    for u in boss old carol; do
        bash "$SCRIPT" adduser "$os" "$P-$u@$od" xporta-pass >/dev/null || bad "adduser $P-$u@$od"
    done
    bash "$SCRIPT" adduser "$ns" "$P-new@$nd" xporta-pass >/dev/null || bad "adduser $P-new@$nd"
    BOSS=$P-boss@$od OLD=$P-old@$od NEW=$P-new@$nd CAROL=$P-carol@$od
    cat >"$T/spec.json" <<EOF
{"rooms": [
 {"name": "$P-own", "config": {"muc#roomconfig_roomname": "Owned"},
  "affiliations": {"$OLD": "owner", "$CAROL": "member"}},
 {"name": "$P-adm", "affiliations": {"$OLD": "admin"}},
 {"name": "$P-mem", "config": {"muc#roomconfig_membersonly": "1", "muc#roomconfig_whois": "moderators"},
  "affiliations": {"$OLD": "member"}},
 {"name": "$P-memw", "config": {"muc#roomconfig_membersonly": "1", "muc#roomconfig_whois": "anyone"},
  "affiliations": {"$OLD": "member", "$CAROL": "member"},
  "messages": ["hello room", "second <b>&amp;</b> message"]},
 {"name": "$P-ban", "affiliations": {"$OLD": "outcast"}},
 {"name": "$P-hid", "config": {"muc#roomconfig_publicroom": "0"},
  "affiliations": {"$OLD": "owner"}}
]}
EOF
    MUC setup --owner "$BOSS" --owner-password-file "$T/pw" --service "$SVC" \
        --spec "$T/spec.json" >"$T/setup.json" 2>&1 || { bad "$os: room setup"; tail -30 "$T/setup.json" >&2; }
    BM=""
    for r in own adm mem memw ban; do BM="$BM${BM:+,}$P-$r@$SVC:oldnick-$r:true"; done
    MUC bookmarks --jid "$OLD" --password-file "$T/pw" --rooms "$BM" >"$T/bm.json" 2>&1 ||
        { bad "$os: bookmarks"; tail -20 "$T/bm.json" >&2; }
    PAIR="--old-host 127.0.0.1 --old-port $OP --new-host 127.0.0.1 --new-port $NP --cafile $XPORTA_TEST_CAFILE --old-password-file $T/pw --new-password-file $T/pw"
    ONE="--host 127.0.0.1 --port $OP --cafile $XPORTA_TEST_CAFILE --password-file $T/pw"

    # shellcheck disable=SC2086
    run 0 "$X" migrate --dry-run "$OLD" "$NEW" $PAIR
    has "$T/err" "would    $P-own@$SVC (owner): would make $NEW owner"
    has "$T/err" "would    $P-adm@$SVC (admin): would make $NEW admin"
    hasre "$T/err" "ask +$P-mem@$SVC \(member\): $OLD is a member"
    # Hidden: only named rooms reach it on Prosody.  ejabberd lists hidden
    # rooms to their owners, but past 100 rooms on the service
    # (max_rooms_discoitems) only occupied ones: either way is right there.
    [ "$os" = prosody ] && hasnt "$T/err" "$P-hid@$SVC"
    aff_is "$P-own@$SVC" "$NEW" absent

    # shellcheck disable=SC2086
    run 0 "$X" migrate --notify-owners "$OLD" "$NEW" $PAIR
    has "$T/err" "granted  $P-own@$SVC (owner): $NEW is owner there now"
    has "$T/err" "partly   $P-adm@$SVC (admin): $NEW is a member there now"
    hasre "$T/err" "ask +$P-mem@$SVC \(member\)"
    hasnt "$T/err" "$P-ban@$SVC" # nothing to carry: shown with -v only
    # Public rooms other tests made on the service count too.
    hasre "$T/err" "rooms: [0-9]+ looked at \(1 MUC service\(s\) listed\); granted [12], member only 1"
    aff_is "$P-own@$SVC" "$NEW" owner
    aff_is "$P-own@$SVC" "$OLD" owner
    aff_is "$P-own@$SVC" "$CAROL" member
    aff_is "$P-own@$SVC" "$BOSS" owner
    aff_is "$P-adm@$SVC" "$NEW" member
    aff_is "$P-adm@$SVC" "$OLD" admin
    aff_is "$P-mem@$SVC" "$NEW" absent
    aff_is "$P-memw@$SVC" "$NEW" absent
    aff_is "$P-ban@$SVC" "$NEW" absent
    aff_is "$P-ban@$SVC" "$OLD" outcast
    [ "$os" = prosody ] && aff_is "$P-hid@$SVC" "$NEW" absent
    # Members read the lists of rooms that show real JIDs (both servers):
    # the owner is known and messaged.
    has "$T/err" "notified $P-memw@$SVC (member): $OLD cannot grant it; messaged 1 owner(s) ($BOSS)"
    hasre "$T/err" "ask +$P-mem@$SVC \(member\): .*the room does not say who"
    # The bookmarks came along (the copy of PEP), with nick and autojoin.
    MUC bookmarks --jid "$NEW" --password-file "$T/pw" >"$T/nbm.json" 2>&1 || bad "$ns: read bookmarks"
    for r in own adm mem memw ban; do
        /usr/bin/python3 - "$T/nbm.json" "$P-$r@$SVC" "oldnick-$r" <<'EOF' && ok || bad "bookmark $P-$r@$SVC on NEW"
import json, sys
d = json.load(open(sys.argv[1]))
s = json.dumps(d)
sys.exit(0 if sys.argv[2] in s and sys.argv[3] in s else 1)
EOF
    done

    # The rooms OLD is in, into a file: the history of the ones with MAM.
    rm -f "$T/rooms.xml"
    # shellcheck disable=SC2086
    run 0 "$X" export "$OLD" -o "$T/rooms.xml" --rooms $ONE
    hasre "$T/err" "rooms: 5 written, [45] with their history \(2 message\(s\)\)"
    run 0 "$X" check "$T/rooms.xml"
    has "$T/out" "1 component, 5 rooms"
    has "$T/rooms.xml" "<item xmlns='urn:xmpp:pie:0#component' name='$P-memw'>"
    has "$T/rooms.xml" "hello room"
    has "$T/rooms.xml" "second &lt;b&gt;&amp;amp;&lt;/b&gt; message"
    # The owned room's configuration came too (OLD is an owner there).
    has "$T/rooms.xml" "<value>Owned</value>"

    # The hidden room, named; the rest already done.
    # shellcheck disable=SC2086
    run 0 "$X" rooms "$OLD" "$NEW" $ONE --room "$P-hid@$SVC"
    if [ "$os" = prosody ]; then
        has "$T/err" "granted  $P-hid@$SVC (owner)"
    else
        hasre "$T/err" "(granted|already)  $P-hid@$SVC \(owner\)"
    fi
    has "$T/err" "already  $P-own@$SVC (owner)"
    aff_is "$P-hid@$SVC" "$NEW" owner
    # The owner takes NEW out of the owned room: not granted again.
    MUC grant --jid "$BOSS" --password-file "$T/pw" --room "$P-own@$SVC" --target "$NEW" \
        --affiliation none >"$T/g.json" 2>&1 || bad "owner removes $NEW"
    # shellcheck disable=SC2086
    run 0 "$X" rooms --notify-owners "$OLD" "$NEW" $ONE
    has "$T/err" "earlier  $P-own@$SVC (owner)"
    aff_is "$P-own@$SVC" "$NEW" absent
    # One message per owner and room, across runs.
    has "$T/err" "ask      $P-memw@$SVC (member): $OLD cannot grant it, and its owners ($BOSS) were messaged by an earlier run"
    # The same, as JSON events (xporta(1), JSON EVENTS): a room event per
    # room, the summary's counts are theirs.
    # shellcheck disable=SC2086
    run 0 "$X" rooms --json --dry-run "$OLD" "$NEW" $ONE
    [ ! -s "$T/err" ] && ok || bad "$os: rooms --json wrote to stderr: $(head -3 "$T/err")"
    /usr/bin/python3 "$EV" "$T/out" rooms 0 'start["dry_run"] and s["dry_run"]' \
        's["room_outcomes"]["rooms"] == len(by("room")) >= 5' \
        'all(s["room_outcomes"][o] == len([r for r in by("room") if r["outcome"] == o]) for o in ("granted", "partial", "already", "ask", "notified", "refused", "none", "unreachable", "planned", "earlier"))' \
        '{(r["room"], r["affiliation"], r["outcome"]) for r in by("room")} >= {("'"$P-own@$SVC"'", "owner", "planned"), ("'"$P-ban@$SVC"'", "outcast", "none")}' \
        '[r["owners"] for r in by("room") if r["room"] == "'"$P-memw@$SVC"'"] == ["'"$BOSS"'"]' ||
        bad "$os: rooms --json events"
    /usr/bin/python3 "$HERE/xmpp_probe.py" --jid "$BOSS" --password-file "$T/pw" \
        --servers-env "$DIR/servers.env" --collect 3 -o "$T/boss.json" >/dev/null 2>&1
    /usr/bin/python3 - "$T/boss.json" "$OLD" "$NEW" "$P-memw@$SVC" <<'EOF' && ok || bad "owner messages"
import json, sys
d = json.load(open(sys.argv[1]))
msgs = [m for m in d["presented"]["messages"]
        if m.get("from", "").split("/")[0] == sys.argv[2] and sys.argv[3] in (m.get("body") or "")]
print("owner got %d message(s): %s" % (len(msgs), [m.get("body") for m in msgs]), file=sys.stderr)
sys.exit(0 if len(msgs) == 1 and sys.argv[4] in msgs[0]["body"] else 1)
EOF
}

# move_room OLD_SERVER OLD_DOMAIN NEW_SERVER NEW_DOMAIN PREFIX: a room OLD
# owns, moved to the new server by NEW, while carol sits in it.
move_room() {
    os=$1 od=$2 ns=$3 nd=$4 P=$5
    OSU=$(echo "$os" | tr a-z A-Z) NSU=$(echo "$ns" | tr a-z A-Z)
    OP=$(eval echo "\$XPORTA_${OSU}_PORT") NP=$(eval echo "\$XPORTA_${NSU}_PORT")
    for u in boss old carol; do
        bash "$SCRIPT" adduser "$os" "$P-$u@$od" xporta-pass >/dev/null || bad "adduser $P-$u@$od"
    done
    bash "$SCRIPT" adduser "$ns" "$P-new@$nd" xporta-pass >/dev/null || bad "adduser $P-new@$nd"
    BOSS=$P-boss@$od OLD=$P-old@$od NEW=$P-new@$nd CAROL=$P-carol@$od
    OR=$P-mv@conference.$od NR=$P-mv@conference.$nd
    # Prosody's form has only the secret; ejabberd's a switch besides.
    PWFIELD=
    [ "$os" = ejabberd ] && PWFIELD='"muc#roomconfig_passwordprotectedroom": "1", '

    cat >"$T/spec.json" <<EOF
{"rooms": [{"name": "$OR",
  "config": {"muc#roomconfig_roomname": "Moving", "muc#roomconfig_roomdesc": "Where we meet",
             "muc#roomconfig_membersonly": "1", "muc#roomconfig_whois": "anyone",
             "muc#roomconfig_changesubject": "0"},
  "affiliations": {"$OLD": "owner", "$CAROL": "member", "spam@bad.example": "outcast",
                   "$P-adm@$od": "admin"},
  "subject": "Welcome, movers"},
 {"name": "$P-mv2@conference.$od", "affiliations": {"$OLD": "owner"}},
 {"name": "$P-mvp@conference.$od", "affiliations": {"$OLD": "owner"},
  "config": {$PWFIELD"muc#roomconfig_roomsecret": "s3cret"},
  "subject": "Behind a password"}]}
EOF
    MUC setup --owner "$BOSS" --owner-password-file "$T/pw" --service "conference.$od" \
        --spec "$T/spec.json" >"$T/setup.json" 2>&1 || { bad "$os: move setup"; tail -30 "$T/setup.json" >&2; }
    PAIR="--old-host 127.0.0.1 --old-port $OP --new-host 127.0.0.1 --new-port $NP --cafile $XPORTA_TEST_CAFILE --old-password-file $T/pw --new-password-file $T/pw"
    MUC bookmarks --jid "$OLD" --password-file "$T/pw" --rooms "$OR:mover:true:Moving" \
        >"$T/bm.json" 2>&1 || { bad "$os: bookmark $OR"; tail -20 "$T/bm.json" >&2; }
    # shellcheck disable=SC2086
    run 0 "$X" room-move --dry-run "$OLD" "$NEW" "$OR" "conference.$nd" $PAIR
    has "$T/err" "would       bookmark $NR for $NEW with the nick mover, joined automatically"
    has "$T/err" "would       create $NR as $NEW"
    has "$T/err" "would       make $CAROL member"
    has "$T/err" "would       make spam@bad.example outcast"
    hasnt "$T/err" "would       make $OLD"
    MUC disco --jid "$NEW" --password-file "$T/pw" --target "$NR" >"$T/d.json" 2>&1
    has "$T/d.json" "item-not-found" # the dry run made nothing

    # carol is in the old room and learns where it went.
    rm -f "$T/ready"
    MUC watch --jid "$CAROL" --password-file "$T/pw" --room "$OR" --nick carol \
        --ready "$T/ready" --wait 60 >"$T/watch.json" 2>&1 &
    wpid=$!
    i=0
    while [ ! -f "$T/ready" ] && [ $i -lt 30 ]; do sleep 1; i=$((i + 1)); done
    [ -f "$T/ready" ] || bad "$os: carol did not get into $OR"
    # shellcheck disable=SC2086
    run 0 "$X" room-move --destroy-old "$OLD" "$NEW" "$OR" "conference.$nd" $PAIR
    has "$T/err" "destroyed   $OR; its occupants were pointed to $NR"
    has "$T/err" "bookmark    $NR bookmarked for $NEW with the nick mover"
    MUC bookmarks --jid "$NEW" --password-file "$T/pw" >"$T/nbm.json" 2>&1 || bad "$ns: read bookmarks"
    /usr/bin/python3 - "$T/nbm.json" "$NR" <<'EOF' && ok || { bad "$NR not bookmarked for $NEW"; cat "$T/nbm.json" >&2; }
import json, sys
b = (json.load(open(sys.argv[1])).get("bookmarks2") or {}).get(sys.argv[2])
sys.exit(0 if b and b.get("nick") == "mover" and b.get("autojoin") and b.get("name") == "Moving" else 1)
EOF
    has "$T/err" "room-move: "
    has "$T/err" "subject set; old room destroyed; 0 difference(s)"
    wait $wpid || bad "$os: the watcher"
    /usr/bin/python3 - "$T/watch.json" "$NR" <<'EOF' && ok || { bad "carol was not pointed to $NR"; cat "$T/watch.json" >&2; }
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if (d.get("destroy") or {}).get("jid") == sys.argv[2] else 1)
EOF
    # The new room as its owner sees it.
    MUC probe --jid "$NEW" --password-file "$T/pw" --room "$NR" --join newowner >"$T/np.json" 2>&1 ||
        { bad "probe $NR"; tail -20 "$T/np.json" >&2; }
    /usr/bin/python3 - "$T/np.json" "$NR" "$NEW" "$CAROL" "$P-adm@$od" "$BOSS" <<'EOF' && ok || { bad "$NR as moved"; cat "$T/np.json" >&2; }
import json, sys
room, new, carol, adm, boss = sys.argv[2:7]
d = json.load(open(sys.argv[1]))["rooms"][room]
a, c = d["affiliations"], d["config"]
problems = []
def want(cond, what):
    if not cond:
        problems.append(what)
want(new in a.get("owner", {}) and boss in a.get("owner", {}), "owners %s" % a.get("owner"))
want(adm in a.get("admin", {}), "admins %s" % a.get("admin"))
want(carol in a.get("member", {}), "members %s" % a.get("member"))
want("spam@bad.example" in a.get("outcast", {}), "outcasts %s" % a.get("outcast"))
want(not any(j.endswith("-old@" + boss.split("@")[1]) for l in a.values() for j in l), "the old address is gone")
want(c.get("muc#roomconfig_roomname") == "Moving", "name %r" % c.get("muc#roomconfig_roomname"))
want(c.get("muc#roomconfig_roomdesc") == "Where we meet", "description")
want(c.get("muc#roomconfig_membersonly") in ("1", "true"), "members-only")
want(c.get("muc#roomconfig_persistentroom") in ("1", "true"), "persistent")
want(c.get("muc#roomconfig_whois") == "anyone", "whois")
want("Welcome, movers" in json.dumps(d), "the subject")
print("\n".join(problems), file=sys.stderr)
sys.exit(1 if problems else 0)
EOF
    # Again: the earlier run's work is recognised.
    # shellcheck disable=SC2086
    run 0 "$X" room-move --destroy-old "$OLD" "$NEW" "$OR" "conference.$nd" $PAIR
    has "$T/err" "done        $OR moved to $NR and was destroyed by an earlier run"
    # A password-protected room: its owners enter with the password too.
    # With --json: the notes and the counts, as events.
    # shellcheck disable=SC2086
    run 0 "$X" room-move --json "$OLD" "$NEW" "$P-mvp@conference.$od" "conference.$nd" $PAIR
    /usr/bin/python3 "$EV" "$T/out" room-move 0 \
        'start["room"] == "'"$P-mvp@conference.$od"'" and start["new_room"] == "'"$P-mvp@conference.$nd"'"' \
        '(lambda m: m["created"] and m["subject"] and not m["destroyed"] and m["differs"] == 0)(s["room_move"]) and s["verified"]' \
        's["room_move"]["affiliations"] >= 1 and s["room_move"]["affiliations_failed"] == 0' \
        'len(by("note")) > 0 and all(n["what"] and n["detail"] for n in by("note"))' ||
        bad "$os: room-move --json events"
    MUC probe --jid "$NEW" --password-file "$T/pw" --room "$P-mvp@conference.$nd" >"$T/pp.json" 2>&1 ||
        bad "probe $P-mvp@conference.$nd"
    has "$T/pp.json" "s3cret"
    # A room that exists is never written into.
    # shellcheck disable=SC2086
    run 9 "$X" room-move "$OLD" "$NEW" "$P-mv2@conference.$od" "$NR" $PAIR
    has "$T/err" "exists already"
}

scenario prosody "$XPORTA_PROSODY_DOMAIN" ejabberd "$XPORTA_EJABBERD_DOMAIN" "$RUN-p"
scenario ejabberd "$XPORTA_EJABBERD_DOMAIN" prosody "$XPORTA_PROSODY_DOMAIN" "$RUN-e"
move_room prosody "$XPORTA_PROSODY_DOMAIN" ejabberd "$XPORTA_EJABBERD_DOMAIN" "$RUN-mp"
move_room ejabberd "$XPORTA_EJABBERD_DOMAIN" prosody "$XPORTA_PROSODY_DOMAIN" "$RUN-me"
move_room prosody "$XPORTA_PROSODY_DOMAIN" prosody "$XPORTA_PROSODY_DOMAIN2" "$RUN-mpp"

echo "$n checks, $fails failed"
[ $fails -eq 0 ]

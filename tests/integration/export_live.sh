#!/bin/sh
# xporta export against the real servers (both), as a user runs it:
#   export_live.sh SERVERS_SCRIPT SERVERS_DIR XPORTA XP_POPULATE SCENARIOS
#
# For each server: fresh accounts filled with every kind (fill-<server>.xml)
# plus 600 archived messages; the export must hold exactly that data.  Then
# the error paths, resume after crashes at several points (test builds), a
# server's own view as oracle (Prosody keeping its data as XEP-0227 files),
# and that export leaves offline messages on the server.
set -u
SCRIPT=$1 DIR=$2 X=$3 POP=$4 SCEN=$5
command -v prosody >/dev/null 2>&1 && [ -x /usr/sbin/ejabberdctl ] || {
    echo "skip: prosody and ejabberd are needed"
    exit 77
}
. "$DIR/servers.env"
XPORTA_SERVERS_DIR=$DIR
export XPORTA_SERVERS_DIR
T=$(mktemp -d "${TMPDIR:-/tmp}/xporta-export-live-XXXXXX")
trap 'rm -rf "$T"' EXIT
RUN=x$(date +%s)$$
PASS=xporta-pass
. "$(dirname "$0")/checks.sh"
EV="$(dirname "$0")/../tools/events.py"
echo "$PASS" >"$T/pw"
echo "not-the-password" >"$T/badpw"

# fill SERVER DOMAIN PREFIX: makes PREFIX-alice..grace and fills alice.
fill() {
    for u in alice bob carol dave erin frank grace; do
        bash "$SCRIPT" adduser "$1" "$3-$u" "$PASS" >/dev/null || bad "adduser $1 $3-$u"
    done
    "$POP" "$DIR/servers.env" "$SCEN/fill-$1.xml" ALICE="$3-alice" BOB="$3-bob" \
        CAROL="$3-carol" DAVE="$3-dave" ERIN="$3-erin" FRANK="$3-frank" \
        GRACE="$3-grace" PASS="$PASS" >"$T/fill.log" 2>&1 ||
        { bad "fill $1"; tail -20 "$T/fill.log" >&2; }
    # 600 more messages, so the archive has pages to resume in.
    cat >"$T/chat.xml" <<EOS
<script>
  <login as='b' jid='$3-bob@$2' password='$PASS' resource='chat'/>
  <repeat count='600' var='I'>
    <send as='b'><message to='$3-alice@$2' type='chat' id='m{I}'><body>message {I} of 600</body></message></send>
  </repeat>
  <iq as='b' type='get' to='$2'><ping xmlns='urn:xmpp:ping'/></iq>
  <logout as='b'/>
</script>
EOS
    "$POP" "$DIR/servers.env" "$T/chat.xml" >"$T/chat.log" 2>&1 || bad "chat $1"
}

export_args() { # SERVER -> connection options
    if [ "$1" = prosody ]; then port=$XPORTA_PROSODY_PORT; else port=$XPORTA_EJABBERD_PORT; fi
    echo "--host 127.0.0.1 --port $port --cafile $XPORTA_TEST_CAFILE --password-file $T/pw"
}

for server in prosody ejabberd; do
    if [ $server = prosody ]; then D=$XPORTA_PROSODY_DOMAIN; else D=$XPORTA_EJABBERD_DOMAIN; fi
    P=$RUN-$server
    fill $server "$D" "$P"
    if [ $server = ejabberd ]; then
        before=$(bash "$SCRIPT" ejabberdctl get_offline_count "$P-alice" "$D" 2>/dev/null)
    fi
    # shellcheck disable=SC2046
    run 0 "$X" export "$P-alice@$D" -o "$T/$server.xml" $(export_args $server)
    F=$T/$server.xml
    has "$T/err" "exported $P-alice@$D to $F"
    has "$T/err" "archive: "
    [ "$(stat -c %a "$F")" = 600 ] && ok || bad "$F is not mode 0600"
    run 0 "$X" check "$F"
    # Every subscription state, with names and groups.
    has "$F" "jid='$P-bob@$D'"
    has "$F" "subscription='both'"
    has "$F" "name='Bob Example'"
    # (Prosody returns groups in no particular order.)
    item_has "$F" "$P-bob@$D" "<group>Friends</group>" "<group>Work</group>"
    item_has "$F" "$P-carol@$D" "subscription='to'" "name='Carol C'" "<group>Work</group>"
    item_has "$F" "$P-dave@$D" "subscription='from'" "name='Dave D'" "<group>Family</group>"
    item_has "$F" "$P-erin@$D" "subscription='none'" "name='Erin E'"
    item_has "$F" "$P-frank@$D" "ask='subscribe'" "name='Frank F'"
    has "$F" "jid='$P-frank@$D'"
    has "$F" "ask='subscribe'"
    # The request grace made while alice was away.
    has "$F" "<presence xmlns='jabber:client' type='subscribe' from='$P-grace@$D'"
    has "$F" "Hi Alice, it is Grace"
    # vCard, private XML, blocklist, PEP, MAM preferences, the archive.
    has "$F" "<vCard xmlns='vcard-temp'>"
    has "$F" "storage:rosternotes"
    has "$F" "exodus:prefs"
    has "$F" "<blocklist xmlns='urn:xmpp:blocking'>"
    for node in urn:xmpp:bookmarks:1 urn:xmpp:avatar:data urn:xmpp:avatar:metadata \
        http://jabber.org/protocol/nick urn:xmpp:vcard4 urn:xmpp:omemo:2:devices urn:xmpp:moved:1; do
        has "$F" "<configure node='$node'>"
        has "$F" "<items node='$node'>"
    done
    has "$F" "<prefs xmlns='urn:xmpp:mam:2'"
    run 0 "$X" stats --json "$F"
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); k=d['kinds']; sys.exit(0 if k['archive']['count'] >= 621 and k['roster']['count'] == 5 and k['blocklist']['count'] == 2 and k['pep-item']['count'] >= 8 else 1)" "$T/out" && ok || { bad "$server: counts"; cat "$T/out" >&2; }
    if [ $server = ejabberd ]; then
        has "$F" "<list name='work'>" # a privacy list; Prosody 0.12 has none
        after=$(bash "$SCRIPT" ejabberdctl get_offline_count "$P-alice" "$D" 2>/dev/null)
        [ -n "$before" ] && [ "$before" = "$after" ] && [ "$before" -ge 1 ] && ok ||
            bad "offline messages consumed by the export ($before -> $after)"
    fi
    # The archive in its original order: message 1 of 600 before 600.
    a=$(grep -n "message 1 of 600<" "$F" | cut -d: -f1)
    b=$(grep -n "message 600 of 600<" "$F" | cut -d: -f1)
    [ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ] && ok || bad "archive out of order"
    count_is "$F" "of 600</body>" 600
    # Exporting again gives the same records; with --json, its events
    # (xporta(1), JSON EVENTS) count what the file holds.
    # shellcheck disable=SC2046
    run 0 "$X" export --json --parallel 1 "$P-alice@$D" -o "$T/$server-p1.xml" $(export_args $server)
    [ ! -s "$T/err" ] && ok || bad "$server: export --json wrote to stderr: $(head -3 "$T/err")"
    cp "$T/out" "$T/events.json"
    run 0 "$X" stats --json "$T/$server-p1.xml"
    /usr/bin/python3 "$EV" "$T/events.json" export 0 \
        'start["account"] == "'"$P-alice@$D"'" and start["file"] == "'"$T/$server-p1.xml"'"' \
        's["kinds"]["archive"]["count"] >= 621 and not s["resumed"]' \
        'all(p["step"] == "export" for p in by("progress"))' \
        'any(p.get("kind") == "archive" and p["done"] > 0 for p in by("progress"))' \
        'all(k["state"] == "done" for k in s["kinds"].values() if k["count"])' \
        'all(kind(n).get("count", 0) == c["count"] for n, c in json.load(open("'"$T/out"'"))["kinds"].items())' ||
        bad "$server: export --json events"
    run 0 "$X" diff "$F" "$T/$server-p1.xml"
    has "$T/out" "same records"
done

# ---- error paths (Prosody) ------------------------------------------------
A=$RUN-prosody-alice@$XPORTA_PROSODY_DOMAIN
C="--host 127.0.0.1 --port $XPORTA_PROSODY_PORT"
run 6 "$X" export "$A" -o "$T/e.xml" $C --cafile "$XPORTA_TEST_CAFILE" --password-file "$T/badpw"
has "$T/err" "authentication failed for $A"
run 5 "$X" export "$A" -o "$T/e.xml" $C --password-file "$T/pw"
has "$T/err" "is not trusted"
run 0 "$X" export "$A" -o "$T/e.xml" $C --insecure --password-file "$T/pw" --only-kinds roster
has "$T/err" "--insecure: the server's certificate is NOT verified"
run 5 "$X" export "$A" -o "$T/e2.xml" --host 127.0.0.1 --port 1 --cafile "$XPORTA_TEST_CAFILE" --password-file "$T/pw"
has "$T/err" "cannot connect"
[ ! -e "$T/e2.xml" ] && [ ! -e "$T/e2.xml.part" ] && ok || bad "a failed export left a file"
run 2 env -u XPORTA_PASSWORD "$X" export "$A" -o "$T/e3.xml" $C --cafile "$XPORTA_TEST_CAFILE"
has "$T/err" "passwords are never taken from the command line"
run 2 "$X" export "$A" -o "$T/e.xml" $C --cafile "$XPORTA_TEST_CAFILE" --password-file "$T/pw"
has "$T/err" "exists; use --force"
XPORTA_PASSWORD=$PASS run 0 "$X" export "$A" -o "$T/e4.xml" $C --cafile "$XPORTA_TEST_CAFILE" --only-kinds vcard
run 2 "$X" export "$A" -o "$T/e5.xml" --only-kinds bogus
has "$T/err" "unknown kind 'bogus'"

# ---- resume after crashes (test builds crash on request) -------------------
REF=$T/prosody.xml
XPORTA_TEST_CRASH_AFTER_ARCHIVED=1 "$X" export -q "$A" -o "$T/r.xml" $C \
    --cafile "$XPORTA_TEST_CAFILE" --password-file "$T/pw" >/dev/null 2>&1
if [ $? -eq 137 ]; then
    for at in 150 333 600; do
        XPORTA_TEST_CHECKPOINT_MS=0 XPORTA_TEST_CRASH_AFTER_ARCHIVED=$at "$X" export -q "$A" \
            -o "$T/r.xml" $C --cafile "$XPORTA_TEST_CAFILE" --password-file "$T/pw" >/dev/null 2>&1
        [ $? -eq 137 ] && ok || bad "no crash at $at"
        [ -f "$T/r.xml.part.state" ] && ok || bad "no state after a crash at $at"
    done
    run 0 "$X" export "$A" -o "$T/r.xml" $C --cafile "$XPORTA_TEST_CAFILE" --password-file "$T/pw"
    has "$T/err" "resuming an interrupted export"
    cmp -s "$T/r.xml" "$REF" && ok || bad "resumed export differs from the uninterrupted one"
    [ ! -e "$T/r.xml.part" ] && [ ! -e "$T/r.xml.part.state" ] && ok || bad "resume left files"
    ls "$T"/r.xml.part.spool* >/dev/null 2>&1 && bad "spool files left" || ok
else
    echo "note: not a test build (XPORTA_TEST_HOOKS off): crash/resume not tested"
fi

# ---- Prosody as oracle: its own XEP-0227 files -------------------------------
O=$T/oracle
XPORTA_SERVERS_DIR=$O XPORTA_PROSODY_STORAGE=xep0227 XPORTA_PROSODY_PORT= XPORTA_PROSODY_S2S_PORT= \
    bash "$SCRIPT" start prosody >"$T/oracle.log" 2>&1 || { bad "oracle prosody"; cat "$T/oracle.log" >&2; }
if [ -f "$O/servers.env" ]; then
    OP=$RUN-oracle
    for u in alice bob carol dave erin frank grace; do
        XPORTA_SERVERS_DIR=$O bash "$SCRIPT" adduser prosody "$OP-$u" "$PASS" >/dev/null
    done
    "$POP" "$O/servers.env" "$SCEN/fill-prosody.xml" ALICE="$OP-alice" BOB="$OP-bob" \
        CAROL="$OP-carol" DAVE="$OP-dave" ERIN="$OP-erin" FRANK="$OP-frank" \
        GRACE="$OP-grace" PASS="$PASS" >"$T/ofill.log" 2>&1 || bad "oracle fill"
    OPORT=$(grep '^XPORTA_PROSODY_PORT=' "$O/servers.env" | cut -d= -f2)
    ODATA=$(grep '^XPORTA_PROSODY_DATA_DIR=' "$O/servers.env" | cut -d= -f2)
    OCA=$(grep '^XPORTA_TEST_CAFILE=' "$O/servers.env" | cut -d= -f2)
    run 0 "$X" export "$OP-alice@$XPORTA_PROSODY_DOMAIN" -o "$T/oracle-export.xml" \
        --host 127.0.0.1 --port "$OPORT" --cafile "$OCA" --password-file "$T/pw"
    # What the server itself stored, read by xporta, against the export.
    # Prosody's mod_bookmarks shows private storage:bookmarks made from
    # the XEP-0402 node; the private store itself does not hold it.
    run 1 "$X" diff --only-kinds roster,private,pep-node "$ODATA/$OP-alice@$XPORTA_PROSODY_DOMAIN.xml" "$T/oracle-export.xml"
    grep -E "^(only in A|differs|only in B)" "$T/out" >"$T/deltas"
    if [ "$(sed 's/ [^ ]*@[^ ]*: / /' "$T/deltas")" = "only in B private {storage:bookmarks}storage" ]; then ok; else
        bad "export and the server's own files differ:"
        cat "$T/out" >&2
    fi
    has "$T/out" "roster                      5          0          0          0"
    has "$T/out" "pep-node                    8          0          0          0"
    XPORTA_SERVERS_DIR=$O bash "$SCRIPT" stop prosody >/dev/null 2>&1
fi

echo "$n checks, $fails failed"
[ "$fails" -eq 0 ]

#!/bin/sh
# XEP-0519 rooms in files: check, stats, convert and diff, as a user runs them.
# Usage: room_files.sh PATH/TO/xporta PATH/TO/tests/data
set -u
X=$1
D=$2
T=$(mktemp -d "${TMPDIR:-/tmp}/xporta-cli-XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0
n=0

ok() { n=$((n + 1)); }
bad() { n=$((n + 1)); fails=$((fails + 1)); echo "FAIL: $*" >&2; }

# run EXPECTED_EXIT CMD...: runs, keeps stdout/stderr in $T/out $T/err
run() {
    want=$1
    shift
    "$@" >"$T/out" 2>"$T/err"
    got=$?
    if [ "$got" -ne "$want" ]; then
        bad "exit $got, want $want: $*"
        sed 's/^/    err: /' "$T/err" | head -20 >&2
        sed 's/^/    out: /' "$T/out" | head -20 >&2
        return 1
    fi
    ok
}
has() { # has FILE PATTERN: grep -F
    if grep -qF -- "$2" "$1"; then ok; else bad "$1 lacks: $2"; sed 's/^/    /' "$1" | head -30 >&2; fi
}
hasnt() {
    if grep -qF -- "$2" "$1"; then bad "$1 has: $2"; else ok; fi
}
json() { # json FILE PYTHON-EXPR (evaluated with d = the parsed document)
    if python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$1"; then ok; else bad "json check failed: $2"; head -c 2000 "$1" >&2; fi
}
mode() { # mode FILE OCTAL
    m=$(stat -c %a "$1" 2>/dev/null)
    if [ "$m" = "$2" ]; then ok; else bad "$1 has mode $m, want $2"; fi
}
empty_dir() {
    if [ -z "$(ls -A "$1")" ]; then ok; else bad "$1 is not empty: $(ls -A "$1")"; fi
}


F="$D/muc-full.xml"
C="$D/muc-cheogram.xml"

# ---- check ---------------------------------------------------------------------
run 0 "$X" check "$F" "$C"
has "$T/out" "muc-full.xml: ok: 1 host, 2 users, 1 component, 2 rooms, 12 records; 0 errors"
has "$T/out" "muc-cheogram.xml: ok: 1 host, 1 user, 1 component, 2 rooms"
run 0 "$X" check --json "$F"
json "$T/out" "d['files'][0]['components'] == 1 and d['files'][0]['rooms'] == 2"
cat >"$T/bad.xml" <<'XML'
<server-data xmlns='urn:xmpp:pie:0'>
<component xmlns='urn:xmpp:pie:0#component' jid='conference.example.org' type='muc'>
<item name='r'>
<x xmlns='http://jabber.org/protocol/muc#user'><item jid='a@example.org' affiliation='boss'/></x>
</item>
<item name='r'/>
</component>
</server-data>
XML
run 1 "$X" check "$T/bad.xml"
has "$T/out" "bad.xml:4:48: error: affiliation 'boss' is not owner, admin, member or outcast"
has "$T/out" "bad.xml:6:1: error: room 'r@conference.example.org' occurs twice"

# ---- stats ---------------------------------------------------------------------
run 0 "$X" stats "$F"
has "$T/out" "conference.example.org ($F): component, type muc"
has "$T/out" "  room team@conference.example.org: vcard 1, archive 2, other 1, room-config 1, room-affiliation 4, room-subject 1"
has "$T/out" "  component conference.example.org: 2 rooms:"
has "$T/out" "rooms: 1 component, 2 rooms"
run 0 "$X" stats --json "$F" "$C"
json "$T/out" "d['component_count'] == 2 and d['room_count'] == 4 and d['room_kinds']['archive']['count'] == 5 and d['room_kinds']['room-affiliation']['count'] == 4 and d['user_count'] == 3"
json "$T/out" "[r['name'] for r in d['components'][1]['rooms']] == ['lobby', 'team']"
run 0 "$X" stats --summary --json "$C"
json "$T/out" "d['components'][0]['rooms'] == [] and d['components'][0]['room_count'] == 2"
run 0 "$X" stats "$D/full.xml"
hasnt "$T/out" "rooms:"

# ---- convert -------------------------------------------------------------------
run 0 "$X" convert -o "$T/copy.xml" "$F"
run 0 "$X" diff "$F" "$T/copy.xml"
has "$T/out" "same records"
has "$T/out" "room-affiliation            4"
run 0 "$X" convert --rename-host example.org=new.example -o "$T/new.xml" "$F"
has "$T/new.xml" "jid='conference.new.example' type='muc'"
has "$T/new.xml" "<item jid='alice@new.example' affiliation='owner' nick='Alice'/>"
has "$T/new.xml" "from='team@conference.new.example/bobby'"
has "$T/new.xml" "<item jid='carol@other.example' affiliation='member'/>"
run 0 "$X" check "$T/new.xml"
run 0 "$X" diff --rename-host example.org=new.example "$F" "$T/new.xml"
has "$T/out" "same records"
# its own rename wins over the host's
run 0 "$X" convert --rename-host example.org=new.example --rename-host conference.example.org=muc.elsewhere.example -o "$T/own.xml" "$F"
has "$T/own.xml" "jid='muc.elsewhere.example'"
has "$T/own.xml" "from='team@muc.elsewhere.example/Alice'"
run 0 "$X" convert --exclude-kinds rooms -o "$T/norooms.xml" "$F"
hasnt "$T/norooms.xml" "muc#owner"
has "$T/norooms.xml" "<item xmlns='urn:xmpp:pie:0#component' name='team'>"
# dialects without a place for components leave them out, saying so
run 0 "$X" convert --dialect ejabberd -o "$T/ejd.xml" "$F"
has "$T/err" "component conference.example.org left out: ejabberd's import_piefxis"
hasnt "$T/ejd.xml" "component"
run 0 "$X" convert --dialect prosody -o "$T/pro" "$F"
has "$T/err" "component conference.example.org left out: Prosody's layout"
# an invalid room: refused, or left out with --skip-invalid
run 3 "$X" convert -o "$T/x.xml" "$T/bad.xml"
has "$T/err" "affiliation 'boss'"
run 1 "$X" convert --skip-invalid -o "$T/x.xml" "$T/bad.xml"
has "$T/err" "room left out (--skip-invalid)"
run 0 "$X" check "$T/x.xml"

# ---- diff ----------------------------------------------------------------------
sed "s/Sprint 42/Sprint 43/; s/affiliation='member'/affiliation='admin'/" "$F" >"$T/changed.xml"
run 1 "$X" diff "$F" "$T/changed.xml"
has "$T/out" "differs   room-affiliation room team@conference.example.org: carol@other.example"
has "$T/out" "differs   room-subject room team@conference.example.org: subject"
run 1 "$X" diff "$F" "$C"
has "$T/out" "only in B archive r1"
has "$T/out" "only in A room-config room team@conference.example.org: config"

echo "$n checks, $fails failed"
[ "$fails" -eq 0 ]

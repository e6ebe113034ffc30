#!/bin/sh
# The xporta command, every command and every error path, as a user runs it.
# Usage: test_cli.sh PATH/TO/xporta PATH/TO/tests/data
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

# ---- the command itself ------------------------------------------------------
run 2 "$X"
has "$T/err" "Usage: xporta COMMAND"
run 0 "$X" --help
has "$T/out" "check"
has "$T/out" "convert"
# a newcomer's first steps: create the account, dry run, then the real thing
has "$T/out" "Start here"
has "$T/out" "create the new account on the new server"
has "$T/out" "NEW@new.example --dry-run"
run 0 "$X" --version
has "$T/out" "xporta 0."
run 2 "$X" frobnicate
has "$T/err" "'frobnicate' is not a command"

# ---- check ----------------------------------------------------------------------
for f in prosody-export.xml prosody-export-bob.xml ejabberd-export-main.xml \
         ejabberd-export.xml full.xml prosody-pending.xml split/server-data.xml; do
    run 0 "$X" check "$D/$f"
    has "$T/out" ": ok: "
done
run 0 "$X" check -v "$D/ejabberd-export-main.xml"
has "$T/out" "note: SCRAM values were base64-encoded twice (ejabberd)"
run 1 "$X" check "$D/bad/semantic.xml"
has "$T/out" "semantic.xml:2:3: error: host 'bad host' is not a valid domain"
has "$T/out" "semantic.xml:16:9: error: roster item 'bob@example.com' occurs twice"
has "$T/out" "FAILED"
run 1 "$X" check -q "$D/bad/semantic.xml"
hasnt "$T/out" "warning:"
hasnt "$T/out" "FAILED"
run 3 "$X" check "$D/bad/malformed.xml"
has "$T/out" "malformed.xml:6:9: error: mismatched tag"
run 3 "$X" check --json "$D/bad/malformed.xml"
json "$T/out" "any(x['line'] == 6 and x['col'] == 9 and x['message'] == 'mismatched tag' and x['file'].endswith('malformed.xml') for x in d['files'][0]['diagnostics'])"
run 2 "$X" check --threads 3 "$D/full.xml"
has "$T/err" "--threads takes 1 or 2"
run 0 "$X" check --threads 1 "$D/full.xml"
run 3 "$X" check "$D/nonexistent.xml"
has "$T/out" "no such file"
run 3 "$X" check "$D/bad/missing-include.xml"
has "$T/out" "missing-include.xml:2:3: error: XInclude 'nowhere.xml' cannot be read"
run 1 "$X" check --json "$D/full.xml" "$D/bad/semantic.xml"
json "$T/out" "len(d['files']) == 2 and d['files'][0]['ok'] and not d['files'][1]['ok'] and d['files'][1]['errors'] == 21"
json "$T/out" "any(x['line'] == 2 and x['col'] == 3 and 'bad host' in x['message'] for x in d['files'][1]['diagnostics'])"
json "$T/out" "d['files'][0]['users'] == 2 and d['files'][0]['records'] == 33"
run 2 "$X" check
has "$T/err" "no FILE given"
run 2 "$X" check --bogus "$D/full.xml"
run 0 "$X" check --help
has "$T/out" "FILE:LINE:COL"

# ---- stats ----------------------------------------------------------------------
run 0 "$X" stats "$D/prosody-export.xml" "$D/ejabberd-export-main.xml"
has "$T/out" "alice@old.localhost: credentials 1, roster 1, private 1, pep-node 6, pep-affiliations 1, pep-item 6, archive 8"
has "$T/out" "bob@new.localhost: credentials 1, roster 1, vcard 1, offline 2"
has "$T/out" "total: 2 hosts, 3 users"
run 0 "$X" stats --summary "$D/ejabberd-export-main.xml"
hasnt "$T/out" "bob@new.localhost:"
has "$T/out" "host new.localhost: 2 users"
run 0 "$X" stats --json "$D/full.xml"
json "$T/out" "d['user_count'] == 2 and d['kinds']['archive']['count'] == 2 and d['kinds']['roster']['count'] == 4"
json "$T/out" "d['hosts'][0]['users'][0]['kinds']['credentials']['count'] == 3 and d['hosts'][0]['users'][0]['bytes'] > 5000"
run 3 "$X" stats "$D/bad/malformed.xml"
has "$T/err" "malformed.xml:6:"
run 2 "$X" stats
# --json stays one valid JSON document when a file fails (here: in the
# middle of a host, and a file that does not exist).
head -c 500 "$D/full.xml" >"$T/truncated.xml"
run 3 "$X" stats --json "$D/full.xml" "$T/truncated.xml"
json "$T/out" "len(d['hosts']) == 2 and 'truncated.xml:' in d['error']"
run 3 "$X" stats --json "$D/full.xml" "$T/nonexistent.xml"
json "$T/out" "d['error'].endswith('nonexistent.xml: no such file')"

# ---- convert ----------------------------------------------------------------------
umask 022
run 0 "$X" convert "$D/ejabberd-export-main.xml" -o "$T/std.xml"
has "$T/err" "wrote $T/std.xml (standard): 2 users"
mode "$T/std.xml" 600
run 0 "$X" check "$T/std.xml"
run 2 "$X" convert "$D/full.xml" -o "$T/std.xml"
has "$T/err" "exists; use --force"
run 0 "$X" convert --force "$D/full.xml" -o "$T/std.xml"
run 0 "$X" stats "$T/std.xml"
has "$T/out" "juliet@capulet.com: credentials 3"
# what is not a regular file is never renamed over, even with --force (as
# root, -o /dev/null once left a regular file in /dev)
mkfifo "$T/fifo"
run 2 "$X" convert --force "$D/full.xml" -o "$T/fifo"
has "$T/err" "fifo is not a regular file (a pipe)"
[ -p "$T/fifo" ] && ok || bad "convert --force replaced a pipe"
run 2 "$X" server-export --force "prosody:$D/prosody-internal" -o "$T/fifo"
[ -p "$T/fifo" ] && ok || bad "server-export --force replaced a pipe"

# Prosody dialect: one file per user, as the migrator wants them.
run 0 "$X" convert --dialect prosody "$D/ejabberd-export-main.xml" -o "$T/pro"
mode "$T/pro/alice@new.localhost.xml" 600
has "$T/pro/bob@new.localhost.xml" "<server-data xmlns='urn:xmpp:pie:0'><host jid='new.localhost'>"
has "$T/pro/bob@new.localhost.xml" "<archive xmlns='urn:xmpp:pie:0#mam'/>"
run 0 "$X" check "$T/pro/alice@new.localhost.xml" "$T/pro/bob@new.localhost.xml"
run 2 "$X" convert --dialect prosody "$D/full.xml" -o "$T/pro"
has "$T/err" "not empty"

# Issue 15: Prosody's driver takes the user from the file name as it is,
# so names are not escaped ('élève', not %C3%A9l%C3%A8ve; '%' stays '%');
# a name with upper-case letters gets a warning (Prosody imports it as
# written, and logins, mapped to lower case, never reach it).
printf "<host xmlns='urn:xmpp:pie:0' jid='x.example'><user name='\303\251l\303\250ve'/><user name='a%%41b'/><user name='Bob'/></host>\n" >"$T/names.xml"
run 0 "$X" convert --dialect prosody "$T/names.xml" -o "$T/names"
[ -f "$T/names/$(printf '\303\251l\303\250ve')@x.example.xml" ] && ok || bad "names: $(ls "$T/names")"
[ -f "$T/names/a%41b@x.example.xml" ] && ok || bad "names: $(ls "$T/names")"
has "$T/err" "Bob@x.example: Prosody's import keeps the upper-case letters"
hasnt "$T/err" "a%41b@x.example: Prosody"

# ejabberd dialect: main file and host file, SCRAM encoded twice.
run 0 "$X" convert --dialect ejabberd "$D/prosody-export.xml" -o "$T/ej.xml"
has "$T/ej.xml" "<xi:include href='ej_old_localhost.xml'/>"
has "$T/ej_old_localhost.xml" "<server-key>TUtkeHVSL1hwdDdybWp5bFJ1d1RzZHByRjhZPQ==</server-key>"
mode "$T/ej_old_localhost.xml" 600
run 0 "$X" check "$T/ej.xml"
run 0 "$X" convert --dialect ejabberd "$D/ejabberd-export-main.xml" -o "$T/ej2.xml"
has "$T/ej2_new_localhost.xml" "<list name='Blocked contacts'>"
# A host file that exists beside OUT is replaced only with --force.
echo precious >"$T/ejx_old_localhost.xml"
run 3 "$X" convert --dialect ejabberd "$D/prosody-export.xml" -o "$T/ejx.xml"
has "$T/err" "ejx_old_localhost.xml exists; use --force"
has "$T/ejx_old_localhost.xml" "precious"
[ -e "$T/ejx.xml" ] && bad "ejx.xml written" || ok
run 0 "$X" convert -f --dialect ejabberd "$D/prosody-export.xml" -o "$T/ejx.xml"
has "$T/ejx_old_localhost.xml" "<user name='alice'"

# The XInclude layout of XEP-0227 §5.
run 0 "$X" convert --split "$D/full.xml" -o "$T/split"
has "$T/split/server-data.xml" "<xi:include href='capulet.com.xml'/>"
has "$T/split/capulet.com.xml" "<xi:include href='capulet.com/juliet.xml'/>"
run 0 "$X" check "$T/split/server-data.xml"

# Merging Prosody's per-user files into one host.
run 0 "$X" convert "$D/prosody-export.xml" "$D/prosody-export-bob.xml" -o "$T/merged.xml"
run 0 "$X" stats "$T/merged.xml"
has "$T/out" "host old.localhost: 2 users"
run 3 "$X" convert "$D/prosody-export.xml" "$D/prosody-export.xml" -o "$T/dup.xml"
has "$T/err" "user alice@old.localhost would be written twice"
has "$T/err" "while reading $D/prosody-export.xml:1:"
[ -e "$T/dup.xml" ] && bad "dup.xml left behind" || ok
# A host met again after another host (Prosody's per-user files of two
# hosts in name order) stays one host file: before, the second file of
# old.localhost replaced the first and alice was lost.
for mode in "--dialect ejabberd -o $T/mix.xml" "--split -o $T/mixsplit"; do
    run 0 "$X" convert $mode "$D/prosody-export.xml" "$D/ejabberd-export-main.xml" \
        "$D/prosody-export-bob.xml"
done
has "$T/mix.xml" "<xi:include href='mix_old_localhost.xml'/>"
has "$T/mix_old_localhost.xml" "<user name='alice'"
has "$T/mix_old_localhost.xml" "<user name='bob'"
has "$T/mixsplit/old.localhost.xml" "<xi:include href='old.localhost/alice.xml'/>"
has "$T/mixsplit/old.localhost.xml" "<xi:include href='old.localhost/bob.xml'/>"
for f in "$T/mix.xml" "$T/mixsplit/server-data.xml"; do
    run 0 "$X" stats --json "$f"
    json "$T/out" "d['host_count'] == 2 and d['user_count'] == 4"
    run 0 "$X" check "$f"
done
# ... and a user met again there is a duplicate, in every dialect (before:
# written twice, or in the Prosody dialect the last one silently won).
for mode in "-o $T/dup2.xml" "--dialect prosody -o $T/dup2" "--dialect ejabberd -o $T/dup2.xml"; do
    run 3 "$X" convert $mode "$D/prosody-export.xml" "$D/ejabberd-export-main.xml" \
        "$D/prosody-export.xml"
    has "$T/err" "user alice@old.localhost would be written twice"
done
[ -e "$T/dup2.xml" ] || [ -e "$T/dup2" ] && bad "dup2 left behind" || ok

# Selecting users and kinds.
run 0 "$X" convert --users bob "$D/ejabberd-export-main.xml" -o "$T/bob.xml"
run 0 "$X" stats "$T/bob.xml"
has "$T/out" "host new.localhost: 1 user: "
has "$T/out" "total: 1 host, 1 user"
hasnt "$T/out" "1 users"
hasnt "$T/out" "alice"
run 3 "$X" convert --users bob,nobody@new.localhost "$D/ejabberd-export-main.xml" -o "$T/nobody.xml"
has "$T/err" "user 'nobody@new.localhost' (from --users) is not in the input"
[ -e "$T/nobody.xml" ] && bad "nobody.xml written" || ok
run 0 "$X" convert --exclude-kinds archive,pep "$D/prosody-export.xml" -o "$T/noarch.xml"
hasnt "$T/noarch.xml" "urn:xmpp:pie:0#mam"
hasnt "$T/noarch.xml" "pubsub"
has "$T/err" "records left out as asked"
run 0 "$X" convert --only-kinds roster "$D/full.xml" -o "$T/roster.xml"
run 0 "$X" stats --json "$T/roster.xml"
json "$T/out" "list(d['kinds'].keys()) == ['roster']"
run 2 "$X" convert --exclude-kinds roster,bogus "$D/full.xml" -o "$T/x.xml"
has "$T/err" "unknown kind 'bogus'"
run 0 "$X" convert --strip-secrets "$D/prosody-export.xml" -o "$T/nosecret.xml"
hasnt "$T/nosecret.xml" "scram"
mode "$T/nosecret.xml" 644

# Renaming a host moves every JID of it, and only of it.
run 0 "$X" convert --rename-host old.localhost=new.example "$D/prosody-export.xml" -o "$T/renamed.xml"
has "$T/renamed.xml" "<host jid='new.example'>"
has "$T/renamed.xml" "jid='bob@new.example'"
has "$T/renamed.xml" "from='alice@new.example/populate'"
hasnt "$T/renamed.xml" "@old.localhost"
run 0 "$X" check "$T/renamed.xml"
run 2 "$X" convert --rename-host nonsense "$D/full.xml" -o "$T/x.xml"
has "$T/err" "want OLD=NEW"

# Usage errors.
run 2 "$X" convert "$D/full.xml"
has "$T/err" "no output given"
run 2 "$X" convert --dialect mongoose "$D/full.xml" -o "$T/x.xml"
has "$T/err" "unknown dialect 'mongoose'"
run 2 "$X" convert --split --dialect prosody "$D/full.xml" -o "$T/x"
run 2 "$X" convert "$T/std.xml" -o "$T/std.xml"
has "$T/err" "both input and output"
# The same file under another name is refused too, even with --force.
run 2 "$X" convert --force --users juliet "$T/../$(basename "$T")/std.xml" -o "$T/std.xml"
has "$T/err" "both input and output"
run 2 "$X" convert --force "$D/full.xml" -o "$T/pro"
has "$T/err" "is a directory"
# An empty --users (an unset variable) is not "every user".
run 2 "$X" convert --users "" "$D/full.xml" -o "$T/x.xml"
has "$T/err" "--users names no user"

# Issue 15: ejabberd's privacy lists in any order (a <default/>, another
# list, "Blocked contacts") convert to Prosody: the blocklist read out of
# "Blocked contacts" no longer splits the user's privacy records.
W="<list name='W'><item type='jid' value='x@y.example' action='allow' order='1'/></list>"
B="<list name='Blocked contacts'><item value='s@e.example' type='jid' order='0' action='deny'/></list>"
P="<default name='W'/>"
for order in "$P$W$B" "$W$P$B" "$W$B$P"; do
    printf "<host xmlns='urn:xmpp:pie:0' jid='e.example'><user name='alice'><query xmlns='jabber:iq:privacy'>%s</query></user></host>\n" \
        "$order" >"$T/privacy.xml"
    run 0 "$X" check "$T/privacy.xml"
    rm -rf "$T/privpro"
    run 0 "$X" convert --dialect prosody "$T/privacy.xml" -o "$T/privpro"
    has "$T/privpro/alice@e.example.xml" "<item jid='s@e.example'/>"
    has "$T/privpro/alice@e.example.xml" "<default name='W'/>"
    run 0 "$X" check "$T/privpro/alice@e.example.xml"
done

# Issue 15: a roster in two <query> elements (valid XEP-0227; some
# exporters write it so) stopped the conversion to Prosody, which reads only
# the first <query> of a user: now every store comes out in one container,
# whatever order or split the user's records came in.
R1="<query xmlns='jabber:iq:roster'><item jid='b@e.example' subscription='both'/></query>"
R2="<query xmlns='jabber:iq:roster'><item jid='c@e.example' subscription='to'/></query>"
V="<vCard xmlns='vcard-temp'><FN>A</FN></vCard>"
Q1="<query xmlns='jabber:iq:private'><a xmlns='urn:a'/></query>"
Q2="<query xmlns='jabber:iq:private'><b xmlns='urn:b'/></query>"
for order in "$R1$R2" "$R1$V$R2" "$Q1$R1$Q2$V$R2" "$R2$Q2$V$Q1$R1"; do
    printf "<host xmlns='urn:xmpp:pie:0' jid='e.example'><user name='alice'>%s</user></host>\n" \
        "$order" >"$T/roster2.xml"
    run 0 "$X" check "$T/roster2.xml"
    rm -rf "$T/r2pro"
    run 0 "$X" convert --dialect prosody "$T/roster2.xml" -o "$T/r2pro"
    F="$T/r2pro/alice@e.example.xml"
    [ "$(grep -o "<query xmlns='jabber:iq:roster'>" "$F" | wc -l)" = 1 ] && ok ||
        bad "$order: not one roster query in $F"
    run 0 "$X" diff "$T/roster2.xml" "$F"
    has "$T/out" "same records"
done

# Issue 15: what check calls invalid (a user name, a JID) is not written:
# convert stops at it, or leaves it out with --skip-invalid and exits 1;
# stats says so.
for mode in "-o $T/inv.xml" "--dialect prosody -o $T/inv" "--dialect ejabberd -o $T/inv.xml"; do
    run 3 "$X" convert $mode "$D/bad/invalid-jids.xml"
    has "$T/err" "invalid-jids.xml:4:5: error: user name 'a b' is not a valid localpart"
    [ -e "$T/inv.xml" ] || [ -e "$T/inv" ] && bad "inv written" || ok
done
run 1 "$X" convert --skip-invalid "$D/bad/invalid-jids.xml" -o "$T/inv.xml"
has "$T/err" "invalid-jids.xml:4:5: warning: user name 'a b' is not a valid localpart"
has "$T/err" "invalid-jids.xml:11:9: warning: roster item jid '@@@' is not a valid JID"
has "$T/err" "left out what 2 errors concern"
hasnt "$T/inv.xml" "a b"
hasnt "$T/inv.xml" "@@@"
has "$T/inv.xml" "friend@x.example"
run 0 "$X" check "$T/inv.xml"
# Only what is written counts: a user left out by --users, a record by
# --exclude-kinds, has no say.
run 0 "$X" convert --users good --exclude-kinds roster "$D/bad/invalid-jids.xml" -o "$T/inv2.xml"
run 3 "$X" convert --users good "$D/bad/invalid-jids.xml" -o "$T/inv3.xml"
has "$T/err" "invalid-jids.xml:11:9: error: roster item jid '@@@' is not a valid JID"
hasnt "$T/err" "'a b'"
run 1 "$X" stats "$D/bad/invalid-jids.xml"
has "$T/err" "invalid-jids.xml:11:9: error: roster item jid '@@@' is not a valid JID"
has "$T/out" "total: 1 host, 2 users"
run 1 "$X" stats --json "$D/bad/invalid-jids.xml"
json "$T/out" "d['errors'] == 2 and d['user_count'] == 2"
# A Prosody user file whose name is not a localpart (as Prosody names it).
mkdir -p "$T/pin"
printf "<server-data xmlns='urn:xmpp:pie:0'><host jid='x.example'><user name='a b@c'><vCard xmlns='vcard-temp'><FN>x</FN></vCard></user></host></server-data>\n" \
    >"$T/pin/a%20b@c@x.example.xml"
run 3 "$X" convert --dialect prosody "$T/pin/a%20b@c@x.example.xml" -o "$T/pout"
has "$T/err" "a%20b@c@x.example.xml:1:59: error: user name 'a b@c' is not a valid localpart"
[ -e "$T/pout" ] && bad "pout written" || ok

# Issue 15: --rename-host repairs an invalid host: what is checked is what
# is written (the renamed host and JIDs), not the input.  What the rename
# does not repair is still refused, and the new name must be valid.
badhost() { # EXTRA-ROSTER-ITEMS EXTRA-HOSTS
    printf "<server-data xmlns='urn:xmpp:pie:0'><host jid='bad host'><user name='alice' password='pw'><query xmlns='jabber:iq:roster'><item jid='bob@bad host' subscription='both'/>%s</query><archive xmlns='urn:xmpp:pie:0#mam'><result xmlns='urn:xmpp:mam:2' id='1'><forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' stamp='2020-01-01T00:00:00Z'/><message xmlns='jabber:client' from='bob@bad host/phone' to='alice@bad host'><body>x</body></message></forwarded></result></archive></user></host>%s</server-data>\n" "$1" "$2"
}
badhost "" "" >"$T/badhost.xml"
run 3 "$X" convert "$D/full.xml" "$T/badhost.xml" -o "$T/bh.xml"
has "$T/err" "host 'bad host' is not a valid domain"
[ -e "$T/bh.xml" ] && bad "bh.xml written" || ok
for mode in "-o $T/bh.xml" "--dialect prosody -o $T/bhpro" "--dialect ejabberd -o $T/bhej.xml"; do
    run 0 "$X" convert --rename-host "bad host=good.example" $mode "$T/badhost.xml"
done
has "$T/bh.xml" "<host jid='good.example'>"
has "$T/bh.xml" "jid='bob@good.example'"
has "$T/bh.xml" "from='bob@good.example/phone' to='alice@good.example'"
hasnt "$T/bh.xml" "bad host"
run 0 "$X" check "$T/bh.xml"
run 0 "$X" check "$T/bhpro/alice@good.example.xml"
run 0 "$X" check "$T/bhej.xml"
badhost "<item jid='@@@'/>" "" >"$T/badhost2.xml"
run 3 "$X" convert --rename-host "bad host=good.example" "$T/badhost2.xml" -o "$T/bh2.xml"
has "$T/err" "roster item jid '@@@' is not a valid JID"
hasnt "$T/err" "bad host"
badhost "" "<host jid='worse host'><user name='carol'/></host>" >"$T/badhost3.xml"
run 3 "$X" convert --rename-host "bad host=good.example" "$T/badhost3.xml" -o "$T/bh3.xml"
has "$T/err" "host 'worse host' is not a valid domain"
run 1 "$X" convert --skip-invalid --rename-host "bad host=good.example" "$T/badhost3.xml" -o "$T/bh3.xml"
has "$T/bh3.xml" "<user name='alice'"
hasnt "$T/bh3.xml" "carol"
[ -e "$T/bh2.xml" ] && bad "bh2.xml written" || ok
run 2 "$X" convert --rename-host "good.example=bad host" "$T/badhost.xml" -o "$T/bh4.xml"
has "$T/err" "bad --rename-host 'good.example=bad host'"
has "$T/err" "domainpart contains a forbidden character"

# Bad input leaves nothing behind, not even a temporary file.
mkdir "$T/clean"
run 3 "$X" convert "$D/bad/malformed.xml" -o "$T/clean/out.xml"
has "$T/err" "malformed.xml:6:"
empty_dir "$T/clean"
run 3 "$X" convert --dialect prosody "$D/full.xml" "$D/bad/malformed.xml" -o "$T/clean/dir"
empty_dir "$T/clean"

# ---- diff ------------------------------------------------------------------
run 0 "$X" diff "$D/full.xml" "$D/full.xml"
has "$T/out" "same records"
# The same data written again (no indentation): the same records.
"$X" convert -q --compact "$D/full.xml" -o "$T/compact.xml" || bad "convert compact"
run 0 "$X" diff "$D/full.xml" "$T/compact.xml"
# A contact renamed is a difference, named with its key.
sed "s/name='Nurse'/name='Someone Else'/" "$D/full.xml" >"$T/renamed.xml"
run 1 "$X" diff "$D/full.xml" "$T/renamed.xml"
has "$T/out" "differs   roster"
has "$T/out" "they differ"
run 1 "$X" diff --json "$D/full.xml" "$T/renamed.xml"
json "$T/out" "d['same'] is False and d['kinds']['roster']['differ'] == 1"
run 0 "$X" diff -q --exclude-kinds roster "$D/full.xml" "$T/renamed.xml"
run 3 "$X" diff "$D/full.xml" "$D/bad/malformed.xml"
run 2 "$X" diff "$D/full.xml"
run 2 "$X" diff a@example.org b@example.org
has "$T/err" "not two accounts"

# diff --json stays one valid JSON document when B cannot be read.
run 3 "$X" diff --json "$D/full.xml" "$T/nonexistent.xml"
json "$T/out" "d['differences'] == [] and d['error'].endswith('nonexistent.xml: no such file')"
run 3 "$X" diff --json "$D/full.xml" "$T/truncated.xml"
json "$T/out" "'truncated.xml:' in d['error']"
run 3 "$X" diff --json "$T/truncated.xml" "$D/full.xml"
json "$T/out" "'truncated.xml:' in d['error']"

# ---- the same fault, the same exit code and message in every command -----
# (3 bad input: missing file, bad or missing XInclude; 4 local I/O: a
# directory or an unreadable file, with the system's reason.)
printf "<server-data xmlns='urn:xmpp:pie:0' xmlns:xi='http://www.w3.org/2001/XInclude'>\n  <xi:include href='/etc/passwd'/>\n</server-data>\n" >"$T/absinclude.xml"
mkdir -p "$T/adir"
for cmd in check stats "convert -f -o $T/fault.xml" "diff $D/full.xml"; do
    run 3 "$X" $cmd "$T/absinclude.xml"
    cat "$T/out" "$T/err" >"$T/all"
    has "$T/all" "absinclude.xml:2:3"
    has "$T/all" "only relative file names can be included"
    run 3 "$X" $cmd "$D/bad/missing-include.xml"
    cat "$T/out" "$T/err" >"$T/all"
    has "$T/all" "missing-include.xml:2:3"
    run 3 "$X" $cmd "$T/nonexistent.xml"
    cat "$T/out" "$T/err" >"$T/all"
    has "$T/all" "no such file"
    run 4 "$X" $cmd "$T/adir"
    cat "$T/out" "$T/err" >"$T/all"
    has "$T/all" "adir: "
    has "$T/all" "Is a directory"
done
# An unreadable file: as another user when we are root.
chmod 711 "$T"
mkdir -p "$T/perm"
chmod 777 "$T/perm"
cp "$D/full.xml" "$T/perm/secret.xml"
chmod 000 "$T/perm/secret.xml"
if [ "$(id -u)" -eq 0 ]; then
    as_other() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
else
    as_other() { "$@"; }
fi
# (Skipped where the other user cannot run the binary, e.g. a build under
# a private home directory.)
if { [ "$(id -u)" -ne 0 ] || command -v setpriv >/dev/null; } &&
    as_other "$X" --version >/dev/null 2>&1; then
    for cmd in check stats "convert -o $T/perm/out.xml" "diff $D/full.xml"; do
        run 4 as_other "$X" $cmd "$T/perm/secret.xml"
        cat "$T/out" "$T/err" >"$T/all"
        has "$T/all" "secret.xml"
        has "$T/all" "Permission denied"
    done
fi
chmod 700 "$T"

# One 20 MiB attribute (expat 2.5 re-parses an unfinished token at every
# feed: 64 MiB took check 35 s) is refused at once, where it starts.
{
    printf "<server-data xmlns='urn:xmpp:pie:0'>\n  <host jid='x.example'>\n    <user name='a' foo='"
    head -c 20971520 /dev/zero | tr '\0' A
    printf "'/>\n  </host>\n</server-data>\n"
} >"$T/token.xml"
for cmd in check stats "convert -f -o $T/token-out.xml" "diff $D/full.xml"; do
    t0=$(date +%s%N)
    run 3 "$X" $cmd "$T/token.xml"
    t1=$(date +%s%N)
    cat "$T/out" "$T/err" >"$T/all"
    has "$T/all" "token.xml:3:5: "
    has "$T/all" "one XML token"
    [ $(((t1 - t0) / 1000000)) -lt 1500 ] && ok || bad "$cmd token.xml took $(((t1 - t0) / 1000000)) ms"
done
rm -f "$T/token.xml"

# One message per bad option, naming it; bad values are refused.
for cmd in check stats convert diff; do
    run 2 "$X" $cmd --bogus "$D/full.xml"
    has "$T/err" "xporta $cmd: unknown option '--bogus'"
    [ "$(grep -c . "$T/err")" -eq 2 ] && ok || bad "$cmd --bogus: $(cat "$T/err")"
    run 2 "$X" $cmd -Z "$D/full.xml"
    has "$T/err" "unknown option '-Z'"
done
run 2 "$X" check --threads
has "$T/err" "option '--threads' needs a value"
run 2 "$X" stats --json=yes "$D/full.xml"
has "$T/err" "option '--json' takes no value"
run 2 "$X" convert "$D/full.xml" -o
has "$T/err" "option '-o' needs a value"
run 2 "$X" convert "$D/full.xml" -o "$T/o1.xml" -o "$T/o2.xml"
has "$T/err" "-o given twice"
[ -e "$T/o1.xml" ] || [ -e "$T/o2.xml" ] && bad "o1/o2 written" || ok
for v in abc -1 5x ""; do
    run 2 "$X" diff --max-lines "$v" "$D/full.xml" "$D/full.xml"
    has "$T/err" "--max-lines takes a number"
done
run 0 "$X" diff --max-lines 0 "$D/full.xml" "$D/full.xml"

# Ctrl-C: check, stats and diff stop at once with 10, as convert does.
mkfifo "$T/slow"
for cmd in check stats "diff $D/full.xml" "convert -f -o $T/int.xml"; do
    # A file that is slow to come: the start of a document, then nothing.
    sh -c "printf \"<server-data xmlns='urn:xmpp:pie:0'>\"; exec sleep 5" >"$T/slow" 2>/dev/null &
    producer=$!
    "$X" $cmd "$T/slow" >"$T/out" 2>"$T/err" &
    pid=$!
    sleep 0.5
    kill -INT "$pid"
    sleep 0.2
    kill "$producer" 2>/dev/null
    wait "$pid"
    got=$?
    wait "$producer" 2>/dev/null
    [ "$got" -eq 10 ] && ok || bad "$cmd interrupted: exit $got, want 10: $(cat "$T/err")"
    has "$T/err" "interrupted"
done
[ -e "$T/int.xml" ] && bad "int.xml written" || ok

# ---- export, import, migrate: usage (the live paths are in tests/integration)
for cmd in export import migrate; do
    run 0 "$X" $cmd --help
    has "$T/out" "never from the command line"
done
run 2 "$X" export
run 2 "$X" export me@example.org
has "$T/err" "no output given"
run 2 env XPORTA_PASSWORD=x "$X" export me@example.org -f -o "$T"
has "$T/err" "is a directory"
# Password files: a missing one says it is the password file; an empty
# first line is refused (not tried as an empty password).
run 4 "$X" export me@example.invalid --password-file "$T/no-pw" -o "$T/pw.xml"
has "$T/err" "password file for me@example.invalid: $T/no-pw"
: >"$T/empty-pw"
run 2 "$X" export me@example.invalid --password-file "$T/empty-pw" -o "$T/pw.xml"
has "$T/err" "the first line is empty"
# hold_lock FILE: another process holds an fcntl lock on FILE (as a second
# xporta would) until `release_lock`.
hold_lock() {
    python3 -c 'import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.lockf(fd, fcntl.LOCK_EX)
open(sys.argv[1] + ".ready", "w").close()
time.sleep(30)' "$1" &
    locker=$!
    i=0
    while [ ! -e "$1.ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
}
release_lock() {
    kill "$locker" 2>/dev/null
    wait "$locker" 2>/dev/null
}
# Two exports into one FILE: the second stops before it touches FILE.part.
hold_lock "$T/locked.xml.part.lock"
run 8 env XPORTA_PASSWORD=x "$X" export me@example.invalid --host 127.0.0.1 --port 1 -o "$T/locked.xml"
has "$T/err" "another xporta is exporting into $T/locked.xml"
release_lock
# One writer per target account: an import or migrate into an account that
# another xporta is writing into stops at once, whatever its options (a dry
# run only reads, and goes on: here to a connection refused).
mkdir -p "$T/state/xporta/targets"
hold_lock "$T/state/xporta/targets/me@example.invalid.lock"
run 8 env XDG_STATE_HOME="$T/state" XPORTA_PASSWORD=x "$X" import "$D/prosody-export-bob.xml" \
    me@example.invalid --host 127.0.0.1 --port 1
has "$T/err" "another xporta is writing into me@example.invalid"
run 8 env XDG_STATE_HOME="$T/state" XPORTA_OLD_PASSWORD=x XPORTA_NEW_PASSWORD=x "$X" migrate old@example.invalid \
    me@example.invalid --old-host 127.0.0.1 --old-port 1 --new-host 127.0.0.1 --new-port 1 \
    --on-conflict replace
has "$T/err" "another xporta is writing into me@example.invalid"
run 5 env XDG_STATE_HOME="$T/state" XPORTA_PASSWORD=x "$X" import --dry-run \
    "$D/prosody-export-bob.xml" me@example.invalid --host 127.0.0.1 --port 1
release_lock
run 2 "$X" import "$D/full.xml"
has "$T/err" "expected FILE ACCOUNT"
run 0 "$X" diff --help
has "$T/out" "about 100 bytes a record"
run 0 "$X" migrate --help
has "$T/out" "NEW must exist"
has "$T/out" "Start with --dry-run"
run 3 "$X" import "$T/nonexistent.xml" me@example.org
run 2 "$X" import --on-conflict maybe "$D/full.xml" me@example.org
has "$T/err" "keep or replace"
run 2 "$X" import --parallel 99 "$D/full.xml" me@example.org
run 2 "$X" import "$D/full.xml" not-an-account
has "$T/err" "is not an account"
run 2 env -u XPORTA_PASSWORD "$X" import "$D/full.xml" me@example.org
has "$T/err" "never taken from the command line"
run 2 "$X" migrate me@example.org
has "$T/err" "two accounts"
run 2 env -u XPORTA_OLD_PASSWORD "$X" migrate a@example.org b@example.org
has "$T/err" "XPORTA_OLD_PASSWORD"
run 2 "$X" migrate a@example.org A@Example.org
has "$T/err" "the same account"

# ---- announce, follow-moves: usage
for cmd in announce follow-moves; do
    run 0 "$X" $cmd --help
    has "$T/out" "never from the command line"
done
has "$T/out" "nothing is accepted on an unverified claim"
run 2 "$X" announce a@example.org
has "$T/err" "expected OLD NEW"
run 2 "$X" announce a@example.org a@example.org
has "$T/err" "the same account"
run 2 "$X" announce --moved-access everyone a@example.org b@example.net
has "$T/err" "contacts, presence or open"
run 2 "$X" announce --rate 0 a@example.org b@example.net
has "$T/err" "--rate takes 1 to 6000"
run 2 "$X" migrate --announce --moved-access world a@example.org b@example.net
run 2 env -u XPORTA_NEW_PASSWORD XPORTA_OLD_PASSWORD=x "$X" announce a@example.org b@example.net
has "$T/err" "XPORTA_NEW_PASSWORD"
run 2 "$X" follow-moves
has "$T/err" "expected one ACCOUNT"
run 2 "$X" follow-moves a@example.org b@example.net
run 2 "$X" follow-moves not-an-account
has "$T/err" "is not an account"
run 2 env -u XPORTA_PASSWORD "$X" follow-moves a@example.org
has "$T/err" "never taken from the command line"

echo "$n checks, $fails failed"
[ "$fails" -eq 0 ]

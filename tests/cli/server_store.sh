#!/bin/sh
# server-export and server-import on Prosody's internal storage, without a
# server: the data directory a real Prosody 0.12 wrote
# (tests/data/prosody-internal), hostile copies of it, and the paths a
# user takes.  The real server on the result: tests/integration/
# server_prosody.sh.
# Usage: server_store.sh PATH/TO/xporta PATH/TO/tests/data
set -u
X=$1 D=$2
T=$(mktemp -d "${TMPDIR:-/tmp}/xporta-server-store-XXXXXX")
trap 'rm -rf "$T"' EXIT
[ -n "${KEEP:-}" ] && trap - EXIT
export XDG_STATE_HOME="$T/state"
. "$(dirname "$0")/../integration/checks.sh"
SRC=$D/prosody-internal
H='old%2elocalhost'

# the real data: everything comes out, and goes back in unchanged
run 0 "$X" server-export "prosody:$SRC" -o "$T/a.xml"
run 0 "$X" check "$T/a.xml"
"$X" stats "$T/a.xml" >"$T/stats" 2>&1
has "$T/stats" "alice@old.localhost: credentials 1, roster 5, pending 1, private 2, blocklist 2, offline 1, pep-node 8, pep-affiliations 1, pep-item 8, archive 21, mam-prefs 1"
has "$T/stats" "frank@old.localhost: credentials 1, pending 1"
has "$T/a.xml" "<item jid='frank@old.localhost' subscription='none' name='Frank F' ask='subscribe'/>"
has "$T/a.xml" "<stored-key>3i/Bcx29x9tjq8xvPyPXfV/M2AE=</stored-key>"
has "$T/a.xml" "<result xmlns='urn:xmpp:mam:2' id='SMIY6F2Muc2krF7vbNqz2qWT'>"
has "$T/a.xml" "<prefs xmlns='urn:xmpp:mam:2' default='always'><always><jid>bob@old.localhost</jid></always><never><jid>erin@old.localhost</jid></never></prefs>"
has "$T/a.xml" "<field var='pubsub#access_model'><value>whitelist</value></field>"
hasnt "$T/err" "does not know"
# a store xporta does not know is named, not lost silently
cp -r "$SRC" "$T/extra"
mkdir "$T/extra/$H/lastlog" "$T/extra/$H/cloud_notify"
printf 'return {\n\t["event"] = "login";\n};\n' >"$T/extra/$H/lastlog/alice.dat"
printf 'return {};\n' >"$T/extra/$H/cloud_notify/alice.dat"
run 0 "$X" server-export "prosody:$T/extra" -o "$T/extra.xml"
has "$T/err" "2 stores of $T/extra that xporta does not know stay where they are: cloud_notify, lastlog"
run 4 "$X" server-export "prosody:$SRC" -o "$T/a.xml"
has "$T/err" "exists (-f to replace it)"
run 0 "$X" server-export --users alice@old.localhost --exclude-kinds archive "prosody:$SRC" -o "$T/alice.xml"
"$X" stats "$T/alice.xml" >"$T/stats" 2>&1
has "$T/stats" "alice@old.localhost: credentials 1,"
hasnt "$T/stats" "bob@old.localhost"
hasnt "$T/stats" "archive"
run 3 "$X" server-export --users nobody@old.localhost "prosody:$SRC" -o "$T/none.xml"
has "$T/err" "no account nobody@old.localhost"
[ ! -e "$T/none.xml" ] && ok || bad "a failed export left its file"

mkdir "$T/new"
run 0 "$X" server-import "$T/a.xml" "prosody:$T/new"
run 0 "$X" server-export "prosody:$T/new" -o "$T/b.xml"
run 0 "$X" diff "$T/a.xml" "$T/b.xml"
has "$T/out" "same records"
# Prosody's own fields (a new import's roster version; archive items with
# key, when and with; the SCRAM values as they were)
has "$T/new/$H/roster/alice.dat" '["version"] = 1;'
has "$T/new/$H/archive/bob.list" '["key"] = "BAGUPFic9hRVfAIKnb_Gs5uv";'
has "$T/new/$H/archive/bob.list" '["with"] = "alice@old.localhost";'
has "$T/new/$H/accounts/alice.dat" '["stored_key"] = "de2fc1731dbdc7db63abcc6f3f23d77d5fccd801";'
# a second run: the same; the journal is gone
run 0 "$X" server-import "$T/a.xml" "prosody:$T/new"
hasre "$T/err" "archive +42 +0 +42 +0 +0 +0"
[ -z "$(ls -A "$T/state/xporta/jobs" 2>/dev/null)" ] && ok || bad "a finished job left its journal"
# --json: only JSON lines on stdout, the events in order, the counts the
# text gives; a failure is a summary too, with the exit status
mkdir "$T/json"
run 0 "$X" server-import --json "$T/a.xml" "prosody:$T/json"
[ ! -s "$T/err" ] && ok || bad "--json wrote to stderr: $(head -3 "$T/err")"
/usr/bin/python3 - "$T/out" <<'PY' && ok || bad "server-import --json events"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
names = [e["event"] for e in ev]
assert names[0] == "start" and names[-1] == "summary", names
accounts = [e for e in ev if e["event"] == "account"]
assert len(accounts) == 7 and all(a["ok"] for a in accounts), accounts
alice = [a for a in accounts if a["jid"] == "alice@old.localhost"][0]
assert alice["kinds"]["archive"]["written"] == 21, alice["kinds"]["archive"]
s = ev[-1]
assert s["ok"] and s["exit"] == 0 and s["accounts"] == 7, s
assert s["kinds"]["archive"]["source"] == 42 and s["kinds"]["archive"]["written"] == 42, s
PY
run 3 "$X" server-import --json "$T/missing.xml" "prosody:$T/json"
tail -n 1 "$T/out" | /usr/bin/python3 -c 'import json,sys; s=json.loads(sys.stdin.read()); sys.exit(0 if s["event"] == "summary" and not s["ok"] and s["exit"] == 3 and "no such file" in s["error"] else 1)' &&
    ok || bad "a failed --json run ends with its summary"

# as root, what is created belongs to the data directory's owner (Debian:
# prosody), with no world access
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
    mkdir "$T/owned" && chown nobody "$T/owned" && chmod 750 "$T/owned"
    run 0 "$X" server-import "$T/a.xml" "prosody:$T/owned"
    [ -z "$(find "$T/owned" -mindepth 1 ! -user nobody)" ] && ok || bad "files not given to the data directory's owner"
    [ -z "$(find "$T/owned" -mindepth 1 -perm /o=rwx)" ] && ok || bad "files readable by others"
fi

# a full disk (test builds: XPORTA_TEST_FULL_AFTER): the account being
# written stays as it was, nothing temporary is left, the accounts before
# are whole; with room again, the same command finishes the job
mkdir "$T/full"
XPORTA_TEST_FULL_AFTER=40000 "$X" server-import "$T/a.xml" "prosody:$T/full" >"$T/out" 2>"$T/err"
if [ $? -eq 4 ]; then
    ok
    has "$T/err" "No space left on device"
    [ -z "$(find "$T/full" -name '*.xporta-*')" ] && ok || bad "temporary files left after ENOSPC"
    run 0 "$X" server-export "prosody:$T/full" -o "$T/full.xml"
    "$X" diff "$T/a.xml" "$T/full.xml" >"$T/out" 2>&1
    if grep -E '^(differs|only in B)' "$T/out"; then bad "a half-written account after ENOSPC"; else ok; fi
    hasre "$T/out" "only in A"
    run 0 "$X" server-import "$T/a.xml" "prosody:$T/full"
    has "$T/err" "by an earlier run"
    rm -f "$T/full.xml"
    run 0 "$X" server-export "prosody:$T/full" -o "$T/full.xml"
    run 0 "$X" diff "$T/a.xml" "$T/full.xml"
else
    echo "note: not a test build (XPORTA_TEST_FULL_AFTER has no effect)"
fi

# kill -9 at random moments, into both backends: each run resumes, and
# the end is exactly the source (no account lost, none written twice)
G=$(dirname "$X")/bench/gen_pie
if [ -x "$G" ]; then
    "$G" --users 60 --roster 20 --messages 300 --seed 7 >"$T/k.xml"
    mkdir "$T/k-dir"
    for target in "prosody:$T/k-dir" "prosody+sqlite:$T/k.sqlite"; do
        for delay in 0.3 0.5 0.2 0.7 0.4; do
            "$X" server-import -q "$T/k.xml" "$target" >/dev/null 2>&1 &
            pid=$!
            sleep "$delay"
            kill -9 "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
        done
        run 0 "$X" server-import "$T/k.xml" "$target"
        rm -f "$T/k-back.xml"
        run 0 "$X" server-export "$target" -o "$T/k-back.xml"
        run 0 "$X" diff "$T/k.xml" "$T/k-back.xml"
        has "$T/out" "same records"
    done
fi

# a plaintext password is kept as Prosody keeps it (mod_auth_internal_plain
# reads it; mod_auth_internal_hashed makes SCRAM-SHA-1 of it at the first
# login), so it also comes back out as it went in
cat >"$T/plain.xml" <<'XML'
<server-data xmlns='urn:xmpp:pie:0'><host jid='p.example'>
<user name='pat' password='s3cret'/></host></server-data>
XML
mkdir "$T/p"
run 0 "$X" server-import "$T/plain.xml" "prosody:$T/p"
has "$T/p/p%2eexample/accounts/pat.dat" '["password"] = "s3cret";'
cp "$T/p/p%2eexample/accounts/pat.dat" "$T/pat.before"
run 0 "$X" server-import "$T/plain.xml" "prosody:$T/p"
hasre "$T/err" "credentials +1 +0 +1 +0 +0 +0"
cmp -s "$T/pat.before" "$T/p/p%2eexample/accounts/pat.dat" && ok || bad "a second import changed the account"
run 0 "$X" server-export "prosody:$T/p" -o "$T/plain-back.xml"
run 0 "$X" diff "$T/plain.xml" "$T/plain-back.xml"
has "$T/out" "same records"
# a plaintext password the stored SCRAM credentials accept is already there
cat >"$T/sam.xml" <<'XML'
<server-data xmlns='urn:xmpp:pie:0'><host jid='p.example'>
<user name='sam'><scram-credentials xmlns='urn:xmpp:pie:0#scram' mechanism='SCRAM-SHA-1'><iter-count>4096</iter-count><salt>ZTk2ZTk3OWQtOGYyYi00YjU0LWI1MzQtOWI0Y2QzNzU4ZWM0</salt><server-key>xxL6NOytoi8g4bGM21ZBEeEe+B4=</server-key><stored-key>zzGY9lQ9AG/TyMHAEuT07HCfpaA=</stored-key></scram-credentials></user></host></server-data>
XML
run 0 "$X" server-import "$T/sam.xml" "prosody:$T/p"
sed "s|<user name='pat' password='s3cret'/>|<user name='sam' password='pencil'/>|" "$T/plain.xml" >"$T/sam-plain.xml"
run 0 "$X" server-import "$T/sam-plain.xml" "prosody:$T/p"
hasre "$T/err" "credentials +1 +0 +1 +0 +0 +0"
hasnt "$T/p/p%2eexample/accounts/sam.dat" 'pencil'

# damage: one account cannot be read; the others go on, it is named
cp -r "$SRC" "$T/bad"
printf 'return {\n\t["name"] = os.getenv("HOME");\n};\n' >"$T/bad/$H/roster/bob.dat"
head -c 300 "$SRC/$H/archive/alice.list" >"$T/bad/$H/archive/alice.list"
mkdir "$T/bad-out"
run 4 "$X" server-import "$T/bad" "prosody:$T/bad-out"
has "$T/err" "a directory, but not of XEP-0227 files"
has "$T/err" "prosody:$T/bad"
run 1 "$X" server-import "prosody:$T/bad" "prosody:$T/bad-out"
has "$T/err" "bob@old.localhost: left out: $T/bad/$H/roster/bob.dat:2:13: 'os' is not data"
has "$T/err" "alice@old.localhost: left out: $T/bad/$H/archive/alice.list:"
has "$T/err" "2 of 7 accounts could not be read"
[ -e "$T/bad-out/$H/accounts/carol.dat" ] && ok || bad "carol was not imported"
[ ! -e "$T/bad-out/$H/accounts/bob.dat" ] && ok || bad "bob was imported half"
[ ! -e "$T/bad-out/$H/accounts/alice.dat" ] && ok || bad "alice was imported half"
run 3 "$X" server-export "prosody:$T/bad" -o "$T/bad.xml"
has "$T/err" "alice@old.localhost: $T/bad/$H/archive/alice.list:16:13: the file ends"
[ ! -e "$T/bad.xml" ] && ok || bad "an export with an unreadable account left a file"
# a string XML cannot carry (Lua strings hold any byte)
cp -r "$SRC" "$T/bad2"
printf 'return {\n\t["alice@old.localhost"] = {\n\t\t["name"] = "A\\001";\n\t\t["subscription"] = "both";\n\t\t["groups"] = {};\n\t};\n};\n' >"$T/bad2/$H/roster/carol.dat"
run 3 "$X" server-export "prosody:$T/bad2" -o "$T/bad2.xml"
has "$T/err" "roster of carol@old.localhost: text XML cannot carry"
# a user name no Prosody writes
cp "$SRC/$H/accounts/erin.dat" "$T/bad/$H/accounts/a%zz.dat"
run 1 "$X" server-import "prosody:$T/bad" "prosody:$T/bad-out"
has "$T/err" "accounts/a%zz.dat: left out: not a user name Prosody could have written"
has "$T/err" "0 accounts (and 5 by an earlier run) in"
has "$T/err" "3 of 8 accounts could not be read"

# Prosody's SQL storage on SQLite: from the internal files straight into a
# new database (its tables made as Prosody makes them), and back
run 0 "$X" server-import --dry-run "prosody:$SRC" "prosody+sqlite:$T/p.sqlite"
hasre "$T/err" "archive +42 +42 +0 +0 +0 +0"
[ ! -e "$T/p.sqlite" ] && ok || bad "a dry run made the database"
run 0 "$X" server-import "prosody:$SRC" "prosody+sqlite:$T/p.sqlite"
[ "$(stat -c %a "$T/p.sqlite")" = 640 ] && ok || bad "a new database is not 0640"
run 0 "$X" server-export "prosody+sqlite:$T/p.sqlite" -o "$T/s.xml"
run 0 "$X" diff "$T/a.xml" "$T/s.xml"
has "$T/out" "same records"
run 0 "$X" server-import "$T/a.xml" "prosody+sqlite:$T/p.sqlite"
hasre "$T/err" "archive +42 +0 +42 +0 +0 +0"
if command -v sqlite3 >/dev/null 2>&1 || [ -x /usr/bin/python3 ]; then
    # a damaged row: that account is named and left out
    /usr/bin/python3 - "$T/p.sqlite" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("update prosodyarchive set value = '<message><body>cut' where user = 'bob' and sort_id = (select min(sort_id) from prosodyarchive where user = 'bob' and store = 'archive')")
c.execute("update prosody set value = '{\"groups\":' where user = 'dave' and store = 'roster' and key = 'alice@old.localhost'")
c.commit()
PY
    mkdir "$T/from-sql"
    run 1 "$X" server-import "prosody+sqlite:$T/p.sqlite" "prosody:$T/from-sql"
    hasre "$T/err" "bob@old.localhost: left out: $T/p.sqlite: table prosodyarchive, sort_id [0-9]+ \(bob@old.localhost, store archive\), value at 1:[0-9]+: "
    has "$T/err" "dave@old.localhost: left out: $T/p.sqlite: table prosody, dave@old.localhost store roster key 'alice@old.localhost': JSON at byte"
    has "$T/err" "2 of 7 accounts could not be read"
fi
run 3 "$X" server-export "prosody+sqlite:$T/a.xml" -o "$T/x.xml"
has "$T/err" "not Prosody's SQLite database"

# times with a fraction (ejabberd keeps microseconds) go in as whole
# seconds: Prosody 0.12's util.datetime formats `when` with os.date, which
# Lua 5.4 refuses for a fraction, and every MAM query or offline delivery
# meeting such an item failed
cat >"$T/frac.xml" <<'EOF'
<?xml version='1.0' encoding='UTF-8'?>
<server-data xmlns='urn:xmpp:pie:0'><host jid='old.localhost'><user name='fr'>
<offline-messages xmlns='urn:xmpp:pie:0'><message xmlns='jabber:client' to='fr@old.localhost' from='bob@old.localhost/r' type='chat' id='o1'><delay xmlns='urn:xmpp:delay' from='old.localhost' stamp='2026-12-05T02:41:38.690132Z'>Offline Storage</delay><body>away</body></message></offline-messages>
<archive xmlns='urn:xmpp:pie:0#mam'><result xmlns='urn:xmpp:mam:2' id='1796438497258101'><forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' stamp='2026-12-05T02:41:37.258101Z'/><message xmlns='jabber:client' to='bob@old.localhost' from='fr@old.localhost/r' type='chat' id='m1'><body>hi</body></message></forwarded></result></archive>
</user></host></server-data>
EOF
mkdir "$T/frac"
run 0 "$X" server-import "$T/frac.xml" "prosody:$T/frac"
has "$T/frac/$H/archive/fr.list" '["when"] = 1796438497;'
has "$T/frac/$H/offline/fr.list" '["when"] = 1796438498;'
run 0 "$X" server-import "$T/frac.xml" "prosody+sqlite:$T/frac.sqlite"
if command -v sqlite3 >/dev/null 2>&1; then
    w=$(sqlite3 "$T/frac.sqlite" "SELECT group_concat(store || '=' || \"when\" || ':' || typeof(\"when\"), ' ') FROM (SELECT * FROM prosodyarchive WHERE user = 'fr' ORDER BY store)")
    [ "$w" = "archive=1796438497:integer offline=1796438498:integer" ] && ok || bad "fractional times in prosodyarchive: $w"
fi

# usage
run 2 "$X" server-import "$T/a.xml"
run 3 "$X" server-import "$T/a.xml" "prosody:$T/missing"
has "$T/err" "Prosody's data directory"
run 2 "$X" server-import "$T/a.xml" "$T/out.xml"
has "$T/err" "the target of a whole-store copy is a server's storage"
run 2 "$X" server-import "prosody:$T/new" "prosody:$T/new/"
has "$T/err" "is both the source and the target"
run 0 "$X" server-import --help
has "$T/out" "prosody:DIR"
run 0 "$X" --help
has "$T/out" "server-import"

echo "server_store: $n checks, $fails failed"
[ "$fails" -eq 0 ]

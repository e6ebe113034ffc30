#!/bin/sh
# Bad input and faults on ejabberd's SQL storage on SQLite (issue 12), no
# server: the databases a real ejabberd 23.01 wrote (tests/data/
# ejabberd-sql/lite-{new,default}.sql) and damaged copies of them.
#  - rows ejabberd could not have written (XML in archive, spool, vcard,
#    pubsub_item; SCRAM forms in users; a contact's JID; an option that is
#    not an Erlang term): named with table, row key and account; an export
#    fails without a file, an import leaves that account out whole and
#    writes the others (exit 1); fixed, the same command finishes the job,
#    and a second run changes nothing;
#  - a schema of another version, an empty database: refused at open,
#    naming the table and column;
#  - a target holding some of the accounts already: they are "same", the
#    rest added; --on-conflict replace replaces a changed record;
#  - kill -9 at random moments: each run resumes, the end equals the source;
#  - the default schema: an export without --host names it; two domains
#    into one database: the second is refused naming --rename-host, also
#    when the run is resumed.
# Usage: server_ejabberd_faults.sh PATH/TO/xporta PATH/TO/tests/data
# Exits 77 without the sqlite3 command.
set -u
X=$1 D=$2
command -v sqlite3 >/dev/null 2>&1 || { echo "skip: sqlite3 is needed"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/xporta-ejd-faults-XXXXXX")
trap 'rm -rf "$T"' EXIT
[ -n "${KEEP:-}" ] && trap - EXIT
export XDG_STATE_HOME="$T/state"
. "$(dirname "$0")/../integration/checks.sh"
E=$D/ejabberd-sql
H=new.localhost
sql() { sqlite3 "$@" || bad "sqlite3 $*"; }
# an empty database in a schema (the fixture's tables, none of its rows)
schema() { grep -v '^INSERT' "$E/lite-$1.sql" | sqlite3 "$2"; }
users() { sqlite3 "$1" "SELECT group_concat(username, ' ') FROM (SELECT username FROM users ORDER BY 1)"; }
# every kind's row of the summary says written 0
nothing_written() {
    awk '/^  [a-z-]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+$/ {
        rows++; if ($3 != 0) w = w " " $1 }
        END { if (!rows || w) { print "written:" w; exit 1 } }' "$T/err" >"$T/nw" &&
        ok || bad "$1: $(cat "$T/nw")"
}

sql "$T/src.db" <"$E/lite-new.sql"
run 0 "$X" server-export "ejabberd+sqlite:$T/src.db" -o "$T/src.xml"

# ---- damaged rows --------------------------------------------------------
# one damage per account, so that each is named and the others go on
cp "$T/src.db" "$T/bad.db"
sql "$T/bad.db" <<'SQL'
UPDATE archive SET xml = '<message><body>cut' WHERE username = 'bob' AND timestamp = (SELECT min(timestamp) FROM archive WHERE username = 'bob');
UPDATE spool SET xml = '<message><bo' WHERE username = 'alice' AND seq = (SELECT max(seq) FROM spool WHERE username = 'alice');
UPDATE vcard SET vcard = '<vCard xmlns="vcard-temp"><FN>x</vCard>' WHERE username = 'paula';
UPDATE users SET password = 'sha1:' || password WHERE username = 'carol';
UPDATE users SET serverkey = 'AAAA' WHERE username = 'dave';
UPDATE rosterusers SET jid = 'a@b@c' WHERE username = 'grace';
SQL
bts=$(sqlite3 "$T/bad.db" "SELECT min(timestamp) FROM archive WHERE username = 'bob'")
aseq=$(sqlite3 "$T/bad.db" "SELECT max(seq) FROM spool WHERE username = 'alice'")
cp "$T/src.db" "$T/bad2.db"
sql "$T/bad2.db" <<'SQL'
UPDATE pubsub_node_option SET val = '[<<"a">>' WHERE name = 'roster_groups_allowed' AND nodeid = (SELECT nodeid FROM pubsub_node WHERE host = 'alice@new.localhost' AND node = 'http://jabber.org/protocol/nick');
UPDATE pubsub_item SET payload = '<metadata xmlns=''urn:xmpp:avatar:metadata''><info' WHERE nodeid = (SELECT nodeid FROM pubsub_node WHERE host = 'paula@new2.localhost');
UPDATE users SET password = 'AAAAAAAAAAAAAAAAAAAAAA==', serverkey = 'AAAAAAAAAAAAAAAAAAAAAA==' WHERE username = 'dave';
UPDATE users SET password = 'sha256:' || password WHERE username = 'erin';
SQL
nick=$(sqlite3 "$T/bad2.db" "SELECT nodeid FROM pubsub_node WHERE host = 'alice@$H' AND node = 'http://jabber.org/protocol/nick'")
pnode=$(sqlite3 "$T/bad2.db" "SELECT nodeid FROM pubsub_node WHERE host = 'paula@new2.localhost'")
pitem=$(sqlite3 "$T/bad2.db" "SELECT itemid FROM pubsub_item WHERE nodeid = $pnode")

# an export fails whole, naming the first account it cannot read (half an
# account in a backup is worse than none), and leaves no file
run 3 "$X" server-export "ejabberd+sqlite:$T/bad.db" -o "$T/bad.xml"
has "$T/err" "alice@$H: $T/bad.db: table spool, seq $aseq (alice@$H): its XML does not parse"
[ ! -e "$T/bad.xml" ] && ok || bad "an export with an unreadable account left a file"
# ... and the accounts that can be read still can
run 0 "$X" server-export --users "erin@$H,frank@$H" "ejabberd+sqlite:$T/bad.db" -o "$T/ef.xml"
# an import leaves each damaged account out whole, names it, writes the rest
schema new "$T/t.db"
run 1 "$X" server-import "ejabberd+sqlite:$T/bad.db" "ejabberd+sqlite:$T/t.db"
has "$T/err" "alice@$H: left out: $T/bad.db: table spool, seq $aseq (alice@$H): its XML does not parse (unclosed token, at 1:10)"
has "$T/err" "bob@$H: left out: $T/bad.db: table archive, timestamp $bts (bob@$H): its XML does not parse (no element found, at 1:19)"
has "$T/err" "carol@$H: left out: $T/bad.db: table users (carol@$H): SCRAM credentials whose password starts with 'sha1:', a hash ejabberd 23.01 does not write"
has "$T/err" "dave@$H: left out: $T/bad.db: table users (dave@$H): SCRAM credentials with a StoredKey of 20 bytes and a ServerKey of 3, where SHA-1"
has "$T/err" "grace@$H: left out: $T/bad.db: table rosterusers, jid 'a@b@c' (grace@$H): a contact whose JID does not parse"
has "$T/err" "paula@new2.localhost: left out: $T/bad.db: table vcard (paula@new2.localhost): its XML does not parse (mismatched tag, at 1:34)"
has "$T/err" "6 of 9 accounts could not be read"
hasnt "$T/err" "AAAA" # never the keys themselves
[ "$(users "$T/t.db")" = "erin frank troll" ] && ok || bad "imported: $(users "$T/t.db")"
for tb in archive spool vcard rosterusers rostergroups private_storage privacy_list pubsub_node pubsub_item archive_prefs; do
    [ "$(sqlite3 "$T/t.db" "SELECT count(*) FROM $tb WHERE username IN ('alice', 'bob', 'carol', 'dave', 'grace', 'paula')" 2>/dev/null || sqlite3 "$T/t.db" "SELECT count(*) FROM $tb")" = 0 ] &&
        ok || bad "rows of an account left out in $tb"
done
# run again: the accounts done are not done again, the damaged still named
run 1 "$X" server-import "ejabberd+sqlite:$T/bad.db" "ejabberd+sqlite:$T/t.db"
has "$T/err" "0 accounts (and 3 by an earlier run) in"
has "$T/err" "6 of 9 accounts could not be read"
# repaired, the same command finishes: the end equals the source
cp "$T/src.db" "$T/bad.db"
run 0 "$X" server-import "ejabberd+sqlite:$T/bad.db" "ejabberd+sqlite:$T/t.db"
has "$T/err" "6 accounts (and 3 by an earlier run) in"
run 0 "$X" server-export "ejabberd+sqlite:$T/t.db" -o "$T/t.xml"
run 0 "$X" diff "$T/src.xml" "$T/t.xml"
has "$T/out" "same records"
cp "$T/t.db" "$T/t.before"
run 0 "$X" server-import "$T/src.xml" "ejabberd+sqlite:$T/t.db"
nothing_written "second run"
[ "$(sqlite3 "$T/t.db" .dump)" = "$(sqlite3 "$T/t.before" .dump)" ] && ok || bad "a second run changed the database"

# the second set: PEP rows, SCRAM keys of the wrong length
rm -f "$T/t2.db"
schema new "$T/t2.db"
run 3 "$X" server-export "ejabberd+sqlite:$T/bad2.db" -o "$T/bad2.xml"
run 1 "$X" server-import "ejabberd+sqlite:$T/bad2.db" "ejabberd+sqlite:$T/t2.db"
has "$T/err" "alice@$H: left out: $T/bad2.db: table pubsub_node_option, nodeid $nick, name 'roster_groups_allowed' (alice@$H, node http://jabber.org/protocol/nick): val is not an Erlang term (a list is not closed): [<<\"a\">>"
has "$T/err" "paula@new2.localhost: left out: $T/bad2.db: table pubsub_item, nodeid $pnode, itemid '$pitem' (paula@new2.localhost, node urn:xmpp:avatar:metadata): its payload does not parse as XML"
has "$T/err" "dave@$H: left out: $T/bad2.db: table users (dave@$H): SCRAM credentials with a StoredKey of 16 bytes and a ServerKey of 16, where SHA-1 (a password without prefix) takes 20 each"
has "$T/err" "erin@$H: left out: $T/bad2.db: table users (erin@$H): SCRAM credentials with a StoredKey of 20 bytes and a ServerKey of 20, where SHA-256 (sha256:) takes 32 each"
has "$T/err" "4 of 9 accounts could not be read"
[ "$(users "$T/t2.db")" = "bob carol frank grace troll" ] && ok || bad "imported: $(users "$T/t2.db")"
[ "$(sqlite3 "$T/t2.db" "SELECT count(*) FROM pubsub_node")" = 0 ] && ok || bad "PEP nodes of an account left out"

# ---- schemas ---------------------------------------------------------------
# another version's schema, an empty database, no database: refused at
# open, naming what is missing; nothing written
cp "$T/src.db" "$T/old.db"
sql "$T/old.db" "ALTER TABLE rosterusers DROP COLUMN askmessage"
run 3 "$X" server-import "$T/src.xml" "ejabberd+sqlite:$T/old.db"
has "$T/err" "$T/old.db: table rosterusers has no column askmessage: not the schema of ejabberd 23.01 (/usr/share/ejabberd/sql/lite.new.sql"
run 3 "$X" server-export "ejabberd+sqlite:$T/old.db" -o "$T/old.xml"
has "$T/err" "table rosterusers has no column askmessage"
cp "$T/src.db" "$T/old2.db"
sql "$T/old2.db" "ALTER TABLE pubsub_node_option RENAME COLUMN val TO value"
run 3 "$X" server-import "$T/src.xml" "ejabberd+sqlite:$T/old2.db"
has "$T/err" "table pubsub_node_option has no column val"
cp "$T/src.db" "$T/old3.db"
sql "$T/old3.db" "DROP TABLE vcard_search"
run 3 "$X" server-import "$T/src.xml" "ejabberd+sqlite:$T/old3.db"
has "$T/err" "$T/old3.db: no table vcard_search: not the schema of ejabberd 23.01"
schema default "$T/mixed.db"
sql "$T/mixed.db" "ALTER TABLE users ADD COLUMN server_host text NOT NULL DEFAULT 'x'"
run 3 "$X" server-import "$T/src.xml" "ejabberd+sqlite:$T/mixed.db"
has "$T/err" "table rosterusers has no column server_host: not the schema of ejabberd 23.01 (/usr/share/ejabberd/sql/lite.new.sql: new_sql_schema, as users has server_host)"
: >"$T/empty.db"
run 3 "$X" server-import "$T/src.xml" "ejabberd+sqlite:$T/empty.db"
has "$T/err" "$T/empty.db: no table \"users\""
has "$T/err" "lite.sql or lite.new.sql"
[ ! -s "$T/empty.db" ] && ok || bad "an import wrote into an empty database"
run 3 "$X" server-export "ejabberd+sqlite:$T/empty.db" -o "$T/empty.xml"
run 3 "$X" server-import "$T/src.xml" "ejabberd+sqlite:$T/none.db"
has "$T/err" "no such database: ejabberd's tables must exist first"
[ ! -e "$T/none.db" ] && ok || bad "an import made a database"

# ---- a target that already holds some of the accounts -----------------------
schema new "$T/part.db"
run 0 "$X" server-import --users "alice@$H,bob@$H" "$T/src.xml" "ejabberd+sqlite:$T/part.db"
[ "$(users "$T/part.db")" = "alice bob" ] && ok || bad "subset: $(users "$T/part.db")"
run 0 "$X" server-import --dry-run -v "$T/src.xml" "ejabberd+sqlite:$T/part.db"
# alice and bob: all same; the others: added
hasre "$T/err" "archive +44 +1 +43 +0 +0 +0"
hasre "$T/err" "credentials +9 +7 +2 +0 +0 +0"
run 0 "$X" server-import "$T/src.xml" "ejabberd+sqlite:$T/part.db"
hasre "$T/err" "archive +44 +1 +43 +0 +0 +0"
hasre "$T/err" "roster +10 +4 +6 +0 +0 +0"
run 0 "$X" server-export "ejabberd+sqlite:$T/part.db" -o "$T/part.xml"
run 0 "$X" diff "$T/src.xml" "$T/part.xml"
has "$T/out" "same records"
# a changed record: kept (a conflict) by default, replaced when asked
sed -e "s|<NICKNAME>Paula</NICKNAME>|<NICKNAME>Changed</NICKNAME>|" "$T/src.xml" >"$T/changed.xml"
grep -q "<NICKNAME>Changed</NICKNAME>" "$T/changed.xml" && ok || bad "no vCard nickname in the fixture to change"
run 0 "$X" server-import "$T/changed.xml" "ejabberd+sqlite:$T/part.db"
hasre "$T/err" "vcard +2 +0 +1 +1 +0 +0"
hasnt "$T/part.db" "Changed"
run 0 "$X" server-import --on-conflict replace "$T/changed.xml" "ejabberd+sqlite:$T/part.db"
hasre "$T/err" "vcard +2 +1 +1 +0 +1 +0"
sqlite3 "$T/part.db" "SELECT vcard FROM vcard" >"$T/vc"
has "$T/vc" "<NICKNAME>Changed</NICKNAME>"
rm -f "$T/part.xml"
run 0 "$X" server-export "ejabberd+sqlite:$T/part.db" -o "$T/part.xml"
run 0 "$X" diff "$T/changed.xml" "$T/part.xml"
has "$T/out" "same records"
run 0 "$X" server-import --on-conflict replace "$T/changed.xml" "ejabberd+sqlite:$T/part.db"
nothing_written "a second replace"

# ---- the default schema ----------------------------------------------------
sql "$T/def.db" <"$E/lite-default.sql"
run 2 "$X" server-export "ejabberd+sqlite:$T/def.db" -o "$T/def.xml"
has "$T/err" "does not record the domain of its users: name it with --host DOMAIN"
[ ! -e "$T/def.xml" ] && ok || bad "a refused export left a file"
run 0 "$X" server-export --host "$H" "ejabberd+sqlite:$T/def.db" -o "$T/def.xml"
# two domains into one default-schema database: the second is refused,
# naming --rename-host; run again (the first domain's accounts journaled),
# it is still refused, never written as the first domain's
schema default "$T/d.db"
run 2 "$X" server-import "$T/src.xml" "ejabberd+sqlite:$T/d.db"
has "$T/err" "this database holds $H (ejabberd's default schema has one domain per database, and $H came first): rename the host (--rename-host new2.localhost=$H) or import new2.localhost into a database of its own"
[ "$(users "$T/d.db")" = "alice bob carol dave erin frank grace troll" ] && ok || bad "default schema: $(users "$T/d.db")"
cp "$T/d.db" "$T/d.before"
run 2 "$X" server-import "$T/src.xml" "ejabberd+sqlite:$T/d.db"
has "$T/err" "this database already holds accounts, and ejabberd's default schema does not record their domain: name it with --host DOMAIN"
run 2 "$X" server-import --host "$H" "$T/src.xml" "ejabberd+sqlite:$T/d.db"
has "$T/err" "this database holds $H (ejabberd's default schema has one domain per database, and $H was named with --host): rename the host (--rename-host new2.localhost=$H)"
[ "$(sqlite3 "$T/d.db" .dump)" = "$(sqlite3 "$T/d.before" .dump)" ] && ok || bad "a refused run changed the database"
# the first domain alone, then the second renamed into it as the hint says
run 0 "$X" server-import --host "$H" --users "paula@new2.localhost" --rename-host "new2.localhost=$H" "$T/src.xml" "ejabberd+sqlite:$T/d.db"
[ "$(users "$T/d.db")" = "alice bob carol dave erin frank grace paula troll" ] && ok || bad "renamed: $(users "$T/d.db")"
run 0 "$X" server-export --host "$H" "ejabberd+sqlite:$T/d.db" -o "$T/d.xml"
"$X" stats "$T/d.xml" >"$T/stats" 2>&1
has "$T/stats" "paula@$H: credentials 1, roster 1, vcard 1, private 1, pep-node 1, pep-affiliations 1, pep-item 1, archive 1"

# ---- kill -9 at random moments -----------------------------------------------
# the source is ejabberd's own (its archive ids are kept, so the end can
# equal it): a generated server imported once, exported.  Accounts are
# committed every 2 s, so some kills land after commits, some before, some
# inside one
G=$(dirname "$X")/bench/gen_pie
if [ -x "$G" ]; then
    # 120 users: a run lasts longer than the 2 s between commits
    "$G" --users 120 --roster 20 --messages 1000 --seed 7 >"$T/gen.xml"
    schema new "$T/k0.db"
    run 0 "$X" server-import -q "$T/gen.xml" "ejabberd+sqlite:$T/k0.db"
    run 0 "$X" server-export "ejabberd+sqlite:$T/k0.db" -o "$T/k.xml"
    for sch in new default; do
        delays="2.4 1.2 2.2"
        [ "$sch" = default ] && delays="2.3 0.5 2.1"
        rm -f "$T/k.db" "$T/k-back.xml"
        schema "$sch" "$T/k.db"
        ho=
        [ "$sch" = default ] && ho="--host h0.example"
        for delay in $delays; do
            # shellcheck disable=SC2086
            "$X" server-import -q $ho "$T/k.xml" "ejabberd+sqlite:$T/k.db" >/dev/null 2>&1 &
            pid=$!
            sleep "$delay"
            kill -9 "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
        done
        n0=$(sqlite3 "$T/k.db" "SELECT count(*) FROM users")
        # shellcheck disable=SC2086
        run 0 "$X" server-import $ho "$T/k.xml" "ejabberd+sqlite:$T/k.db"
        echo "kill -9 ($sch): $n0 of 120 accounts in before the last run"
        # shellcheck disable=SC2086
        run 0 "$X" server-export $ho "ejabberd+sqlite:$T/k.db" -o "$T/k-back.xml"
        run 0 "$X" diff "$T/k.xml" "$T/k-back.xml"
        has "$T/out" "same records"
        # shellcheck disable=SC2086
        run 0 "$X" server-import $ho "$T/k.xml" "ejabberd+sqlite:$T/k.db"
        nothing_written "kill -9 ($sch), a second run"
    done
fi

echo "server_ejabberd_faults: $n checks, $fails failed"
[ "$fails" -eq 0 ]

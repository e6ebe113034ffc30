#!/bin/sh
# A user's history beside the running server (issue 16, "History
# included"), on the shared servers (Prosody on its internal files,
# ejabberd on Mnesia), none of them stopped:
#   store_live.sh SERVERS_SCRIPT SERVERS_DIR XPORTA PROBE ACCOUNT_CHECK DATA
#
#  1. Prosody's files (accepted): a first import of part of the history,
#     then the whole file while the user is logged in: the part already
#     there is kept and not doubled; an independent client (the slixmpp
#     probe) sees every message in MAM with its time, sender and recipient
#     (the file's user renamed to the account), and the offline messages
#     at its next login; a second run adds nothing (the delivered offline
#     messages are not delivered again); another user's archive is
#     untouched; while Prosody archives 400 messages to the same user
#     from a real client, 4,500 more are appended: none of either lost
#     or doubled;
#  2. refused stores (ejabberd on Mnesia, SQLite under both servers,
#     Prosody on PostgreSQL, a file) say why and write nothing: the
#     ejabberd account's MAM stays empty; an account the store does not
#     have is refused too (no orphan history);
#  3. xporta_account_check(): the right password, a wrong one, an unknown
#     user on both servers; a closed port; a certificate not trusted.
set -u
SCRIPT=$1 DIR=$2 X=$3 PROBE=$4 CHECK=$5 DATA=$6
PY=/usr/bin/python3
command -v prosody >/dev/null 2>&1 || { echo "skip: prosody is needed"; exit 77; }
$PY -c 'import slixmpp' 2>/dev/null || { echo "skip: python3-slixmpp is needed"; exit 77; }
. "$DIR/servers.env"
XPORTA_SERVERS_DIR=$DIR
export XPORTA_SERVERS_DIR
T=$(mktemp -d "${TMPDIR:-/tmp}/xporta-store-live-XXXXXX")
export XDG_STATE_HOME="$T/state"
PD=$XPORTA_PROSODY_DOMAIN ED=$XPORTA_EJABBERD_DOMAIN
cleanup() {
    for u in slh-alice slh-bob; do bash "$SCRIPT" deluser prosody "$u" >/dev/null 2>&1; done
    bash "$SCRIPT" deluser ejabberd "slh-carol@$ED" >/dev/null 2>&1
    rm -rf "$T"
}
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap - EXIT
. "$(dirname "$0")/checks.sh"
echo "slh-pass" >"$T/pw"
echo "wrong-pass" >"$T/wrong"
chmod 600 "$T/pw" "$T/wrong"
for u in slh-alice slh-bob; do
    bash "$SCRIPT" deluser prosody "$u" >/dev/null 2>&1
    bash "$SCRIPT" adduser prosody "$u" slh-pass >/dev/null || bad "adduser $u"
done
bash "$SCRIPT" adduser ejabberd "slh-carol@$ED" slh-pass >/dev/null || bad "adduser carol"
STORE=prosody:$XPORTA_PROSODY_DATA_DIR
ARC=$XPORTA_PROSODY_DATA_DIR/$(echo "$PD" | sed 's/\./%2e/g')/archive
OFF=$XPORTA_PROSODY_DATA_DIR/$(echo "$PD" | sed 's/\./%2e/g')/offline
probe() { # JID OUT [ARGS]: what an independent client sees
    j=$1 o=$2
    shift 2
    $PY "$PROBE" --jid "$j" --password-file "$T/pw" --servers-env "$DIR/servers.env" \
        --timeout 30 "$@" -o "$o" >/dev/null 2>"$o.err" || bad "probe $j: $(tail -3 "$o.err")"
}

# ---- 1. Prosody's internal files, Prosody running --------------------------
# bob's history first: it must not move when alice's is imported
run 0 "$X" server-import --live "slh-bob@$PD" "$DATA" "$STORE"
bob_before=$(cat "$ARC/slh%2dbob.list" "$OFF/slh%2dbob.list" | sha256sum)
# part of alice's history (two archived messages), then all of it
$PY - "$DATA" "$T/part.xml" <<'PYEOF'
import sys, re
s = open(sys.argv[1]).read()
s = re.sub(r"<offline-messages>.*</offline-messages>", "", s, flags=re.S)
for i in ("0003", "0004", "0005"):
    s = re.sub(r"<result xmlns='urn:xmpp:mam:2' id='arch-%s'>.*?</result>" % i, "", s, flags=re.S)
open(sys.argv[2], "w").write(s)
PYEOF
run 0 "$X" server-import --live "slh-alice@$PD" "$T/part.xml" "$STORE"
hasre "$T/err" "archive +2 +2 +0"
# a dry run plans the rest and writes nothing
part_arc=$(sha256sum <"$ARC/slh%2dalice.list")
run 0 "$X" server-import -n --live "slh-alice@$PD" "$DATA" "$STORE"
hasre "$T/err" "archive +5 +3 +2"
has "$T/err" "dry run: nothing was changed"
[ "$(sha256sum <"$ARC/slh%2dalice.list")" = "$part_arc" ] && ok || bad "the dry run changed the archive"
[ -e "$OFF/slh%2dalice.list" ] && bad "the dry run wrote offline messages" || ok
# alice is logged in (no presence: her offline messages wait) while the
# rest is imported
$PY "$PROBE" --jid "slh-alice@$PD" --password-file "$T/pw" --servers-env "$DIR/servers.env" \
    --no-presence --collect 6 -o "$T/online.json" >/dev/null 2>&1 &
online=$!
sleep 2
run 0 "$X" server-import --live "slh-alice@$PD" "$DATA" "$STORE"
hasre "$T/err" "archive +5 +3 +2"
hasre "$T/err" "offline +2 +2 +0"
wait $online || bad "alice's session during the import"
# what a client sees: every message, the right times and directions
probe "slh-alice@$PD" "$T/after.json" --collect 3
$PY - "$T/after.json" "slh-alice@$PD" >"$T/check1" 2>&1 <<'PYEOF' || bad "alice after the import: $(cat "$T/check1")"
import json, sys
d, me = json.load(open(sys.argv[1])), sys.argv[2]
want = [("arch-0001", "2021-03-01T10:00:00Z", "peer@old.example/phone", me + "/laptop", "hello from 2021"),
        ("arch-0002", "2021-03-01T10:01:30Z", me + "/laptop", "peer@old.example", "hi, an answer"),
        ("arch-0003", "2021-03-01T12:00:00Z", "someone@elsewhere.example/x", me, "from elsewhere"),
        ("arch-0004", "2021-03-02T08:00:00", "peer@old.example/phone", me, "offline one <b>bold</b>"),
        ("arch-0005", "2021-03-02T08:05:00", "peer@old.example/phone", me, "offline two")]
got = d["mam"]["messages"]
assert len(got) == len(want), "mam: %d messages: %r" % (len(got), got)
for g, w in zip(got, want):
    assert (g["id"], g["from"], g["to"], g["body"]) == (w[0], w[2], w[3], w[4]), g
    assert g["stamp"].startswith(w[1]), (g["stamp"], w[1])
off = [m["body"] for m in d["presented"]["messages"]]
assert off == ["offline one <b>bold</b>", "offline two"], off
PYEOF
ok
# a second run adds nothing: the delivered offline messages stay delivered
alice_arc=$(sha256sum <"$ARC/slh%2dalice.list")
run 0 "$X" server-import --live "slh-alice@$PD" "$DATA" "$STORE"
hasre "$T/err" "archive +5 +0 +5"
hasre "$T/err" "offline +2 +0 +0 +0 +0 +2"
[ "$(sha256sum <"$ARC/slh%2dalice.list")" = "$alice_arc" ] && ok || bad "alice's archive changed on the second run"
[ -e "$OFF/slh%2dalice.list" ] && bad "offline messages written again" || ok
probe "slh-alice@$PD" "$T/again.json" --collect 3
$PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["mam"]["messages"]) == 5, d["mam"]
assert d["presented"]["messages"] == [], d["presented"]
' "$T/again.json" 2>"$T/check2" && ok || bad "alice after the second run: $(cat "$T/check2")"
[ "$(cat "$ARC/slh%2dbob.list" "$OFF/slh%2dbob.list" | sha256sum)" = "$bob_before" ] && ok ||
    bad "bob's history changed"

# Prosody archives messages for alice while xporta appends her history:
# bob sends her 400 messages while three files of 1,500 are imported one
# after the other; afterwards her archive holds every one of both, once
# (none lost to a rewrite, the file still valid Lua).
$PY - "$DATA" "$T" <<'PYEOF'
import sys, time
s = open(sys.argv[1]).read()
head, tail = s.split("<archive xmlns='urn:xmpp:pie:0#mam'>")[0], "</archive></user></host></server-data>"
head = head.split("<offline-messages>")[0]
for f in range(3):
    out = [head, "<archive xmlns='urn:xmpp:pie:0#mam'>"]
    for i in range(1500):
        t = 1500000000 + f * 100000 + i * 60
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
        out.append("<result xmlns='urn:xmpp:mam:2' id='bulk-%d-%d'><forwarded xmlns='urn:xmpp:forward:0'>"
                   "<delay xmlns='urn:xmpp:delay' stamp='%s'/><message xmlns='jabber:client' "
                   "from='peer@old.example/phone' to='hist@old.example' type='chat'>"
                   "<body>bulk %d %d</body></message></forwarded></result>" % (f, i, stamp, f, i))
    out.append(tail)
    open("%s/bulk%d.xml" % (sys.argv[2], f), "w").write("".join(out))
PYEOF
$PY "$(dirname "$0")/store_live_sender.py" --servers-env "$DIR/servers.env" --jid "slh-bob@$PD" \
    --password-file "$T/pw" --to "slh-alice@$PD" --count 400 --gap 0.005 \
    --started "$T/sending" >"$T/sender.log" 2>&1 &
sender=$!
i=0
while [ ! -e "$T/sending" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
for f in 0 1 2; do
    run 0 "$X" server-import --live "slh-alice@$PD" "$T/bulk$f.xml" "$STORE"
done
# the imports ended while bob was still sending (else the test proves less)
kill -0 $sender 2>/dev/null && ok || bad "the sender ended before the imports: make them overlap"
wait $sender || bad "the sender: $(cat "$T/sender.log")"
probe "slh-alice@$PD" "$T/busy.json" --no-presence
$PY - "$T/busy.json" >"$T/check3" 2>&1 <<'PYEOF' && ok || bad "alice's archive while Prosody wrote to it: $(cat "$T/check3")"
import collections, json, sys
bodies = collections.Counter(m["body"] for m in json.load(open(sys.argv[1]))["mam"]["messages"])
want = ["live %d" % i for i in range(1, 401)] + ["bulk %d %d" % (f, i) for f in range(3) for i in range(1500)]
missing = [b for b in want if bodies[b] != 1]
assert not missing, "%d missing or doubled, e.g. %r" % (len(missing), missing[:5])
assert sum(bodies.values()) == 5 + len(want), sum(bodies.values())
PYEOF
grep -q "bulk 0 0" "$T/busy.json" && ok || bad "no bulk messages seen"
# over Prosody's archive quota (10,000 by default): said, since Prosody
# deletes the oldest at the next message
$PY - "$T/bulk0.xml" "$T/big.xml" <<'PYEOF'
import re, sys
s = open(sys.argv[1]).read()
one = re.search(r"<result .*?</result>", s).group(0)
many = "".join(one.replace("bulk-0-0", "big-%d" % i).replace("bulk 0 0", "big %d" % i) for i in range(10001))
open(sys.argv[2], "w").write(s.replace(s[s.index("<result "):s.rindex("</result>") + 9], many))
PYEOF
run 0 "$X" server-import --live "slh-bob@$PD" "$T/big.xml" "$STORE"
has "$T/err" "storage_archive_item_limit"

# ---- 2. refused stores: the reason, nothing written ------------------------
run 7 "$X" server-import --live "slh-carol@$ED" "$DATA" "ejabberd+mnesia:$XPORTA_EJABBERD_CTL"
has "$T/err" "Mnesia tables belong to the running node"
probe "slh-carol@$ED" "$T/carol.json" --no-presence
$PY -c '
import json, sys
assert json.load(open(sys.argv[1]))["mam"]["messages"] == []' "$T/carol.json" 2>/dev/null && ok ||
    bad "carol's archive is not empty"
run 7 "$X" server-import --live "slh-alice@$PD" "$DATA" "prosody+sqlite:$T/p.sqlite"
has "$T/err" "sets no busy timeout"
[ -e "$T/p.sqlite" ] && bad "prosody+sqlite: a database was created" || ok
run 7 "$X" server-import --live "slh-alice@$PD" "$DATA" "ejabberd+sqlite:$T/e.sqlite"
has "$T/err" "ejabberd_sql.erl"
[ -e "$T/e.sqlite" ] && bad "ejabberd+sqlite: a database was created" || ok
run 7 "$X" server-import --live "slh-alice@$PD" "$DATA" "prosody+pgsql:dbname=slh-none"
has "$T/err" "caches each user's archive size"
run 7 "$X" server-import --live "slh-alice@$PD" "$DATA" "$T/out.xml"
has "$T/err" "not a server's storage"
run 2 "$X" server-import --live "not an account" "$DATA" "$STORE"
run 3 "$X" server-import --live "slh-nobody@$PD" "$DATA" "$STORE"
has "$T/err" "has no account slh-nobody@$PD"
[ -e "$ARC/slh%2dnobody.list" ] && bad "an orphan archive was written" || ok

# ---- 3. xporta_account_check ------------------------------------------------
PP=$XPORTA_PROSODY_PORT EP=$XPORTA_EJABBERD_PORT CA=$XPORTA_TEST_CAFILE
ck() { "$CHECK" "$@" >>"$T/checks" 2>&1 && ok || bad "account_check $*: $(tail -1 "$T/checks")"; }
ck "slh-alice@$PD" "$T/pw" 127.0.0.1 "$PP" "$CA" ok
ck "slh-alice@$PD" "$T/wrong" 127.0.0.1 "$PP" "$CA" auth
ck "slh-nobody@$PD" "$T/pw" 127.0.0.1 "$PP" "$CA" auth
ck "slh-carol@$ED" "$T/pw" 127.0.0.1 "$EP" "$CA" ok
ck "slh-carol@$ED" "$T/wrong" 127.0.0.1 "$EP" "$CA" auth
ck "slh-nobody@$ED" "$T/pw" 127.0.0.1 "$EP" "$CA" auth
ck "slh-alice@$PD" "$T/pw" 127.0.0.1 1 "$CA" net
ck "slh-alice@$PD" "$T/pw" 127.0.0.1 "$PP" "" tls
has "$T/checks" "the server refused the password"
has "$T/checks" "the server cannot be reached"
has "$T/checks" "the secure connection failed"

echo "store_live: $n checks, $fails failed"
[ "$fails" -eq 0 ]

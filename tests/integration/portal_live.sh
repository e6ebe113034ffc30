#!/bin/sh
# xporta serve as a provider's portal (--listen), against the real Prosody
# of the shared servers (internal storage), through its HTTP API (curl):
#   portal_live.sh SERVERS_SCRIPT SERVERS_DIR XPORTA PROBE DATA
#
#  - a store refused for every kind stops serve at startup with the reason;
#  - the login page; the right password: a session (HttpOnly, SameSite,
#    no token anywhere); a wrong one: 401 in words; the rate limit: 429
#    after 5 failures per address and per account, and while limited the
#    server is not asked (Prosody's log has no new attempt);
#  - X-Forwarded-For from the trusted proxy only;
#  - writes with another Origin, none, no CSRF value, a foreign Host:
#    refused; the API without a session: 401;
#  - two sessions: neither sees the other's jobs, files, events, history;
#    a session may export only its own account;
#  - an export downloaded once is gone (the file deleted); with a tiny
#    --file-ttl, an unfetched one goes too, and with --session-ttl an
#    unused session ends;
#  - an upload over --max-upload: 413, nothing on disk;
#  - --max-session-jobs: an account's second running step is refused
#    (429), another account's is not;
#  - an https --public-url: the cookie is Secure, only its Host and
#    Origin are taken;
#  - with --store prosody:DIR (the running Prosody's own files): a file
#    with archived messages uploaded into the logged-in account: a real
#    client (the slixmpp probe) then sees them over MAM, no restart;
#  - logout; no password on disk; JIDs in serve's log only as hashes.
set -u
SCRIPT=$1 DIR=$2 X=$3 PROBE=$4 DATA=$5
PY=/usr/bin/python3
command -v prosody >/dev/null 2>&1 && command -v curl >/dev/null 2>&1 || {
    echo "skip: prosody and curl are needed"
    exit 77
}
$PY -c 'import slixmpp' 2>/dev/null || { echo "skip: python3-slixmpp is needed"; exit 77; }
. "$DIR/servers.env"
XPORTA_SERVERS_DIR=$DIR
export XPORTA_SERVERS_DIR
T=$(mktemp -d "${TMPDIR:-/tmp}/xporta-portal-live-XXXXXX")
SPID=
P=pt$(date +%s)$$
stop_serve() {
    [ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
    SPID=
}
cleanup() {
    stop_serve
    for u in alice bob; do bash "$SCRIPT" deluser prosody "$P-$u" >/dev/null 2>&1; done
    rm -rf "$T"
}
trap cleanup EXIT
. "$(dirname "$0")/checks.sh"
PASS=portal-pass
PD=$XPORTA_PROSODY_DOMAIN CA=$XPORTA_TEST_CAFILE
for u in alice bob; do
    bash "$SCRIPT" adduser prosody "$P-$u" "$PASS" >/dev/null || bad "adduser $P-$u"
done
ALICE=$P-alice@$PD BOB=$P-bob@$PD
STORE=prosody:$XPORTA_PROSODY_DATA_DIR
PLOG=$DIR/prosody/prosody.log

free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# start_portal ARGS...: serve as a portal on a free port; sets BASE.
start_portal() {
    PPORT=$(free_port)
    BASE=http://127.0.0.1:$PPORT
    : >"$T/started"
    PUB=${PUBLIC:-$BASE}
    "$X" serve --listen "127.0.0.1:$PPORT" --public-url "$PUB" --trust-proxy 127.0.0.1 \
        --xmpp-server "127.0.0.1:$XPORTA_PROSODY_PORT" --cafile "$CA" --max-upload 1M \
        "$@" >"$T/started" 2>>"$T/serve.err" &
    SPID=$!
    i=0
    while [ ! -s "$T/started" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    has "$T/started" "portal on 127.0.0.1:$PPORT for $PUB"
}
code() { curl -s -o "$T/body" -w '%{http_code}' "$@"; }
is() { if [ "$1" = "$2" ]; then ok; else bad "$3: got $1, want $2"; sed 's/^/    body: /' "$T/body" >&2; fi; }
jget() { $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); exec("print("+sys.argv[2]+")")' "$@"; }
J='Content-Type: application/json'
# login JAR JID PASSWORD IP: the status; the session in JAR, its CSRF in JAR.csrf
login() {
    c=$(code -c "$1" -H "$J" -H "Origin: $BASE" -H "X-Forwarded-For: 203.0.113.9, $4" \
        -d "{\"jid\":\"$2\",\"password\":\"$3\"}" "$BASE/api/login")
    [ "$c" = 200 ] && jget "$T/body" 'd["csrf"]' >"$1.csrf"
    echo "$c"
}
# W JAR ARGS...: a write as the page makes it
W() { jar=$1; shift; code -b "$jar" -H "Origin: $BASE" -H "Sec-Fetch-Site: same-origin" -H "X-Xporta-CSRF: $(cat "$jar.csrf")" "$@"; }
job_of() { jget "$T/body" 'd["job"]["id"]'; }
sse() { curl -sN --max-time 120 -b "$1" "$BASE/api/jobs/$2/events" >"$T/sse"; }
last_stage() { grep '^data: {"event":"stage"' "$T/sse" | tail -n 1 >"$T/stage"; }

# ---- a store that cannot take a history while its server runs ---------------------
"$X" serve --listen 127.0.0.1:0 --public-url http://127.0.0.1 --state-dir "$T/no" \
    --store "prosody+sqlite:$T/prosody.sqlite" >"$T/out" 2>"$T/err" </dev/null
is "$?" 2 "a refused store: serve does not start"
has "$T/err" "cannot take a user's history while its server runs"
has "$T/err" "busy timeout"
"$X" serve --public-url http://x --state-dir "$T/no" >"$T/out" 2>"$T/err" </dev/null
is "$?" 2 "--public-url without --listen"

start_portal --state-dir "$T/st" --store "$STORE"
HOSTPORT=${BASE#http://}

# ---- who may ask ------------------------------------------------------------------
curl -s -D "$T/h" -o /dev/null "$BASE/"
hasre "$T/h" "^HTTP/1.1 303"
hasre "$T/h" "^Location: /login"
is "$(code "$BASE/login")" 200 "the login page"
has "$T/body" '<label for="login-jid">'
has "$T/body" '<label for="login-password">'
is "$(code "$BASE/login.js")" 200 "login.js"
is "$(code "$BASE/api/jobs")" 401 "the API without a session"
has "$T/body" "log in first"
is "$(code -H "Host: evil.example" "$BASE/login")" 403 "a foreign Host"
is "$(code -H "$J" -H "Origin: http://evil.example" -d "{\"jid\":\"$ALICE\",\"password\":\"$PASS\"}" "$BASE/api/login")" 403 "a login from another origin"
is "$(code -H "$J" -d "{\"jid\":\"$ALICE\",\"password\":\"$PASS\"}" "$BASE/api/login")" 403 "a login without Origin"

# ---- logging in -----------------------------------------------------------------------
curl -s -D "$T/h" -o "$T/body" -c "$T/a" -H "$J" -H "Origin: $BASE" -H "X-Forwarded-For: 198.51.100.1" \
    -d "{\"jid\":\"$ALICE\",\"password\":\"$PASS\"}" "$BASE/api/login"
hasre "$T/h" "^HTTP/1.1 200"
hasre "$T/h" "^Set-Cookie: xporta_sid=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=/"
hasnt "$T/h" "Secure"
jget "$T/body" 'd["csrf"]' >"$T/a.csrf"
is "$(code -b "$T/a" "$BASE/")" 200 "the page, logged in"
has "$T/body" "<meta name=\"xporta-account\" content=\"$ALICE\">"
has "$T/body" '<script src="/portal.js" defer>'
CSRF=$(cat "$T/a.csrf")
has "$T/body" "content=\"$CSRF\""
is "$(code -b "$T/a" "$BASE/api/session")" 200 "the session"
has "$T/body" "\"jid\":\"$ALICE\""
is "$(login "$T/w" "$ALICE" wrong-secret-7 198.51.100.2)" 401 "a wrong password"
has "$T/body" "the server refused the password"
is "$(login "$T/b" "$BOB" "$PASS" 198.51.100.3)" 200 "bob logs in"

# ---- the rate limit: 5 failures, then 429 without asking the server -------------------
for i in 1 2 3 4 5; do
    is "$(login "$T/w" "$BOB" "wrong-$i" 192.0.2.10)" 401 "failure $i"
done
before=$(grep -c "$P-bob" "$PLOG")
is "$(login "$T/w" "$BOB" "$PASS" 192.0.2.10)" 429 "limited, even with the right password"
has "$T/body" "too many login attempts"
is "$(login "$T/w" "$BOB" "$PASS" 192.0.2.11)" 429 "limited per account, from another address"
is "$(login "$T/w" "$ALICE" "$PASS" 192.0.2.10)" 429 "limited per address, for another account"
sleep 0.5
is "$(grep -c "$P-bob" "$PLOG")" "$before" "the server was not asked while limited"
grep -q "login limited: account #[0-9a-f]\{16\} from 192.0.2.10" "$T/serve.err" && ok || bad "no hashed log line"
if grep -qF "$P-" "$T/serve.err"; then bad "a JID in serve's log"; else ok; fi
# X-Forwarded-For counts only from the trusted proxy: from another peer
# (127.0.0.2) naming the limited address, the peer's own address counts.
c=$(curl -s -o "$T/body" -w '%{http_code}' --interface 127.0.0.2 -H "$J" -H "Origin: $BASE" \
    -H "X-Forwarded-For: 192.0.2.10" -d "{\"jid\":\"$P-nobody@$PD\",\"password\":\"x\"}" "$BASE/api/login")
is "$c" 401 "X-Forwarded-For from an untrusted peer is not believed"

# ---- writes -----------------------------------------------------------------------------
BODY="{\"type\":\"export\",\"account\":{\"jid\":\"$ALICE\",\"password\":\"$PASS\"}}"
is "$(code -b "$T/a" -H "$J" -H "Origin: http://evil.example" -H "X-Xporta-CSRF: $CSRF" -d "$BODY" "$BASE/api/jobs")" 403 "a write from another origin"
has "$T/body" "another site"
is "$(code -b "$T/a" -H "$J" -H "X-Xporta-CSRF: $CSRF" -d "$BODY" "$BASE/api/jobs")" 403 "a write without Origin"
is "$(code -b "$T/a" -H "$J" -H "Origin: $BASE" -d "$BODY" "$BASE/api/jobs")" 403 "a write without the CSRF value"
is "$(W "$T/b" -H "$J" -d "$BODY" "$BASE/api/jobs")" 400 "bob exports alice's account"
has "$T/body" "only your own account"

# ---- two sessions, an export downloaded once ------------------------------------------
is "$(W "$T/a" -H "$J" -d "$BODY" "$BASE/api/jobs")" 201 "alice exports her account"
EID=$(job_of)
sse "$T/a" "$EID"
last_stage
has "$T/stage" '"state":"done"'
for u in "$EID" "$EID/events" "$EID/file"; do
    is "$(code -b "$T/b" "$BASE/api/jobs/$u")" 404 "bob reads /api/jobs/$u"
done
is "$(code -b "$T/b" "$BASE/history/$EID/")" 404 "bob reads alice's history"
is "$(W "$T/b" -X DELETE "$BASE/api/jobs/$EID")" 404 "bob deletes alice's job"
is "$(W "$T/b" -H "$J" -d '{"step":"history"}' "$BASE/api/jobs/$EID/next")" 404 "bob runs a step of alice's job"
is "$(code -b "$T/b" "$BASE/api/jobs")" 200 "bob's jobs"
hasnt "$T/body" "$EID"
is "$(code -b "$T/a" "$BASE/api/jobs")" 200 "alice's jobs"
has "$T/body" "$EID"
is "$(curl -s -o "$T/export.xml" -w '%{http_code}' -b "$T/a" "$BASE/api/jobs/$EID/file")" 200 "the download"
has "$T/export.xml" "urn:xmpp:pie:0"
sleep 0.3
[ -e "$T/st/serve/jobs/$EID/export.xml" ] && bad "the downloaded file is still there" || ok
is "$(code -b "$T/a" "$BASE/api/jobs/$EID/file")" 404 "a second download"

# ---- the history through the store: a real client sees it over MAM --------------------
is "$(W "$T/a" -H 'Content-Type: application/xml' -H 'X-Xporta-Filename: history.xml' -T "$DATA" "$BASE/api/uploads")" 201 "alice uploads a history"
IID=$(job_of)
is "$(code -b "$T/b" "$BASE/api/jobs/$IID")" 404 "bob reads alice's upload"
sse "$T/a" "$IID"
last_stage
has "$T/stage" '"next":"plan"'
is "$(W "$T/a" -H "$J" -d "{\"step\":\"plan\",\"account\":{\"jid\":\"$BOB\",\"password\":\"$PASS\"}}" "$BASE/api/jobs/$IID/next")" 400 "an import into another account"
has "$T/body" "only into your own account"
is "$(W "$T/a" -H "$J" -d "{\"step\":\"plan\",\"account\":{\"password\":\"$PASS\"}}" "$BASE/api/jobs/$IID/next")" 202 "the plan"
sse "$T/a" "$IID"
last_stage
has "$T/stage" '"next":"run"'
has "$T/stage" "will also be written into your account's archive"
is "$(W "$T/a" -H "$J" -d '{"step":"run"}' "$BASE/api/jobs/$IID/next")" 202 "the run"
sse "$T/a" "$IID"
last_stage
has "$T/stage" '"state":"done"'
has "$T/stage" "history was written into your account's archive"
echo "$PASS" >"$T/pw"
chmod 600 "$T/pw"
$PY "$PROBE" --jid "$ALICE" --password-file "$T/pw" --servers-env "$DIR/servers.env" \
    --timeout 30 --collect 3 -o "$T/mam.json" >/dev/null 2>"$T/mam.err" || bad "probe: $(tail -3 "$T/mam.err")"
$PY - "$T/mam.json" >"$T/check" 2>&1 <<'PYEOF' || bad "alice's MAM after the portal's import: $(cat "$T/check")"
import json, sys
d = json.load(open(sys.argv[1]))
bodies = [m["body"] for m in d["mam"]["messages"]]
for b in ("hello from 2021", "hi, an answer", "from elsewhere", "offline two"):
    assert b in bodies, bodies
off = [m["body"] for m in d["presented"]["messages"]]
assert off == ["offline one <b>bold</b>", "offline two"], off
PYEOF
ok
sleep 1.5
[ -e "$T/st/serve/jobs/$IID/upload.xml" ] && bad "the imported upload is still there" || ok

# ---- uploads over the ceiling -----------------------------------------------------------
head -c 1500000 /dev/zero >"$T/big"
is "$(W "$T/a" -T "$T/big" "$BASE/api/uploads")" 413 "an upload over --max-upload"
has "$T/body" "bigger than this server accepts"
is "$(find "$T/st/serve/uploads" -type f | wc -l)" 0 "nothing of it on disk"

# ---- logout; nothing secret on disk ---------------------------------------------------
is "$(W "$T/b" -H "$J" -d '{}' "$BASE/api/logout")" 204 "bob logs out"
is "$(code -b "$T/b" "$BASE/api/jobs")" 401 "after the logout"
if grep -rqF "$PASS" "$T/st" "$T/serve.err"; then bad "a password is on disk"; else ok; fi
stop_serve

# ---- an export nobody fetches goes at --file-ttl; an unused session ends ----------------
start_portal --state-dir "$T/st2" --file-ttl 2 --session-ttl 3
is "$(login "$T/a" "$ALICE" "$PASS" 198.51.100.1)" 200 "alice logs in again"
is "$(W "$T/a" -H "$J" -d "$BODY" "$BASE/api/jobs")" 201 "an export"
EID=$(job_of)
sse "$T/a" "$EID"
last_stage
has "$T/stage" '"state":"done"'
[ -e "$T/st2/serve/jobs/$EID/export.xml" ] && ok || bad "no exported file"
sleep 4
[ -e "$T/st2/serve/jobs/$EID" ] && bad "the expired job's files are left" || ok
is "$(code -b "$T/a" "$BASE/api/jobs")" 401 "the session after --session-ttl unused"
is "$(login "$T/a" "$ALICE" "$PASS" 198.51.100.1)" 200 "alice logs in again"
is "$(code -b "$T/a" "$BASE/api/jobs/$EID")" 404 "the export after its time"
stop_serve

# ---- running steps per account: --max-session-jobs ---------------------------------------
# A TCP relay to Prosody that, once $T/hold exists, accepts and never
# answers: the steps started then are surely still running.
$PY -c '
import os, socket, sys, threading
hold, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
print(s.getsockname()[1], flush=True)
held = []
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d: break
            b.sendall(d)
    except OSError: pass
    for x in (a, b):
        try: x.shutdown(socket.SHUT_RDWR)
        except OSError: pass
while True:
    c, _ = s.accept()
    if os.path.exists(hold): held.append(c); continue
    u = socket.create_connection(("127.0.0.1", port))
    threading.Thread(target=pipe, args=(c, u), daemon=True).start()
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()
' "$T/hold" "$XPORTA_PROSODY_PORT" >"$T/relay" &
RPID=$!
i=0
while [ ! -s "$T/relay" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
start_portal --state-dir "$T/st4" --xmpp-server "127.0.0.1:$(cat "$T/relay")" --max-session-jobs 1
is "$(login "$T/a" "$ALICE" "$PASS" 198.51.100.1)" 200 "alice logs in (through the relay)"
is "$(login "$T/b" "$BOB" "$PASS" 198.51.100.3)" 200 "bob logs in (through the relay)"
touch "$T/hold"
is "$(W "$T/a" -H "$J" -d "$BODY" "$BASE/api/jobs")" 201 "alice's first export (held)"
is "$(W "$T/a" -H "$J" -d "$BODY" "$BASE/api/jobs")" 429 "alice's second export while the first runs"
has "$T/body" "you have work running already"
is "$(W "$T/b" -H "$J" -d "{\"type\":\"export\",\"account\":{\"jid\":\"$BOB\",\"password\":\"$PASS\"}}" "$BASE/api/jobs")" 201 "bob's export is not limited by alice's"
kill -KILL "$SPID"
wait "$SPID" 2>/dev/null
SPID=
kill "$RPID"
wait "$RPID" 2>/dev/null

# ---- an https public URL: the cookie is Secure; Host and Origin are its own -------------
PUBLIC=https://portal.test start_portal --state-dir "$T/st3"
curl -s -D "$T/h" -o "$T/body" -H "Host: portal.test" -H "$J" -H "Origin: https://portal.test" \
    -H "X-Forwarded-For: 198.51.100.1" -d "{\"jid\":\"$ALICE\",\"password\":\"$PASS\"}" "$BASE/api/login"
hasre "$T/h" "^Set-Cookie: xporta_sid=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=/; Secure"
is "$(code "$BASE/login")" 403 "the listening address as Host"
is "$(code -H "Host: portal.test" -H "$J" -H "Origin: http://portal.test" -d '{}' "$BASE/api/login")" 403 "the http origin of an https portal"
kill -TERM "$SPID"
wait "$SPID"
is "$?" 0 "SIGTERM: exit 0"
SPID=

echo "portal_live: $n checks, $fails failed"
[ "$fails" -eq 0 ]

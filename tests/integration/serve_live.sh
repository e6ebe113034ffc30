#!/bin/sh
# xporta serve against the real Prosody, through its HTTP API (curl):
#   serve_live.sh SERVERS_SCRIPT SERVERS_DIR XPORTA XP_POPULATE SCENARIOS
#
#  - no token, a wrong token, a foreign Host: 403; the token: 303 to / with
#    an HttpOnly SameSite=Strict cookie; the CSP on every answer;
#  - a write without Origin, with another origin, without the CSRF header,
#    from another site (Sec-Fetch-Site), or as a form: refused;
#  - a wrong password: the job fails with the error in words;
#  - a move (plan, run, verify, tell the contacts) read over SSE to each
#    summary; a reconnect with Last-Event-ID gets exactly the rest; a
#    contact then follows the move (XEP-0283);
#  - a download: the file, checked with xporta check;
#  - an import of that file into a third account (check, plan, run);
#  - uploads over the ceiling: 413 early (Content-Length) and late
#    (chunked), an upload cut off half way, and the upload directory empty
#    afterwards;
#  - no password in any file serve wrote; SIGTERM stops it (exit 0) and a
#    new serve lists the jobs again.
set -u
SCRIPT=$1 DIR=$2 X=$3 POP=$4 SCEN=$5
command -v prosody >/dev/null 2>&1 && command -v curl >/dev/null 2>&1 || {
    echo "skip: prosody and curl are needed"
    exit 77
}
. "$DIR/servers.env"
XPORTA_SERVERS_DIR=$DIR
export XPORTA_SERVERS_DIR
T=$(mktemp -d "${TMPDIR:-/tmp}/xporta-serve-live-XXXXXX")
SPID=
cleanup() {
    [ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
XDG_STATE_HOME=$T/xdg
export XDG_STATE_HOME
. "$(dirname "$0")/checks.sh"
PASS=xporta-pass
P=sv$(date +%s)$$
OD=$XPORTA_PROSODY_DOMAIN ND=$XPORTA_PROSODY_DOMAIN2
PORT=$XPORTA_PROSODY_PORT CA=$XPORTA_TEST_CAFILE
for u in alice bob carol dave erin frank grace; do
    bash "$SCRIPT" adduser prosody "$P-$u" "$PASS" >/dev/null || bad "adduser $P-$u"
done
bash "$SCRIPT" adduser "$ND" "$P-new" "$PASS" >/dev/null || bad "adduser $P-new"
bash "$SCRIPT" adduser "$ND" "$P-third" "$PASS" >/dev/null || bad "adduser $P-third"
"$POP" "$DIR/servers.env" "$SCEN/fill-prosody.xml" ALICE="$P-alice" BOB="$P-bob" \
    CAROL="$P-carol" DAVE="$P-dave" ERIN="$P-erin" FRANK="$P-frank" \
    GRACE="$P-grace" PASS="$PASS" >"$T/fill.log" 2>&1 ||
    { bad "fill"; tail -20 "$T/fill.log" >&2; }
ALICE=$P-alice@$OD NEW=$P-new@$ND THIRD=$P-third@$ND

# start_serve: xporta serve in the background; sets URL BASE TOK.
start_serve() {
    : >"$T/url"
    "$X" serve --state-dir "$T/st" --cafile "$CA" --max-upload 1M >"$T/url" 2>>"$T/serve.err" &
    SPID=$!
    i=0
    while [ ! -s "$T/url" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    URL=$(head -n 1 "$T/url")
    BASE=${URL%%/\?*} TOK=${URL##*token=}
    case $URL in http://127.0.0.1:*/\?token=*) ok ;; *) bad "serve printed: $URL" ;; esac
}
start_serve
HOSTPORT=${BASE#http://}

# code ARGS...: the HTTP status of a curl request.
code() { curl -s -o "$T/body" -w '%{http_code}' "$@"; }
is() { if [ "$1" = "$2" ]; then ok; else bad "$3: got $1, want $2"; sed 's/^/    body: /' "$T/body" >&2; fi; }
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); exec("print("+sys.argv[2]+")")' "$@"; }

# ---- who may ask ---------------------------------------------------------------
is "$(code "$BASE/")" 403 "no token"
has "$T/body" "Open the address that"
is "$(code "$BASE/?token=wrong$TOK")" 403 "wrong token"
is "$(code -H "Authorization: Bearer x$TOK" "$BASE/api/jobs")" 403 "wrong bearer"
is "$(code -H "Authorization: Bearer $TOK" -H "Host: evil.example:${BASE##*:}" "$BASE/api/jobs")" 403 "foreign Host"
is "$(code -H "Authorization: Bearer $TOK" "$BASE/api/jobs")" 200 "bearer"
curl -s -D "$T/h" -o /dev/null -c "$T/jar" "$BASE/?token=$TOK"
hasre "$T/h" "^HTTP/1.1 303"
hasre "$T/h" "^Location: /"
hasre "$T/h" "^Set-Cookie: xporta_sid=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=/"
has "$T/h" "Content-Security-Policy: default-src 'none'; script-src 'self'"
has "$T/h" "X-Content-Type-Options: nosniff"
is "$(code -b "$T/jar" "$BASE/")" 200 "the page with the cookie"
CSRF=$(sed -n 's/.*name="xporta-csrf" content="\([^"]*\)".*/\1/p' "$T/body")
[ ${#CSRF} -eq 43 ] && ok || bad "no CSRF value in the page"
is "$(code -b "$T/jar" "$BASE/app.js")" 200 "app.js"
is "$(code -b "$T/jar" "$BASE/app.css")" 200 "app.css"
# The first load stays under 100 KB.
sz=$(($(curl -s -b "$T/jar" "$BASE/" | wc -c) + $(curl -s -b "$T/jar" "$BASE/app.js" | wc -c) + $(curl -s -b "$T/jar" "$BASE/app.css" | wc -c)))
[ "$sz" -lt 100000 ] && ok || bad "first load $sz bytes"

# W ARGS...: a write as the page makes it (cookie, Origin, CSRF header).
W() { code -b "$T/jar" -H "Origin: $BASE" -H "Sec-Fetch-Site: same-origin" -H "X-Xporta-CSRF: $CSRF" "$@"; }
J='Content-Type: application/json'
BODY='{"type":"export","account":{"jid":"x@y","password":"p"}}'
is "$(code -b "$T/jar" -H "$J" -H "X-Xporta-CSRF: $CSRF" -d "$BODY" "$BASE/api/jobs")" 403 "write without Origin"
is "$(code -b "$T/jar" -H "$J" -H "Origin: $BASE" -d "$BODY" "$BASE/api/jobs")" 403 "write without the CSRF header"
is "$(code -b "$T/jar" -H "$J" -H "Origin: $BASE" -H "X-Xporta-CSRF: x$CSRF" -d "$BODY" "$BASE/api/jobs")" 403 "wrong CSRF value"
is "$(code -b "$T/jar" -H "$J" -H "Origin: http://127.0.0.1:1" -H "X-Xporta-CSRF: $CSRF" -d "$BODY" "$BASE/api/jobs")" 403 "another origin"
is "$(code -b "$T/jar" -H "$J" -H "Origin: $BASE" -H "Sec-Fetch-Site: same-site" -H "X-Xporta-CSRF: $CSRF" -d "$BODY" "$BASE/api/jobs")" 403 "same-site"
is "$(W -H 'Content-Type: application/x-www-form-urlencoded' -d 'type=export' "$BASE/api/jobs")" 415 "a form"
is "$(W -H "$J" -d '{"type":' "$BASE/api/jobs")" 400 "bad JSON"
has "$T/body" "not valid JSON"

acct() { printf '{"jid":"%s","password":"%s","host":"127.0.0.1","port":%s}' "$1" "$2" "$PORT"; }
# sse ID [AFTER]: the job's events until the stream ends (the step is over).
sse() {
    curl -sN --max-time 240 -b "$T/jar" ${2:+-H "Last-Event-ID: $2"} "$BASE/api/jobs/$1/events" >"$T/sse"
}
job_of() { jget "$T/body" 'd["job"]["id"]'; }
last_stage() { grep '^data: {"event":"stage"' "$T/sse" | tail -n 1; }

# ---- a wrong password: in words ------------------------------------------------------
is "$(W -H "$J" -d "{\"type\":\"migrate\",\"old\":$(acct "$ALICE" "$PASS"),\"new\":$(acct "$NEW" wrong-secret-9)}" "$BASE/api/jobs")" 201 "migrate, wrong password"
ID=$(job_of)
sse "$ID"
last_stage >"$T/stage"
has "$T/stage" '"state":"failed"'
has "$T/stage" "The new server refused the password"
is "$(code -b "$T/jar" "$BASE/api/jobs/$ID")" 200 "the failed job"
has "$T/body" '"next":"plan"'

# ---- a move: plan, run, verify, tell the contacts ----------------------------------------
is "$(W -H "$J" -d "{\"type\":\"migrate\",\"old\":$(acct "$ALICE" "$PASS"),\"new\":$(acct "$NEW" "$PASS")}" "$BASE/api/jobs")" 201 "migrate"
ID=$(job_of)
sse "$ID"
hasre "$T/sse" '"event":"summary".*"command":"migrate".*"dry_run":true'
has "$T/sse" '"event":"start","v":1,"command":"migrate"'
has "$T/sse" '"event":"item"'
has "$T/sse" '"event":"progress"'
last_stage >"$T/stage"
has "$T/stage" '"state":"waiting","next":"run"'
N=$(grep -c '^id: ' "$T/sse")
is "$(W -H "$J" -d '{"step":"run"}' "$BASE/api/jobs/$ID/next")" 202 "run"
sse "$ID" "$N"
first=$(sed -n 's/^id: //p' "$T/sse" | head -n 1)
is "$first" $((N + 1)) "Last-Event-ID: the stream goes on after it"
hasre "$T/sse" '"event":"summary".*"command":"migrate".*"dry_run":false'
has "$T/sse" '"verified":true'
last_stage >"$T/stage"
has "$T/stage" '"state":"waiting","next":"announce"'
cp "$T/sse" "$T/sse.run"
# A reload in the middle: from a line inside the run, exactly the rest.
M=$(sed -n 's/^id: //p' "$T/sse.run" | sed -n '3p')
sse "$ID" "$M"
sed -n 's/^id: //p' "$T/sse" | head -n 1 >"$T/first"
is "$(cat "$T/first")" $((M + 1)) "a reload in the middle"
is "$(grep -c '^id: ' "$T/sse")" $(($(grep -c '^id: ' "$T/sse.run") - M + N)) "the rest of the stream"
is "$(W -H "$J" -d '{"step":"announce"}' "$BASE/api/jobs/$ID/next")" 202 "announce"
sse "$ID"
hasre "$T/sse" "\"event\":\"contact\".*\"jid\":\"$P-bob@$OD\".*\"outcome\":\"moved\""
last_stage >"$T/stage"
has "$T/stage" '"state":"done"'
echo "$PASS" >"$T/pw"
"$X" follow-moves "$P-bob@$OD" --host 127.0.0.1 --port "$PORT" --cafile "$CA" \
    --password-file "$T/pw" >"$T/out" 2>"$T/err" || bad "follow-moves"
hasre "$T/err" "followed +$NEW: verified move from $ALICE"

# ---- a download ------------------------------------------------------------------
is "$(code -H "Authorization: Bearer $TOK" -H "$J" -d "{\"type\":\"export\",\"account\":$(acct "$ALICE" "$PASS")}" "$BASE/api/jobs")" 201 "export (bearer)"
EID=$(job_of)
sse "$EID"
has "$T/sse" '"event":"progress","v":1,"step":"export"'
has "$T/sse" '"kind":"archive"'
last_stage >"$T/stage"
has "$T/stage" '"state":"done"'
curl -s -D "$T/h" -o "$T/export.xml" -b "$T/jar" "$BASE/api/jobs/$EID/file"
hasre "$T/h" "^Content-Disposition: attachment; filename=\"xporta-$P-alice@$OD.xml\""
run 0 "$X" check "$T/export.xml"
has "$T/export.xml" "urn:xmpp:pie:0"

# ---- the history view of it (xporta history, served under /history/ID/) -------
is "$(W -H "$J" -d '{"step":"history"}' "$BASE/api/jobs/$EID/next")" 202 "history"
sse "$EID"
last_stage >"$T/stage"
has "$T/stage" '"state":"done"'
has "$T/stage" "Your history is ready to read"
is "$(code -b "$T/jar" "$BASE/api/jobs/$EID")" 200 "the export with its history"
has "$T/body" "\"history\":\"/history/$EID/\""
has "$T/body" "\"href\":\"/api/jobs/$EID/file\""
curl -s -D "$T/h" -o "$T/hist.html" -b "$T/jar" "$BASE/history/$EID/"
hasre "$T/h" "^HTTP/1.1 200"
hasre "$T/h" "^Content-Type: text/html"
has "$T/h" "Content-Security-Policy: default-src 'none'"
has "$T/hist.html" "<html"
is "$(code -b "$T/jar" "$BASE/history/$EID/history.css")" 200 "the history's style sheet"
is "$(code -b "$T/jar" --path-as-is "$BASE/history/$EID/../../jobs/$EID/job.json")" 404 "a path out of the history"
is "$(code -b "$T/jar" "$BASE/history/$EID/export.xml")" 404 "not a page of the history"
is "$(code "$BASE/history/$EID/")" 403 "the history without the token"

# ---- an import of it into a third account --------------------------------------------
is "$(W -H 'Content-Type: application/xml' -H 'X-Xporta-Filename: ../me.xml' -T "$T/export.xml" "$BASE/api/uploads")" 201 "upload"
IID=$(job_of)
has "$T/body" '"name":"me.xml"'
sse "$IID"
has "$T/sse" '"event":"summary","v":1,"command":"check","ok":true'
last_stage >"$T/stage"
has "$T/stage" '"next":"plan"'
is "$(W -H "$J" -d "{\"step\":\"plan\",\"account\":$(acct "$THIRD" "$PASS")}" "$BASE/api/jobs/$IID/next")" 202 "import plan"
sse "$IID"
hasre "$T/sse" '"event":"summary".*"command":"import".*"dry_run":true'
is "$(W -H "$J" -d '{"step":"run"}' "$BASE/api/jobs/$IID/next")" 202 "import run"
sse "$IID"
has "$T/sse" '"verified":true'
last_stage >"$T/stage"
has "$T/stage" '"state":"done"'

# ---- uploads over the ceiling ----------------------------------------------------------
head -c 3000000 /dev/zero >"$T/big"
is "$(W -T "$T/big" "$BASE/api/uploads")" 413 "upload over the limit"
has "$T/body" "bigger than this server accepts"
is "$(W -H 'Transfer-Encoding: chunked' -T "$T/big" "$BASE/api/uploads")" 413 "chunked upload over the limit"
# An upload cut off half way (the client gives up after a second).
head -c 900000 /dev/zero >"$T/mid"
W --limit-rate 100k --max-time 1 -T "$T/mid" "$BASE/api/uploads" >/dev/null
sleep 0.5
is "$(find "$T/st/serve/uploads" -type f | wc -l)" 0 "the upload directory is empty"

# ---- nothing secret on disk; a delete; a clean stop, and the jobs are there again ------
if grep -rqF "$PASS" "$T/st" || grep -rqF "wrong-secret-9" "$T/st"; then bad "a password is on disk"; else ok; fi
if grep -rqF "$TOK" "$T/st" "$T/serve.err"; then bad "the token is on disk"; else ok; fi
is "$(stat -c %a "$T/st/serve/jobs/$ID/events.jsonl")" 600 "events.jsonl is 0600"
is "$(W -X DELETE "$BASE/api/jobs/$IID")" 204 "delete"
[ -e "$T/st/serve/jobs/$IID" ] && bad "the deleted job's files are left" || ok
# forged event ids: not a number (strtoull would read -1 as 2^64-1) is
# ignored, the log comes from its start; one beyond the log is its end
is "$(code --max-time 5 -b "$T/jar" -H "Last-Event-ID: -1" "$BASE/api/jobs/$EID/events")" 200 "Last-Event-ID -1"
is "$(sed -n 's/^id: //p' "$T/body" | head -n 1)" 1 "Last-Event-ID -1: the whole log"
is "$(code --max-time 5 -b "$T/jar" "$BASE/api/jobs/$EID/events?after=9999999999999999999")" 204 "after= beyond the log"
# the export with its history pages (a tree): deleted whole
is "$(W -X DELETE "$BASE/api/jobs/$EID")" 204 "delete the export and its history"
[ -e "$T/st/serve/jobs/$EID" ] && bad "the deleted export's files are left: $(find "$T/st/serve/jobs/$EID" | head -3)" || ok
kill -TERM "$SPID"
wait "$SPID"
is "$?" 0 "SIGTERM: exit 0"
SPID=
start_serve
is "$(code -H "Authorization: Bearer $TOK" "$BASE/api/jobs")" 200 "jobs after a restart"
has "$T/body" "\"id\":\"$ID\""
hasnt "$T/body" "\"id\":\"$EID\""
hasnt "$T/body" "\"id\":\"$IID\""

# ---- a job that was running when serve died: listed as interrupted, resumed
# with the password asked again.  The account's "server" accepts and never
# answers, so the step is surely running when serve is killed.
python3 -c '
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
held = []
while True: held.append(s.accept())
' >"$T/bh" &
BHP=$!
i=0
while [ ! -s "$T/bh" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
BH=$(cat "$T/bh")
is "$(code -H "Authorization: Bearer $TOK" -H "$J" -d "{\"type\":\"export\",\"account\":{\"jid\":\"$P-alice@$OD\",\"password\":\"$PASS\",\"host\":\"127.0.0.1\",\"port\":$BH}}" "$BASE/api/jobs")" 201 "export to a silent server"
XID=$(job_of)
sleep 1
kill -KILL "$SPID"
wait "$SPID" 2>/dev/null
SPID=
kill "$BHP"
wait "$BHP" 2>/dev/null
start_serve
is "$(code -H "Authorization: Bearer $TOK" "$BASE/api/jobs/$XID")" 200 "the job after a crash"
has "$T/body" '"state":"interrupted"'
has "$T/body" '"next":"run"'
has "$T/body" '"password_held":false'
is "$(code -H "Authorization: Bearer $TOK" -H "$J" -d '{"step":"run"}' "$BASE/api/jobs/$XID/next")" 409 "resume without the password"
has "$T/body" "password is needed"
is "$(code -H "Authorization: Bearer $TOK" -H "$J" -d "{\"step\":\"run\",\"account\":{\"password\":\"$PASS\"}}" "$BASE/api/jobs/$XID/next")" 202 "resume with the password"
curl -sN --max-time 60 -H "Authorization: Bearer $TOK" "$BASE/api/jobs/$XID/events" >"$T/sse"
last_stage >"$T/stage"
has "$T/stage" '"state":"failed"'
has "$T/stage" "could not be reached"
if grep -rqF "$PASS" "$T/st"; then bad "a password is on disk"; else ok; fi
kill -TERM "$SPID"
wait "$SPID"
is "$?" 0 "SIGTERM: exit 0"
SPID=

echo "serve_live: $n checks, $fails failed"
[ "$fails" -eq 0 ]

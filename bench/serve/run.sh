#!/bin/sh
# bench/serve/run.sh BUILD_DIR [ROUNDS CONTACTS PEP MESSAGES]
#
# Does xporta serve add a cost to a job?  The same jobs, side by side,
# through the command line and through serve's HTTP API (driven with curl
# as its page drives it: the token traded for a session cookie, the CSRF
# header, the page's Origin; each step read over server-sent events to its
# end), against the real servers of tests/servers/xporta-servers:
#
#   - migrate Prosody 0.12 -> ejabberd 23.01 (the copy and its read-back):
#     `xporta migrate OLD NEW` against serve's step "run" (after its plan,
#     untimed; the command line's plan is --dry-run, timed on its own row
#     against serve's "plan");
#   - export of the same account, its whole archive (MAM):
#     `xporta export ACCOUNT -o FILE` against a serve export job.
#
# The source account, on a Prosody with its storage in SQLite, holds
# CONTACTS contacts (default 1,000), PEP items over 7 nodes (default 200),
# 20 private XML namespaces and an archive of MESSAGES messages (default
# 10,000), filled once by bench/gen_pie through Prosody's own import and
# kept for the next run.  A migrate does not read the archive (no client
# can write one; `--backup` keeps it, and serve's migrate has no backup):
# the export rows are the ones that carry it.
#
# ejabberd's mod_roster is told to store the roster version
# (store_current_id: true, in the private ejabberd.yml, put back at the
# end): as Debian ships it, ejabberd hashes the whole roster for every
# roster push (bench/migrate: ~350 s of server CPU for 5,000 contacts), and
# the comparison would measure little else.
#
# ROUNDS (default 5) rounds, each running every job once through each way,
# the order alternating between rounds; every migrate goes into a fresh
# ejabberd account.  Prints per job and way the median, min and max wall
# time, the median of the per-round differences; serve's own share (the wall time less the seconds the job itself
# reports in its summary: HTTP, SSE, its files); and serve's peak RSS (VmHWM) and CPU over the whole run.  Uses a
# private pair of servers in $BENCH_SERVERS (default
# /tmp/xporta-bench-serve-servers); logs in $BENCH_SERVERS/bench.
set -eu
B=${1:-build}
ROUNDS=${2:-5}
CONTACTS=${3:-1000}
PEP=${4:-200}
MESSAGES=${5:-10000}
X=$(cd "$B" && pwd)/xporta
GEN=$(cd "$B" && pwd)/bench/gen_pie
HERE=$(cd "$(dirname "$0")" && pwd)
SERVERS="$HERE/../../tests/servers/xporta-servers"
export XPORTA_SERVERS_DIR="${BENCH_SERVERS:-/tmp/xporta-bench-serve-servers}"
export XPORTA_PROSODY_ARCHIVE=sql
WORK=$XPORTA_SERVERS_DIR/bench
mkdir -p "$WORK"
command -v curl >/dev/null || { echo "bench/serve: curl is needed" >&2; exit 1; }

bash "$SERVERS" start >/dev/null
# shellcheck source=/dev/null
. "$XPORTA_SERVERS_DIR/servers.env"
P_DOM=$XPORTA_PROSODY_DOMAIN
E_DOM=$XPORTA_EJABBERD_DOMAIN
USER=sv$CONTACTS-$PEP-$MESSAGES
SRC=$USER@$P_DOM
RECIPE="gen_pie --users 1 --roster $CONTACTS --messages $MESSAGES --pep $PEP --private 20"
MARK=$WORK/$USER.filled
if [ -f "$MARK" ] && [ "$(cat "$MARK")" != "$RECIPE" ]; then
    echo "$SRC was filled by an older recipe; stop these servers and remove" \
        "$XPORTA_SERVERS_DIR, then run again" >&2
    exit 1
fi
if [ ! -f "$MARK" ]; then
    echo "filling $SRC ($RECIPE)..." >&2
    "$GEN" --users 1 --roster "$CONTACTS" --messages "$MESSAGES" --pep "$PEP" \
        --private 20 >"$WORK/gen.xml"
    rm -rf "$WORK/in"
    "$X" convert -q --dialect prosody \
        --rename-host "h0.example=$P_DOM" "$WORK/gen.xml" -o "$WORK/in"
    mv "$WORK/in/user0@$P_DOM.xml" "$WORK/in/$SRC.xml"
    sed -i "s/<user name='user0'>/<user name='$USER'>/" "$WORK/in/$SRC.xml"
    bash "$SERVERS" import prosody "$WORK/in" >/dev/null
    rm -rf "$WORK/in" "$WORK/gen.xml"
    echo "$RECIPE" >"$MARK"
fi
bash "$SERVERS" adduser prosody "$USER" benchpw >/dev/null
E_YML=$XPORTA_SERVERS_DIR/ejabberd/ejabberd.yml
roster_version_stored() { # true|false
    if [ "$1" = true ]; then
        sed -i 's/^  mod_roster: {versioning: true}$/  mod_roster: {versioning: true, store_current_id: true}/' "$E_YML"
        grep -q 'store_current_id: true' "$E_YML" || { echo "mod_roster not found in $E_YML" >&2; exit 1; }
    else
        sed -i 's/^  mod_roster: {versioning: true, store_current_id: true}$/  mod_roster: {versioning: true}/' "$E_YML"
    fi
    bash "$SERVERS" ejabberdctl reload_config >/dev/null
}
roster_version_stored true
echo benchpw >"$WORK/pw"
chmod 600 "$WORK/pw"
rm -rf "$WORK"/st-* "$WORK"/serve "$WORK"/xdg "$WORK"/*.log "$WORK"/*.xml "$WORK"/times
export XDG_STATE_HOME="$WORK/xdg" # the journals of serve's jobs

now() { date +%s.%N; }
# own T0 T1: the wall time less the job's own seconds (its summary in $WORK/sse)
own() {
    sed -n 's/.*"event":"summary".*"seconds":\([0-9.]*\).*/\1/p' "$WORK/sse" | tail -n 1 |
        awk -v a="$1" -v b="$2" '{printf "%.3f", b - a - $1}'
}
el() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", b - a}'; }
# rec JOB WAY SECONDS: one measurement
rec() { echo "$1 $2 $3" >>"$WORK/times"; }
fresh() { # a new ejabberd account; prints its JID
    FRESH=b$(date +%s%N | cut -c8-16)
    bash "$SERVERS" adduser ejabberd "$FRESH" benchpw >/dev/null
    TARGETS="${TARGETS:-} $FRESH"
}
OLD="--old-host 127.0.0.1 --old-port $XPORTA_PROSODY_PORT --old-password-file $WORK/pw"
NEW="--new-host 127.0.0.1 --new-port $XPORTA_EJABBERD_PORT --new-password-file $WORK/pw"

# ---- serve, once for the whole run ----------------------------------------------
: >"$WORK/serve.url"
"$X" serve --state-dir "$WORK/serve" --cafile "$XPORTA_TEST_CAFILE" --max-jobs 1 \
    >"$WORK/serve.url" 2>"$WORK/serve.err" &
SPID=$!
trap 'kill "$SPID" 2>/dev/null || true; roster_version_stored false' EXIT
i=0
while [ ! -s "$WORK/serve.url" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
URL=$(head -n 1 "$WORK/serve.url")
BASE=${URL%%/\?*}
code() { curl -s -o "$WORK/body" -w '%{http_code}' "$@"; }
[ "$(code -c "$WORK/jar" "$URL")" = 303 ] || { echo "serve: no session" >&2; exit 1; }
[ "$(code -b "$WORK/jar" "$BASE/")" = 200 ] || { echo "serve: no page" >&2; exit 1; }
CSRF=$(sed -n 's/.*name="xporta-csrf" content="\([^"]*\)".*/\1/p' "$WORK/body")
# The page's first load, as a browser gets it (no compression is offered).
page_html=$(curl -s -b "$WORK/jar" "$BASE/" | wc -c)
page_js=$(curl -s -b "$WORK/jar" "$BASE/app.js" | wc -c)
page_css=$(curl -s -b "$WORK/jar" "$BASE/app.css" | wc -c)
post() { # PATH JSON
    code -b "$WORK/jar" -H "Origin: $BASE" -H "Sec-Fetch-Site: same-origin" \
        -H "X-Xporta-CSRF: $CSRF" -H 'Content-Type: application/json' -d "$2" "$BASE$1"
}
job_id() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["job"]["id"])' "$WORK/body"; }
# events ID: the stream from the start until the step ends; fails unless
# the step's summary says ok.
events() {
    curl -sN --max-time 1800 -b "$WORK/jar" -H "Last-Event-ID: ${SEEN:-0}" \
        "$BASE/api/jobs/$1/events" >"$WORK/sse"
    SEEN=$(sed -n 's/^id: //p' "$WORK/sse" | tail -n 1)
    grep '"event":"summary"' "$WORK/sse" | tail -n 1 | grep -q '"ok":true' ||
        { echo "serve: the step failed:" >&2; tail -n 5 "$WORK/sse" >&2; exit 1; }
}
acct() { printf '{"jid":"%s","password":"benchpw","host":"127.0.0.1","port":%s}' "$1" "$2"; }
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
scpu0=$(cpu "$SPID")

# ---- the jobs ----------------------------------------------------------------------
cli_migrate() {
    fresh
    t0=$(now)
    # shellcheck disable=SC2086
    "$X" migrate --dry-run "$SRC" "$FRESH@$E_DOM" $OLD $NEW --cafile "$XPORTA_TEST_CAFILE" \
        --state-dir "$WORK/st-$FRESH" >"$WORK/cli-plan-$r.log" 2>&1
    t1=$(now)
    # shellcheck disable=SC2086
    "$X" migrate "$SRC" "$FRESH@$E_DOM" $OLD $NEW --cafile "$XPORTA_TEST_CAFILE" \
        --state-dir "$WORK/st-$FRESH" >"$WORK/cli-migrate-$r.log" 2>&1
    t2=$(now)
    grep -q "verified: every record is on the target" "$WORK/cli-migrate-$r.log" ||
        { echo "cli migrate not verified: $WORK/cli-migrate-$r.log" >&2; exit 1; }
    rec plan cli "$(el "$t0" "$t1")"
    rec migrate cli "$(el "$t1" "$t2")"
}
serve_migrate() {
    fresh
    SEEN=0
    t0=$(now)
    [ "$(post /api/jobs "{\"type\":\"migrate\",\"old\":$(acct "$SRC" "$XPORTA_PROSODY_PORT"),\"new\":$(acct "$FRESH@$E_DOM" "$XPORTA_EJABBERD_PORT")}")" = 201 ] ||
        { cat "$WORK/body" >&2; exit 1; }
    id=$(job_id)
    events "$id"
    t1=$(now)
    [ "$(post "/api/jobs/$id/next" '{"step":"run"}')" = 202 ] || { cat "$WORK/body" >&2; exit 1; }
    events "$id"
    t2=$(now)
    grep -q '"verified":true' "$WORK/sse" || { echo "serve migrate not verified" >&2; exit 1; }
    rec migrate serve-own "$(own "$t1" "$t2")"
    cp "$WORK/sse" "$WORK/serve-migrate-$r.log"
    rec plan serve "$(el "$t0" "$t1")"
    rec migrate serve "$(el "$t1" "$t2")"
    post "/api/jobs/$id/next" '{"step":"finish"}' >/dev/null
}
cli_export() {
    rm -f "$WORK/cli.xml"
    t0=$(now)
    "$X" export -q "$SRC" -o "$WORK/cli.xml" --host 127.0.0.1 --port "$XPORTA_PROSODY_PORT" \
        --cafile "$XPORTA_TEST_CAFILE" --password-file "$WORK/pw"
    t1=$(now)
    rec export cli "$(el "$t0" "$t1")"
    MSGS=$(grep -o "<result xmlns='urn:xmpp:mam:2'" "$WORK/cli.xml" | wc -l)
}
serve_export() {
    SEEN=0
    t0=$(now)
    [ "$(post /api/jobs "{\"type\":\"export\",\"account\":$(acct "$SRC" "$XPORTA_PROSODY_PORT")}")" = 201 ] ||
        { cat "$WORK/body" >&2; exit 1; }
    id=$(job_id)
    events "$id"
    t1=$(now)
    rec export serve "$(el "$t0" "$t1")"
    rec export serve-own "$(own "$t0" "$t1")"
    curl -s -b "$WORK/jar" -o "$WORK/serve.xml" "$BASE/api/jobs/$id/file"
    SMSGS=$(grep -o "<result xmlns='urn:xmpp:mam:2'" "$WORK/serve.xml" | wc -l)
    [ "$(code -b "$WORK/jar" -H "Origin: $BASE" -H "X-Xporta-CSRF: $CSRF" -X DELETE "$BASE/api/jobs/$id")" = 204 ] || true
}

load0=$(cut -d' ' -f1-3 /proc/loadavg)
r=1
while [ "$r" -le "$ROUNDS" ]; do
    echo "round $r of $ROUNDS..." >&2
    if [ $((r % 2)) = 1 ]; then
        cli_migrate; serve_migrate; cli_export; serve_export
    else
        serve_migrate; cli_migrate; serve_export; cli_export
    fi
    r=$((r + 1))
done
scpu1=$(cpu "$SPID")
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$SPID/status")
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$SPID/status")
kill -TERM "$SPID"
rc=0
wait "$SPID" || rc=$?
trap - EXIT
roster_version_stored false
[ "$rc" = 0 ] || { echo "serve exited $rc" >&2; exit 1; }
[ "$MSGS" = "$SMSGS" ] && [ "$MSGS" -gt 0 ] ||
    { echo "the exports differ: $MSGS and $SMSGS messages" >&2; exit 1; }
written=$(sed -n 's/^wrote \([0-9]*\) records.*/\1/p' "$WORK/cli-migrate-1.log")

echo "Account: $SRC ($RECIPE): migrate writes ${written:-?} records; export reads $MSGS archived messages"
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $load0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
echo
echo "| job ($ROUNDS rounds) | way | median | min | max |"
echo "|---|---|---|---|---|"
for job in plan migrate export; do
    for way in cli serve serve-own; do
        [ "$way" != serve-own ] || [ "$job" != plan ] || continue
        awk -v j=$job -v w=$way '$1 == j && $2 == w {print $3}' "$WORK/times" | sort -n |
            awk -v j=$job -v w=$way '{a[NR] = $1} END {
                m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
                name = "export (whole archive)"
                if (j == "plan") name = "plan (migrate --dry-run / step plan)"
                if (j == "migrate") name = "migrate (copy + verify / step run)"
                way = "xporta CLI"
                if (w == "serve") way = "xporta serve (HTTP API)"
                if (w == "serve-own") way = "  of which serve itself (wall less the job'"'"'s own seconds)"
                printf "| %s | %s | %.2f s | %.2f s | %.2f s |\n", name, way, m, a[1], a[NR] }'
    done
done
echo
# Paired by round (the same machine moment): serve's time less the CLI's.
for job in plan migrate export; do
    awk -v j=$job '$1 == j && $2 == "cli" {c[++nc] = $3} $1 == j && $2 == "serve" {s[++ns] = $3}
        END {for (i = 1; i <= nc && i <= ns; i++) print s[i] - c[i]}' "$WORK/times" | sort -g |
        awk -v j=$job '{a[NR] = $1} END {
            m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
            printf "%s: serve - CLI per round: median %+.2f s (from %+.2f to %+.2f s)\n", j, m, a[1], a[NR] }'
done
awk -v h="$hwm" -v s="$rss" -v c="$(( scpu1 - scpu0 ))" 'BEGIN {
    printf "serve: peak RSS %.1f MiB (%.1f MiB at the end), CPU %.2f s over all its jobs\n", h / 1024, s / 1024, c / 100 }'
echo "page first load: / $page_html + app.js $page_js + app.css $page_css = $((page_html + page_js + page_css)) bytes"
for t in $TARGETS; do bash "$SERVERS" deluser ejabberd "$t" >/dev/null 2>&1 || true; done

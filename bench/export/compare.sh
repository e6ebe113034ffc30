#!/bin/sh
# bench/export/compare.sh BUILD_DIR[:BUILD_DIR...] [ROUNDS [XPORTA_OPTIONS...]]
#
# `xporta export` against the ceiling, side by side: each round runs the
# raw client (rawclient.py: stdlib socket, ssl and expat, RAW_RANGES time
# ranges in flight, default 8) and then `xporta export` (default options,
# or the ones given), on the account of fill.sh (CONTACTS and MESSAGES in
# the environment, default 5000 and 100000; filled on the first run).
# Runs alternate so that whatever else the machine does hits both alike.
# Several build directories (a:b) take turns after the raw client in each
# round (before and after a change, measured under the same load); each
# is labelled with its directory's name.
#
# For each run: messages; the archive's seconds (raw: from the first MAM
# query to the last <fin>; xporta: the same span, from its own progress
# line) and messages/s; the whole run's seconds (login included; for
# xporta also the roster and the other small kinds); the server's CPU
# (utime + stime of Prosody's process) over the whole run, and that as a
# share of the run ("busy").  Then medians and best of each side, and the
# ratios xporta / raw.
#
# SCHED=1 also records the scheduler's events (perf, sched_switch and
# sched_wakeup on all CPUs) and splits Prosody's time over each run into
# running, idle (asleep: nothing asked of it) and starved (ready, but other
# processes had the cores): schedstat.py.  On a shared machine "idle" is
# what the client decides; "starved" is the machine's load.
#
# QUIET=P waits before each round (at most QUIET_WAIT seconds, default
# 300) until the machine's CPUs were at least P% idle over 3 s, so that
# rounds start when others' builds pause; each run also shows how idle the
# machine was during it ("machine idle": with nothing else running, about
# 40% on 2 cores, the server taking one and the client a little).
#
# Uses the servers in $BENCH_SERVERS (default /tmp/xporta-bench-servers).
set -eu
BUILDS=${1:-build-rel}
ROUNDS=${2:-5}
[ $# -ge 2 ] && shift 2 || shift $#
HERE=$(cd "$(dirname "$0")" && pwd)
sh "$HERE/fill.sh" "${BUILDS%%:*}" "${CONTACTS:-5000}" "${MESSAGES:-100000}"
export XPORTA_SERVERS_DIR="${BENCH_SERVERS:-/tmp/xporta-bench-servers}"
# shellcheck source=/dev/null
. "$XPORTA_SERVERS_DIR/servers.env"
WORK=$XPORTA_SERVERS_DIR/bench
USER=bench${CONTACTS:-5000}-${MESSAGES:-100000}
JID=$USER@$XPORTA_PROSODY_DOMAIN
PPID_=$(cat "$XPORTA_SERVERS_DIR/prosody/prosody.pid")
cpu() { awk '{print $14 + $15}' "/proc/$PPID_/stat"; }
now() { awk '{print $1}' /proc/uptime; }
# CPU jiffies: "idle total" over all CPUs.
jiffies() { awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print $5 + $6, t; exit }' /proc/stat; }
idle_since() { # idle% since a jiffies reading "$1 $2"
    jiffies | awk -v a="$1" -v b="$2" '{ printf "%.0f", 100 * ($1 - a) / ($2 - b + 1e-9) }'
}
wait_quiet() {
    [ -n "${QUIET:-}" ] || return 0
    waited=0
    while [ "$waited" -lt "${QUIET_WAIT:-300}" ]; do
        j=$(jiffies)
        sleep 3
        waited=$((waited + 3))
        # shellcheck disable=SC2086
        [ "$(idle_since $j)" -lt "$QUIET" ] || return 0
    done
}
RES=$WORK/compare.$$
: >"$RES"
# run_traced CMD...: runs CMD under /usr/bin/time (the client's CPU goes
# to $ccpu), and under perf's scheduler events with SCHED=1 ($split gets
# schedstat.py's verdict on Prosody, else "-").
split=-
run_traced() {
    if [ "${SCHED:-0}" = 1 ]; then
        perf record -q -e sched:sched_switch,sched:sched_wakeup -a \
            -o "$WORK/sched.data" -- /usr/bin/time -o "$WORK/ctime" -f "%U %S" "$@"
        split=$(perf script -i "$WORK/sched.data" -F pid,time,event,trace 2>/dev/null |
            python3 "$HERE/schedstat.py" "$PPID_" | sed 's/ of .*//')
        rm -f "$WORK/sched.data"
    else
        /usr/bin/time -o "$WORK/ctime" -f "%U %S" "$@"
    fi
    ccpu=$(awk '{ printf "%.2f", $1 + $2 }' "$WORK/ctime")
}

echo "Account: $JID; xporta options: ${*:-(defaults)}; raw client: ${RAW_RANGES:-8} ranges"
echo "Machine: $(nproc) cores, load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| round | run | messages | archive s | archive msg/s | whole run s | client CPU s | server CPU s | server busy | machine idle | server running, idle, starved |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
r=0
while [ "$r" -lt "$ROUNDS" ]; do
    r=$((r + 1))
    wait_quiet
    # The raw client.
    j0=$(jiffies)
    c0=$(cpu)
    t0=$(now)
    run_traced python3 "$HERE/rawclient.py" 127.0.0.1 "$XPORTA_PROSODY_PORT" \
        "$JID" "$WORK/pw" "$XPORTA_TEST_CAFILE" "${RAW_RANGES:-8}" >"$WORK/raw.out"
    out=$(cat "$WORK/raw.out")
    t1=$(now)
    c1=$(cpu)
    # shellcheck disable=SC2086
    mi=$(idle_since $j0)
    echo "$out" | awk -v r="$r" -v w="$t0 $t1" -v c="$((c1 - c0))" -v sp="$split" -v mi="$mi" -v cc="$ccpu" '{
        split(w, t, " "); whole = t[2] - t[1]
        printf "| %d | raw | %d | %.2f | %.0f | %.2f | %s | %.2f | %.0f%% | %s%% | %s |\n",
            r, $1, $2, $4, whole, cc, c / 100, 100 * c / 100 / whole, mi, sp }'
    echo "raw $r $(echo "$out" | awk '{ print $1, $2, $4 }') $((c1 - c0)) $t0 $t1 $mi" >>"$RES"
    # xporta, each build in turn.
    for B in $(echo "$BUILDS" | tr ':' ' '); do
        X=$(cd "$B" && pwd)/xporta
        label=$(basename "$B")
        rm -f "$WORK/out.xml" "$WORK"/out.xml.part*
        j0=$(jiffies)
        c0=$(cpu)
        t0=$(now)
        run_traced "$X" export "$JID" -o "$WORK/out.xml" --host 127.0.0.1 \
            --port "$XPORTA_PROSODY_PORT" --cafile "$XPORTA_TEST_CAFILE" \
            --password-file "$WORK/pw" "$@" >"$WORK/xporta.out" 2>&1
        t1=$(now)
        c1=$(cpu)
        # shellcheck disable=SC2086
        mi=$(idle_since $j0)
        n=$(grep -c "<result xmlns='urn:xmpp:mam:2'" "$WORK/out.xml")
        # "archive: N messages, R messages/s" (the last progress line).
        rate=$(tr '\r' '\n' <"$WORK/xporta.out" |
            sed -n 's/^archive: [0-9]* messages, \([0-9]*\) messages\/s.*/\1/p' | tail -n 1)
        awk -v r="$r" -v l="$label" -v n="$n" -v rate="$rate" -v w="$t0 $t1" -v c="$((c1 - c0))" -v sp="$split" -v mi="$mi" -v cc="$ccpu" 'BEGIN {
            split(w, t, " "); whole = t[2] - t[1]
            printf "| %d | xporta (%s) | %d | %.2f | %.0f | %.2f | %s | %.2f | %.0f%% | %s%% | %s |\n",
                r, l, n, n / rate, rate, whole, cc, c / 100, 100 * c / 100 / whole, mi, sp }'
        echo "$label $r $n $(awk -v n="$n" -v r="$rate" 'BEGIN { printf "%.3f", n / r }') $rate $((c1 - c0)) $t0 $t1 $mi" >>"$RES"
    done
done
echo
# Medians and best of the archive rate and the whole run's seconds.
summary() { # summary TITLE < results
    awk -v title="$1" '
function median(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{ k = $1; n[k]++; rate[k, n[k]] = $5; whole[k, n[k]] = $8 - $7
  if ($5 > best[k]) best[k] = $5
  if (!(k in bw) || $8 - $7 < bw[k]) bw[k] = $8 - $7
  if (k == "raw") { rr = $5; rw = $8 - $7 }
  else { np[k]++; pr[k, np[k]] = $5 / rr; pw[k, np[k]] = rw / ($8 - $7) } }
END {
    if (!("raw" in n)) { printf "%s: none\n", title; exit }
    printf "%s (%d):\n", title, n["raw"]
    for (k in n) {
        for (i = 1; i <= n[k]; i++) { a[i] = rate[k, i]; w[i] = whole[k, i] }
        med[k] = median(a, n[k]); wmed[k] = median(w, n[k])
        printf "  %s: archive msg/s median %.0f, best %.0f, worst %.0f; whole run s median %.2f, best %.2f, worst %.2f\n",
            k, med[k], best[k], a[1], wmed[k], bw[k], w[n[k]] }
    for (k in np) {
        for (i = 1; i <= np[k]; i++) { a[i] = pr[k, i]; w[i] = pw[k, i] }
        printf "  %s / raw, archive rate: %.1f%% on medians, %.1f%% on best, %.1f%% median of the rounds (each round: its own runs)\n",
            k, 100 * med[k] / med["raw"], 100 * best[k] / best["raw"], 100 * median(a, np[k])
        printf "  %s / raw, whole run (raw s / xporta s): %.1f%% on medians, %.1f%% on best, %.1f%% median of the rounds\n",
            k, 100 * wmed["raw"] / wmed[k], 100 * bw["raw"] / bw[k], 100 * median(w, np[k])
    }
}'
}
summary "All rounds" <"$RES"
# Quiet rounds: every run of the round had the machine at least
# QUIET_ROUND% idle (default 30: nothing else took a whole core).
awk -v q="${QUIET_ROUND:-30}" '{ line[NR] = $0; r[NR] = $2; if ($9 < q) loud[$2] = 1 }
    END { for (i = 1; i <= NR; i++) if (!(r[i] in loud)) print line[i] }' "$RES" |
    summary "Rounds with the machine at least ${QUIET_ROUND:-30}% idle in every run"
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -f "$RES"

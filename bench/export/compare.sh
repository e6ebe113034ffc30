#!/bin/sh
# bench/export/compare.sh BUILD_DIR [ROUNDS [XPORTA_OPTIONS...]]
#
# `xporta export` against the ceiling, side by side: each round runs the
# raw client (rawclient.py: stdlib socket, ssl and expat, RAW_RANGES time
# ranges in flight, default 8) and then `xporta export` (default options,
# or the ones given), on the account of fill.sh (CONTACTS and MESSAGES in
# the environment, default 5000 and 100000; filled on the first run).
# Runs alternate so that whatever else the machine does hits both alike.
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
# Uses the servers in $BENCH_SERVERS (default /tmp/xporta-bench-servers).
set -eu
B=${1:-build-rel}
ROUNDS=${2:-5}
[ $# -ge 2 ] && shift 2 || shift $#
X=$(cd "$B" && pwd)/xporta
HERE=$(cd "$(dirname "$0")" && pwd)
sh "$HERE/fill.sh" "$B" "${CONTACTS:-5000}" "${MESSAGES:-100000}"
export XPORTA_SERVERS_DIR="${BENCH_SERVERS:-/tmp/xporta-bench-servers}"
# shellcheck source=/dev/null
. "$XPORTA_SERVERS_DIR/servers.env"
WORK=$XPORTA_SERVERS_DIR/bench
USER=bench${CONTACTS:-5000}-${MESSAGES:-100000}
JID=$USER@$XPORTA_PROSODY_DOMAIN
PPID_=$(cat "$XPORTA_SERVERS_DIR/prosody/prosody.pid")
cpu() { awk '{print $14 + $15}' "/proc/$PPID_/stat"; }
now() { awk '{print $1}' /proc/uptime; }
RES=$WORK/compare.$$
: >"$RES"
# run_traced CMD...: runs CMD, under perf's scheduler events with SCHED=1;
# sets $split to schedstat.py's verdict on Prosody (or "-").
split=-
run_traced() {
    if [ "${SCHED:-0}" = 1 ]; then
        perf record -q -e sched:sched_switch,sched:sched_wakeup -a \
            -o "$WORK/sched.data" -- "$@"
        split=$(perf script -i "$WORK/sched.data" -F pid,time,event,trace 2>/dev/null |
            python3 "$HERE/schedstat.py" "$PPID_" | sed 's/ of .*//')
        rm -f "$WORK/sched.data"
    else
        "$@"
    fi
}

echo "Account: $JID; xporta options: ${*:-(defaults)}; raw client: ${RAW_RANGES:-8} ranges"
echo "Machine: $(nproc) cores, load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| round | run | messages | archive s | archive msg/s | whole run s | server CPU s | server busy | server running, idle, starved |"
echo "|---|---|---|---|---|---|---|---|---|"
r=0
while [ "$r" -lt "$ROUNDS" ]; do
    r=$((r + 1))
    # The raw client.
    c0=$(cpu)
    t0=$(now)
    run_traced python3 "$HERE/rawclient.py" 127.0.0.1 "$XPORTA_PROSODY_PORT" \
        "$JID" "$WORK/pw" "$XPORTA_TEST_CAFILE" "${RAW_RANGES:-8}" >"$WORK/raw.out"
    out=$(cat "$WORK/raw.out")
    t1=$(now)
    c1=$(cpu)
    echo "$out" | awk -v r="$r" -v w="$t0 $t1" -v c="$((c1 - c0))" -v sp="$split" '{
        split(w, t, " "); whole = t[2] - t[1]
        printf "| %d | raw | %d | %.2f | %.0f | %.2f | %.2f | %.0f%% | %s |\n",
            r, $1, $2, $4, whole, c / 100, 100 * c / 100 / whole, sp }'
    echo "raw $r $(echo "$out" | awk '{ print $1, $2, $4 }') $((c1 - c0)) $t0 $t1" >>"$RES"
    # xporta.
    rm -f "$WORK/out.xml" "$WORK"/out.xml.part*
    c0=$(cpu)
    t0=$(now)
    run_traced "$X" export "$JID" -o "$WORK/out.xml" --host 127.0.0.1 \
        --port "$XPORTA_PROSODY_PORT" --cafile "$XPORTA_TEST_CAFILE" \
        --password-file "$WORK/pw" "$@" >"$WORK/xporta.out" 2>&1
    t1=$(now)
    c1=$(cpu)
    n=$(grep -c "<result xmlns='urn:xmpp:mam:2'" "$WORK/out.xml")
    # "archive: N messages, R messages/s" (the last progress line).
    rate=$(tr '\r' '\n' <"$WORK/xporta.out" |
        sed -n 's/^archive: [0-9]* messages, \([0-9]*\) messages\/s.*/\1/p' | tail -n 1)
    awk -v r="$r" -v n="$n" -v rate="$rate" -v w="$t0 $t1" -v c="$((c1 - c0))" -v sp="$split" 'BEGIN {
        split(w, t, " "); whole = t[2] - t[1]
        printf "| %d | xporta | %d | %.2f | %.0f | %.2f | %.2f | %.0f%% | %s |\n",
            r, n, n / rate, rate, whole, c / 100, 100 * c / 100 / whole, sp }'
    echo "xporta $r $n $(awk -v n="$n" -v r="$rate" 'BEGIN { printf "%.3f", n / r }') $rate $((c1 - c0)) $t0 $t1" >>"$RES"
done
echo
# Medians and best of the archive rate and the whole run's seconds.
awk '
function median(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{ k = $1; n[k]++; rate[k, n[k]] = $5; whole[k, n[k]] = $8 - $7
  if ($5 > best[k]) best[k] = $5
  if (!(k in bw) || $8 - $7 < bw[k]) bw[k] = $8 - $7
  if (k == "raw") { rr = $5; rw = $8 - $7 }
  else { np++; pr[np] = $5 / rr; pw[np] = rw / ($8 - $7) } }
END {
    for (k in n) { for (i = 1; i <= n[k]; i++) { a[i] = rate[k, i]; w[i] = whole[k, i] }
        med[k] = median(a, n[k]); wmed[k] = median(w, n[k])
        printf "%s: archive msg/s median %.0f, best %.0f (min %.0f); whole run s median %.2f, best %.2f\n",
            k, med[k], best[k], a[1], wmed[k], bw[k] }
    if (("raw" in n) && ("xporta" in n)) {
        printf "archive rate, xporta / raw: %.1f%% on medians, %.1f%% on best, %.1f%% median of the rounds (each round: its two runs)\n",
            100 * med["xporta"] / med["raw"], 100 * best["xporta"] / best["raw"], 100 * median(pr, np)
        printf "whole run, raw s / xporta s: %.1f%% on medians, %.1f%% on best, %.1f%% median of the rounds\n",
            100 * wmed["raw"] / wmed["xporta"], 100 * bw["raw"] / bw["xporta"], 100 * median(pw, np)
    }
}' "$RES"
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -f "$RES"

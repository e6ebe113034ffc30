#!/bin/sh
# bench/pie/run.sh BUILD_DIR [USERS ROSTER MESSAGES]
#
# Throughput and peak memory of `xporta check`, `stats` and `convert` (every
# dialect), on one thread and on two, on a large generated XEP-0227 file,
# side by side in the same run with the parse-only floors (expat without and
# with namespace processing, and `xmllint --stream --noout`).
#
# The machine may be shared: the commands run in ROUNDS rounds (default 5),
# each round running every command once in turn, so that a busy spell slows
# every row alike; the table shows each command's median time, its fastest,
# and the largest peak RSS seen.  The last column compares the median with
# the bare expat floor's median (100% = as fast as expat alone on one core).
# Default size: 2000 users x 100 contacts x 2000 archived messages, about
# 1.9 GiB.
#
# The file is kept in $BENCH_DIR (default /tmp/xporta-bench) for reuse.
set -eu
B=${1:-build-rel}
USERS=${2:-2000}
ROSTER=${3:-100}
MESSAGES=${4:-2000}
ROUNDS=${ROUNDS:-${RUNS:-5}}
DIR=${BENCH_DIR:-/tmp/xporta-bench}
mkdir -p "$DIR"
F="$DIR/pie-$USERS-$ROSTER-$MESSAGES.xml"
X="$B/xporta"

if [ ! -s "$F" ]; then
    echo "generating $F ..." >&2
    "$B/bench/gen_pie" --users "$USERS" --roster "$ROSTER" --messages "$MESSAGES" >"$F.tmp"
    mv "$F.tmp" "$F"
fi
SIZE=$(stat -c %s "$F")

# label|command, one per line
COMMANDS="expat, no handlers (bare floor)|$B/bench/expat_floor $F
expat, namespaces + empty handlers|$B/bench/expat_floor --ns --handlers $F
xmllint --stream --noout|xmllint --stream --noout --nowarning $F
xporta check --threads 1|$X check -q --threads 1 $F
xporta check (two threads)|$X check -q $F
xporta stats --summary --threads 1|$X stats -q --summary --threads 1 $F
xporta stats --summary (two threads)|$X stats -q --summary $F
xporta convert --threads 1 (standard)|$X convert -q --threads 1 $F -o $DIR/out.xml
xporta convert (standard, two threads)|$X convert -q $F -o $DIR/out.xml
xporta convert --threads 1 --dialect ejabberd|$X convert -q --threads 1 --dialect ejabberd $F -o $DIR/out.xml
xporta convert --dialect ejabberd (two threads)|$X convert -q --dialect ejabberd $F -o $DIR/out.xml
xporta convert --threads 1 --dialect prosody|$X convert -q --threads 1 --dialect prosody $F -o $DIR/out
xporta convert --dialect prosody (two threads)|$X convert -q --dialect prosody $F -o $DIR/out"
LIST=${ONLY:-}

T="$DIR/times"
rm -f "$T"
round=1
while [ "$round" -le "$ROUNDS" ]; do
    while IFS='|' read -r label cmd; do
        if [ -n "$LIST" ] && ! echo "$label" | grep -q -- "$LIST" &&
            ! echo "$label" | grep -q "bare floor"; then
            continue
        fi
        rm -rf "$DIR/out" "$DIR"/out.xml "$DIR"/out_*.xml
        # shellcheck disable=SC2086
        /usr/bin/time -f "%e %M" -o "$DIR/time" $cmd >/dev/null 2>"$DIR/err" || {
            echo "FAILED: $cmd" >&2
            cat "$DIR/err" >&2
            exit 1
        }
        read -r secs kb <"$DIR/time"
        printf '%s|%s|%s\n' "$label" "$secs" "$kb" >>"$T"
    done <<EOF
$COMMANDS
EOF
    echo "round $round of $ROUNDS done (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    round=$((round + 1))
done

echo "File: $F ($(awk -v z="$SIZE" 'BEGIN { printf "%.1f", z / 1048576 }') MiB; $USERS users x $ROSTER contacts x $MESSAGES messages)"
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $ROUNDS interleaved rounds, medians"
echo
echo "| command | median s | fastest s | MiB/s (median) | peak RSS | vs bare floor |"
echo "|---|---|---|---|---|---|"
# Median of each label's times, in the order the commands were listed.
awk -F'|' -v z="$SIZE" '
    { n[$1]++; t[$1, n[$1]] = $2; if ($3 > rss[$1]) rss[$1] = $3;
      if (!($1 in seen)) { seen[$1] = 1; order[++k] = $1 } }
    function median(l,   i, j, m, a, x) {
        m = n[l]
        for (i = 1; i <= m; i++) a[i] = t[l, i] + 0
        for (i = 2; i <= m; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
        fastest[l] = a[1]
        return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
    }
    END {
        floor = median(order[1])
        for (i = 1; i <= k; i++) {
            l = order[i]; md = median(l)
            printf "| %s | %.2f | %.2f | %.1f | %.1f MiB | %.0f%% |\n", l, md, fastest[l], z / 1048576 / md, rss[l] / 1024, 100 * floor / md
        }
    }' "$T"
rm -rf "$DIR/out" "$DIR"/out.xml "$DIR"/out_*.xml "$DIR/time" "$DIR/err"

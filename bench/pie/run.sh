#!/bin/sh
# bench/pie/run.sh BUILD_DIR [USERS ROSTER MESSAGES]
#
# Throughput and peak memory of `xporta check`, `stats` and `convert` on a
# large generated XEP-0227 file, side by side in the same run with the
# parse-only floors (expat without and with namespace processing, and
# `xmllint --stream --noout`).  Each command runs 3 times; the table shows
# the fastest run (the least disturbed by the rest of the machine) and the
# largest peak RSS seen.  Default size: 2000 users x 100 contacts x 2000
# archived messages, about 1.5 GB.
#
# The file is kept in $BENCH_DIR (default /tmp/xporta-bench) for reuse.
set -eu
B=${1:-build-rel}
USERS=${2:-2000}
ROSTER=${3:-100}
MESSAGES=${4:-2000}
RUNS=${RUNS:-3}
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

# measure LABEL CMD...: prints "| LABEL | seconds | MB/s | peak RSS |"
measure() {
    label=$1
    shift
    best=""
    peak=0
    i=0
    while [ "$i" -lt "$RUNS" ]; do
        rm -rf "$DIR/out" "$DIR"/out.xml "$DIR"/out_*.xml
        /usr/bin/time -f "%e %M" -o "$DIR/time" "$@" >/dev/null 2>"$DIR/err" || {
            echo "FAILED: $*" >&2
            cat "$DIR/err" >&2
            exit 1
        }
        read -r secs kb <"$DIR/time"
        if [ -z "$best" ] || awk "BEGIN { exit !($secs < $best) }"; then best=$secs; fi
        [ "$kb" -gt "$peak" ] && peak=$kb
        i=$((i + 1))
    done
    awk -v l="$label" -v s="$best" -v z="$SIZE" -v k="$peak" \
        'BEGIN { printf "| %s | %.2f | %.1f | %.1f MiB |\n", l, s, z / 1048576 / s, k / 1024 }'
}

echo "File: $F ($(awk -v z="$SIZE" 'BEGIN { printf "%.1f", z / 1048576 }') MiB; $USERS users x $ROSTER contacts x $MESSAGES messages)"
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); best of $RUNS runs"
echo
echo "| command | seconds | MiB/s | peak RSS |"
echo "|---|---|---|---|"
measure "expat, no handlers (bare floor)" "$B/bench/expat_floor" "$F"
measure "expat, namespaces + empty handlers" "$B/bench/expat_floor" --ns --handlers "$F"
measure "xmllint --stream --noout" xmllint --stream --noout --nowarning "$F"
measure "xporta check --threads 1 (one core)" "$X" check -q --threads 1 "$F"
measure "xporta check (two threads, the default)" "$X" check -q "$F"
measure "xporta stats --summary" "$X" stats -q --summary "$F"
measure "xporta convert (standard)" "$X" convert -q "$F" -o "$DIR/out.xml"
measure "xporta convert --dialect ejabberd" "$X" convert -q --dialect ejabberd "$F" -o "$DIR/out.xml"
measure "xporta convert --dialect prosody" "$X" convert -q --dialect prosody "$F" -o "$DIR/out"
rm -rf "$DIR/out" "$DIR"/out.xml "$DIR"/out_*.xml "$DIR/time" "$DIR/err"

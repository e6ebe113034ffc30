#!/usr/bin/env bash
# bench/server/ejabberd.sh [BUILD_DIR] [USERS ROSTER MESSAGES]
#
# ejabberd's SQL storage (issue 12): a whole server's data, gen_pie --users
# 1000 --roster 100 --messages 1000 by default (--salt text, as for
# run.sh; --ids usec: archive ids as ejabberd makes them, the message's
# time in microseconds, which its archive keeps, so that the export equals
# the input), imported with `xporta server-import` into ejabberd 23.01's
# tables on SQLite and on PostgreSQL (the default schema, --host h0.example;
# the tables made from /usr/share/ejabberd/sql/lite.sql and pg.sql, as an
# admin does), exported back with `xporta server-export` and checked equal
# to the input with `xporta diff`.  For each: wall time, peak RSS
# (/usr/bin/time -v), archive rows per second, PostgreSQL's backend CPU
# (from /proc while xporta is connected) and, with perf, the share of
# xporta's own CPU in libsqlite3 or libpq.  BENCH_ROUNDS (default 1)
# rounds, each into empty tables; the table gives the medians.
#
# In the same run, the reference: ejabberd's own importer, `ejabberdctl
# import_piefxis` (tests/servers/xporta-servers `import ejabberd`), on
# ejabberd with each storage of REF_STORAGE (default "sqlite pgsql"; also
# mnesia), a fresh database each, its input the first REF_USERS users
# (default 1000, every user; 0: not run) of the same
# file in ejabberd's own layout (`xporta convert --dialect ejabberd`: a
# main file that XIncludes the host file, so ejabberd streams the users;
# one file would be built whole in memory).  It imports no archive (it
# parses <archive> and drops it).  Its time is extrapolated linearly to
# every user (each user is imported on its own); its memory is the node's
# peak (VmHWM) after the import, and before it.
#
# Private servers and files in $BENCH_WORK (default
# /tmp/xporta-bench-ejabberd, removed first): PostgreSQL is the test
# servers' cluster (shared_buffers 64MB, fsync on), with a database of its
# own for xporta's imports.  On 2 cores, about 2 minutes a round, and 2
# for ejabberd's importer on SQLite and PostgreSQL.
set -eu
B=${1:-build-rel}
USERS=${2:-1000} ROSTER=${3:-100} MESSAGES=${4:-1000}
ROUNDS=${BENCH_ROUNDS:-1}
REF_USERS=${REF_USERS:-1000} REF_STORAGE=${REF_STORAGE:-sqlite pgsql}
X=$(cd "$B" && pwd)/xporta
GEN=$(cd "$B" && pwd)/bench/gen_pie
HERE=$(cd "$(dirname "$0")" && pwd)
SERVERS=$HERE/../../tests/servers/xporta-servers
W=${BENCH_WORK:-/tmp/xporta-bench-ejabberd}
DOM=h0.example
ROWS=$((USERS * MESSAGES))
TICK=$(getconf CLK_TCK)
LITE_SQL=/usr/share/ejabberd/sql/lite.sql PG_SQL=/usr/share/ejabberd/sql/pg.sql

srv() { XPORTA_SERVERS_DIR=$W/srv XPORTA_EJABBERD_DOMAIN=$DOM bash "$SERVERS" "$@"; }
stop_all() {
    [ -f "$W/srv/servers.env" ] && srv stop all >/dev/null 2>&1
    return 0
}
stop_all
rm -rf "$W"
mkdir -p "$W"
chmod 711 "$W" # PostgreSQL runs as the user postgres when we are root
trap stop_all EXIT
export XDG_STATE_HOME=$W/state
PERF=
if command -v perf >/dev/null 2>&1 && perf record -q -o "$W/perf.test" -- true >/dev/null 2>&1; then PERF=1; fi

note() { printf '%s\n' "$*" >&2; }

note "gen_pie --users $USERS --roster $ROSTER --messages $MESSAGES --salt text --ids usec"
"$GEN" --users "$USERS" --roster "$ROSTER" --messages "$MESSAGES" --salt text --ids usec >"$W/gen.xml"
SIZE=$(stat -c %s "$W/gen.xml")

# PostgreSQL: the test servers' cluster, a database of our own on it
XPORTA_EJABBERD_STORAGE=pgsql srv start postgres >/dev/null
eval "$(grep -E '^(XPORTA_PG_USER|XPORTA_PG_HOST|XPORTA_PG_PORT|PGPASSFILE)=' "$W/srv/servers.env")"
export PGPASSFILE
PG=ejabberd+pgsql://$XPORTA_PG_USER@$XPORTA_PG_HOST:$XPORTA_PG_PORT/ebench
LITE=ejabberd+sqlite:$W/ejabberd.db
fresh_stores() { # empty tables, as ejabberd's package makes them
    rm -f "$W/ejabberd.db"
    sqlite3 -batch -bail "$W/ejabberd.db" <"$LITE_SQL"
    srv psql -q -c "DROP DATABASE IF EXISTS ebench" -c "CREATE DATABASE ebench" 2>/dev/null
    srv psql -q -v ON_ERROR_STOP=1 -d ebench -f "$PG_SQL" >/dev/null
    rm -rf "$XDG_STATE_HOME" # xporta's journals
}

# xporta's backend: its CPU ticks, polled until it is gone
pg_watch() { # OUT
    local pid="" s
    for _ in $(seq 200); do
        pid=$(srv psql -At -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'xporta' LIMIT 1" 2>/dev/null) || true
        [ -n "$pid" ] && break
        sleep 0.1
    done
    [ -n "$pid" ] || return 0
    while [ -r "/proc/$pid/stat" ]; do
        s=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null) || break
        [ -n "$s" ] && echo "$s" >"$1"
        sleep 0.2
    done
}

# measure NAME CMD...: /usr/bin/time -v (under perf when it works)
measure() {
    local name=$1
    shift
    if [ -n "$PERF" ]; then
        perf record -q -F 499 -o "$W/$name.perf" -- /usr/bin/time -v -o "$W/$name.time" "$@" >"$W/$name.out" 2>&1
    else
        /usr/bin/time -v -o "$W/$name.time" "$@" >"$W/$name.out" 2>&1
    fi || { note "$name failed:"; tail -5 "$W/$name.out" >&2; exit 1; }
}
field() { # NAME "time -v label" -> value
    grep -F "$2" "$W/$1.time" | sed 's/.*: //'
}
wall() { # m:ss.cc or h:mm:ss -> seconds
    field "$1" "Elapsed (wall clock)" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s }'
}
share() { # NAME DSO-PATTERN -> percent of xporta's samples
    [ -n "$PERF" ] || { echo "-"; return; }
    perf report -q -i "$W/$1.perf" --comm xporta --sort dso --stdio 2>/dev/null |
        awk -v p="$2" '$2 ~ p { s += $1 } END { printf "%.0f%%", s }'
}
median() { # numbers on stdin -> their median
    sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# One measurement per line of $W/results: LABEL DIR ROUND WALL CPU RSS_MIB BACKEND_S SHARE
run_store() { # LABEL STORE DSO ROUND
    local label=$1 store=$2 dso=$3 round=$4 dir
    for dir in import export; do
        rm -f "$W/pg.cpu"
        if [[ $store == ejabberd+pgsql* ]]; then pg_watch "$W/pg.cpu" & fi
        local name=$label-$dir-$round
        if [ $dir = import ]; then
            note "round $round, $label: server-import"
            measure "$name" "$X" server-import -q --host "$DOM" "$W/gen.xml" "$store"
        else
            note "round $round, $label: server-export"
            measure "$name" "$X" server-export -q --host "$DOM" "$store" -o "$W/back-$label.xml"
        fi
        wait
        local pg=-
        [ -f "$W/pg.cpu" ] && pg=$(awk -v t="$(cat "$W/pg.cpu")" -v k="$TICK" 'BEGIN { printf "%.1f", t / k }')
        echo "$label $dir $round $(wall "$name") $(awk -v u="$(field "$name" "User time")" -v s="$(field "$name" "System time")" 'BEGIN { printf "%.1f", u + s }') $(awk -v k="$(field "$name" "Maximum resident")" 'BEGIN { printf "%.1f", k / 1024 }') $pg $(share "$name" "$dso")" >>"$W/results"
    done
    if [ -z "${SKIP_DIFF:-}" ]; then
        if "$X" diff -q "$W/gen.xml" "$W/back-$label.xml"; then
            note "$label: the export equals the input (xporta diff, every kind, archive ids included)"
        else
            note "$label: the export differs from the input"
            "$X" diff --max-lines 5 "$W/gen.xml" "$W/back-$label.xml" | tail -20 >&2
            exit 1
        fi
    fi
    rm -f "$W/back-$label.xml"
}

for round in $(seq "$ROUNDS"); do
    fresh_stores
    run_store SQLite "$LITE" libsqlite3 "$round"
    run_store PostgreSQL "$PG" libpq "$round"
done
LOAD_XPORTA=$(cut -d' ' -f1-3 /proc/loadavg)

# The reference: ejabberdctl import_piefxis of the first REF_USERS users,
# into ejabberd on each of REF_STORAGE, fresh each time
refs=()
if [ "$REF_USERS" -gt 0 ]; then
    users=""
    for i in $(seq 0 $((REF_USERS - 1))); do users="$users${users:+,}user$i"; done
    "$X" convert -q --dialect ejabberd --users "$users" "$W/gen.xml" -o "$W/ref.xml"
    for storage in $REF_STORAGE; do
        note "ejabberd ($storage): import_piefxis of $REF_USERS users"
        XPORTA_EJABBERD_STORAGE=$storage srv start ejabberd >/dev/null
        epid=$(cat "$W/srv/ejabberd/ejabberd.pid")
        hwm0=$(awk '/^VmHWM/ { print $2 }' "/proc/$epid/status")
        t0=$(date +%s.%N)
        srv import ejabberd "$W/ref.xml" >/dev/null
        t1=$(date +%s.%N)
        hwm1=$(awk '/^VmHWM/ { print $2 }' "/proc/$epid/status")
        got=$(srv ejabberdctl registered_users "$DOM" | wc -l)
        srv stop ejabberd >/dev/null
        refs+=("$(awk -v a="$t0" -v b="$t1" -v n="$REF_USERS" -v u="$USERS" -v s="$storage" -v g="$got" -v h0="$hwm0" -v h1="$hwm1" 'BEGIN {
            t = b - a; per = t / n
            printf "| ejabberdctl import_piefxis | %s | %d users (%d registered after), no archive: %.1f s | %.3f s | %.0f s | node peak %.0f MiB (%.0f MiB before) |", s, n, g, t, per, per * u, h1 / 1024, h0 / 1024 }')")
    done
fi

echo
echo "Input: $(awk -v s="$SIZE" 'BEGIN { printf "%.0f MB", s / 1e6 }'), $USERS users x $ROSTER contacts x $MESSAGES messages ($ROWS archive rows); $ROUNDS round(s), medians; $(nproc) cores, load $LOAD_XPORTA after xporta's runs."
echo "PostgreSQL shared_buffers: $(srv psql -At -c 'SHOW shared_buffers')."
echo
echo "| store | direction | wall s | xporta CPU s | peak RSS MiB | archive rows/s | in the database |"
echo "|---|---|---|---|---|---|---|"
for label in SQLite PostgreSQL; do
    for dir in import export; do
        sel() { awk -v l="$label" -v d="$dir" -v c="$1" '$1 == l && $2 == d { print $c }' "$W/results"; }
        w=$(sel 4 | median) cpu=$(sel 5 | median) rss=$(sel 6 | median) pg=$(sel 7 | grep -v '^-$' | median) sh=$(sel 8 | tr -d % | median)
        walls=$(sel 4 | tr '\n' ' ' | sed 's/ $//')
        if [ "$label" = PostgreSQL ]; then db="backend $pg s CPU; $sh% of xporta's CPU in libpq"; else db="$sh% of xporta's CPU in libsqlite3"; fi
        [ -n "$PERF" ] || db=${db%%;*}
        echo "| $label | $dir | $w ($walls) | $cpu | $rss | $(awk -v r="$ROWS" -v s="$w" 'BEGIN { printf "%.0f", r / s }') | $db |"
    done
done
if [ ${#refs[@]} -gt 0 ]; then
    echo
    echo "| importer | storage | measured | per user | all $USERS users (linear), no archive | memory |"
    echo "|---|---|---|---|---|---|"
    printf '%s\n' "${refs[@]}"
fi

#!/usr/bin/env bash
# bench/server/run.sh [BUILD_DIR] [USERS ROSTER MESSAGES]
#
# Server stores (issue 11): a whole server's data, gen_pie --users 1000
# --roster 100 --messages 1000 by default (--salt text: Prosody's kind of
# SCRAM salt, which PostgreSQL's TEXT can keep), imported with `xporta
# server-import` into each of Prosody's storages, internal files, SQLite
# and PostgreSQL, and exported back with `xporta server-export` (checked
# equal to the input with `xporta diff`).  For each: wall time, peak RSS
# (/usr/bin/time -v), archive rows per second, and the time in the
# database: PostgreSQL's backend CPU (read from /proc while it runs), and
# with perf, the share of xporta's own CPU samples in libsqlite3 or libpq.
#
# In the same run, prosody-migrator (Prosody 0.12's own importer, run by
# tests/servers/xporta-servers `import prosody`, its input made by `xporta
# convert --dialect prosody`) on a subset of the same users, each with its
# full archive (MIG_USERS_INTERNAL, default 2; MIG_USERS_SQL, default 5),
# extrapolated linearly to every user: its cost grows with the square of
# one user's archive, and linearly with the number of users.
#
# Private servers and files in $BENCH_WORK (default
# /tmp/xporta-bench-server, removed first): three servers directories, one
# per Prosody storage mode; the PostgreSQL of the pgsql one also holds the
# database xporta's import goes into.  That cluster is the test servers'
# (shared_buffers 64MB); BENCH_PG_SHARED_BUFFERS=512MB gives it more.
# About 10 minutes on 2 cores.
set -eu
B=${1:-build-rel}
USERS=${2:-1000} ROSTER=${3:-100} MESSAGES=${4:-1000}
MIG_INTERNAL=${MIG_USERS_INTERNAL:-2} MIG_SQL=${MIG_USERS_SQL:-5}
X=$(cd "$B" && pwd)/xporta
GEN=$(cd "$B" && pwd)/bench/gen_pie
HERE=$(cd "$(dirname "$0")" && pwd)
SERVERS=$HERE/../../tests/servers/xporta-servers
W=${BENCH_WORK:-/tmp/xporta-bench-server}
ROWS=$((USERS * MESSAGES))
TICK=$(getconf CLK_TCK)

stop_all() {
    for m in internal sqlite pgsql; do
        [ -f "$W/srv-$m/servers.env" ] && XPORTA_SERVERS_DIR=$W/srv-$m bash "$SERVERS" stop all >/dev/null 2>&1
    done
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
srv() { XPORTA_SERVERS_DIR=$W/srv-$1 XPORTA_PROSODY_STORAGE=$1 bash "$SERVERS" "${@:2}"; }

note "gen_pie --users $USERS --roster $ROSTER --messages $MESSAGES --salt text"
"$GEN" --users "$USERS" --roster "$ROSTER" --messages "$MESSAGES" --salt text >"$W/gen.xml"
SIZE=$(stat -c %s "$W/gen.xml")

# PostgreSQL (and Prosody's config, for the migrator later) in srv-pgsql
srv pgsql start prosody >/dev/null
srv pgsql stop prosody >/dev/null
# (only these settings: the others are the pgsql servers' own)
eval "$(grep -E '^(XPORTA_PG_USER|XPORTA_PG_HOST|XPORTA_PG_PORT|PGPASSFILE)=' "$W/srv-pgsql/servers.env")"
export PGPASSFILE
if [ -n "${BENCH_PG_SHARED_BUFFERS:-}" ]; then # the test cluster has 64MB
    srv pgsql psql -q -U postgres -d postgres -c "ALTER SYSTEM SET shared_buffers = '$BENCH_PG_SHARED_BUFFERS'"
    srv pgsql stop postgres >/dev/null
    srv pgsql start postgres >/dev/null
fi
note "PostgreSQL: shared_buffers $(srv pgsql psql -At -c 'SHOW shared_buffers')"
srv pgsql psql -q -c "CREATE DATABASE bench"
PG=prosody+pgsql://$XPORTA_PG_USER@$XPORTA_PG_HOST:$XPORTA_PG_PORT/bench

# xporta's backend: its CPU seconds, polled until it is gone
pg_watch() { # OUT
    local pid="" s
    for _ in $(seq 200); do
        pid=$(srv pgsql psql -At -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'xporta' LIMIT 1" 2>/dev/null) || true
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

rows=()
run_store() { # LABEL STORE DSO
    local label=$1 store=$2 dso=$3 dir
    for dir in import export; do
        rm -f "$W/pg.cpu"
        if [[ $store == prosody+pgsql* ]]; then pg_watch "$W/pg.cpu" & fi
        if [ $dir = import ]; then
            note "$label: server-import"
            measure "$label-import" "$X" server-import -q "$W/gen.xml" "$store"
        else
            note "$label: server-export"
            measure "$label-export" "$X" server-export -q "$store" -o "$W/back-$label.xml"
        fi
        wait
        local name=$label-$dir secs cpu db
        secs=$(wall "$name")
        cpu=$(awk -v u="$(field "$name" "User time")" -v s="$(field "$name" "System time")" 'BEGIN { printf "%.1f", u + s }')
        db="$(share "$name" "$dso") of xporta's CPU in $dso"
        if [ -f "$W/pg.cpu" ]; then
            db="backend $(awk -v t="$(cat "$W/pg.cpu")" -v k="$TICK" -v w="$secs" 'BEGIN { printf "%.1f s CPU (%.0f%% of the wall time)", t / k, 100 * t / k / w }'); $(share "$name" "$dso") of xporta's CPU in $dso"
        fi
        [ "$dso" = - ] && db="-"
        rows+=("| $label | $dir | $secs | $cpu | $(awk -v k="$(field "$name" "Maximum resident")" 'BEGIN { printf "%.1f", k / 1024 }') | $(awk -v r="$ROWS" -v s="$secs" 'BEGIN { if (s > 0) printf "%.0f", r / s; else printf "-" }') | $db |")
    done
    if [ -z "${SKIP_DIFF:-}" ]; then
        "$X" diff -q "$W/gen.xml" "$W/back-$label.xml" &&
            note "$label: the export equals the input (xporta diff)" ||
            { note "$label: the export differs from the input"; exit 1; }
    fi
}

mkdir "$W/internal"
run_store internal "prosody:$W/internal" -
run_store sqlite "prosody+sqlite:$W/prosody.sqlite" libsqlite3
run_store pgsql "$PG" libpq

# prosody-migrator on a subset, extrapolated
mig=()
migrate() { # MODE N
    local mode=$1 n=$2 users="" i t0 t1 dom
    srv "$mode" start prosody >/dev/null
    srv "$mode" stop prosody >/dev/null
    dom=$(sed -n 's/^XPORTA_PROSODY_DOMAIN=//p' "$W/srv-$mode/servers.env")
    for i in $(seq 0 $((n - 1))); do users="$users${users:+,}user$i"; done
    "$X" convert -q --dialect prosody --users "$users" --rename-host "h0.example=$dom" "$W/gen.xml" -o "$W/mig-$mode"
    note "prosody-migrator, $mode: $n users"
    t0=$(date +%s.%N)
    srv "$mode" import prosody "$W/mig-$mode" >/dev/null 2>"$W/mig-$mode.log"
    t1=$(date +%s.%N)
    # what it wrote, read back by xporta
    local store got
    case $mode in
    internal) store=prosody:$W/srv-$mode/prosody/data ;;
    sqlite) store=prosody+sqlite:$W/srv-$mode/prosody/data/prosody.sqlite ;;
    pgsql) store=prosody+pgsql://prosody@$XPORTA_PG_HOST:$XPORTA_PG_PORT/prosody ;;
    esac
    "$X" server-export -q "$store" -o "$W/mig-$mode-back.xml"
    got=$("$X" stats "$W/mig-$mode-back.xml" | awk '$1 == "archive" { print $2 }')
    mig+=("$(awk -v a="$t0" -v b="$t1" -v n="$n" -v u="$USERS" -v m="$mode" -v g="${got:-0}" 'BEGIN {
        s = b - a; per = s / n; all = per * u
        printf "| prosody-migrator | %s | %d users, %d archive rows: %.1f s | %.1f s | %.0f s = %.1f h | %.0f |", m, n, g, s, per, all, all / 3600, g / s }')")
}
# (0 users: not measured)
[ "$MIG_INTERNAL" -gt 0 ] && migrate internal "$MIG_INTERNAL"
[ "$MIG_SQL" -gt 0 ] && migrate sqlite "$MIG_SQL" && migrate pgsql "$MIG_SQL"

echo
echo "PostgreSQL shared_buffers: $(srv pgsql psql -At -c 'SHOW shared_buffers')."
echo "Input: $(awk -v s="$SIZE" 'BEGIN { printf "%.0f MB", s / 1e6 }'), $USERS users x $ROSTER contacts x $MESSAGES messages ($ROWS archive rows); $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) at the end."
echo
echo "| store | direction | wall s | xporta CPU s | peak RSS MiB | archive rows/s | in the database |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "| importer | storage | measured | per user | all $USERS users (linear) | archive rows/s |"
echo "|---|---|---|---|---|---|"
[ ${#mig[@]} -eq 0 ] || printf '%s\n' "${mig[@]}"

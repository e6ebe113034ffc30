#!/bin/sh
# No circles of calls between the files of a layer: within lib/jobs,
# lib/transfer and lib/store, if a.c calls a function of b.c, b.c calls
# nothing of a.c, directly or round a longer loop.  Read from the objects
# of a build (the symbols each defines and uses), so it sees real calls,
# not includes.  Usage: check-calls.sh BUILD_DIR
set -eu
build=${1:?usage: check-calls.sh BUILD_DIR}
objdir=$build/CMakeFiles/xporta_core.dir/lib
[ -d "$objdir" ] || objdir=$build/CMakeFiles/xporta.dir/lib
fail=0
for layer in jobs transfer store; do
    [ -d "$objdir/$layer" ] || { echo "check-calls: no objects in $objdir/$layer" >&2; exit 1; }
    tmp=$(mktemp -d)
    for o in "$objdir/$layer"/*.o; do
        f=$(basename "$o" .c.o)
        nm --defined-only -g "$o" | awk '{print $3}' | sed "s/\$/ $f/" >>"$tmp/defs"
        nm -u "$o" | awk '{print $2}' | sed "s/^/$f /" >>"$tmp/uses"
    done
    # edges "caller callee" for calls between two files of the layer
    sort -k1,1 "$tmp/defs" >"$tmp/defs.s"
    awk '{print $2, $1}' "$tmp/uses" | sort -k1,1 >"$tmp/uses.s"
    join "$tmp/uses.s" "$tmp/defs.s" | awk '$2 != $3 {print $2, $3}' | sort -u >"$tmp/edges"
    if ! tsort "$tmp/edges" >/dev/null 2>"$tmp/err"; then
        echo "check-calls: lib/$layer has a circle of calls between files:" >&2
        grep -v 'input contains a loop' "$tmp/err" | sed 's/^tsort: /  /' >&2
        fail=1
    fi
    rm -rf "$tmp"
done
[ "$fail" -eq 0 ] && echo "check-calls: ok (lib/jobs, lib/transfer, lib/store)"
exit "$fail"

#!/bin/sh
# The architecture rule, checked: arrows point down only.
#  - only lib/xmpp includes <strophe.h>, only lib/pie includes <expat.h>;
#  - front-ends (cli/, web/) include only <xporta.h> from the library;
#  - lib/base and lib/model include no other layer above them;
#  - library code never prints to stdout/stderr or exits.
set -eu
cd "$(dirname "$0")/.."
fail=0
bad() { echo "check-layers: $*" >&2; fail=1; }

for f in $(grep -rl '#include <strophe.h>' lib cli web 2>/dev/null || true); do
    case "$f" in lib/xmpp/*) ;; *) bad "$f includes strophe.h (only lib/xmpp may)";; esac
done
for f in $(grep -rl '#include <expat.h>' lib cli web 2>/dev/null || true); do
    case "$f" in lib/pie/*) ;; *) bad "$f includes expat.h (only lib/pie may)";; esac
done
for f in $(ls cli/*.[ch] web/*.[ch] 2>/dev/null || true); do
    if grep -n '#include "\.\./lib\|#include "lib/\|#include "xp_\|#include "pie_\|#include "xmpp_' "$f"; then
        bad "$f includes library internals (front-ends use xporta.h only)"
    fi
done
for f in lib/base/*.[ch] lib/model/*.[ch]; do
    [ -e "$f" ] || continue
    if grep -n '#include "\.\./\(pie\|xmpp\|store\|transfer\|jobs\)/' "$f"; then
        bad "$f reaches up into a higher layer"
    fi
done
if grep -rnE '\b(printf|fprintf|puts|fputs|perror|exit|abort)\s*\(' lib --include='*.c' | grep -v 'snprintf\|vsnprintf' ; then
    bad "library code prints or exits (return a status instead)"
fi
[ "$fail" -eq 0 ] && echo "check-layers: ok"
exit "$fail"

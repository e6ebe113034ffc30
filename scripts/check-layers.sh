#!/bin/sh
# The architecture rule, checked: arrows point down only.
#  - only lib/xmpp includes <strophe.h>, only lib/pie includes <expat.h>,
#    only web/ (xporta serve) includes <microhttpd.h>,
#    only the SQL backends of lib/store include <sqlite3.h> and <libpq-fe.h>;
#  - front-ends (cli/, web/) include only <xporta.h> from the library;
#  - each layer includes only the layers below it:
#      jobs > transfer > store > (xmpp | pie) > model > base
#    (xmpp and pie know nothing of each other; the copy engine in
#    transfer knows stores, not protocols);
#  - library code never prints to stdout/stderr or exits.
set -eu
cd "$(dirname "$0")/.."
fail=0
bad() { echo "check-layers: $*" >&2; fail=1; }

for f in $(grep -rl '#include <strophe.h>' lib cli web 2>/dev/null || true); do
    case "$f" in lib/xmpp/*) ;; *) bad "$f includes strophe.h (only lib/xmpp may)";; esac
done
for f in $(grep -rl '#include <microhttpd.h>' lib cli web tests 2>/dev/null || true); do
    case "$f" in web/*) ;; *) bad "$f includes microhttpd.h (only web/ may)";; esac
done
for f in $(grep -rl '#include <expat.h>' lib cli web 2>/dev/null || true); do
    case "$f" in lib/pie/*) ;; *) bad "$f includes expat.h (only lib/pie may)";; esac
done
for f in $(ls cli/*.[ch] web/*.[ch] 2>/dev/null || true); do
    if grep -n '#include "\.\./lib\|#include "lib/\|#include "xp_\|#include "pie_\|#include "xmpp_' "$f"; then
        bad "$f includes library internals (front-ends use xporta.h only)"
    fi
done
for f in $(grep -rlE '#include <(sqlite3|libpq-fe)\.h>' lib cli web 2>/dev/null || true); do
    case "$f" in lib/store/prosody_sqlite.c | lib/store/prosody_pgsql* | lib/store/pg_common.h | lib/store/ejd_sqlite.c | lib/store/ejd_pgsql.c) ;;
    *) bad "$f includes a database's header (only the SQL backends in lib/store may)";; esac
done
# up LAYER ALLOWED...: LAYER's files include no lib/ folder but ALLOWED.
up() {
    layer=$1
    shift
    for f in lib/"$layer"/*.[ch]; do
        [ -e "$f" ] || continue
        grep -o '#include "\.\./[a-z]*/' "$f" | sed 's|#include "\.\./||; s|/$||' |
            sort -u | while read -r dep; do
                ok=0
                for a in "$@"; do [ "$dep" = "$a" ] && ok=1; done
                [ "$ok" -eq 1 ] || echo "$f includes lib/$dep"
            done
    done
}
for rule in "base" "model base" "pie model base" "xmpp model base" \
            "store xmpp pie model base" "transfer store pie model base" \
            "jobs transfer store xmpp pie model base"; do
    # shellcheck disable=SC2086
    out=$(up $rule)
    [ -z "$out" ] || bad "$(printf '%s\n' "$out" | sed 's/$/ (arrows point down only)/')"
done
if grep -rnE '\b(printf|fprintf|puts|fputs|perror|exit|abort)\s*\(' lib --include='*.c' | grep -v 'snprintf\|vsnprintf' ; then
    bad "library code prints or exits (return a status instead)"
fi
[ "$fail" -eq 0 ] && echo "check-layers: ok"
exit "$fail"

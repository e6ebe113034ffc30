#!/bin/sh
# What the packages are made of, checked on the source tree (fast; the
# packages themselves are test_deb.sh's):
#  - the man pages render without a warning;
#  - one version everywhere: CMake's project(VERSION), include/xporta.h,
#    debian/changelog, the man pages, NEWS;
#  - debian/libxporta0.symbols lists exactly the functions include/xporta.h
#    marks XPORTA_API (the package build fails otherwise, later and slower).
# Usage: test_files.sh SOURCE_DIR
set -eu
src=$(cd "${1:?usage: test_files.sh SOURCE_DIR}" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/xporta-files.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failed=0
fail() {
    echo "test_files: FAIL: $*" >&2
    failed=1
}

for page in "$src"/docs/*.[1-8]; do
    if ! LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" >/dev/null 2>"$tmp/err"; then
        fail "man $page failed"
    fi
    [ -s "$tmp/err" ] && fail "man $page: $(cat "$tmp/err")"
done

ver=$(sed -n 's/^project(xporta VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
[ -n "$ver" ] || fail "no project(VERSION) in CMakeLists.txt"
grep -q "^#define XPORTA_VERSION \"$ver\"$" "$src/include/xporta.h" ||
    fail "include/xporta.h's XPORTA_VERSION is not $ver"
dver=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
[ "${dver%-*}" = "$ver" ] || fail "debian/changelog is at $dver, not $ver-N"
for page in "$src"/docs/*.[1-8]; do
    head -n 1 "$page" | grep -q "\"xporta $ver\"" ||
        fail "$page: .TH does not say \"xporta $ver\""
done
head -n 1 "$src/NEWS" | grep -q "^xporta $ver " || fail "NEWS does not start with xporta $ver"

tr '\n' ' ' <"$src/include/xporta.h" |
    grep -o 'XPORTA_API[^;{]*(' | grep -o 'xporta_[a-z0-9_]*[ ]*($' |
    tr -d ' (' | sort -u >"$tmp/api"
sed -n 's/^ \([a-z0-9_]*\)@Base .*/\1/p' "$src/debian/libxporta0.symbols" |
    sort >"$tmp/symbols"
if ! diff -u "$tmp/api" "$tmp/symbols" >"$tmp/diff"; then
    cat "$tmp/diff" >&2
    fail "debian/libxporta0.symbols differs from XPORTA_API in include/xporta.h" \
        "(- header, + symbols file; see debian/README.source)"
fi
[ "$failed" -eq 0 ] && echo "test_files: ok"
exit "$failed"

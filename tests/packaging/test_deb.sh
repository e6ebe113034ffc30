#!/bin/sh
# The Debian packages, built and used as a user would (issue 14):
#   1. dpkg-buildpackage -us -uc -b in a copy of the source tree, in a
#      temporary directory (the repository and its build directories are
#      not touched; a clean checkout works);
#   2. the three packages unpacked with dpkg -x into a throwaway root;
#   3. from there: xporta --version, the man pages, a ten-line C program
#      compiled and linked with nothing but pkg-config, the bash completion
#      found where bash-completion looks for it;
#   4. lintian: no error, and no warning that debian/README.source does not
#      explain.
# Usage: test_deb.sh SOURCE_DIR.  No network.  Needs the packages of
# scripts/deps-debian.txt (debhelper, dpkg-dev, lintian, bash-completion...).
set -eu
src=$(cd "${1:?usage: test_deb.sh SOURCE_DIR}" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/xporta-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
fail() {
    echo "test_deb: FAIL: $*" >&2
    exit 1
}
step() { echo "test_deb: $*"; }
start=$(date +%s)

# ---- 1. build ---------------------------------------------------------------
ver=$(sed -n 's/^project(xporta VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
[ -n "$ver" ] || fail "no project(VERSION) in CMakeLists.txt"
tree=$tmp/src/xporta-$ver
mkdir -p "$tree"
# The files of the source tree: what git tracks or would add (so uncommitted
# work is tested too), without build directories; a plain copy when the
# tree is not a git checkout.
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$src" && git ls-files -z --cached --others --exclude-standard |
        tr '\0' '\n' | grep -v '^obj-' | while IFS= read -r f; do
        [ -f "$f" ] || [ -L "$f" ] && printf '%s\n' "$f"
    done) >"$tmp/files"
    tar -C "$src" -cf - -T "$tmp/files" | tar -C "$tree" -xf -
else
    tar -C "$src" --exclude='./build*' --exclude='./obj-*' --exclude=./.git \
        -cf - . | tar -C "$tree" -xf -
fi
step "building the packages in $tree"
# A clean environment for the package build: no make jobserver or flags of
# the make check that runs this test, Debian's own compiler flags.
(
    cd "$tree"
    unset MAKEFLAGS MFLAGS MAKELEVEL CFLAGS CPPFLAGS LDFLAGS CC \
        DEB_BUILD_PROFILES ASAN_OPTIONS UBSAN_OPTIONS
    DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b
) >"$tmp/build.log" 2>&1 || {
    tail -n 60 "$tmp/build.log" >&2
    fail "dpkg-buildpackage failed (the end of its log is above)"
}
built=$(date +%s)
step "built in $((built - start)) s"
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
dver=$(dpkg-parsechangelog -l "$tree/debian/changelog" -S Version)
for p in xporta libxporta0 libxporta-dev; do
    [ -f "$tmp/src/${p}_${dver}_$arch.deb" ] || fail "no ${p}_${dver}_$arch.deb"
done
# Warnings of the compiler (the package builds with XPORTA_WERROR=OFF).
if grep -n 'warning:' "$tmp/build.log" | grep -v 'dpkg-\|CMake Warning' >&2; then
    fail "the package build has compiler warnings (above)"
fi

# ---- 2. install into a throwaway root -----------------------------------------
root=$tmp/root
for p in xporta libxporta0 libxporta-dev; do
    dpkg -x "$tmp/src/${p}_${dver}_$arch.deb" "$root"
done
libdir=$root/usr/lib/$multiarch
bin=$root/usr/bin/xporta
for f in usr/bin/xporta "usr/lib/$multiarch/libxporta.so.0" \
    "usr/lib/$multiarch/libxporta.so" "usr/lib/$multiarch/pkgconfig/xporta.pc" \
    usr/include/xporta.h usr/share/man/man1/xporta.1.gz \
    usr/share/man/man5/xporta.5.gz usr/share/bash-completion/completions/xporta \
    usr/share/zsh/vendor-completions/_xporta usr/share/doc/xporta/NEWS.gz \
    usr/share/doc/xporta/README.md.gz; do
    [ -e "$root/$f" ] || fail "/$f is not in the packages"
done
# Which package holds what: the library alone in libxporta0, the link and
# the header in -dev.
dpkg -c "$tmp/src/libxporta0_${dver}_$arch.deb" | grep -q 'xporta\.h\|\.pc$\|libxporta\.so ' &&
    fail "libxporta0 holds development files"
dpkg -c "$tmp/src/xporta_${dver}_$arch.deb" | grep -q 'libxporta\.so' &&
    fail "the xporta package holds the library"

# The command links the shared library; the library has its SONAME and
# exports exactly the functions include/xporta.h marks XPORTA_API.
objdump -p "$bin" | grep -q 'NEEDED *libxporta\.so\.0$' ||
    fail "xporta does not link libxporta.so.0: $(objdump -p "$bin" | grep NEEDED)"
objdump -p "$libdir/libxporta.so.0" | grep -q 'SONAME *libxporta\.so\.0$' ||
    fail "libxporta.so.0 has no SONAME libxporta.so.0"
tr '\n' ' ' <"$src/include/xporta.h" |
    grep -o 'XPORTA_API[^;{]*(' | grep -o 'xporta_[a-z0-9_]*[ ]*($' |
    tr -d ' (' | sort -u >"$tmp/api"
nm -D --defined-only "$libdir/libxporta.so.0" | awk '{print $3}' | sort -u >"$tmp/exported"
if ! diff -u "$tmp/api" "$tmp/exported" >"$tmp/api.diff"; then
    cat "$tmp/api.diff" >&2
    fail "exported symbols differ from XPORTA_API in include/xporta.h (- header, + library)"
fi
# Debian dependencies came from ${shlibs:Depends}.
dpkg-deb -f "$tmp/src/xporta_${dver}_$arch.deb" Depends | grep -q 'libxporta0 (>= ' ||
    fail "xporta does not depend on libxporta0"
dpkg-deb -f "$tmp/src/libxporta0_${dver}_$arch.deb" Depends |
    grep -q 'libstrophe0.*libexpat1\|libexpat1.*libstrophe0' ||
    fail "libxporta0 does not depend on libstrophe0 and libexpat1"

# ---- 3. use it -----------------------------------------------------------------
export LD_LIBRARY_PATH="$libdir"
LD_LIBRARY_PATH="$libdir" ldd "$bin" | grep -q "$libdir/libxporta.so.0" ||
    fail "xporta does not load the unpacked library"
"$bin" --version >"$tmp/version" || fail "xporta --version failed"
cat "$tmp/version"
head -n 1 "$tmp/version" | grep -qx "xporta $ver" || fail "--version: first line is not 'xporta $ver'"
for lib in "libxporta $ver" "libstrophe " "expat " "OpenSSL "; do
    grep -q "^$lib" "$tmp/version" || fail "--version does not name $lib"
done
"$bin" --help | grep -q -- '--version' || fail "--help does not list --version"

for page in man1/xporta.1.gz man5/xporta.5.gz; do
    LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$root/usr/share/man/$page" \
        >"$tmp/page" 2>"$tmp/man.err" || fail "man $page failed: $(cat "$tmp/man.err")"
    [ -s "$tmp/man.err" ] && fail "man $page warns: $(cat "$tmp/man.err")"
    grep -q '^NAME' "$tmp/page" || fail "man $page renders no NAME section"
done
LC_ALL=C.UTF-8 MANWIDTH=80 man -M "$root/usr/share/man" 5 xporta 2>/dev/null |
    grep -q 'WHAT EACH SERVER KEEPS' || fail "man -M ROOT 5 xporta does not find the page"

# A program that knows only pkg-config.
cat >"$tmp/prog.c" <<'PROG'
#include <stdio.h>
#include <xporta.h>

int main(void)
{
    uint32_t kinds;
    const char *why = NULL, *bad = NULL;
    if (!xporta_jid_is_valid("juliet@capulet.example", &why) ||
        xporta_kinds_parse("roster,pep", &kinds, &bad) != XPORTA_OK)
        return 1;
    printf("libxporta %s: %s\n", xporta_version(),
           xporta_kind_name(XPORTA_KIND_ROSTER));
    return 0;
}
PROG
pc() {
    PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_LIBDIR=$libdir/pkgconfig \
        PKG_CONFIG_PATH='' PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 \
        PKG_CONFIG_ALLOW_SYSTEM_LIBS=1 pkg-config "$@" xporta
}
[ "$(pc --modversion)" = "$ver" ] || fail "pkg-config --modversion xporta is not $ver"
flags="$(pc --cflags) $(pc --libs)"
step "pkg-config --cflags --libs xporta: $flags"
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Wpedantic -Werror -o "$tmp/prog" "$tmp/prog.c" $flags ||
    fail "the program does not build with pkg-config's flags"
out=$("$tmp/prog") || fail "the program failed"
[ "$out" = "libxporta $ver: roster" ] || fail "the program printed '$out'"
LD_LIBRARY_PATH="$libdir" ldd "$tmp/prog" | grep -q "$libdir/libxporta.so.0" ||
    fail "the program does not load the unpacked library"

# The bash completion, found where bash-completion looks (XDG_DATA_DIRS),
# completes a command.
got=$(XDG_DATA_DIRS="$root/usr/share" bash --norc --noprofile -c '
    . /usr/share/bash-completion/bash_completion
    _completion_loader xporta
    complete -p xporta >/dev/null || exit 1
    COMP_WORDS=(xporta mig); COMP_CWORD=1; COMP_LINE="xporta mig"; COMP_POINT=10
    $(complete -p xporta | sed "s/.*-F \([^ ]*\) .*/\1/") xporta mig xporta
    echo "${COMPREPLY[*]}"') || fail "the bash completion does not load"
[ "$got" = migrate ] || fail "xporta mig<TAB> gives '$got', not migrate"

# ---- 4. lintian -----------------------------------------------------------------
# Warnings explained in debian/README.source ("Lintian"); any other fails.
allowed="initial-upload-closes-no-bugs"
lintian --fail-on error --pedantic --display-info --tag-display-limit 0 \
    "$tmp/src/xporta_${dver}_$arch.changes" >"$tmp/lintian" 2>&1 || {
    cat "$tmp/lintian" >&2
    fail "lintian reports errors"
}
cat "$tmp/lintian"
grep '^W: ' "$tmp/lintian" | awk '{print $3}' | sort -u | while read -r tag; do
    case " $allowed " in
    *" $tag "*) ;;
    *) fail "lintian warning $tag is not explained in debian/README.source" ;;
    esac
done
grep -q '^E: ' "$tmp/lintian" && fail "lintian reports errors"
step "ok in $(($(date +%s) - start)) s (package build $((built - start)) s)"

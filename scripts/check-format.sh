#!/bin/sh
# Fails when a C file differs from what clang-format would write.
set -eu
cd "$(dirname "$0")/.."
files=$(find include lib cli web tests fuzz bench -name '*.[ch]' 2>/dev/null | sort)
[ -n "$files" ] || exit 0
# shellcheck disable=SC2086
clang-format --dry-run --Werror $files

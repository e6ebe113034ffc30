#!/bin/sh
# Installs the Debian packages listed in scripts/deps-debian.txt that are not
# installed yet.  Needs root (or sudo).  Does nothing when all are present,
# so `make check` stays fast on a machine that has them.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
list="$here/deps-debian.txt"
missing=""
for pkg in $(sed -e 's/#.*//' "$list"); do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    case "$status" in
    *"install ok installed"*) ;;
    *) missing="$missing $pkg" ;;
    esac
done
[ -z "$missing" ] && exit 0
echo "xporta: installing Debian packages:$missing"
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "xporta: these packages are missing and I am not root (no sudo):$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Package scripts must not start services on the build machine: our tests
# run their own private server instances.
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing

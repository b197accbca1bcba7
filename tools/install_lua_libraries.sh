#!/usr/bin/env bash
# Debian's Lua libraries that the Lua-libraries tour stop and its tests use, with
# LuaRocks and the Lua 5.1 and 5.4 headers (for the tests' own C modules and rocks).
# ilupa itself needs none of them: this is for `make run`, `make test` and `.ci/run`.
# With --best-effort (make test) a machine where they cannot be installed goes on:
# the tests that need them skip, saying which module is missing.
set -euo pipefail
BEST_EFFORT=${1:-}
PACKAGES=(lua-lpeg lua-cjson lua-filesystem lua-penlight lua-socket luarocks
          liblua5.1-0-dev liblua5.4-dev gcc)
missing=()
for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
        missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
    echo "not a Debian system: install lpeg, lua-cjson, lfs, luasocket and Penlight for your Lua" \
         "(e.g. with luarocks) to run notebooks/lua-libraries.ipynb" >&2
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if sudo -n true 2>/dev/null; then SUDO="sudo"; else
        echo "run as root, or: sudo apt-get install ${missing[*]}" >&2
        [ "$BEST_EFFORT" = "--best-effort" ] && exit 0
        exit 1
    fi
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"

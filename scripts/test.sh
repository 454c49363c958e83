#!/usr/bin/env bash
# Installs what the tests need (only when something is missing), then runs
# the formatting check, clippy and every test.
#
# Environment:
#   RGDB_TEST_SERVER=/usr/bin/gdbserver  run the end-to-end tests against
#                                        another server (e.g. GNU gdbserver)
#   RGDB_TEST_TIMEOUT_SCALE=2            multiply every test timeout
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Debian packages needed by the tests, with a command that proves each one
# is installed.
declare -A needed=(
    [gdb]=gdb
    [gdbserver]=gdbserver
    [lldb-19]=lldb-19
    [gcc]=cc
    [libc6-dev]=
    [binutils]=nm
    # -m32 fixtures (32-bit programs under the 64-bit server)
    [gcc-multilib]=
)
missing=()
for pkg in "${!needed[@]}"; do
    cmd=${needed[$pkg]}
    if [[ -n $cmd ]]; then
        command -v "$cmd" >/dev/null 2>&1 && continue
    fi
    if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
        continue
    fi
    missing+=("$pkg")
done
if ((${#missing[@]} > 0)); then
    echo "test.sh: installing ${missing[*]}" >&2
    sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        sudo=(sudo)
    fi
    "${sudo[@]}" apt-get update
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
fi

cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
cargo test --no-fail-fast

#!/usr/bin/env bash
# Make sure the system tools the tests drive for real are on PATH: install each missing one from
# Debian's packages when this user may (root, or sudo without a password), else stop with one line
# naming the package. Never a silent skip: a test that needs a tool fails without it.
# Usage: scripts/ensure_system_tools.sh COMMAND:PACKAGE ...
set -euo pipefail

missing_pkgs=()
missing_cmds=()
for pair in "$@"; do
  cmd="${pair%%:*}"; pkg="${pair#*:}"
  if ! command -v "$cmd" >/dev/null 2>&1; then
    missing_cmds+=("$cmd"); missing_pkgs+=("$pkg")
  fi
done
[ "${#missing_pkgs[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO=(sudo -n)
else
  echo "missing ${missing_cmds[*]}: install the Debian package(s) ${missing_pkgs[*]} (apt-get install ${missing_pkgs[*]}), then rerun" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "missing ${missing_cmds[*]}: install the package(s) ${missing_pkgs[*]} with this system's package manager, then rerun" >&2
  exit 1
fi
pkgs=$(printf "%s\n" "${missing_pkgs[@]}" | sort -u | tr "\n" " ")
echo "installing Debian package(s): ${pkgs}" >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
# shellcheck disable=SC2086  # $pkgs is a word list on purpose
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends $pkgs
for cmd in "${missing_cmds[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || { echo "installed the packages but \`$cmd\` is still not on PATH" >&2; exit 1; }
done

#!/usr/bin/env bash
# Installs flatline's build, test and benchmark dependencies from Debian's
# packages. Idempotent: installs only what is missing, so the README's commands
# call it every time. Package lists live in scripts/deps.d/*.txt, one file per
# layer (one package a line, '#' starts a comment).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
mapfile -t wanted < <(cat "$here"/deps.d/*.txt | sed 's/#.*//' | tr -s ' \t' '\n' | sed '/^$/d' | sort -u)

missing=()
for pkg in "${wanted[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
    exit 0
fi

echo "deps: installing ${#missing[@]} missing package(s): ${missing[*]}" >&2
sudo=()
if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null || { echo "deps: not root and no sudo; install as root: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# Makes sure the real programs the test suite drives are installed, installing them from Debian when
# missing. Runs before `npm test` (the `pretest` script). A program that cannot be installed fails the
# run: the suite never skips a test because a service is absent.
set -euo pipefail

# command to look for -> Debian package that provides it
declare -A NEEDED=(
  [chromium]=chromium
  [victoria-metrics]=victoria-metrics
  [faketime]=faketime
)

missing=()
for cmd in "${!NEEDED[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${NEEDED[$cmd]}")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "ensure-test-services: installing ${missing[*]} from Debian" >&2
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "ensure-test-services: ${missing[*]} missing and not root; install with: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
else
  SUDO=()
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
for cmd in "${!NEEDED[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || { echo "ensure-test-services: $cmd still missing after install" >&2; exit 1; }
done

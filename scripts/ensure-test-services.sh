#!/usr/bin/env bash
# Makes sure the real programs the test suite drives are installed, installing them from Debian when
# missing. Runs before `npm test` (the `pretest` script). A program that cannot be installed fails the
# run: the suite never skips a test because a service is absent.
set -euo pipefail

# command to look for -> Debian package that provides it
declare -A NEEDED=(
  [tini]=tini
  # g6 top is tested by driving it in a tmux pane.
  [tmux]=tmux
  [chromium]=chromium
  [victoria-metrics]=victoria-metrics
  [faketime]=faketime
  [redis-server]=redis-server
  [docker-compose]=docker-compose
  [jupyter-nbconvert]=jupyter-nbconvert
  # Debian's prometheus ships both: the server the Prometheus test scrapes G6 with, and promtool.
  [prometheus]=prometheus
  [promtool]=prometheus
  # systemd-analyze checks the units in deploy/systemd/.
  [systemd-analyze]=systemd
)

# Python module -> Debian package, imported by Debian's own interpreter: the examples test executes
# examples/python/quickstart.ipynb with it. A python3 earlier on PATH (pyenv, a venv) has site-packages
# of its own that never see Debian's, so it is not the one asked.
DEBIAN_PYTHON=/usr/bin/python3
declare -A PYTHON_MODULES=(
  [pandas]=python3-pandas
  [websockets]=python3-websockets
  [nbclient]=python3-nbclient
  [ipykernel]=python3-ipykernel
)

has_module() {
  [ -x "$DEBIAN_PYTHON" ] && "$DEBIAN_PYTHON" -c "import $1" >/dev/null 2>&1
}

missing=()
for cmd in "${!NEEDED[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${NEEDED[$cmd]}")
done
for module in "${!PYTHON_MODULES[@]}"; do
  has_module "$module" || missing+=("${PYTHON_MODULES[$module]}")
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
for module in "${!PYTHON_MODULES[@]}"; do
  has_module "$module" || {
    echo "ensure-test-services: $DEBIAN_PYTHON cannot import $module after installing ${PYTHON_MODULES[$module]}" >&2
    exit 1
  }
done

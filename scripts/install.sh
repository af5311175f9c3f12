#!/usr/bin/env bash
# Installs what the studio needs into ./.venv and builds the web UI. Safe to run again: it skips
# what is already up to date. `--dev` adds the test tools (pytest, ruff, pyright, Playwright, Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
[ "${1:-}" = "--dev" ] && dev=1

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi

extras=""
[ "$dev" = 1 ] && extras="[dev]"
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)${extras:+-dev}"
if [ ! -f "$stamp" ]; then
  echo "==> Installing Python packages (first run takes a few minutes)"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".${extras}"
  touch "$stamp"
fi

if [ -f web/package.json ]; then
  if [ ! -d web/node_modules ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
    echo "==> Installing web UI packages"
    npm --prefix web ci --no-audit --no-fund --loglevel=error
  fi
  echo "==> Building the web UI"
  npm --prefix web run build --silent
fi

if [ "$dev" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
  echo "==> Installing Chromium for the browser tests"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
fi

#!/usr/bin/env bash
# Installs what the tests need and runs the whole suite: lint, type check, web unit tests, Python tests
# (unit, API, real server processes, browser end-to-end in headless Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --dev

echo "==> ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

echo "==> pyright"
# The bundled pyright runs on the machine's node; skipping the wrapper's version check keeps it offline.
PYRIGHT_PYTHON_IGNORE_WARNINGS=1 .venv/bin/pyright

if [ -f web/package.json ]; then
  echo "==> web: lint, typecheck, unit tests"
  npm --prefix web run lint --silent
  npm --prefix web run typecheck --silent
  npm --prefix web test --silent
  echo "==> web: API types match the server"
  bash scripts/check-api-types.sh
fi

echo "==> pytest"
export HF_HUB_OFFLINE=1
exec .venv/bin/python -m pytest -p no:cacheprovider "$@"

#!/usr/bin/env bash
# Fails when the committed OpenAPI schema (web/openapi.json) or the UI types generated from it
# (web/src/api/schema.d.ts) differ from what the server answers today. Fix: in web/,
# `npm run dump:api && npm run gen:api`, then commit both files.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
HOLLYWOOL_DATA_DIR="$tmp/data" HOLLYWOOL_OUTPUTS_DIR="$tmp/out" .venv/bin/python -c \
  "import json; from hollywool.app import create_app; print(json.dumps(create_app().openapi(), indent=1))" \
  > "$tmp/openapi.json"
web/node_modules/.bin/openapi-typescript "$tmp/openapi.json" --default-non-nullable false -o "$tmp/schema.d.ts" \
  >/dev/null 2>&1
stale=0
cmp -s "$tmp/openapi.json" web/openapi.json || { echo "web/openapi.json is not the server's schema"; stale=1; }
cmp -s "$tmp/schema.d.ts" web/src/api/schema.d.ts || { echo "web/src/api/schema.d.ts is not generated from it"; stale=1; }
if [ "$stale" = 1 ]; then
  echo "Regenerate: (cd web && npm run dump:api && npm run gen:api) and commit both files."
  diff <(python3 -m json.tool web/openapi.json) <(python3 -m json.tool "$tmp/openapi.json") | head -40 || true
  exit 1
fi
echo "API types match the server's OpenAPI schema."

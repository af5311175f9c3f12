#!/usr/bin/env bash
# Installs everything, builds the web UI and starts the studio at http://localhost:8031.
# State goes to ./data (SQLite) and media to ./outputs unless HOLLYWOOL_DATA_DIR / _OUTPUTS_DIR say otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/hollywool serve "$@"

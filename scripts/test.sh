#!/usr/bin/env bash
# The test command: set up, then run every test (the lab tests need root).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest -q "$@"

#!/usr/bin/env bash
# The main job without a rack (root, Linux): set up, bring up a 3-node lab, deploy the dev
# stack to it, show nodes, pods and outputs, tear the lab down. On a rack: pulumi up.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m lab.demo "$@"

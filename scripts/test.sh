#!/usr/bin/env bash
# Set up everything the tests need (apt packages, npm dependencies) and run the whole suite.
# Equivalent to: scripts/install-deps.sh && npm test
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm test

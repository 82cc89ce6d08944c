#!/usr/bin/env bash
# Runs the whole suite: setup (skipping what is done), then every ctest tier (unit, integration,
# e2e). Privileged tiers (network namespaces, OVS) need root, as in CI.
#
#   scripts/test.sh              # everything
#   scripts/test.sh -L unit      # extra arguments go to ctest
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}

scripts/setup.sh
if [ "$(id -u)" -ne 0 ]; then
  echo "test.sh: the integration and e2e tiers create network namespaces and need root" >&2
  exit 1
fi
ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 --timeout 600 "$@"

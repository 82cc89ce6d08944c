#!/usr/bin/env bash
# Deletes the kind cluster made by kind/up.sh.
set -euo pipefail
kind delete cluster --name "${CLUSTER:-alcor}"

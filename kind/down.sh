#!/usr/bin/env bash
# Deletes the kind cluster made by kind/up.sh and its generated overlay.
#   CLUSTER=test kind/down.sh
set -euo pipefail
cd "$(dirname "$0")/.."
CLUSTER=${CLUSTER:-alcor}
command -v kind >/dev/null || { echo "kind/down.sh needs kind" >&2; exit 1; }
if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
  kind delete cluster --name "$CLUSTER"
else
  echo "no kind cluster named $CLUSTER"
fi
rm -rf "kind/.overlay-$CLUSTER"

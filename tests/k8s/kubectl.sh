#!/usr/bin/env bash
# kubectl against the cluster of cluster.sh (KEEP=1 scripts/k8s-e2e.sh leaves it up): runs in
# the control-plane node's namespace, where the API server is reachable, as cluster admin.
#
#   tests/k8s/kubectl.sh get pods -A -o wide
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
[ -e "$RUN/pids" ] || die "no cluster in $RUN"
kubectl_cp "$@"

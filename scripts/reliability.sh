#!/usr/bin/env bash
# The reliability scenarios of docs/reliability.md, with full counts (CI runs them with small
# ones as part of the e2e tier):
#   - agent restart under continuous ping between pods of three nodes: 0 lost
#   - ovs-vswitchd restart: flows replayed by the agent, pods reachable again
#   - controller restart: every resource and allocation kept
#   - ADD/DEL churn while the agent and the controller are killed at random: nothing leaked
#
#   sudo scripts/reliability.sh                 # 1,000 churn cycles
#   CYCLES=200 sudo scripts/reliability.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
CYCLES=${CYCLES:-1000}
[ "$(id -u)" -eq 0 ] || { echo "reliability.sh needs root (network namespaces, OVS)" >&2; exit 1; }
scripts/setup.sh >/dev/null
start=$(date +%s)
ALCOR_CHURN_CYCLES=$CYCLES "$BUILD_DIR/tests/e2e/e2e_reliability_test" 2>&1 |
  grep -E '^\[ *(RUN|OK|FAILED|PASSED) *\]|churn:|vswitchd restart:|Failure|packet loss'
echo "reliability: ${CYCLES} churn cycles, $(($(date +%s) - start)) s in all"

#!/usr/bin/env bash
# Alcor CNI under real Kubernetes, offline: builds what is missing (the project; Kubernetes
# v1.34 from the Go module proxy into a cache outside the repository; the pod images), brings up a
# local cluster (control plane + 2 workers, each node a network namespace with containerd,
# kubelet, kube-proxy, Open vSwitch and alcor-agent; CoreDNS), runs the smoke checks of
# kind/smoke.sh and the upstream sig-network conformance focus, prints one line per test and
# `N passed, M failed`, and removes everything (also on Ctrl-C).
#
#   sudo scripts/k8s-e2e.sh              # the whole run; results in results/k8s-e2e-<time>/
#   KEEP=1 sudo scripts/k8s-e2e.sh       # leave the cluster up afterwards (tests/k8s/kubectl.sh;
#                                        # tests/k8s/cluster.sh down removes it)
#   FOCUS=... SKIP=...                   # other e2e focus/skip regexes (tests/k8s/conformance.sh)
#   sudo scripts/k8s-e2e.sh --install=manifests
#       # Alcor CNI installed as users do: the images built here (images/build.sh, tags
#       # `git describe` and <that>-next), imported into every node's containerd, then
#       # `kubectl apply -k` (tests/k8s/install.sh); the smoke checks, then the upgrade, restart
#       # and uninstall checks of tests/k8s/upgrade.sh instead of the conformance run
#       # (CONFORMANCE=1 runs it too). docs/install.md has the results.
#   sudo scripts/k8s-e2e.sh --install=manifests --southbound=mq
#       # the same with the NATS component (manifests/nats): a nats-server on every node, the
#       # controller and the agents on GoalStates over NATS (tests/k8s/nats.sh)
#
# The first run builds for about an hour on 2 cores; later runs start in seconds.
# docs/conformance.md has the focus, the skips with their reasons, and the latest results.
set -euo pipefail
cd "$(dirname "$0")/.."
export ALCOR_K8S_INSTALL=hand ALCOR_K8S_SOUTHBOUND=grpc
for arg in "$@"; do
  case $arg in
    --install=hand | --install=manifests) ALCOR_K8S_INSTALL=${arg#--install=} ;;
    --southbound=grpc | --southbound=mq) ALCOR_K8S_SOUTHBOUND=${arg#--southbound=} ;;
    *) echo "usage: $0 [--install=hand|manifests] [--southbound=grpc|mq]" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "k8s-e2e.sh needs root (namespaces, mounts, cgroups)" >&2; exit 1; }
# shellcheck source=../tests/k8s/lib.sh
. tests/k8s/lib.sh
RESULTS=${RESULTS:-$REPO_DIR/results/k8s-e2e-$(date +%Y%m%d-%H%M%S)}

if [ -e "$RUN/pids" ]; then
  echo "k8s-e2e: removing the cluster a previous run left in $RUN"
  tests/k8s/cluster.sh down
fi

tests/k8s/prepare.sh
if [ "$INSTALL" = manifests ]; then
  step "build 4/4: the Alcor CNI images (images/build.sh)"
  ALCOR_TAG=$(git describe --always --dirty 2>/dev/null || echo dev)
  export ALCOR_TAG ALCOR_TAG_NEXT=$ALCOR_TAG-next
  images="agent ovs controller"
  [ "$SOUTHBOUND" = mq ] && images+=" nats"
  IMAGES=$images images/build.sh --tag="$ALCOR_TAG" --tag="$ALCOR_TAG_NEXT" | sed 's/^/   /'
fi

on_exit() {
  local rc=$?
  if [ -n "${KEEP:-}" ] && [ -e "$RUN/pids" ]; then
    echo "cluster left up (KEEP): tests/k8s/kubectl.sh get pods -A; tests/k8s/cluster.sh down"
  else
    tests/k8s/cluster.sh down || rc=1
  fi
  exit "$rc"
}
trap on_exit EXIT
trap 'echo; echo "interrupted: tearing down"; exit 130' INT TERM

tests/k8s/cluster.sh up

mkdir -p "$RESULTS"
step "smoke checks (kind/smoke.sh on this cluster)"
smoke=PASS
KUBECTL="nsenter --net=/run/netns/$(node_ns 0) -- $K8S_BIN/kubectl --kubeconfig $RUN/pki/admin.kubeconfig" \
  CURL="nsenter --net=/run/netns/$(node_ns 0) -- curl" CONTROLLER_URL=$CONTROLLER_URL \
  IMAGE=registry.k8s.io/e2e-test-images/busybox:$BUSYBOX_TAG \
  kind/smoke.sh 2>&1 | tee "$RESULTS/smoke.log" | sed 's/^/   /' || true
grep -q '^SMOKE PASSED' "$RESULTS/smoke.log" || smoke=FAIL

if [ "$INSTALL" = hand ] || [ -n "${CONFORMANCE:-}" ]; then
  step "upstream conformance (e2e.test $K8S_VERSION, --provider=local)"
  tests/k8s/conformance.sh "$RESULTS" | tee "$RESULTS/conformance.log" || true
fi

upgrade=
if [ "$INSTALL" = manifests ]; then
  upgrade=PASS
  tests/k8s/upgrade.sh "$RESULTS" || upgrade=FAIL
fi

if [ -z "${KEEP:-}" ]; then
  trap - EXIT
  tests/k8s/cluster.sh down
fi
# No results.tsv without the conformance run: 0 of each, not empty.
passed=$(grep -c '^PASS' "$RESULTS/results.tsv" 2>/dev/null || true)
failed=$(grep -c '^FAIL' "$RESULTS/results.tsv" 2>/dev/null || true)
passed=${passed:-0} failed=${failed:-0}
echo
echo "smoke checks: $smoke; results in $RESULTS ($(elapsed))"
if [ -n "$upgrade" ]; then
  echo "upgrade and uninstall checks: $upgrade"
  grep -E '^(upgrade|rollout|alcor-ovs|controller|uninstall)' "$RESULTS/upgrade.log" | sed 's/^/   /' || true
  [ "$upgrade" = PASS ] && passed=$((passed + 1)) || failed=$((failed + 1))
  if [ -z "${CONFORMANCE:-}" ]; then
    [ "$smoke" = PASS ] && passed=$((passed + 1)) || failed=$((failed + 1))
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
  fi
fi
# A test the runner never reached (it stopped early) is a failure too.
listed=$(wc -l <"$RESULTS/tests.txt" 2>/dev/null || echo 0)
reported=$(wc -l <"$RESULTS/results.tsv" 2>/dev/null || echo 0)
if [ "$listed" -eq 0 ] || [ "$reported" -lt "$listed" ]; then
  echo "the conformance run stopped after $reported of $listed tests (see $RESULTS/conformance.log)"
  failed=$((failed + (listed > reported ? listed - reported : 1)))
fi
[ "$smoke" = PASS ] && passed=$((passed + 1)) || failed=$((failed + 1))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

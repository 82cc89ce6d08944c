#!/usr/bin/env bash
# Runs the whole suite: setup (skipping what is done), then every ctest tier (unit, integration,
# e2e), then the same suite built with AddressSanitizer + UndefinedBehaviorSanitizer, then a
# short libFuzzer run of every parser of untrusted bytes. Privileged tiers (network namespaces,
# OVS) need root, as in CI.
#
#   scripts/test.sh              # everything (what CI runs)
#   scripts/test.sh --quick      # the plain build's suite only
#   scripts/test.sh --quick -L unit   # extra arguments go to ctest
#
# The kube tier (ctest label kube: a real kube-apiserver and etcd, tests/harness/kube_apiserver.h)
# is left out: it needs the Kubernetes binaries of tests/k8s/build.sh, which take longer to build
# than CI's budget. Run it with `ctest --test-dir build -L kube` once they are built.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
quick=false
if [ "${1:-}" = "--quick" ]; then
  quick=true
  shift
fi

scripts/setup.sh
if [ "$(id -u)" -ne 0 ]; then
  echo "test.sh: the integration and e2e tiers create network namespaces and need root" >&2
  exit 1
fi
echo "== suite ($BUILD_DIR)"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 --timeout 600 -LE kube "$@"
$quick && exit 0

echo "== suite under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan)"
BUILD_DIR=build-asan CMAKE_ARGS="-DCMAKE_BUILD_TYPE=Debug -DALCOR_SANITIZE=ON" \
  scripts/setup.sh
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
  ctest --test-dir build-asan --output-on-failure -j2 --timeout 900 -LE kube "$@"

echo "== libFuzzer, ${FUZZ_SECONDS:-10} s per target (build-fuzz)"
scripts/fuzz.sh

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
# ctest prints a failure where it happens; the end of a long log repeats why each test failed.
run_ctest() {
  local dir=$1
  shift
  if ! ctest --test-dir "$dir" --output-on-failure -j2 "$@"; then
    python3 scripts/test-failures.py "$dir/Testing/Temporary/LastTest.log" || true
    return 8
  fi
}

echo "== suite ($BUILD_DIR)"
run_ctest "$BUILD_DIR" --timeout 600 -LE kube "$@"
$quick && exit 0

# Sanitizers: every unit and integration test, and the end-to-end tests that run the agent and
# the controller through their main paths (CNI, overlay, security groups, host access). The
# rest of the e2e tier exercises the same code under other scenarios and costs CI time.
echo "== suite under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan)"
BUILD_DIR=build-asan CMAKE_ARGS="-DCMAKE_BUILD_TYPE=Debug -DALCOR_SANITIZE=ON -DALCOR_BENCH=OFF" \
  scripts/setup.sh
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
if [ $# -gt 0 ]; then
  run_ctest build-asan --timeout 900 -LE kube "$@"
else
  run_ctest build-asan --timeout 900 -L 'unit|integration'
  run_ctest build-asan --timeout 900 -L e2e \
    -R "${ASAN_E2E:-^(CniPathTest|OverlayTest|SecurityGroupTest|HostAccessTest)\\.}"
fi

echo "== libFuzzer, ${FUZZ_SECONDS:-10} s per target (build-fuzz)"
scripts/fuzz.sh

#!/usr/bin/env bash
# Runs the whole suite (what CI runs): setup, one build with AddressSanitizer +
# UndefinedBehaviorSanitizer and libFuzzer's coverage (clang, build-asan), every ctest tier on it
# (unit, integration, e2e, CRI), then a short libFuzzer run of every parser of untrusted bytes
# from the same build. Privileged tiers (network namespaces, OVS) need root, as in CI.
#
#   scripts/test.sh              # everything (what CI runs)
#   scripts/test.sh --quick      # the plain build's suite only (./build, as the demo builds it)
#   scripts/test.sh --quick -L unit   # extra arguments go to ctest
#   scripts/test.sh -L e2e       # the sanitized build, that selection, then the fuzzers
#
# One build, not a plain one and a sanitized one: compiling the tree twice took more than half of
# CI's budget, and a test that passes under the sanitizers passes the plain checks too. The build
# is a unity build (CMAKE_UNITY_BUILD: sources compiled in batches), which parses the gRPC,
# protobuf and gtest headers once per batch instead of once per file.
#
# The kube tier (ctest label kube: a real kube-apiserver and etcd, tests/harness/kube_apiserver.h)
# is left out: it needs the Kubernetes binaries of tests/k8s/build.sh, which take longer to build
# than CI's budget. Run it with `ctest --test-dir build -L kube` once they are built.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=false
if [ "${1:-}" = "--quick" ]; then
  quick=true
  shift
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
need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: the integration and e2e tiers create network namespaces and need root" >&2
    exit 1
  fi
}

if $quick; then
  BUILD_DIR=${BUILD_DIR:-build}
  scripts/setup.sh
  need_root
  echo "== suite ($BUILD_DIR)"
  run_ctest "$BUILD_DIR" --timeout 600 -LE kube "$@"
  exit 0
fi

BUILD_DIR=${BUILD_DIR:-build-asan}
CHECK_ARGS="-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug
  -DALCOR_SANITIZE=ON -DALCOR_FUZZ=ON -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16"
# A build directory configured otherwise (gcc, no fuzzing: older trees) is made again.
if [ -f "$BUILD_DIR/CMakeCache.txt" ] && ! grep -q '^ALCOR_FUZZ:BOOL=ON' "$BUILD_DIR/CMakeCache.txt"; then
  echo "test.sh: $BUILD_DIR was configured without the checks' options; configuring it again"
  rm -rf "$BUILD_DIR"
fi
echo "== build ($BUILD_DIR: clang, ASan + UBSan, libFuzzer coverage; about 20 minutes on a fresh
   2-core machine, seconds afterwards)"
BUILD_DIR=$BUILD_DIR CMAKE_ARGS=$CHECK_ARGS scripts/setup.sh
need_root

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
echo "== suite under AddressSanitizer + UndefinedBehaviorSanitizer ($BUILD_DIR)"
run_ctest "$BUILD_DIR" --timeout 900 -LE kube "$@"

echo "== libFuzzer, ${FUZZ_SECONDS:-10} s per target ($BUILD_DIR)"
BUILD_DIR=$BUILD_DIR scripts/fuzz.sh

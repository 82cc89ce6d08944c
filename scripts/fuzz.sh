#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser of untrusted bytes with libFuzzer (clang, ASan+UBSan).
#
#   scripts/fuzz.sh                 # each target for 10 s (what CI runs)
#   FUZZ_SECONDS=600 scripts/fuzz.sh   # long runs; figures go in docs/reliability.md
#   scripts/fuzz.sh dhcp_fuzz       # one target
#
# Targets: CNI stdin/env, GoalStates, DHCP, packets (Ethernet/ARP/IP/UDP/TCP/ICMP), Zeta OAM,
# OpenFlow messages, OVSDB JSON-RPC stream, controller REST bodies. Crashes are saved in
# $BUILD_DIR/crashes/<target>/ and fail the run.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
ALL=(cni_config_fuzz goalstate_fuzz dhcp_fuzz packet_fuzz zeta_oam_fuzz openflow_fuzz ovsdb_fuzz
     rest_body_fuzz token_fuzz certificate_fuzz json_array_stream_fuzz southbound_fuzz)
TARGETS=("${@:-${ALL[@]}}")
[ $# -gt 0 ] || TARGETS=("${ALL[@]}")

if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DALCOR_FUZZ=ON -DBUILD_TESTING=ON >/dev/null
fi
cmake --build "$BUILD_DIR" --target "${TARGETS[@]}"

status=0
printf '%-18s %12s %10s  %s\n' target executions exec/s result
for t in "${TARGETS[@]}"; do
  corpus=$(mktemp -d)
  cp -r "tests/fuzz/corpus/$t/." "$corpus/" 2>/dev/null || true
  crashes="$BUILD_DIR/crashes/$t"
  mkdir -p "$crashes"
  log="$BUILD_DIR/$t.log"
  if "$BUILD_DIR/tests/fuzz/$t" -max_total_time="$FUZZ_SECONDS" -artifact_prefix="$crashes/" \
      -print_final_stats=1 "$corpus" >"$log" 2>&1; then
    result=ok
  else
    result="CRASH (see $log and $crashes)"
    status=1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  printf '%-18s %12s %10s  %s\n' "$t" "${runs:-?}" "${rate:-?}" "$result"
  rm -rf "$corpus"
done
exit $status

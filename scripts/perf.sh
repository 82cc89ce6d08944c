#!/usr/bin/env bash
# The performance run (docs/performance.md): builds Release into build-release when needed, runs
# bench_scale (simulated fan-out through the real controller + real nodes with OVS and agents),
# writes results/<timestamp>/scale.csv and scale.png, then runs the other benchmarks and keeps
# their output next to it. Run as root.
#
#   scripts/perf.sh                              # everything, default sizes
#   scripts/perf.sh --cases=simulated --ports=1000 --hosts=100 --no-others
#   scripts/perf.sh --quick                      # 1,000 ports / 60 pods, no other benches
#
# Flags: --cases=simulated,real  --ports=1000,10000  --hosts=100  --modes=bulk,single
#        --clients=8  --nodes=3  --pods=300  --concurrency=10  --timeout=900
#        --no-others (skip the other benches)  --only-others  --quick  --out=DIR
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build-release}
SCALE_ARGS=()
RUN_SCALE=1
RUN_OTHERS=1
OUT=""
for arg in "$@"; do
  case "$arg" in
    --cases=*|--ports=*|--hosts=*|--modes=*|--clients=*|--nodes=*|--pods=*|--concurrency=*|--timeout=*)
      SCALE_ARGS+=("$arg") ;;
    --quick) SCALE_ARGS+=(--ports=1000 --pods=60); RUN_OTHERS=0 ;;
    --no-others) RUN_OTHERS=0 ;;
    --only-others) RUN_SCALE=0 ;;
    --out=*) OUT=${arg#--out=} ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "perf.sh: unknown flag $arg (see --help)" >&2; exit 2 ;;
  esac
done
if [ "$(id -u)" -ne 0 ]; then
  echo "perf.sh: run as root (network namespaces, OVS)" >&2
  exit 1
fi

# Benchmarks: directory under bench/ and executable name.
OTHER_BENCHES=(
  "ovs_flows bench_ovs_flows"
  "ovsdb_ports bench_ovsdb_ports"
  "controller controller_bench"
  "agent_neighbors bench_agent_neighbors"
  "cni bench_cni"
  "security_groups bench_security_groups"
  "netpol bench_netpol"
)
targets=(alcor-controller alcor-agent alcor-cni bench_scale)
for entry in "${OTHER_BENCHES[@]}"; do
  read -r dir exe <<<"$entry"
  [ -f "bench/$dir/CMakeLists.txt" ] && targets+=("$exe")
done

if [ ! -f "$BUILD_DIR/build.ninja" ] ||
   ! grep -q '^CMAKE_BUILD_TYPE:STRING=Release$' "$BUILD_DIR/CMakeCache.txt"; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
ninja -C "$BUILD_DIR" "${targets[@]}"

OUT=${OUT:-results/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
echo "results: $OUT"
{
  echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "host $(uname -srm), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo)"
  date -Is
} >"$OUT/machine.txt"

plot() {
  local csv=$1 png=$2
  command -v gnuplot >/dev/null || { echo "gnuplot missing (scripts/setup.sh installs gnuplot-nox)"; return; }
  gnuplot <<GNUPLOT
set terminal pngcairo size 1400,600 noenhanced font ",10"
set output "$png"
set datafile separator ","
set key autotitle columnhead top left
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set grid ytics
set xtics rotate by -25
set multiplot layout 1,2 title "Alcor CNI scale ($(basename "$OUT"))"
set title "time until every relevant host has every port (s); anchors: ACA 1k 2.7 s, 10k 237 s; Alcor DPM 10k 2.6 s"
set logscale y
set yrange [0.1:500]
set arrow from graph 0, first 2.7 to graph 1, first 2.7 nohead dt 2 lc rgb "orange"
set arrow from graph 0, first 237 to graph 1, first 237 nohead dt 2 lc rgb "red"
set arrow from graph 0, first 2.6 to graph 1, first 2.6 nohead dt 3 lc rgb "blue"
label(a,b,h,p) = sprintf("%s %s %sh %s", a, b, h, p)
plot "$csv" using 7:xtic(label(strcol(1), strcol(2), strcol(3), strcol(4))) title "converged s", \
     "" using 6 title "all ACTIVE s"
unset arrow
set title "per-port latency to flows on every host (ms); k8s pod start SLO p99 5,000 ms"
set arrow from graph 0, first 5000 to graph 1, first 5000 nohead dt 2 lc rgb "red"
set yrange [1:*]
plot "$csv" using 12:xtic(label(strcol(1), strcol(2), strcol(3), strcol(4))) title "p50", \
     "" using 13 title "p90", "" using 14 title "p99"
unset multiplot
GNUPLOT
}

if [ "$RUN_SCALE" = 1 ]; then
  "$BUILD_DIR/bench/scale/bench_scale" --out="$OUT" "${SCALE_ARGS[@]}" 2>&1 | tee "$OUT/bench_scale.txt"
  if [ -s "$OUT/scale.csv" ]; then
    plot "$OUT/scale.csv" "$OUT/scale.png" && echo "plot: $OUT/scale.png"
  fi
fi

if [ "$RUN_OTHERS" = 1 ]; then
  for entry in "${OTHER_BENCHES[@]}"; do
    read -r dir exe <<<"$entry"
    bin="$BUILD_DIR/bench/$dir/$exe"
    [ -x "$bin" ] || continue
    echo
    echo "== $exe"
    if [ "$exe" = bench_netpol ] &&
       [ ! -x "${ALCOR_K8S_BIN:-/var/cache/alcor-k8s/v1.34.4/bin}/kube-apiserver" ]; then
      echo "bench_netpol: NOT RUN: it needs kube-apiserver and etcd (tests/k8s/build.sh)" |
        tee "$OUT/$exe.txt"
      continue
    fi
    "$bin" 2>&1 | tee "$OUT/$exe.txt" || echo "$exe failed (exit ${PIPESTATUS[0]})"
  done
fi
echo
echo "results in $OUT"

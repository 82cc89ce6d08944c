#!/usr/bin/env bash
# Pod start latency through kubelet (pod created -> Ready), p50/p99 over PODS pods on the two
# workers, with alcor-cni and then, in the same run and on the same cluster, with the reference
# bridge + host-local conflist; prints both and the ratio. Pods are created in waves of WAVE
# (half per worker); each pod's latency is the time between the watch seeing it ADDED and seeing
# it Ready, stamped by this script (millisecond resolution, unlike the API's timestamps).
#
#   sudo bench/k8s-pod-start.sh            # builds what is missing (the project in Release, in
#                                          # build-release), brings up and removes the cluster
#                                          # of scripts/k8s-e2e.sh (docs/performance.md)
#   PODS=100 WAVE=10
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "k8s-pod-start.sh needs root" >&2; exit 1; }
# Figures come from a Release build of the project (the Kubernetes components are always built
# optimized).
export BUILD_DIR=${BUILD_DIR:-$PWD/build-release}
export CMAKE_ARGS=${CMAKE_ARGS:--DCMAKE_BUILD_TYPE=Release}
if [ -f "$BUILD_DIR/CMakeCache.txt" ] &&
  ! grep -q '^CMAKE_BUILD_TYPE:STRING=Release$' "$BUILD_DIR/CMakeCache.txt"; then
  echo "$BUILD_DIR is not a Release build (set BUILD_DIR to another directory)" >&2
  exit 1
fi
# shellcheck source=../tests/k8s/lib.sh
. tests/k8s/lib.sh
# shellcheck source=../tests/k8s/node.sh
. tests/k8s/node.sh
PODS=${PODS:-100}
WAVE=${WAVE:-10}
OUT=${OUT:-$REPO_DIR/results/k8s-pod-start-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"

[ -e "$RUN/pids" ] && tests/k8s/cluster.sh down
tests/k8s/prepare.sh
trap 'tests/k8s/cluster.sh down' EXIT
trap 'exit 130' INT TERM
tests/k8s/cluster.sh up

# The reference: Linux bridge + host-local, a /24 per node, as the CNI project documents it.
reference_conflist() {
  cat <<EOF
{
  "cniVersion": "1.0.0",
  "name": "alcor-bench-ref",
  "plugins": [
    {"type": "bridge", "bridge": "cniref0", "isGateway": true, "ipMasq": false,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.245.$1.0/24"}]],
              "dataDir": "$(node_dir "$1")/host-local"}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
}

pod_yaml() {  # NAMESPACE NAME NODE
  cat <<EOF
---
apiVersion: v1
kind: Pod
metadata: {name: $2, namespace: $1}
spec:
  nodeSelector: {kubernetes.io/hostname: $3}
  terminationGracePeriodSeconds: 0
  containers:
    - {name: pause, image: "registry.k8s.io/pause:$PAUSE_TAG", imagePullPolicy: Never}
EOF
}

# run_case NAME: PODS pods in namespace bench-NAME; writes $OUT/NAME.tsv (pod, seconds).
run_case() {
  local name=$1 ns=bench-$1 events=$OUT/$1.events
  kubectl_cp create namespace "$ns" >/dev/null
  wait_until "the default ServiceAccount of $ns" 30 kubectl_cp -n "$ns" get serviceaccount default
  # Every watch event, stamped as it arrives: "seconds type pod ready".
  # kubectl's own PID is kept: stopping it ends the stamping loop too.
  {
    "${KUBECTL_CP[@]}" -n "$ns" get pods --watch --output-watch-events \
      -o jsonpath='{.type} {.object.metadata.name} {.object.status.conditions[?(@.type=="Ready")].status}{"\n"}' &
    echo $! >"$OUT/watch.pid"
    wait
  } | while read -r type pod ready; do echo "$(date +%s.%N) $type $pod $ready"; done >"$events" &
  local watcher=$!
  sleep 1
  local wave=0 created=0
  while ((created < PODS)); do
    wave=$((wave + 1))
    local yaml="" k
    for k in $(seq "$WAVE"); do
      ((created < PODS)) || break
      created=$((created + 1))
      yaml+=$(pod_yaml "$ns" "p$created" "$(node_name $((1 + created % 2)))")$'\n'
    done
    printf '%s' "$yaml" | kubectl_cp apply -f - >/dev/null
    kubectl_cp -n "$ns" wait --for=condition=Ready pods --all --timeout=300s >/dev/null ||
      die "$name: pods of wave $wave not Ready"
    info "$name: $created/$PODS pods Ready ($(elapsed))"
  done
  sleep 1
  kill "$(cat "$OUT/watch.pid")" 2>/dev/null || true
  wait "$watcher" 2>/dev/null || true
  rm -f "$OUT/watch.pid"
  awk '$2 == "ADDED" && !($3 in added) { added[$3] = $1 }
       $4 == "True" && ($3 in added) && !($3 in ready) { ready[$3] = $1 }
       END { for (p in ready) printf "%s\t%.3f\n", p, ready[p] - added[p] }' "$events" \
    >"$OUT/$name.tsv"
  kubectl_cp delete namespace "$ns" --wait=true --timeout=300s >/dev/null ||
    die "$name: namespace $ns not deleted"
}

percentile() {  # FILE P: the P-th percentile (nearest rank) of column 2
  cut -f2 "$1" | sort -n | awk -v p="$2" '{ v[NR] = $1 } END { r = int((p * NR + 99) / 100);
    if (r < 1) r = 1; print v[r] }'
}

step "benchmark: $PODS pods with alcor-cni (waves of $WAVE on $(node_name 1) and $(node_name 2))"
run_case alcor

step "benchmark: $PODS pods with the reference bridge + host-local conflist"
for i in 1 2; do install_conflist "$i" "$(reference_conflist "$i")"; done
sleep 2  # containerd reloads its CNI configuration when the directory changes
run_case reference
for i in 1 2; do install_conflist "$i" "$(alcor_conflist "$i")"; done

step "results (pod created -> Ready, seconds)"
for c in alcor reference; do
  [ "$(wc -l <"$OUT/$c.tsv")" -eq "$PODS" ] || die "$c: $(wc -l <"$OUT/$c.tsv") of $PODS pods measured"
done
a50=$(percentile "$OUT/alcor.tsv" 50) a99=$(percentile "$OUT/alcor.tsv" 99)
r50=$(percentile "$OUT/reference.tsv" 50) r99=$(percentile "$OUT/reference.tsv" 99)
{
  printf '%-22s %8s %8s\n' "" p50 p99
  printf '%-22s %8.3f %8.3f\n' alcor-cni "$a50" "$a99"
  printf '%-22s %8.3f %8.3f\n' "bridge + host-local" "$r50" "$r99"
  awk -v a50="$a50" -v a99="$a99" -v r50="$r50" -v r99="$r99" \
    'BEGIN { printf "%-22s %8.2f %8.2f\n", "ratio alcor/reference", a50 / r50, a99 / r99 }'
} | tee "$OUT/summary.txt"
echo "per-pod figures in $OUT"

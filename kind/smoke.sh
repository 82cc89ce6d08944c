#!/usr/bin/env bash
# Smoke test of alcor-cni on the kind cluster of kind/up.sh:
#   1. pods on two different nodes ping each other (cluster VPC, VXLAN between nodes)
#   2. the controller's REST API answers 401 without a token (HTTPS, CA from ConfigMap alcor-ca)
#   3. a pod of another VPC (its namespace annotated alcor.io/vpc) cannot reach them
#   4. cluster DNS resolves from a pod (a Service: kube-proxy and CoreDNS too)
#   5. a pod annotated alcor.io/ip-address gets that address
# Deletes its namespaces at the end (KEEP=1 keeps them for debugging). See docs/kind.md.
# scripts/k8s-e2e.sh runs it on its own cluster: KUBECTL is then its kubectl command, and
# CONTROLLER_URL with CURL reach alcor-controller directly instead of through a port-forward.
set -euo pipefail
cd "$(dirname "$0")/.."
CLUSTER=${CLUSTER:-alcor}
CONTEXT=kind-$CLUSTER
TIMEOUT=${TIMEOUT:-180s}
NS=alcor-smoke          # cluster VPC (no annotations)
NS_RED=alcor-smoke-red  # its own VPC
STATIC_IP=${STATIC_IP:-10.244.200.200}  # inside the cluster subnet (kind podSubnet)
IMAGE=${IMAGE:-busybox:1.36}
KUBECTL=${KUBECTL:-kubectl --context $CONTEXT}
CURL=${CURL:-curl}

kctl() { $KUBECTL "$@"; }
step() { printf '\n== %s\n' "$*"; }
PASSED=0
pass() { echo "ok: $*"; PASSED=$((PASSED + 1)); }
fail() {
  echo "SMOKE FAILED: $*" >&2
  for ns in "$NS" "$NS_RED"; do
    kctl -n "$ns" get pods -o wide >&2 2>/dev/null || true
    kctl -n "$ns" get events --sort-by=.lastTimestamp 2>/dev/null | tail -10 >&2 || true
  done
  exit 1
}
PF_PID=
cleanup() {
  [ -n "$PF_PID" ] && kill "$PF_PID" 2>/dev/null || true
  if [ -z "${KEEP:-}" ]; then
    kctl delete namespace "$NS" "$NS_RED" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

for tool in ${KUBECTL%% *} ${CURL%% *}; do
  command -v "$tool" >/dev/null || { echo "kind/smoke.sh needs $tool" >&2; exit 1; }
done
kctl get nodes >/dev/null || { echo "no cluster ($KUBECTL): run kind/up.sh" >&2; exit 1; }
mapfile -t WORKERS < <(kctl get nodes -l '!node-role.kubernetes.io/control-plane' \
  -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}')
[ ${#WORKERS[@]} -ge 2 ] || fail "need two worker nodes, found ${#WORKERS[@]}"

# pod NAMESPACE NAME NODE [ANNOTATION=VALUE...]
pod() {
  local ns=$1 name=$2 node=$3 annotations="{}"
  shift 3
  if [ $# -gt 0 ]; then
    annotations="{$(printf '"%s",' "$@" | sed 's/=/": "/g; s/,$//')}"
  fi
  kctl apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $name
  namespace: $ns
  annotations: $annotations
spec:
  nodeSelector:
    kubernetes.io/hostname: $node
  terminationGracePeriodSeconds: 1
  containers:
    - name: box
      image: $IMAGE
      command: ["sleep", "3600"]
YAML
  echo "pod $ns/$name on $node ${annotations}"
}
ip_of() { kctl -n "$1" get pod "$2" -o jsonpath='{.status.podIP}'; }

step "a second VPC for $NS_RED, through the controller's REST API"
# HTTPS verified with the CA the controller published, as the admin service account
# (docs/security.md): the certificate names alcor-controller (and the addresses of --tls-san).
CA_FILE=$(mktemp)
kctl -n alcor-system get configmap alcor-ca -o jsonpath='{.data.ca\.crt}' >"$CA_FILE" ||
  fail "no ConfigMap alcor-system/alcor-ca (the controller publishes its CA there)"
TOKEN=$(kctl -n alcor-system create token alcor-admin --audience alcor-controller) ||
  fail "cannot create a token for alcor-admin"
read -ra CURL <<<"$CURL"
CURL+=(-s --cacert "$CA_FILE")
if [ -n "${CONTROLLER_URL:-}" ]; then
  URL=$CONTROLLER_URL
else  # through a port-forward, which --resolve maps the certificate's name to
  PORT=${PORT:-19009}
  kctl -n alcor-system port-forward svc/alcor-controller "$PORT:9009" >/dev/null 2>&1 &
  PF_PID=$!
  CURL+=(--resolve "alcor-controller:$PORT:127.0.0.1")
  URL=https://alcor-controller:$PORT
fi
for _ in $(seq 50); do
  "${CURL[@]}" -f "$URL/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
"${CURL[@]}" -f "$URL/healthz" >/dev/null || fail "cannot reach the controller at $URL"
[ "$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$URL/project/default/vpcs")" = 401 ] ||
  fail "the REST API answered without a token"
pass "REST needs a token (401 without)"
create() {  # PATH BODY: 201 created, 409 already there (a re-run)
  local code
  code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $TOKEN" "$URL$1" -d "$2")
  [ "$code" = 201 ] || [ "$code" = 200 ] || [ "$code" = 409 ] || fail "POST $1 answered $code"
}
# The same CIDR as the cluster VPC: VPCs have their own address spaces.
create /project/default/vpcs '{"network":{"id":"smoke-red-vpc","name":"smoke-red","cidr":"10.244.0.0/16"}}'
create /project/default/subnets \
  '{"subnet":{"id":"smoke-red-subnet","name":"smoke-red","network_id":"smoke-red-vpc","cidr":"10.244.0.0/16"}}'
[ -n "$PF_PID" ] && kill "$PF_PID" 2>/dev/null || true
PF_PID=
rm -f "$CA_FILE"

step "namespaces and pods"
kctl create namespace "$NS" --dry-run=client -o yaml | kctl apply -f - >/dev/null
kctl create namespace "$NS_RED" --dry-run=client -o yaml | kctl apply -f - >/dev/null
kctl annotate namespace "$NS_RED" --overwrite \
  alcor.io/vpc=smoke-red-vpc alcor.io/subnet=smoke-red-subnet >/dev/null
pod "$NS" a "${WORKERS[0]}"
pod "$NS" b "${WORKERS[1]}"
pod "$NS" static "${WORKERS[0]}" "alcor.io/ip-address=$STATIC_IP"
pod "$NS_RED" red "${WORKERS[1]}"
kctl -n "$NS" wait --for=condition=Ready pod/a pod/b pod/static --timeout="$TIMEOUT" ||
  fail "pods of $NS not Ready"
kctl -n "$NS_RED" wait --for=condition=Ready pod/red --timeout="$TIMEOUT" || fail "pod red not Ready"
A=$(ip_of "$NS" a); B=$(ip_of "$NS" b); RED=$(ip_of "$NS_RED" red)
echo "a=$A (${WORKERS[0]})  b=$B (${WORKERS[1]})  red=$RED (${WORKERS[1]}, VPC smoke-red-vpc)"

step "1. pods on two nodes ping each other"
kctl -n "$NS" exec a -- ping -c 3 -W 2 "$B" || fail "a ($A) cannot ping b ($B)"
kctl -n "$NS" exec b -- ping -c 3 -W 2 "$A" || fail "b ($B) cannot ping a ($A)"
pass "a <-> b across nodes"

step "2. pods of two VPCs cannot reach each other"
for target in "$A" "$B"; do
  # red may hold the same address as a cluster-VPC pod (own address space): skip that one.
  [ "$target" = "$RED" ] && continue
  if kctl -n "$NS_RED" exec red -- ping -c 2 -W 1 "$target" >/dev/null 2>&1; then
    fail "red (smoke-red-vpc) reached $target in the cluster VPC"
  fi
done
pass "red cannot reach the cluster VPC"

step "3. static IP from the alcor.io/ip-address annotation"
got=$(ip_of "$NS" static)
[ "$got" = "$STATIC_IP" ] || fail "pod static got $got, not $STATIC_IP"
kctl -n "$NS" exec static -- ip -4 addr show eth0 | grep -q "inet $STATIC_IP/" ||
  fail "the address is not on the pod's eth0"
kctl -n "$NS" exec a -- ping -c 2 -W 2 "$STATIC_IP" || fail "a cannot ping the static pod"
pass "static pod has $STATIC_IP"

step "4. cluster DNS"
kctl -n "$NS" exec a -- nslookup kubernetes.default.svc.cluster.local ||
  fail "DNS lookup from a failed"
pass "DNS"

echo
echo "SMOKE PASSED: $PASSED checks"

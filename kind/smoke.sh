#!/usr/bin/env bash
# Smoke test on the kind cluster: pods on two nodes ping each other; pods of two VPCs cannot;
# DNS works; a pod asking for a static IP gets it. Cleans up its namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
NS=alcor-smoke
NS2=alcor-smoke-red
fail() { echo "SMOKE FAILED: $*" >&2; exit 1; }
cleanup() { kubectl delete namespace "$NS" "$NS2" --ignore-not-found --wait=false >/dev/null; }
trap cleanup EXIT

workers=($(kubectl get nodes -l '!node-role.kubernetes.io/control-plane' -o jsonpath='{.items[*].metadata.name}'))
[ ${#workers[@]} -ge 2 ] || fail "need two worker nodes"

pod() {  # NAMESPACE NAME NODE [ANNOTATIONS-JSON]
  kubectl apply -f - <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $2
  namespace: $1
  annotations: ${4:-{\}}
spec:
  nodeName: $3
  containers:
    - name: box
      image: busybox:1.36
      command: ["sleep", "3600"]
YAML
}

echo "== namespaces: $NS (cluster VPC) and $NS2 (its own VPC)"
kubectl create namespace "$NS" --dry-run=client -o yaml | kubectl apply -f -
kubectl create namespace "$NS2" --dry-run=client -o yaml | kubectl apply -f -

# A second VPC for $NS2, created through the controller's REST API from inside the cluster.
CTL_IP=$(kubectl -n alcor-system get svc alcor-controller -o jsonpath='{.spec.clusterIP}')
curl_in() { kubectl -n "$NS" run "curl-$RANDOM" --rm -i --restart=Never --image=curlimages/curl:8.10.1 -- "$@"; }
curl_in -sf -X POST -H 'Content-Type: application/json' "http://$CTL_IP:9009/project/default/vpcs" \
  -d '{"network":{"id":"red-vpc","name":"red","cidr":"10.244.0.0/16"}}' >/dev/null || true
curl_in -sf -X POST -H 'Content-Type: application/json' "http://$CTL_IP:9009/project/default/subnets" \
  -d '{"subnet":{"id":"red-subnet","network_id":"red-vpc","cidr":"10.244.0.0/16"}}' >/dev/null || true
kubectl annotate namespace "$NS2" alcor.io/vpc=red-vpc alcor.io/subnet=red-subnet --overwrite

pod "$NS" a "${workers[0]}"
pod "$NS" b "${workers[1]}"
pod "$NS" static "${workers[0]}" '{"alcor.io/ip-address": "10.244.200.200"}'
pod "$NS2" red "${workers[1]}"
kubectl -n "$NS" wait --for=condition=Ready pod/a pod/b pod/static --timeout=120s
kubectl -n "$NS2" wait --for=condition=Ready pod/red --timeout=120s

ip_of() { kubectl -n "$1" get pod "$2" -o jsonpath='{.status.podIP}'; }
A=$(ip_of "$NS" a); B=$(ip_of "$NS" b); RED=$(ip_of "$NS2" red)
echo "a=$A (${workers[0]})  b=$B (${workers[1]})  red=$RED"

echo "== cross-node ping"
kubectl -n "$NS" exec a -- ping -c 3 -W 2 "$B" || fail "a cannot ping b"
echo "== VPC isolation"
if kubectl -n "$NS2" exec red -- ping -c 2 -W 1 "$A" >/dev/null 2>&1; then fail "red reached a"; fi
echo "== DNS"
kubectl -n "$NS" exec a -- nslookup kubernetes.default.svc.cluster.local || fail "DNS"
echo "== static IP"
[ "$(ip_of "$NS" static)" = "10.244.200.200" ] || fail "static pod got $(ip_of "$NS" static)"
echo "SMOKE PASSED"

#!/usr/bin/env bash
# Builds the images, creates the kind cluster, loads the images, applies the manifests and waits
# until every node is Ready with alcor-cni. Needs docker and kind on the machine.
#   kind/up.sh                 # VERSION=dev by default
set -euo pipefail
cd "$(dirname "$0")/.."
CLUSTER=${CLUSTER:-alcor}
VERSION=${VERSION:-dev}

for tool in docker kind kubectl; do
  command -v "$tool" >/dev/null || { echo "kind/up.sh needs $tool" >&2; exit 1; }
done

echo "== building images ($VERSION)"
for image in agent ovs controller; do
  docker build --build-arg VERSION="$VERSION" -f "images/$image/Dockerfile" \
    -t "alcor-$image:$VERSION" .
done

echo "== creating kind cluster $CLUSTER"
kind get clusters | grep -qx "$CLUSTER" || kind create cluster --name "$CLUSTER" --config kind/kind-config.yaml

echo "== loading images into the nodes"
for image in agent ovs controller; do
  kind load docker-image --name "$CLUSTER" "alcor-$image:$VERSION"
done

# kind nodes have the openvswitch module only if the host does; fall back to the userspace
# datapath otherwise (then pods need no extra setup: the agent turns TX offload off on veths).
DATAPATH=system
if ! docker exec "$CLUSTER-control-plane" sh -c 'modprobe openvswitch 2>/dev/null || lsmod | grep -q openvswitch'; then
  DATAPATH=netdev
  echo "== no openvswitch kernel module: using the userspace (netdev) datapath"
fi

echo "== applying manifests"
kubectl kustomize manifests |
  sed -e "s/image: alcor-\(agent\|ovs\|controller\):dev/image: alcor-\1:$VERSION/" \
      -e "s/\"datapath-type\": \"system\"/\"datapath-type\": \"$DATAPATH\"/" \
      -e "/name: OVS_DATAPATH/{n;s/value: system/value: $DATAPATH/}" |
  kubectl apply -f -

echo "== waiting for alcor-cni"
kubectl -n alcor-system rollout status deployment/alcor-controller --timeout=180s
kubectl -n alcor-system rollout status daemonset/alcor-agent --timeout=300s
kubectl wait --for=condition=Ready nodes --all --timeout=300s
kubectl get nodes -o wide
echo "== ready: run kind/smoke.sh"

#!/usr/bin/env bash
# Builds the three images, creates a kind cluster (one control plane, two workers, no default
# CNI), loads the images, applies the manifests and waits until every node is Ready.
# Needs docker, kind and kubectl. See docs/kind.md.
#
#   kind/up.sh                      # cluster "alcor", images tagged "dev"
#   CLUSTER=test VERSION=v1 kind/up.sh
#   DATAPATH=netdev kind/up.sh      # force the userspace datapath
#   SKIP_BUILD=1 kind/up.sh         # reuse images already built
set -euo pipefail
cd "$(dirname "$0")/.."
CLUSTER=${CLUSTER:-alcor}
VERSION=${VERSION:-dev}
DATAPATH=${DATAPATH:-}
TIMEOUT=${TIMEOUT:-300s}
CONTEXT=kind-$CLUSTER

step() { printf '\n== %s\n' "$*"; }
die() { echo "kind/up.sh: $*" >&2; exit 1; }
for tool in docker kind kubectl; do
  command -v "$tool" >/dev/null || die "needs $tool on the PATH (docs/kind.md)"
done
docker info >/dev/null 2>&1 || die "docker is not running or not reachable"
kctl() { kubectl --context "$CONTEXT" "$@"; }

# On failure, show what is not running, so the user need not dig.
on_error() {
  echo >&2
  echo "kind/up.sh failed. State of alcor-system:" >&2
  kctl -n alcor-system get pods -o wide >&2 2>/dev/null || true
  kctl -n alcor-system get events --sort-by=.lastTimestamp 2>/dev/null | tail -15 >&2 || true
  echo "Logs: kubectl --context $CONTEXT -n alcor-system logs ds/alcor-agent -c alcor-agent" >&2
}
trap on_error ERR

if [ -z "${SKIP_BUILD:-}" ]; then
  for image in agent ovs controller; do
    step "building alcor-$image:$VERSION"
    DOCKER_BUILDKIT=1 docker build --build-arg VERSION="$VERSION" \
      -f "images/$image/Dockerfile" -t "alcor-$image:$VERSION" .
  done
fi

if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
  step "kind cluster $CLUSTER exists: reusing it"
else
  step "creating kind cluster $CLUSTER"
  kind create cluster --name "$CLUSTER" --config kind/kind-config.yaml --wait 0s
fi

step "loading images into the nodes"
for image in agent ovs controller; do
  kind load docker-image --name "$CLUSTER" "alcor-$image:$VERSION"
done

# The kernel datapath needs the openvswitch module of the host kernel (kind nodes share it and
# mount /lib/modules). Without it, use the userspace datapath, which moves each node's IP from
# eth0 to the OVS bridge br-phy.
NODE=$CLUSTER-control-plane
if [ -z "$DATAPATH" ]; then
  if docker exec "$NODE" sh -c 'modprobe openvswitch 2>/dev/null || grep -q "^openvswitch " /proc/modules'; then
    DATAPATH=system
  else
    DATAPATH=netdev
  fi
fi
PREFIX=$(docker exec "$NODE" ip -o -4 addr show dev eth0 | awk '{split($4, a, "/"); print a[2]; exit}')
[ -n "$PREFIX" ] || die "cannot read the IPv4 prefix of eth0 on $NODE"
step "datapath: $DATAPATH (node network /$PREFIX)"

OVERLAY=kind/.overlay-$CLUSTER
DATAPATH=$DATAPATH VERSION=$VERSION UNDERLAY_INTERFACE=eth0 UNDERLAY_PREFIX_LENGTH=$PREFIX \
  kind/overlay.sh "$OVERLAY"

step "applying the manifests (kubectl apply -k $OVERLAY)"
kctl apply -k "$OVERLAY"

step "waiting for the controller"
kctl -n alcor-system rollout status deployment/alcor-controller --timeout="$TIMEOUT"
step "waiting for Open vSwitch and the agents"
kctl -n alcor-system wait --for=condition=Ready pod -l app=alcor-ovs --timeout="$TIMEOUT"
kctl -n alcor-system rollout status daemonset/alcor-agent --timeout="$TIMEOUT"
step "waiting for the nodes to be Ready"
kctl wait --for=condition=Ready nodes --all --timeout="$TIMEOUT"
step "waiting for cluster DNS (the first pods on alcor-cni)"
kctl -n kube-system rollout status deployment/coredns --timeout="$TIMEOUT"

kctl get nodes -o wide
step "ready: kind/smoke.sh runs the smoke test; kind/down.sh deletes the cluster"

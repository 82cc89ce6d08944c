# Shared by the scripts of tests/k8s (sourced): the cluster's layout, progress output, and
# processes started in a node's network namespace and recorded for teardown by PID.
#
# Layout (all under $RUN, default /var/tmp/alcor-k8s):
#   underlay namespace alcor-k8s-ul: bridge ulbr 10.250.0.1/24
#   node i (0 = control plane): namespace alcor-k8s-<i>, ul0 -> br-phy, node IP 10.250.0.(10+i);
#     a UTS namespace with the node's name as host name ($RUN/uts/<namespace>)
#   $RUN/pids       "pid name" of every process started, stopped in reverse order
#   $RUN/netns      namespaces created
#   $RUN/<node>/    containerd, kubelet, kube-proxy, OVS and agent state and logs

K8S_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$K8S_DIR/../.." && pwd)
# shellcheck source=versions.env
. "$K8S_DIR/versions.env"

RUN=${ALCOR_K8S_RUN:-/var/tmp/alcor-k8s}
K8S_CACHE=${ALCOR_K8S_CACHE:-/var/cache/alcor-k8s}/$K8S_VERSION
K8S_BIN=$K8S_CACHE/bin
IMAGES_DIR=$K8S_CACHE/images
BUILD_DIR=${BUILD_DIR:-$REPO_DIR/build}
ALCOR_BIN=$BUILD_DIR

WORKERS=${WORKERS:-2}
# How Alcor CNI gets onto the nodes: "hand" (agents, OVS and controller started by these scripts)
# or "manifests" (kubectl apply -k, install.sh). cluster.sh up records it for the other scripts.
INSTALL=${ALCOR_K8S_INSTALL:-$(cat "${ALCOR_K8S_RUN:-/var/tmp/alcor-k8s}/install" 2>/dev/null || echo hand)}
# How the controller sends GoalStates with INSTALL=manifests: "grpc" streams (the manifests'
# default) or "mq", the NATS component manifests/nats (nats.sh). Recorded like INSTALL.
SOUTHBOUND=${ALCOR_K8S_SOUTHBOUND:-$(cat "${ALCOR_K8S_RUN:-/var/tmp/alcor-k8s}/southbound" 2>/dev/null || echo grpc)}
# Names of the namespaces and cgroups: another prefix lets a second cluster run beside one.
PREFIX=${ALCOR_K8S_PREFIX:-alcor-k8s}
UNDERLAY_NS=$PREFIX-ul
UNDERLAY_IP=10.250.0.1
CP_IP=10.250.0.10
API_SERVER=https://$CP_IP:6443
POD_CIDR=10.244.0.0/16
SERVICE_CIDR=10.96.0.0/16
DNS_SERVICE_IP=10.96.0.10
CLUSTER_VPC=cluster-vpc
CLUSTER_SUBNET=cluster-subnet
CONTROLLER_URL=https://$CP_IP:9009  # TLS; its certificate names this address too

node_count() { echo $((WORKERS + 1)); }
node_name() {
  case $1 in
    0) echo alcor-control-plane ;;
    1) echo alcor-worker ;;
    *) echo "alcor-worker$1" ;;
  esac
}
node_ns() { echo "$PREFIX-$1"; }
node_ip() { echo "10.250.0.$((10 + $1))"; }
node_dir() { echo "$RUN/$(node_name "$1")"; }

# Elapsed time since the outermost script started (exported, so child scripts continue it).
export STARTED_AT=${STARTED_AT:-$(date +%s)}
elapsed() { local s=$(($(date +%s) - STARTED_AT)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }
step() { printf '\n\033[1m== %s\033[0m  (%s)\n' "$*" "$(elapsed)"; }
info() { echo "   $*"; }
die() { echo "k8s-e2e: $*" >&2; exit 1; }

# wait_until DESCRIPTION TIMEOUT_S COMMAND...: polls COMMAND every second, printing a progress
# line every 15 s; fails with DESCRIPTION after TIMEOUT_S.
wait_until() {
  local what=$1 timeout=$2 start=$SECONDS
  shift 2
  until "$@" >/dev/null 2>&1; do
    local waited=$((SECONDS - start))
    ((waited >= timeout)) && { echo "   timed out after ${timeout}s waiting for $what" >&2; return 1; }
    ((waited > 0 && waited % 15 == 0)) && info "waiting for $what (${waited}s)"
    sleep 1
  done
}

# nsenter's options for a namespace: its network namespace and, for a node, its UTS namespace
# (the node's host name, which hostNetwork pods see as theirs).
# With INSTALL=manifests a node has a mount namespace too (install.sh).
ns_args() {
  echo "--net=/run/netns/$1"
  [ -e "$RUN/uts/$1" ] && echo "--uts=$RUN/uts/$1"
  [ -e "$RUN/mnt/$1" ] && echo "--mount=$RUN/mnt/$1"
  return 0
}

in_ns() {  # NAMESPACE COMMAND...: in the namespace's network (and node mount namespace)
  local ns=$1
  shift
  nsenter $(ns_args "$ns") -- "$@"
}

# spawn NAME NAMESPACE LOG COMMAND...: a daemon in NAMESPACE, recorded for teardown.
spawn() {
  local name=$1 ns=$2 log=$3
  shift 3
  nsenter $(ns_args "$ns") -- "$@" >>"$log" 2>&1 &
  local pid=$! program=$1
  # The program that ends up running under this PID (after `env VAR=... program`).
  [ "$program" = env ] && for program in "${@:2}"; do [[ $program == *=* ]] || break; done
  echo "$pid $name $(basename "$program")" >>"$RUN/pids"
}

# The API server's clients (kubectl, e2e.test) run in the control plane's namespace.
# As an array too, for a kubectl started in the background whose PID must be kubectl's own.
KUBECTL_CP=(nsenter --net="/run/netns/$(node_ns 0)" -- "$K8S_BIN/kubectl"
  --kubeconfig "$RUN/pki/admin.kubeconfig")
kubectl_cp() { "${KUBECTL_CP[@]}" "$@"; }

add_netns() {
  ip netns add "$1"
  echo "$1" >>"$RUN/netns"
  ip -n "$1" link set lo up
}

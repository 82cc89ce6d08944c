#!/usr/bin/env bash
# A local multi-node Kubernetes cluster on Alcor CNI (used by scripts/k8s-e2e.sh):
#
#   cluster.sh up     # control plane + $WORKERS workers (default 2), nodes Ready, CoreDNS
#   cluster.sh down   # stops everything by PID and removes every namespace, mount, cgroup, file
#
# Needs the binaries of tests/k8s/build.sh, the images of tests/k8s/images/build-images.sh and
# the project's build (scripts/setup.sh). Layout: tests/k8s/lib.sh.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=pki.sh
. "$K8S_DIR/pki.sh"
# shellcheck source=node.sh
. "$K8S_DIR/node.sh"
# shellcheck source=control-plane.sh
. "$K8S_DIR/control-plane.sh"
# shellcheck source=install.sh
. "$K8S_DIR/install.sh"

nodes_ready() {
  local ready
  ready=$(kubectl_cp get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' |
    grep -c True)
  [ "$ready" -eq "$(node_count)" ]
}

up() {
  [ -e "$RUN/pids" ] && die "a cluster is already up in $RUN (tests/k8s/cluster.sh down)"
  case $INSTALL in
    hand | manifests) ;;
    *) die "ALCOR_K8S_INSTALL must be hand or manifests, not '$INSTALL'" ;;
  esac
  mkdir -p "$RUN"
  : >"$RUN/pids"
  : >"$RUN/netns"
  echo "$INSTALL" >"$RUN/install"
  case $INSTALL/$SOUTHBOUND in
    */grpc | manifests/mq) ;;
    *) die "ALCOR_K8S_SOUTHBOUND=$SOUTHBOUND: grpc, or mq with ALCOR_K8S_INSTALL=manifests" ;;
  esac
  echo "$SOUTHBOUND" >"$RUN/southbound"
  [ -d /var/lib/cni ] && touch "$RUN/had-var-lib-cni"
  [ -d /run/containerd ] && touch "$RUN/had-run-containerd"
  local s
  for s in "${KUBELET_SYSCTLS[@]}"; do echo "$s=$(sysctl -n "$s")"; done >"$RUN/sysctls"
  echo "nameserver 127.0.0.1" >"$RUN/resolv.conf"  # no upstream DNS here: fail fast

  if [ "$INSTALL" = manifests ]; then
    step "cluster: certificates, underlay bridge, $(node_count) nodes (network and mount namespaces)"
  else
    step "cluster: certificates, underlay bridge, $(node_count) node namespaces with Open vSwitch"
  fi
  make_pki
  add_netns "$UNDERLAY_NS"
  ip -n "$UNDERLAY_NS" link add ulbr address 02:00:0a:fa:00:01 type bridge
  ip -n "$UNDERLAY_NS" link set ulbr up
  ip -n "$UNDERLAY_NS" addr add "$UNDERLAY_IP/24" dev ulbr
  local i
  for i in $(seq 0 "$WORKERS"); do
    node_netns "$i"
    if [ "$INSTALL" = manifests ]; then
      node_mountns "$i"
    else
      node_ovs "$i"
    fi
    info "$(node_name "$i"): namespace $(node_ns "$i"), IP $(node_ip "$i")"
  done

  step "control plane on $(node_name 0): etcd, kube-apiserver, controller-manager, scheduler"
  start_etcd
  start_apiserver
  start_controller_manager
  start_scheduler
  info "API server $API_SERVER is ready"

  if [ "$INSTALL" = hand ]; then
    step "alcor-controller (TLS, TokenReview, cluster VPC $POD_CIDR)"
    alcor_rbac
    start_alcor_controller
    info "alcor-controller is up; its CA is in the ConfigMap alcor-system/alcor-ca"
  fi

  # As with the DaemonSet, a node registers before its agent runs (the agent's token is bound to
  # its Node), and it is Ready only once its agent is and the conflist is in place.
  step "containerd (CRI) with the pod images, kubelet and kube-proxy on every node"
  for i in $(seq 0 "$WORKERS"); do
    node_containerd "$i"
    node_kubelet "$i"
    node_kube_proxy "$i"
    info "$(node_name "$i"): containerd, kubelet, kube-proxy started"
  done

  if [ "$INSTALL" = manifests ]; then
    up_manifests
  else
    up_hand
  fi
  kubectl_cp get nodes -o wide | sed 's/^/   /'
  coredns
}

# Alcor CNI through its manifests: nodes register NotReady (no conflist), then kubectl apply -k.
up_manifests() {
  local i
  for i in $(seq 0 "$WORKERS"); do
    wait_until "$(node_name "$i") registered" 120 kubectl_cp get node "$(node_name "$i")" ||
      die "$(node_name "$i") did not register; see $(node_dir "$i")/kubelet/kubelet.log"
  done
  kubectl_cp label node "$(node_name 0)" node-role.kubernetes.io/control-plane= >/dev/null
  nodes_ready && die "nodes are Ready before Alcor CNI is installed"
  info "$(node_count) nodes registered, NotReady (no CNI configuration yet)"
  step "Alcor CNI through its manifests (kubectl apply -k; install-cni, OVS, agent, controller)"
  local started=$SECONDS
  [ "$SOUTHBOUND" = mq ] && nats_prepare
  install_manifests
  wait_until "$(node_count) nodes Ready" 180 nodes_ready || {
    kubectl_cp get nodes -o wide >&2 || true
    die "nodes not Ready; logs in $RUN/<node>/kubelet/kubelet.log"
  }
  check_installed_files
  [ "$SOUTHBOUND" = mq ] && nats_check
  info "$(node_count) nodes Ready $((SECONDS - started))s after kubectl apply"
}

# Agents and conflists by hand, as the DaemonSet would.
up_hand() {
  local i
  step "an alcor-agent per node (its certificate from the controller), then the conflist"
  for i in $(seq 0 "$WORKERS"); do
    wait_until "$(node_name "$i") registered" 120 kubectl_cp get node "$(node_name "$i")" ||
      die "$(node_name "$i") did not register; see $(node_dir "$i")/kubelet/kubelet.log"
    node_agent "$i"
  done
  for i in $(seq 0 "$WORKERS"); do
    wait_until "alcor-agent on $(node_name "$i")" 60 agent_ready "$i" ||
      die "agent of $(node_name "$i") not ready: $(tail -5 "$(node_dir "$i")/alcor/agent.log")"
    # The agent moved the node IP onto br-phy (and with it the routes of ul0). A default route
    # lets node-originated Service traffic reach kube-proxy's DNAT in OUTPUT.
    ip -n "$(node_ns "$i")" route replace default via "$UNDERLAY_IP"
    # Peers learned the node IP with ul0's MAC before the move (kubelet and the API server
    # talk by then): a gratuitous ARP from br-phy corrects their caches and their OVS's tunnel
    # neighbour tables (docs/conformance.md, "Known gaps").
    in_ns "$(node_ns "$i")" arping -q -A -c 1 -I br-phy "$(node_ip "$i")" || true
    install_conflist "$i" "$(alcor_conflist "$i")"
    info "$(node_name "$i"): agent ready with certificate $(node_dir "$i")/alcor/pki/node.crt"
  done
  wait_until "$(node_count) nodes Ready" 180 nodes_ready || {
    kubectl_cp get nodes -o wide >&2 || true
    die "nodes not Ready; logs in $RUN/<node>/kubelet/kubelet.log"
  }
  kubectl_cp label node "$(node_name 0)" node-role.kubernetes.io/control-plane= >/dev/null
}

coredns() {
  step "CoreDNS behind the kube-dns Service ($DNS_SERVICE_IP)"
  sed -e "s|@DNS_SERVICE_IP@|$DNS_SERVICE_IP|" \
    -e "s|@COREDNS_IMAGE@|registry.k8s.io/coredns/coredns:$COREDNS_VERSION|" \
    "$K8S_DIR/manifests/coredns.yaml" | kubectl_cp apply -f - >/dev/null
  if wait_until "CoreDNS Ready" 120 kubectl_cp -n kube-system wait --for=condition=Available \
    deployment/coredns --timeout=5s; then
    info "CoreDNS is Ready"
  else
    info "CoreDNS is NOT Ready (DNS checks will fail):"
    kubectl_cp -n kube-system get pods -o wide | sed 's/^/   /'
  fi
}

# stop_pids "PID PROGRAM"...: SIGTERM to each PID that still runs its program (PIDs are reused),
# then SIGKILL to what is left after 10 s.
stop_pids() {
  local entry pid program exe live=()
  for entry in "$@"; do
    read -r pid program <<<"$entry"
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || continue
    [ "$(basename "$exe")" = "$program" ] || continue
    kill -TERM "$pid" 2>/dev/null && live+=("$pid")
  done
  local t
  for t in $(seq 100); do
    [ ${#live[@]} -eq 0 ] && return 0
    local still=()
    for pid in "${live[@]}"; do kill -0 "$pid" 2>/dev/null && still+=("$pid"); done
    live=("${still[@]}")
    sleep 0.1
  done
  for pid in "${live[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
}

# Every task of a node's containerd killed and deleted, so that their shims exit.
remove_containers() {
  local sock=$1 task
  [ -S "$sock" ] || return 0
  local ctr=(ctr --address "$sock" -n k8s.io --timeout 10s)
  # Without CNI DEL, libcni keeps their cached results (a fixed host path): drop them too.
  for task in $("${ctr[@]}" containers ls -q 2>/dev/null); do
    rm -f /var/lib/cni/results/*-"$task"-*
  done
  for task in $("${ctr[@]}" tasks ls -q 2>/dev/null); do
    "${ctr[@]}" tasks kill -s SIGKILL "$task" >/dev/null 2>&1 || true
  done
  for task in $("${ctr[@]}" tasks ls -q 2>/dev/null); do
    for _ in $(seq 50); do
      "${ctr[@]}" tasks rm -f "$task" >/dev/null 2>&1 && break
      sleep 0.2
    done
  done
  for task in $("${ctr[@]}" containers ls -q 2>/dev/null); do
    "${ctr[@]}" containers rm "$task" >/dev/null 2>&1 || true
  done
}

# Shims whose command line names a socket under $RUN (they outlive a stopped containerd).
leftover_shims() {
  local p
  for p in /proc/[0-9]*; do
    [ "$(basename "$(readlink "$p/exe" 2>/dev/null)")" = containerd-shim-runc-v2 ] || continue
    tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q -- "-address $RUN/" && basename "$p"
  done
  return 0
}

down() {
  [ -d "$RUN" ] || return 0
  step "teardown: every process by PID, then mounts, namespaces, cgroups, files"
  local pid name program
  if [ -f "$RUN/pids" ]; then
    # kubelets and kube-proxies first (they would restart what is being removed).
    local first=() rest=()
    while read -r pid name program; do
      case $name in
        kubelet/* | kube-proxy/*) first+=("$pid $program") ;;
        *) rest+=("$pid $program") ;;
      esac
    done <"$RUN/pids"
    stop_pids "${first[@]}"
    local d
    for d in "$RUN"/*/containerd; do remove_containers "$d/containerd.sock"; done
    stop_pids "${rest[@]}"
    local shims=()
    for pid in $(leftover_shims); do shims+=("$pid containerd-shim-runc-v2"); done
    stop_pids "${shims[@]}"
  fi
  # Pod volumes, overlay root filesystems, pod network namespaces: deepest first.
  local mounts
  for _ in 1 2 3; do
    mounts=$(awk -v run="$RUN/" 'index($5, run) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
    [ -z "$mounts" ] && break
    echo "$mounts" | xargs -r -n1 umount 2>/dev/null || echo "$mounts" | xargs -r -n1 umount -l
  done
  remove_created_dirs
  if [ -f "$RUN/netns" ]; then
    while read -r ns; do ip netns del "$ns" 2>/dev/null || true; done < <(tac "$RUN/netns")
  fi
  local hierarchy
  for hierarchy in /sys/fs/cgroup/*/"$PREFIX"; do
    [ -d "$hierarchy" ] && find "$hierarchy" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  if [ -f "$RUN/sysctls" ]; then
    while IFS== read -r key value; do sysctl -qw "$key=$value" || true; done <"$RUN/sysctls"
  fi
  # libcni's result cache is a fixed host path.
  rm -f /var/lib/cni/results/"$CNI_NETWORK"-* /var/lib/cni/results/alcor-bench-ref-*
  if [ ! -e "$RUN/had-var-lib-cni" ]; then
    rmdir /var/lib/cni/results /var/lib/cni 2>/dev/null || true
  fi
  # containerd 1.6 puts its shims' sockets under the fixed /run/containerd/s.
  if [ ! -e "$RUN/had-run-containerd" ]; then
    rmdir /run/containerd/s /run/containerd 2>/dev/null || true
  fi
  if awk -v run="$RUN/" 'index($5, run) == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
    echo "teardown: mounts under $RUN remain; not removing it" >&2
    return 1
  fi
  if [ -n "${KEEP_LOGS:-}" ]; then
    info "logs kept in $RUN (KEEP_LOGS)"
    rm -f "$RUN/pids" "$RUN/netns" "$RUN/install"
  else
    rm -rf "$RUN"
  fi
  info "nothing left: processes, namespaces, mounts, cgroups and files removed"
}

case ${1:-} in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac

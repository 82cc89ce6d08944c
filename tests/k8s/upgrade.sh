#!/usr/bin/env bash
# Upgrade, restart and uninstall checks of Alcor CNI installed through its manifests, on the
# cluster of `ALCOR_K8S_INSTALL=manifests tests/k8s/cluster.sh up` (scripts/k8s-e2e.sh
# --install=manifests runs it after the smoke checks):
#
#   upgrade.sh RESULTS_DIR
#
# A pod on every node pings a pod on the next node every 0.1 s, and a TCP stream runs from one
# worker's pod to the other's, while each step runs:
#   1. the overlay applied again with the image tag $ALCOR_TAG_NEXT (agents and controller roll);
#   2. `kubectl rollout restart daemonset/alcor-agent`;
#   3. the alcor-ovs container of one worker stopped (kubelet starts it again);
#   4. the alcor-ovs pod of the other worker deleted (the DaemonSet makes a new one);
#   5. the controller's pod deleted: its database (hostPath) must keep what it had.
# The lost requests of each ping, with their times, go to RESULTS_DIR/upgrade.log, and every
# node's container logs after each step to RESULTS_DIR/logs/.
# One line per step: `NAME: N of M pings lost, TCP stream intact|broken (T s)`, also in
# RESULTS_DIR/upgrade.tsv. Then the uninstall: workloads deleted, `alcor-agent --cleanup` on
# every node, `kubectl delete -k`, the node clean-up of docs/install.md; every node must be left
# without conflist, alcor-cni, OVS bridge, pod veth, nftables table or OVS daemon.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=node.sh
. "$K8S_DIR/node.sh"
# shellcheck source=install.sh
. "$K8S_DIR/install.sh"
RESULTS=${1:?usage: upgrade.sh RESULTS_DIR}
mkdir -p "$RESULTS"
[ "$INSTALL" = manifests ] || die "upgrade.sh needs a cluster installed through the manifests"
NS=alcor-upgrade
IMAGE=registry.k8s.io/e2e-test-images/busybox:$BUSYBOX_TAG
FAILED=0
: >"$RESULTS/upgrade.tsv"

kx() { kubectl_cp -n "$NS" exec "$1" -- sh -c "$2"; }
agent_pod() {  # NODE_INDEX: the agent pod on that node
  kubectl_cp -n alcor-system get pods -l app=alcor-agent --field-selector \
    "spec.nodeName=$(node_name "$1")" -o jsonpath='{.items[0].metadata.name}'
}

monitor_pods() {  # u<i> on node i (the control plane's taint tolerated)
  local i
  for i in $(seq 0 "$WORKERS"); do
    kubectl_cp apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: u$i, namespace: $NS}
spec:
  nodeSelector: {kubernetes.io/hostname: $(node_name "$i")}
  tolerations: [{operator: Exists}]
  terminationGracePeriodSeconds: 1
  containers:
    - {name: box, image: $IMAGE, command: ["sleep", "86400"]}
YAML
  done
  kubectl_cp -n "$NS" wait --for=condition=Ready pod --all --timeout=120s >/dev/null ||
    die "the monitoring pods did not start"
  for i in $(seq 0 "$WORKERS"); do
    IPS[i]=$(kubectl_cp -n "$NS" get pod "u$i" -o jsonpath='{.status.podIP}')
  done
  info "pods $(for i in $(seq 0 "$WORKERS"); do printf 'u%s=%s ' "$i" "${IPS[i]}"; done)"
}

# Pings from u<i> to u<i+1>; a stream of numbered lines from u2's pod to u1's (workers).
start_traffic() {
  local i next
  for i in $(seq 0 "$WORKERS"); do
    next=$(((i + 1) % (WORKERS + 1)))
    kx "u$i" "rm -f /tmp/ping.log; setsid ping -i 0.1 ${IPS[next]} >/tmp/ping.log 2>&1 </dev/null &
      echo \$! >/tmp/ping.pid"
    PING_START[i]=$(date +%s.%N)  # to date the lost requests (one every 0.1 s)
  done
  # busybox nc ends the connection at the end of its input: the server's never ends.
  kx u1 "rm -f /tmp/stream.log; setsid sh -c 'sleep 86400 | nc -l -p 5001 >/tmp/stream.log' \
    >/dev/null 2>&1 </dev/null & echo \$! >/tmp/stream.pid"
  sleep 1
  kx u2 "setsid sh -c 'i=0; while :; do i=\$((i + 1)); echo \$i; sleep 0.05; done |
    nc ${IPS[1]} 5001' >/dev/null 2>&1 </dev/null & echo \$! >/tmp/stream.pid"
  sleep 2
}

stream_last() { kx u1 "tail -n 1 /tmp/stream.log" 2>/dev/null || echo 0; }

# stop_traffic: sets LOST, SENT, STREAM (intact: still flowing on the same connection) and
# RECOVERED (1: no ping lost any of its last 5 requests, the last half second).
stop_traffic() {
  local a b i stats
  a=$(stream_last)
  sleep 1.5
  b=$(stream_last)
  if [[ $a =~ ^[0-9]+$ && $b =~ ^[0-9]+$ ]] && ((b > a)); then
    STREAM="TCP stream intact"
  else
    STREAM="TCP stream broken"
  fi
  SENT=0 LOST=0 RECOVERED=1
  for i in $(seq 0 "$WORKERS"); do
    kx "u$i" 'kill -INT $(cat /tmp/ping.pid)' || true
  done
  sleep 1
  # Sequence numbers without a reply, but for the last request, still in flight at the SIGINT;
  # then the lost ones, for the log.
  for i in $(seq 0 "$WORKERS"); do
    stats=$(kx "u$i" "awk '/ seq=/ { sub(/.* seq=/, \"\"); sub(/ .*/, \"\"); got[\$0] = 1 }
      /packets transmitted/ { sent = \$1 - 1 }
      END { lost = 0; late = 0; list = \"\"
            for (s = 0; s < sent; s++) if (!(s in got)) { lost++; list = list \" \" s; if (s >= sent - 5) late++ }
            print sent, lost, late list }' /tmp/ping.log" || true)
    [[ $stats =~ ^([0-9]+)\ ([0-9]+)\ ([0-9]+)(.*)$ ]] ||
      { info "u$i: no ping statistics: $(kx "u$i" 'tail -n 3 /tmp/ping.log' || true)"; LOST=-1; continue; }
    SENT=$((SENT + BASH_REMATCH[1]))
    ((LOST < 0)) || LOST=$((LOST + BASH_REMATCH[2]))
    ((BASH_REMATCH[3] == 0)) || RECOVERED=0
    [ -n "${BASH_REMATCH[4]}" ] && lost_detail "$i" "${BASH_REMATCH[4]}"
  done
  kx u2 'pkill -P $(cat /tmp/stream.pid); kill $(cat /tmp/stream.pid)' 2>/dev/null || true
  kx u1 'pkill -P $(cat /tmp/stream.pid); kill $(cat /tmp/stream.pid)' 2>/dev/null || true
}

# lost_detail I "SEQ...": the lost requests of u<I>'s ping, with the time each was sent, in the
# log (first and last of each run of consecutive ones).
lost_detail() {
  local i=$1 next=$((($1 + 1) % (WORKERS + 1)))
  awk -v start="${PING_START[$1]}" -v pair="u$i -> u$next" '
    function at(s) { return strftime("%H:%M:%S", int(start + s / 10)) sprintf(".%d", (start * 10 + s) % 10) }
    { for (f = 1; f <= NF; f++) {
        s = $f + 0
        if (f > 1 && s == prev + 1) { prev = s; continue }
        if (f > 1) out = out (first == prev ? "" : "-" prev "@" at(prev)) ", "
        first = prev = s; out = out s "@" at(s)
      }
      if (first != prev) out = out "-" prev "@" at(prev)
      print "   " pair ": lost seq " out }' <<<"$2" | tee -a "$RESULTS/upgrade.log"
}

# Every node's container logs (kubelet's pod-logs) copied into RESULTS/logs/NAME while a step
# runs, so that those of the pods it replaces stay: start_logs NAME ... stop_logs.
start_logs() {
  local dir
  dir=$RESULTS/logs/$(echo "$1" | tr -c 'a-zA-Z0-9\n' '-' | cut -c1-40)
  mkdir -p "$dir"
  (
    trap 'exit 0' TERM
    while :; do
      for i in $(seq 0 "$WORKERS"); do
        mkdir -p "$dir/$(node_name "$i")"
        cp -ru "$(node_dir "$i")/kubelet/pod-logs/." "$dir/$(node_name "$i")/" 2>/dev/null || true
      done
      sleep 0.5
    done
  ) &
  LOG_COPIER=$!
}
stop_logs() {
  kill "$LOG_COPIER" 2>/dev/null || true
  wait "$LOG_COPIER" 2>/dev/null || true
}

# check [--datapath-restarts] NAME COMMAND...: COMMAND (which triggers the step and waits until
# it is over) under traffic; one line with the lost pings. A step passes with 0 lost pings and
# the TCP stream intact. With --datapath-restarts (OVS itself restarted: with the userspace
# datapath the forwarding process is what restarts), lost pings are counted but do not fail the
# step; the stream must survive and every ping must be answered again by the end.
check() {
  local restarts=
  [ "$1" = --datapath-restarts ] && { restarts=1; shift; }
  local name=$1 started
  shift
  start_traffic
  start_logs "$name"
  started=$SECONDS
  if ! "$@"; then
    FAILED=$((FAILED + 1))
    info "$name: did not complete"
    show_alcor_pods
  fi
  local took=$((SECONDS - started))
  sleep 2  # traffic after the step too
  stop_traffic
  stop_logs
  printf '%s: %s of %s pings lost, %s (%ss)\n' "$name" "$LOST" "$SENT" "$STREAM" "$took" |
    tee -a "$RESULTS/upgrade.log"
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$LOST" "$SENT" "${STREAM#TCP stream }" "$took" \
    >>"$RESULTS/upgrade.tsv"
  if [ -n "$restarts" ] && [ "$LOST" != -1 ]; then
    if ((RECOVERED)); then
      info "(the datapath restarted: lost pings are reported, not failed; every ping answered again)"
    else
      info "traffic did NOT recover: pings still lost at the end"
    fi
    ((RECOVERED)) && [ "$STREAM" = "TCP stream intact" ] || FAILED=$((FAILED + 1))
  else
    [ "$LOST" = 0 ] && [ "$STREAM" = "TCP stream intact" ] || FAILED=$((FAILED + 1))
  fi
}

upgrade_tag() {
  kubectl_cp apply -k "$(write_overlay "$ALCOR_TAG_NEXT")" >/dev/null &&
    wait_until "the rollout to $ALCOR_TAG_NEXT" 300 rollouts_done
}

rollout_restart() {
  kubectl_cp -n alcor-system rollout restart daemonset/alcor-agent >/dev/null &&
    wait_until "the restarted agents" 300 rollouts_done
}

ovs_pod() {  # NODE_INDEX: the alcor-ovs pod on that node
  kubectl_cp -n alcor-system get pods -l app=alcor-ovs --field-selector \
    "spec.nodeName=$(node_name "$1")" -o jsonpath='{.items[0].metadata.name}'
}
ovs_restarts() {  # POD: restarts of its container
  kubectl_cp -n alcor-system get pod "$1" -o jsonpath='{.status.containerStatuses[0].restartCount}'
}
# Stops node 1's alcor-ovs container as a runtime does (SIGTERM); kubelet starts it again on its
# own.
restart_ovs() {
  local pod id before
  pod=$(ovs_pod 1)
  before=$(ovs_restarts "$pod")
  id=$(kubectl_cp -n alcor-system get pod "$pod" -o jsonpath='{.status.containerStatuses[0].containerID}')
  ctr --address "$(node_dir 1)/containerd/containerd.sock" -n k8s.io tasks kill -s SIGTERM \
    "${id#containerd://}" || return 1
  wait_until "alcor-ovs restarted on $(node_name 1)" 120 \
    sh -c "[ \"\$(${KUBECTL_CP[*]} -n alcor-system get pod $pod -o jsonpath='{.status.containerStatuses[0].restartCount}')\" -gt $before ]" &&
    wait_until "alcor-ovs and the agents ready" 120 rollouts_done
}

# Deletes node 2's alcor-ovs pod, as an OVS upgrade does (OnDelete); the DaemonSet makes a new
# one. With the userspace datapath the node IP leaves with br-phy: the agent puts it back on the
# NIC meanwhile, else the node's kubelet could neither report the old pod gone nor start the new.
new_ovs_pod_ready() {  # NODE_INDEX OLD_POD
  local pod
  pod=$(ovs_pod "$1")
  [ -n "$pod" ] && [ "$pod" != "$2" ] &&
    [ "$(kubectl_cp -n alcor-system get pod "$pod" -o jsonpath='{.status.containerStatuses[0].ready}')" = true ]
}
delete_ovs_pod() {
  local pod
  pod=$(ovs_pod "$WORKERS")
  kubectl_cp -n alcor-system delete pod "$pod" --wait=true --timeout=120s >/dev/null || return 1
  wait_until "a new alcor-ovs pod ready on $(node_name "$WORKERS")" 120 \
    new_ovs_pod_ready "$WORKERS" "$pod" &&
    wait_until "alcor-ovs and the agents ready" 120 rollouts_done
}

# The controller's REST API as the alcor-admin ServiceAccount, from the control-plane node.
rest() {  # METHOD PATH [BODY]
  local ca token
  ca=$RUN/alcor-ca.crt
  kubectl_cp -n alcor-system get configmap alcor-ca -o jsonpath='{.data.ca\.crt}' >"$ca"
  token=$(kubectl_cp -n alcor-system create token alcor-admin --audience alcor-controller)
  in_ns "$(node_ns 0)" curl -sf --cacert "$ca" -X "$1" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' "$CONTROLLER_URL$2" ${3:+-d "$3"}
}
controller_pod_deleted() {
  kubectl_cp -n alcor-system delete pod -l app=alcor-controller --wait=true >/dev/null &&
    wait_until "the new controller" 180 rollouts_done &&
    wait_until "the controller's REST API" 60 rest GET /healthz
}

# The cluster's pods on the Alcor network, CoreDNS included: what uninstalling first removes.
workloads_gone() {
  [ -z "$(kubectl_cp get pods -A -o jsonpath='{range .items[*]}{.metadata.name} {.spec.hostNetwork}{"\n"}{end}' |
    awk '$2 != "true"')" ]
}

# What docs/install.md's node clean-up leaves: names of anything of Alcor CNI on node I.
leftovers() {
  local i=$1 ns host
  ns=$(node_ns "$i")
  host=$(node_dir "$i")/host
  [ -e "$host/etc/cni/net.d/10-alcor.conflist" ] && echo conflist
  [ -e "$host/opt/cni/bin/alcor-cni" ] && echo alcor-cni
  [ -e "$host/opt/cni/bin/alcor-lib" ] && echo alcor-lib
  [ -e "$host/var/lib/openvswitch/conf.db" ] && echo "OVS database"
  ip -n "$ns" -o link show | awk -F': ' '{sub(/@.*/, "", $2); print $2}' |
    grep -E '^(br-int|br-phy|ovs-netdev|ovs-system|alcor-gw.*|vxlan.*|genev.*)$' || true
  # Pod veths (ul0, the node's NIC, is a veth too).
  ip -n "$ns" -o link show type veth | awk -F': ' '{sub(/@.*/, "", $2); print $2}' |
    grep -v '^ul0$' | sed 's/^/veth /' || true
  in_ns "$ns" nft list table ip alcor >/dev/null 2>&1 && echo "nftables table ip alcor"
  alcor_containers "$i" | sed 's/^/container /'
  return 0
}

alcor_containers() {  # I: IDs of node I's running containers of localhost/alcor-* images
  local sock task
  sock=$(node_dir "$1")/containerd/containerd.sock
  ctr --address "$sock" -n k8s.io tasks ls 2>/dev/null | awk 'NR > 1 && $3 == "RUNNING" {print $1}' |
    while read -r task; do
      ctr --address "$sock" -n k8s.io containers info "$task" 2>/dev/null |
        grep -q '"Image": "localhost/alcor-' && echo "$task"
    done
  return 0
}

no_alcor_containers() { [ -z "$(alcor_containers "$1")" ]; }

uninstall() {
  local i pod
  step "uninstall: workloads, alcor-agent --cleanup, kubectl delete -k, node clean-up"
  local started=$SECONDS
  kubectl_cp delete namespace "$NS" alcor-smoke alcor-smoke-red --ignore-not-found --wait=true \
    >/dev/null
  kubectl_cp -n kube-system delete deployment coredns --wait=true >/dev/null
  wait_until "the pods on the Alcor network deleted" 120 workloads_gone || FAILED=$((FAILED + 1))
  for i in $(seq 0 "$WORKERS"); do
    pod=$(agent_pod "$i")
    # Host gateways (with their controller ports) and the nftables table ip alcor.
    kubectl_cp -n alcor-system exec "$pod" -c alcor-agent -- sh -c 'exec alcor-agent --cleanup \
      --config=/etc/alcor/agent.json --node-name="$NODE_NAME" --node-ip="$NODE_IP" \
      --controller-url="https://$ALCOR_CONTROLLER_SERVICE_HOST:$ALCOR_CONTROLLER_SERVICE_PORT_REST"' \
      >"$RESULTS/cleanup-$i.log" 2>&1 && info "$(node_name "$i"): alcor-agent --cleanup done" ||
      info "$(node_name "$i"): alcor-agent --cleanup failed: $(tail -n 1 "$RESULTS/cleanup-$i.log")"
  done
  # The agents stop first (else they would put the bridges back), then the bridges go, with
  # their flows and ports, while OVS still runs; then everything else.
  kubectl_cp -n alcor-system delete daemonset alcor-agent --wait=true >/dev/null
  wait_until "the agent pods gone" 120 sh -c \
    "[ -z \"\$(${KUBECTL_CP[*]} -n alcor-system get pods -l app=alcor-agent -o name)\" ]" ||
    FAILED=$((FAILED + 1))
  for i in $(seq 0 "$WORKERS"); do node_bridges_cleanup "$i"; done
  kubectl_cp delete -k "$RUN/overlay-$ALCOR_TAG_NEXT" --ignore-not-found --wait=false >/dev/null
  for i in $(seq 0 "$WORKERS"); do
    wait_until "the Alcor containers of $(node_name "$i") stopped" 120 no_alcor_containers "$i" ||
      FAILED=$((FAILED + 1))
    node_cleanup "$i"
  done
  wait_until "namespace alcor-system deleted" 180 \
    sh -c "! ${KUBECTL_CP[*]} get namespace alcor-system" || FAILED=$((FAILED + 1))
  local left=0
  for i in $(seq 0 "$WORKERS"); do
    local what
    what=$(leftovers "$i" | paste -sd, -)
    if [ -z "$what" ]; then
      info "$(node_name "$i"): nothing of Alcor CNI left"
    else
      info "$(node_name "$i"): left behind: $what"
      left=$((left + 1))
    fi
  done
  printf 'uninstall: %s of %s nodes clean (%ss)\n' $(($(node_count) - left)) "$(node_count)" \
    $((SECONDS - started)) | tee -a "$RESULTS/upgrade.log"
  ((left == 0)) || FAILED=$((FAILED + 1))
}

# docs/install.md's node clean-up, as the node's administrator: the bridges, through the node's
# OVS (still running), and with the userspace datapath the node IP back onto the NIC (it left
# with br-phy)...
node_bridges_cleanup() {
  local i=$1 ns
  ns=$(node_ns "$i")
  in_ns "$ns" ovs-vsctl --db=unix:/run/openvswitch/db.sock --timeout=10 \
    -- --if-exists del-br br-int -- --if-exists del-br br-phy
  ip -n "$ns" addr replace "$(node_ip "$i")/24" dev ul0
  ip -n "$ns" route replace default via "$UNDERLAY_IP"
  # Peers know the address with br-phy's MAC, which is gone.
  in_ns "$ns" arping -q -U -c 1 -I ul0 "$(node_ip "$i")" || true
}

# ... then, once its Alcor pods are gone, the files, on node I's host paths.
node_cleanup() {
  local i=$1 host
  host=$(node_dir "$i")/host
  rm -rf "$host/etc/cni/net.d/10-alcor.conflist" "$host/opt/cni/bin/alcor-cni" \
    "$host/opt/cni/bin/alcor-lib" "$host/var/lib/alcor/"* "$host/run/alcor/"* \
    "$host/var/lib/openvswitch/"* "$host/run/openvswitch/"*
}

step "upgrade checks: pings every 0.1 s between pods on every node, a TCP stream between workers"
kubectl_cp create namespace "$NS" >/dev/null
declare -a IPS PING_START
monitor_pods
check "upgrade image tag ($ALCOR_TAG -> $ALCOR_TAG_NEXT)" upgrade_tag
check "rollout restart daemonset/alcor-agent" rollout_restart
check --datapath-restarts "alcor-ovs container restarted on $(node_name 1)" restart_ovs
check --datapath-restarts "alcor-ovs pod deleted on $(node_name "$WORKERS")" delete_ovs_pod

step "the controller's database survives its pod"
rest POST /project/default/vpcs \
  '{"network":{"id":"upgrade-marker-vpc","name":"upgrade-marker","cidr":"10.99.0.0/16"}}' \
  >/dev/null || die "cannot create the marker VPC"
before=$(rest GET /project/default/ports | jq '.ports | length')
check "controller pod deleted" controller_pod_deleted
after=$(rest GET /project/default/ports | jq '.ports | length')
if rest GET /project/default/vpcs/upgrade-marker-vpc >/dev/null && [ "$before" = "$after" ]; then
  echo "controller database kept: the marker VPC and $after ports" | tee -a "$RESULTS/upgrade.log"
else
  echo "controller database LOST: marker VPC or ports ($before before, $after after) gone" |
    tee -a "$RESULTS/upgrade.log"
  FAILED=$((FAILED + 1))
fi

uninstall
echo "upgrade and uninstall checks: $FAILED failed" | tee -a "$RESULTS/upgrade.log"
[ "$FAILED" -eq 0 ]

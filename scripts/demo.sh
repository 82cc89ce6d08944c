#!/usr/bin/env bash
# The main job: one machine, an Alcor controller, a Kubernetes-style node (a network namespace
# with its own Open vSwitch and alcor-agent), a VPC with a subnet, three pods added through the
# real alcor-cni binary exactly as a container runtime calls it, a ping between them, and a pod
# of another VPC that cannot reach them. Everything is removed at the end (also on Ctrl-C).
# Secured as in production (docs/security.md): the controller runs its own CA, HTTPS and bearer
# tokens; agents get their certificates from it, and every gRPC channel is mutual TLS.
#
#   sudo scripts/demo.sh            # NODES=2 for a second node joined over VXLAN
#   sudo SOUTHBOUND=mq NODES=2 scripts/demo.sh
#       GoalStates over a 3-node NATS cluster (Debian's nats-server, TLS, a user per node with
#       the permissions of docs/controller.md) instead of gRPC streams
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD_DIR=${BUILD_DIR:-build}
NODES=${NODES:-1}
SOUTHBOUND=${SOUTHBOUND:-grpc}
case "$SOUTHBOUND" in grpc | mq) ;; *) echo "SOUTHBOUND must be grpc or mq" >&2; exit 2 ;; esac

[ "$(id -u)" -eq 0 ] || { echo "demo.sh needs root (network namespaces, OVS)" >&2; exit 1; }
printf '\033[1m== build (scripts/setup.sh: Debian packages, then up to half an hour of compiling on a\n'
printf '   fresh machine, seconds afterwards)\033[0m\n'
scripts/setup.sh

case $BUILD_DIR in /*) BIN=$BUILD_DIR ;; *) BIN=$ROOT/$BUILD_DIR ;; esac
CNI=$BIN/cni-plugin/alcor-cni
AGENT=$BIN/node-agent/exe/alcor-agent
CONTROLLER=$BIN/controller/alcor-controller
WORK=$(mktemp -d /tmp/alcor-demo-XXXXXX)
TAG=d$$
INFRA=$TAG-infra
PIDS=()
NAMESPACES=()
OVS_DIRS=()

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

cleanup() {
  set +e
  trap '' PIPE  # the output may be gone (`| head`): clean up all the same
  say "cleaning up"
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  for d in "${OVS_DIRS[@]}"; do
    ovs-appctl -t "$d/ovs-vswitchd.ctl" exit --cleanup 2>/dev/null
    ovs-appctl -t "$d/ovsdb-server.ctl" exit 2>/dev/null
  done
  sleep 0.3
  for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null; done
  rm -rf "$WORK"
  echo "done: no namespace, link or daemon left behind"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

netns() { ip netns add "$1"; ip -n "$1" link set lo up; NAMESPACES+=("$1"); }

rest() {  # METHOD PATH [JSON]
  ip netns exec "$INFRA" curl -sf -X "$1" -H 'Content-Type: application/json' \
    --cacert "$WORK/pki/ca.crt" -H "Authorization: Bearer $ADMIN_TOKEN" \
    ${3:+--data-binary "$3"} "https://10.200.0.1:9009$2"
}

# REST tokens (kube-apiserver's token file format): an admin, and one per node's agent.
token() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
ADMIN_TOKEN=$(token)
echo "$ADMIN_TOKEN,demo-admin,0,\"alcor:admins\"" >"$WORK/tokens.csv"
for i in $(seq "$NODES"); do
  mkdir -p "$WORK/node$i"
  t=$(token)
  echo "$t,alcor:node:node-$i,$i" >>"$WORK/tokens.csv"
  echo "$t" >"$WORK/node$i/token"
done
chmod 600 "$WORK/tokens.csv" "$WORK"/node*/token

# A NATS cluster of three nats-server processes in the controller's namespace (client ports
# 4222-4224, routes 6222-6224), TLS with a certificate of scripts/gen-certs.sh, and a user per
# node whose permissions are its own host subject and the subnet subjects (scripts/nats-auth.sh).
start_nats() {
  local n=$WORK/nats urls=() i
  mkdir -p "$n"
  scripts/gen-certs.sh "$n/pki" --controller-name nats --san 10.200.0.1 >/dev/null
  local pairs=()
  for i in $(seq "$NODES"); do pairs+=("node-$i=10.200.0.$((10 + i))"); done
  scripts/nats-auth.sh "$n" "${pairs[@]}" >/dev/null
  for i in 0 1 2; do
    cat >"$n/server$i.conf" <<CONF
server_name: demo-nats-$i
listen: "10.200.0.1:$((4222 + i))"
max_payload: 8388608
tls { cert_file: "$n/pki/controller.crt", key_file: "$n/pki/controller.key", ca_file: "$n/pki/ca.crt" }
include "auth.conf"
cluster {
  name: alcor-demo
  listen: "10.200.0.1:$((6222 + i))"
  routes: [ $(for j in 0 1 2; do [ "$j" = "$i" ] || printf '"nats-route://10.200.0.1:%d", ' $((6222 + j)); done) ]
}
CONF
    ip netns exec "$INFRA" nats-server -c "$n/server$i.conf" -m $((8222 + i)) >"$n/server$i.log" 2>&1 &
    PIDS+=($!)
    urls+=("tls://10.200.0.1:$((4222 + i))")
  done
  routes() { ip netns exec "$INFRA" curl -s "http://10.200.0.1:$((8222 + $1))/routez" | jq '.num_routes // 0' 2>/dev/null || echo 0; }
  for i in 0 1 2; do  # each node routed to the two others
    for _ in $(seq 100); do
      [ "$(routes "$i")" -ge 2 ] && continue 2
      sleep 0.1
    done
    echo "nats-server $i did not join the cluster; its log:" >&2; tail -20 "$n/server$i.log" >&2
    exit 1
  done
  NATS_URLS=$(IFS=,; echo "${urls[*]}")
  echo "NATS cluster: $NATS_URLS (TLS, users in $n/auth.conf)"
  CONTROLLER_NATS=(--southbound=mq --nats-servers="$NATS_URLS" --nats-user=alcor-controller
                   --nats-password-file="$n/passwords/alcor-controller" --nats-ca="$n/pki/ca.crt"
                   --mq-multicast-min=1)  # a demo has few hosts: every member takes the subject
}

say "controller: alcor-controller in namespace $INFRA (https://10.200.0.1:9009, CA in $WORK/pki)"
netns "$INFRA"
ip -n "$INFRA" link add ulbr address 02:00:0a:c8:00:01 type bridge  # fixed: see cluster.cc
ip -n "$INFRA" link set ulbr up
ip -n "$INFRA" addr add 10.200.0.1/24 dev ulbr
CONTROLLER_NATS=()
AGENT_NATS=()
if [ "$SOUTHBOUND" = mq ]; then start_nats; fi
ip netns exec "$INFRA" "$CONTROLLER" --listen=10.200.0.1:9009 --grpc-listen=10.200.0.1:9090 \
  --db="$WORK/controller.db" --pki-dir="$WORK/pki" --tls-san=10.200.0.1 \
  --token-file="$WORK/tokens.csv" "${CONTROLLER_NATS[@]}" >"$WORK/controller.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do rest GET /healthz >/dev/null 2>&1 && break; sleep 0.1; done

start_node() {  # INDEX
  local i=$1 ns=$TAG-node$1 ip=10.200.0.$((10 + $1)) d=$WORK/node$1
  mkdir -p "$d/ovs"
  netns "$ns"
  AGENT_NATS=()
  if [ "$SOUTHBOUND" = mq ]; then
    AGENT_NATS=(--nats-servers="$NATS_URLS" --nats-user="node-$i"
                --nats-password-file="$WORK/nats/passwords/node-$i" --nats-ca="$WORK/nats/pki/ca.crt")
  fi
  ip link add "$TAG-u$i" netns "$INFRA" type veth peer name ul0 netns "$ns"
  ip -n "$INFRA" link set "$TAG-u$i" master ulbr up
  ip netns exec "$INFRA" ethtool -K "$TAG-u$i" tx off >/dev/null
  ip -n "$ns" link set ul0 up
  ovsdb-tool create "$d/ovs/conf.db" /usr/share/openvswitch/vswitch.ovsschema
  ip netns exec "$ns" ovsdb-server "$d/ovs/conf.db" --remote=punix:"$d/ovs/db.sock" \
    --pidfile="$d/ovs/ovsdb-server.pid" --unixctl="$d/ovs/ovsdb-server.ctl" \
    --log-file="$d/ovs/ovsdb-server.log" --detach -vconsole:off >"$d/ovs/ovsdb-server.out" 2>&1
  ovs-vsctl --db=unix:"$d/ovs/db.sock" --no-wait init
  OVS_RUNDIR="$d/ovs" ip netns exec "$ns" ovs-vswitchd unix:"$d/ovs/db.sock" \
    --pidfile="$d/ovs/ovs-vswitchd.pid" --unixctl="$d/ovs/ovs-vswitchd.ctl" \
    --log-file="$d/ovs/ovs-vswitchd.log" --detach -vconsole:off --disable-system \
    >"$d/ovs/ovs-vswitchd.out" 2>&1
  OVS_DIRS+=("$d/ovs")
  ip netns exec "$ns" "$AGENT" --node-name="node-$i" --node-ip="$ip" \
    --controller-url=https://10.200.0.1:9009 --controller-grpc=10.200.0.1:9090 \
    --tls-ca="$WORK/pki/ca.crt" --controller-token-file="$d/token" \
    --cni-socket="$d/cni.sock" --ovs-rundir="$d/ovs" --datapath-type=netdev \
    --underlay-bridge=br-phy --underlay-interface=ul0 --state-dir="$d" \
    --default-project=demo "${AGENT_NATS[@]}" >"$d/agent.log" 2>&1 &
  PIDS+=($!)
  echo "node-$i: namespace $ns, node IP $ip, OVS in $d/ovs, agent log $d/agent.log"
}

say "nodes: namespace + Open vSwitch (userspace datapath) + alcor-agent"
for i in $(seq "$NODES"); do start_node "$i"; done

cni() {  # NODE COMMAND CONTAINER NETNS CONFIG
  CNI_COMMAND=$2 CNI_CONTAINERID=$3 CNI_NETNS=$4 CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni \
    CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=$3;K8S_POD_UID=uid-$3" \
    ip netns exec "$TAG-node$1" "$CNI" <<<"$5"
}

wait_ready() {
  local cfg="{\"cniVersion\":\"1.1.0\",\"name\":\"alcor\",\"type\":\"alcor-cni\",\"agentSocket\":\"$WORK/node$1/cni.sock\"}"
  for _ in $(seq 100); do
    CNI_COMMAND=STATUS "$CNI" <<<"$cfg" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "agent on node-$1 did not become ready; log:" >&2; tail -20 "$WORK/node$1/agent.log" >&2
  return 1
}
for i in $(seq "$NODES"); do wait_ready "$i"; done

say "VPC 10.0.0.0/16 with subnet 10.0.1.0/24 (REST, Alcor's API)"
VPC=$(rest POST /project/demo/vpcs '{"network":{"name":"blue","cidr":"10.0.0.0/16"}}' | jq -r .network.id)
SUBNET=$(rest POST /project/demo/subnets \
  "{\"subnet\":{\"name\":\"blue-1\",\"network_id\":\"$VPC\",\"cidr\":\"10.0.1.0/24\"}}" | jq -r .subnet.id)
echo "vpc $VPC, subnet $SUBNET"

conf() {  # NODE VPC SUBNET
  printf '{"cniVersion":"1.0.0","name":"alcor","type":"alcor-cni","agentSocket":"%s","project":"demo","vpc":"%s","subnet":"%s"}' \
    "$WORK/node$1/cni.sock" "$2" "$3"
}

declare -A POD_IP
add_pod() {  # NAME NODE VPC SUBNET
  netns "$TAG-$1"
  local out
  out=$(cni "$2" ADD "$1" "/var/run/netns/$TAG-$1" "$(conf "$2" "$3" "$4")")
  POD_IP[$1]=$(jq -r '.ips[0].address' <<<"$out" | cut -d/ -f1)
  printf '%-6s node-%s  %-12s mac %s\n' "$1" "$2" "${POD_IP[$1]}" \
    "$(jq -r '.interfaces[1].mac' <<<"$out")"
}

say "three pods through alcor-cni ADD"
for p in pod-a pod-b pod-c; do
  node=1; [ "$NODES" -gt 1 ] && [ "$p" = pod-c ] && node=2
  add_pod "$p" "$node" "$VPC" "$SUBNET"
done

say "pod-a pings pod-b and pod-c"
ip netns exec "$TAG-pod-a" ping -c 3 -i 0.2 "${POD_IP[pod-b]}"
ip netns exec "$TAG-pod-a" ping -c 3 -i 0.2 "${POD_IP[pod-c]}"

say "another VPC (10.0.0.0/16 again: overlapping CIDRs are fine) with one pod"
VPC2=$(rest POST /project/demo/vpcs '{"network":{"name":"red","cidr":"10.0.0.0/16"}}' | jq -r .network.id)
SUBNET2=$(rest POST /project/demo/subnets \
  "{\"subnet\":{\"name\":\"red-1\",\"network_id\":\"$VPC2\",\"cidr\":\"10.0.1.0/24\"}}" | jq -r .subnet.id)
add_pod pod-x 1 "$VPC2" "$SUBNET2"
# pod-x got the same first address as pod-a (each VPC has its own address space), so it tries
# pod-b's address: in the red VPC nobody has it.
if ip netns exec "$TAG-pod-x" ping -c 2 -W 1 "${POD_IP[pod-b]}" >/dev/null 2>&1; then
  echo "ERROR: pod-x (red) reached pod-b (blue)"; exit 1
fi
echo "pod-x (red VPC) cannot reach pod-b (blue VPC) at ${POD_IP[pod-b]}: isolated"

say "nobody but the controller programs a node"
if ip netns exec "$INFRA" curl -sf --cacert "$WORK/pki/ca.crt" "https://10.200.0.1:9009/project/demo/ports" >/dev/null; then
  echo "ERROR: the REST API answered without a token"; exit 1
fi
echo "REST without a token: $(ip netns exec "$INFRA" curl -s -o /dev/null -w '%{http_code}' \
  --cacert "$WORK/pki/ca.crt" "https://10.200.0.1:9009/project/demo/ports")"
grep -m1 -o 'GoalState push from alcor-controller ([^)]*)' "$WORK/node1/agent.log" || true
if [ "$SOUTHBOUND" = mq ]; then
  say "GoalStates over NATS: what the controller published"
  rest GET /metrics | grep -E '^alcor_(mq_|controller_goalstate_messages_total|controller_push_failures_total)' || true
fi

say "controller view of the ports"
rest GET /project/demo/ports | jq -r '.ports[] | "\(.name)\t\(.fixed_ips[0].ip_address)\t\(.status)\t\(."binding:host_id")"'

say "alcor-cni DEL for every pod"
for p in pod-a pod-b pod-c pod-x; do
  node=1; [ "$NODES" -gt 1 ] && [ "$p" = pod-c ] && node=2
  v=$VPC; s=$SUBNET; [ "$p" = pod-x ] && v=$VPC2 && s=$SUBNET2
  cni "$node" DEL "$p" "/var/run/netns/$TAG-$p" "$(conf "$node" "$v" "$s")" && echo "$p deleted"
done
echo "controller ports left: $(rest GET /project/demo/ports | jq '.ports | length')"

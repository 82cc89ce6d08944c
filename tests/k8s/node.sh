# One Kubernetes node in a network namespace (sourced by cluster.sh after lib.sh and pki.sh):
# Open vSwitch (userspace datapath), alcor-agent, containerd (CRI), kubelet and kube-proxy.

CNI_NETWORK=alcor-k8s
# Sysctls kubelet sets on the whole machine (cm.setupKernelTunables); restored at teardown.
KUBELET_SYSCTLS=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes)

node_netns() {  # I: namespace, veth to the underlay bridge, node IP on ul0
  local i=$1 ns
  ns=$(node_ns "$i")
  add_netns "$ns"
  # Its own host name: hostNetwork pods answer with it, as on a real node.
  mkdir -p "$RUN/uts"
  touch "$RUN/uts/$ns"
  unshare --uts="$RUN/uts/$ns" hostname "$(node_name "$i")"
  ip link add "ul-$i" netns "$UNDERLAY_NS" type veth peer name ul0 netns "$ns"
  ip -n "$UNDERLAY_NS" link set "ul-$i" master ulbr up
  # The underlay end feeds the node's userspace datapath: checksums must be complete.
  in_ns "$UNDERLAY_NS" ethtool -K "ul-$i" tx off >/dev/null
  ip -n "$ns" link set ul0 up
  # ul0 plays the node's NIC, which the agent puts into br-phy, moving the node IP onto br-phy.
  # The userspace datapath reads the NIC with a packet socket, so the node's stack still sees
  # its frames: without arp_ignore 1 it would answer ARP for the node IP with ul0's MAC after the
  # move too, and peers' OVS (which snoops ARP replies for its tunnels) would send VXLAN to a MAC
  # that br-phy does not decapsulate (docs/conformance.md, "Known gaps").
  in_ns "$ns" sysctl -qw net.ipv4.conf.ul0.arp_ignore=1
  # The agent's ports (GoalStates 50001, status 50002) lie in the ephemeral range: keep the
  # control plane's many outgoing connections from taking them first.
  in_ns "$ns" sysctl -qw net.ipv4.ip_local_reserved_ports=50001-50002
  ip -n "$ns" addr add "$(node_ip "$i")/24" dev ul0
  mkdir -p "$(node_dir "$i")"
  # Installed through the manifests, the agent and the controller reach the API server through
  # its Service (kube-proxy's DNAT in OUTPUT): that needs a route. The agent carries it over to
  # br-phy with the node IP.
  if [ "$INSTALL" = manifests ]; then
    ip -n "$ns" route add default via "$UNDERLAY_IP"
  fi
}

node_ovs() {  # I: ovsdb-server + ovs-vswitchd (netdev) with a private run directory
  local i=$1 d ns
  d=$(node_dir "$i")/ovs
  ns=$(node_ns "$i")
  mkdir -p "$d"
  ovsdb-tool create "$d/conf.db" /usr/share/openvswitch/vswitch.ovsschema
  spawn "ovsdb-server/$i" "$ns" "$d/ovsdb-server.out" ovsdb-server "$d/conf.db" \
    --remote=punix:"$d/db.sock" --unixctl="$d/ovsdb-server.ctl" \
    --log-file="$d/ovsdb-server.log" -vconsole:off
  wait_until "ovsdb-server of node $i" 10 test -S "$d/db.sock"
  ovs-vsctl --db=unix:"$d/db.sock" --no-wait init
  spawn "ovs-vswitchd/$i" "$ns" "$d/ovs-vswitchd.out" env OVS_RUNDIR="$d" ovs-vswitchd \
    unix:"$d/db.sock" --unixctl="$d/ovs-vswitchd.ctl" --log-file="$d/ovs-vswitchd.log" \
    -vconsole:off --disable-system
  wait_until "ovs-vswitchd of node $i" 10 test -S "$d/ovs-vswitchd.ctl"
}

# alcor-agent as the DaemonSet runs it (manifests/configmap.yaml's agent.json), with TLS: the
# controller's CA from the ConfigMap alcor-ca, its node certificate from the controller, for a
# ServiceAccount token bound to its Node (TokenReview names the node) with the audience
# alcor-controller; a second token of the ServiceAccount for the Kubernetes API.
node_agent() {  # I (its Node must be registered)
  local i=$1 d node
  d=$(node_dir "$i")
  node=$(node_name "$i")
  mkdir -p "$d/alcor"
  kubectl_cp -n alcor-system create token alcor-agent --duration=48h \
    >"$d/alcor/kube.token"
  kubectl_cp -n alcor-system create token alcor-agent --duration=48h \
    --audience=alcor-controller --bound-object-kind=Node --bound-object-name="$node" \
    >"$d/alcor/controller.token"
  spawn "alcor-agent/$i" "$(node_ns "$i")" "$d/alcor/agent.log" \
    "$ALCOR_BIN/node-agent/exe/alcor-agent" \
    --node-name="$node" --node-ip="$(node_ip "$i")" \
    --controller-url="$CONTROLLER_URL" --controller-grpc="$CP_IP:9090" \
    --controller-token-file="$d/alcor/controller.token" \
    --controller-ca-configmap=alcor-system/alcor-ca \
    --cni-socket="$d/alcor/cni.sock" --ovs-rundir="$d/ovs" --datapath-type=netdev \
    --underlay-bridge=br-phy --underlay-interface=ul0 --state-dir="$d/alcor" \
    --default-project=default --default-vpc="$CLUSTER_VPC" --default-subnet="$CLUSTER_SUBNET" \
    --host-gateway-vpc="$CLUSTER_VPC" --service-cidr="$SERVICE_CIDR" --masquerade=true \
    --kube-api-server="$API_SERVER" --kube-token-file="$d/alcor/kube.token" \
    --kube-ca-file="$PKI/ca.crt" ${ALCOR_AGENT_FLAGS:-}
}

agent_ready() {  # I: CNI STATUS through alcor-cni answers
  local d
  d=$(node_dir "$1")
  printf '{"cniVersion":"1.1.0","name":"%s","type":"alcor-cni","agentSocket":"%s"}' \
    "$CNI_NETWORK" "$d/alcor/cni.sock" |
    CNI_COMMAND=STATUS "$ALCOR_BIN/cni-plugin/alcor-cni" >/dev/null
}

# The node's conflist: alcor-cni then portmap (hostPort), as manifests/configmap.yaml installs
# (containerd passes the pod's annotations, so an ADD reads only the namespace from the API).
alcor_conflist() {
  cat <<EOF
{
  "cniVersion": "1.0.0",
  "name": "$CNI_NETWORK",
  "plugins": [
    {"type": "alcor-cni", "agentSocket": "$(node_dir "$1")/alcor/cni.sock", "timeoutSeconds": 100,
     "capabilities": {"io.kubernetes.cri.pod-annotations": true}},
    {"type": "portmap", "capabilities": {"portMappings": true}, "snat": true}
  ]
}
EOF
}

node_containerd() {  # I: containerd with its CRI plugin, then the pod images
  local i=$1 d
  d=$(node_dir "$i")/containerd
  # By hand, the plugins are linked and the conflist written here. Through the manifests, the
  # runtime reads the node's own /etc/cni/net.d and /opt/cni/bin (empty until install-cni ran)
  # and puts pod network namespaces in its /run/netns, which the agent's pod mounts (install.sh).
  local cni_bin=$d/cni/bin cni_conf=$d/cni/net.d netns_under_state=true
  if [ "$INSTALL" = manifests ]; then
    cni_bin=/opt/cni/bin cni_conf=/etc/cni/net.d netns_under_state=false
  else
    mkdir -p "$d/cni/bin" "$d/cni/net.d"
    local plugin
    for plugin in "$ALCOR_BIN/cni-plugin/alcor-cni" /usr/lib/cni/portmap /usr/lib/cni/loopback \
      /usr/lib/cni/bridge /usr/lib/cni/host-local; do
      ln -sf "$plugin" "$d/cni/bin/"
    done
  fi
  mkdir -p "$d"
  # restrict_oom_score_adj: this VM lacks CAP_SYS_RESOURCE. Pod network namespaces are mounted
  # under the state dir (by hand) and runc keeps its state here too, so teardown finds everything.
  cat >"$d/config.toml" <<EOF
version = 2
root = "$d/root"
state = "$d/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$d/containerd.sock"
[ttrpc]
  address = "$d/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$d/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:$PAUSE_TAG"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = $netns_under_state
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$cni_bin"
    conf_dir = "$cni_conf"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
      Root = "$d/runc"
EOF
  spawn "containerd/$i" "$(node_ns "$i")" "$d/containerd.log" containerd --config "$d/config.toml"
  wait_until "containerd of node $i" 30 ctr --address "$d/containerd.sock" version
  local archive
  for archive in "$IMAGES_DIR"/*.tar; do
    ctr --address "$d/containerd.sock" -n k8s.io images import "$archive" >/dev/null ||
      die "import $archive into node $i"
  done
  [ "$INSTALL" = manifests ] && import_alcor_images "$i"
  return 0
}

install_conflist() {  # I CONFLIST_TEXT: atomically, as install-cni does
  local dir
  dir=$(node_dir "$1")/containerd/cni/net.d
  printf '%s\n' "$2" >"$dir/.10-$CNI_NETWORK.conflist.tmp"
  mv "$dir/.10-$CNI_NETWORK.conflist.tmp" "$dir/10-$CNI_NETWORK.conflist"
}

node_kubelet() {  # I
  local i=$1 d node taints=""
  d=$(node_dir "$i")/kubelet
  node=$(node_name "$i")
  mkdir -p "$d/root" "$d/pod-logs" "$d/pki"
  [ "$i" -eq 0 ] && taints='
registerWithTaints:
  - {key: node-role.kubernetes.io/control-plane, effect: NoSchedule}'
  # Two kubelets must not share /kubepods: each gets its own cgroup root.
  local hierarchy
  for hierarchy in /sys/fs/cgroup/*/; do
    [ -e "$hierarchy/cgroup.procs" ] && mkdir -p "$hierarchy/$PREFIX/$node"
  done
  cat >"$d/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
address: $(node_ip "$i")
tlsCertFile: $PKI/kubelet-$node-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-$node-serving.key
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
cgroupDriver: cgroupfs
cgroupRoot: /$PREFIX/$node
containerRuntimeEndpoint: unix://$(node_dir "$i")/containerd/containerd.sock
clusterDNS: [$DNS_SERVICE_IP]
clusterDomain: cluster.local
resolvConf: $RUN/resolv.conf
podLogsDir: $d/pod-logs
failSwapOn: false
serializeImagePulls: false
# The images were imported, not pulled: garbage collection must never remove them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%,
  nodefs.inodesFree: 1%}
rotateCertificates: false
maxPods: 110$taints
EOF
  spawn "kubelet/$i" "$(node_ns "$i")" "$d/kubelet.log" "$K8S_BIN/kubelet" \
    --config="$d/config.yaml" --kubeconfig="$PKI/kubelet-$node.kubeconfig" \
    --root-dir="$d/root" --cert-dir="$d/pki" --hostname-override="$node" \
    --node-ip="$(node_ip "$i")" --v=2
}

node_kube_proxy() {  # I: iptables mode, in the node's namespace
  local i=$1 d
  d=$(node_dir "$i")/kube-proxy
  mkdir -p "$d"
  # conntrack zeros: leave the machine-wide conntrack sysctls alone.
  cat >"$d/config.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $PKI/kube-proxy.kubeconfig}
mode: iptables
clusterCIDR: $POD_CIDR
hostnameOverride: $(node_name "$i")
healthzBindAddress: 0.0.0.0:10256
metricsBindAddress: 127.0.0.1:10249
conntrack: {maxPerCore: 0, min: 0}
iptables: {minSyncPeriod: 1s, syncPeriod: 30s}
EOF
  spawn "kube-proxy/$i" "$(node_ns "$i")" "$d/kube-proxy.log" "$K8S_BIN/kube-proxy" \
    --config="$d/config.yaml" --v=2
}

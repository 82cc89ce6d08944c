# The control plane, host processes in the control-plane node's namespace (sourced by cluster.sh
# after lib.sh and pki.sh): etcd, kube-apiserver, kube-controller-manager, kube-scheduler, and
# alcor-controller.

start_etcd() {
  local d=$RUN/etcd
  mkdir -p "$d"
  # A throw-away cluster on a shared disk: no fsync.
  spawn etcd "$(node_ns 0)" "$d/etcd.log" "$K8S_BIN/etcd" --name=cp --data-dir="$d/data" \
    --listen-client-urls=http://127.0.0.1:2379 --advertise-client-urls=http://127.0.0.1:2379 \
    --listen-peer-urls=http://127.0.0.1:2380 --initial-advertise-peer-urls=http://127.0.0.1:2380 \
    --initial-cluster=cp=http://127.0.0.1:2380 --unsafe-no-fsync --log-level=warn
  wait_until etcd 30 in_ns "$(node_ns 0)" curl -sf http://127.0.0.1:2379/health
}

start_apiserver() {
  local d=$RUN/kube-apiserver
  mkdir -p "$d"
  # Bound to every address of the node: the agent moves the node IP onto br-phy.
  spawn kube-apiserver "$(node_ns 0)" "$d/kube-apiserver.log" "$K8S_BIN/kube-apiserver" \
    --advertise-address="$CP_IP" --bind-address=0.0.0.0 --secure-port=6443 --cert-dir="$d" \
    --etcd-servers=http://127.0.0.1:2379 --service-cluster-ip-range="$SERVICE_CIDR" \
    --client-ca-file="$PKI/ca.crt" --tls-cert-file="$PKI/apiserver.crt" \
    --tls-private-key-file="$PKI/apiserver.key" \
    --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types=InternalIP \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
    --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
    --allow-privileged=true --profiling=false --v=1
  wait_until kube-apiserver 120 kubectl_cp get --raw /readyz
}

start_controller_manager() {
  local d=$RUN/kube-controller-manager
  mkdir -p "$d"
  spawn kube-controller-manager "$(node_ns 0)" "$d/kube-controller-manager.log" \
    "$K8S_BIN/kube-controller-manager" --kubeconfig="$PKI/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$PKI/controller-manager.kubeconfig" \
    --authorization-kubeconfig="$PKI/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --leader-elect=false --use-service-account-credentials=true \
    --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
    --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" --allocate-node-cidrs=false --v=1
}

start_scheduler() {
  local d=$RUN/kube-scheduler
  mkdir -p "$d"
  spawn kube-scheduler "$(node_ns 0)" "$d/kube-scheduler.log" "$K8S_BIN/kube-scheduler" \
    --kubeconfig="$PKI/scheduler.kubeconfig" \
    --authentication-kubeconfig="$PKI/scheduler.kubeconfig" \
    --authorization-kubeconfig="$PKI/scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --leader-elect=false --v=1
}

# The manifests' namespace, ServiceAccounts and RBAC, and the controller's token for the API
# server (TokenReview, the CA ConfigMap), as its pod would get it.
alcor_rbac() {
  kubectl_cp apply -f "$REPO_DIR/manifests/namespace.yaml" -f "$REPO_DIR/manifests/rbac.yaml" \
    >/dev/null
  wait_until "the alcor ServiceAccounts" 30 \
    kubectl_cp -n alcor-system get serviceaccount alcor-agent alcor-controller
  kubectl_cp -n alcor-system create token alcor-controller --duration=48h \
    >"$PKI/alcor-controller.token"
}

# As manifests/configmap.yaml's controller.json: its own CA in --pki-dir, published in the
# ConfigMap alcor-system/alcor-ca; REST tokens checked by TokenReview against kube-apiserver
# (the agents' node-bound ServiceAccount tokens, the alcor-admin ServiceAccount's); NetworkPolicy
# enforced as security groups (docs/design/network-policy.md).
start_alcor_controller() {
  local d=$RUN/alcor-controller
  mkdir -p "$d"
  spawn alcor-controller "$(node_ns 0)" "$d/controller.log" \
    "$ALCOR_BIN/controller/alcor-controller" --listen=0.0.0.0:9009 --grpc-listen=0.0.0.0:9090 \
    --db="$d/controller.db" --pki-dir="$d/pki" --tls-san="$CP_IP" \
    --token-review --token-audience=alcor-controller \
    --kube-api-server="$API_SERVER" --kube-token-file="$PKI/alcor-controller.token" \
    --kube-ca-file="$PKI/ca.crt" --publish-ca=alcor-system/alcor-ca \
    --admin-users=system:serviceaccount:alcor-system:alcor-admin \
    --agent-service-account=system:serviceaccount:alcor-system:alcor-agent \
    --bootstrap-project=default \
    --bootstrap-vpc="$CLUSTER_VPC:$POD_CIDR" --bootstrap-subnet="$CLUSTER_SUBNET:$POD_CIDR" \
    --network-policy --network-policy-project=default
  wait_until alcor-controller 30 in_ns "$(node_ns 0)" \
    curl -sf --cacert "$d/pki/ca.crt" "$CONTROLLER_URL/healthz"
  wait_until "the ConfigMap alcor-ca" 30 kubectl_cp -n alcor-system get configmap alcor-ca
}

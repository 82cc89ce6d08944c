# The cluster's certificates and kubeconfigs, made with openssl (sourced by cluster.sh after
# lib.sh). ECDSA P-256 keys, valid for two days; everything in $RUN/pki.

PKI=$RUN/pki

# cert NAME SUBJECT USAGE [SAN]: key + certificate signed by the cluster CA.
cert() {
  local name=$1 subject=$2 usage=$3 san=${4:-}
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "$subject" \
    -keyout "$PKI/$name.key" -out "$PKI/$name.csr" 2>/dev/null
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$usage"
    [ -n "$san" ] && echo "subjectAltName=$san"
  } >"$PKI/$name.ext"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
    -CAcreateserial -days 2 -extfile "$PKI/$name.ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}

# kubeconfig NAME: $PKI/NAME.kubeconfig with the client certificate NAME.crt.
kubeconfig() {
  local name=$1
  cat >"$PKI/$name.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: alcor
    cluster:
      server: $API_SERVER
      certificate-authority: $PKI/ca.crt
users:
  - name: $name
    user:
      client-certificate: $PKI/$name.crt
      client-key: $PKI/$name.key
contexts:
  - name: alcor
    context: {cluster: alcor, user: $name}
current-context: alcor
EOF
}

make_pki() {
  mkdir -p "$PKI"
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=alcor-k8s-ca" -keyout "$PKI/ca.key" -out "$PKI/ca.crt" 2>/dev/null
  local api_san="DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
  api_san+=",DNS:kubernetes.default.svc.cluster.local,DNS:localhost"
  api_san+=",IP:$CP_IP,IP:${SERVICE_CIDR%.0/*}.1,IP:127.0.0.1"
  cert apiserver "/CN=kube-apiserver" serverAuth "$api_san"
  cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
  cert admin "/O=system:masters/CN=kubernetes-admin" clientAuth
  cert controller-manager "/CN=system:kube-controller-manager" clientAuth
  cert scheduler "/CN=system:kube-scheduler" clientAuth
  cert kube-proxy "/CN=system:kube-proxy" clientAuth
  for name in admin controller-manager scheduler kube-proxy; do kubeconfig "$name"; done
  local i node
  for i in $(seq 0 "$WORKERS"); do
    node=$(node_name "$i")
    cert "kubelet-$node" "/O=system:nodes/CN=system:node:$node" clientAuth
    kubeconfig "kubelet-$node"
    cert "kubelet-$node-serving" "/CN=$node" serverAuth "DNS:$node,IP:$(node_ip "$i")"
  done
  # Service account tokens: signed by the API server, verified by everyone with the public key.
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$PKI/sa.key" 2>/dev/null
  openssl pkey -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  chmod 600 "$PKI"/*.key
}

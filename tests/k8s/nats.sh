# GoalStates over NATS on the local cluster (scripts/k8s-e2e.sh --install=manifests
# --southbound=mq; sourced by install.sh): the component manifests/nats, as
# docs/install.md ("GoalStates over NATS") tells users to install it. Every node runs one
# nats-server of the StatefulSet (all labelled alcor.io/nats=true), on its host network.

NATS_DIR=$RUN/nats

# The Secrets of docs/install.md: TLS naming every node's address (scripts/gen-certs.sh), users
# and passwords (scripts/nats-auth.sh), and the label on every node.
nats_prepare() {
  local i sans=() pairs=()
  for i in $(seq 0 "$WORKERS"); do
    sans+=(--san "$(node_ip "$i")")
    pairs+=("$(node_name "$i")=$(node_ip "$i")")
  done
  "$REPO_DIR/scripts/gen-certs.sh" "$NATS_DIR/pki" --controller-name alcor-nats "${sans[@]}" >/dev/null
  "$REPO_DIR/scripts/nats-auth.sh" "$NATS_DIR/auth" "${pairs[@]}" >/dev/null
  kubectl_cp create namespace alcor-system --dry-run=client -o yaml | kubectl_cp apply -f - >/dev/null
  kubectl_cp -n alcor-system create secret generic alcor-nats-tls \
    --from-file=tls.crt="$NATS_DIR/pki/controller.crt" --from-file=tls.key="$NATS_DIR/pki/controller.key" \
    --from-file=ca.crt="$NATS_DIR/pki/ca.crt" >/dev/null
  kubectl_cp -n alcor-system create secret generic alcor-nats-auth \
    --from-file=auth.conf="$NATS_DIR/auth/auth.conf" >/dev/null
  kubectl_cp -n alcor-system create secret generic alcor-nats-passwords \
    --from-file="$NATS_DIR/auth/passwords/" >/dev/null
  for i in $(seq 0 "$WORKERS"); do
    kubectl_cp label node "$(node_name "$i")" alcor.io/nats=true >/dev/null
  done
  info "NATS: Secrets alcor-nats-tls, -auth, -passwords; $(node_count) nodes labelled alcor.io/nats=true"
}

# nats_overlay DIR TAG: appended to the overlay's kustomization.yaml: the component, its image,
# and the addresses of this cluster's nodes (routes, the agents' and the controller's servers).
nats_overlay() {
  local dir=$1 tag=$2 servers="" routes="" i component controller_json
  for i in $(seq 0 "$WORKERS"); do
    servers+="${servers:+,}tls://$(node_ip "$i"):4222"
    routes+="          \"nats-route://$(node_ip "$i"):6222\""$'\n'
  done
  component=$(realpath --relative-to="$dir" "$REPO_DIR/manifests/nats")
  # The local overlay's controller.json with the component's keys.
  controller_json=$("$K8S_BIN/kubectl" kustomize "$K8S_DIR/manifests/local" |
    awk '/^  controller.json: \|/{f=1; next} f && /^  [^ ]/{f=0} f' |
    jq --arg s "$servers" '. + {"southbound": "mq", "nats-servers": $s,
      "nats-user": "alcor-controller", "nats-password-file": "/etc/alcor-nats/password",
      "nats-ca": "/etc/alcor-nats/ca.crt"}' | sed 's/^/          /')
  cat >>"$dir/kustomization.yaml" <<EOF
components:
  - $component
patches:
  - patch: |-
      apiVersion: v1
      kind: ConfigMap
      metadata:
        name: alcor-nats-config
        namespace: alcor-system
      data:
        routes.conf: |
          routes: [
$routes          ]
  - patch: |-
      apiVersion: v1
      kind: ConfigMap
      metadata:
        name: alcor-config
        namespace: alcor-system
      data:
        controller.json: |
$controller_json
        nats-servers: "$servers"
EOF
  sed -i "s|^images:|images:\n  - {name: alcor-nats, newName: localhost/alcor-nats, newTag: \"$tag\"}|" \
    "$dir/kustomization.yaml"
}

# After install: every agent took its GoalStates over NATS, and the controller published there.
nats_check() {
  local i pod
  for i in $(seq 0 "$WORKERS"); do
    pod=$(kubectl_cp -n alcor-system get pods -l app=alcor-agent \
      --field-selector spec.nodeName="$(node_name "$i")" -o jsonpath='{.items[0].metadata.name}')
    kubectl_cp -n alcor-system logs "$pod" -c alcor-agent | grep "GoalStates over NATS on alcor.gs.host" >/dev/null ||
      die "the agent on $(node_name "$i") does not take GoalStates over NATS"
  done
  kubectl_cp -n alcor-system rollout status statefulset/alcor-nats --timeout=60s >/dev/null ||
    die "the NATS StatefulSet is not ready"
  info "NATS: $(node_count) nats-server pods ready; every agent takes its GoalStates over NATS"
}

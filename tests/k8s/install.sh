# Alcor CNI installed through its manifests on the cluster of cluster.sh (INSTALL=manifests;
# sourced by cluster.sh after lib.sh and node.sh): no agent, OVS or controller started by hand.
#
# The nodes share one root file system, but the DaemonSet mounts the same host paths on every
# node. So each node's containerd and kubelet run in a mount namespace of their own
# ($RUN/mnt/<namespace>, a slave of the root one, then shared so that Bidirectional volumes
# work), where each of HOST_PATHS is a bind mount of the node's $RUN/<node>/host/<path>.
# Those directories start empty: containerd's CNI configuration directory too, so a node turns
# Ready only once install-cni wrote the conflist. Mount points missing on the machine are
# created once and removed at teardown ($RUN/created-dirs).

# /var/run is /run here: the real paths are bind-mounted.
HOST_PATHS=(/etc/cni/net.d /opt/cni/bin /run/alcor /var/lib/alcor /run/openvswitch
  /var/lib/openvswitch /run/netns /lib/modules /var/lib/alcor-controller)
ALCOR_IMAGES_DIR=${ALCOR_IMAGES_DIR:-${IMAGES_CACHE:-/var/cache/alcor-images}/oci}
# The image tag installed first, and the one the upgrade check moves to (images/build.sh).
ALCOR_TAG=${ALCOR_TAG:-dev}
ALCOR_TAG_NEXT=${ALCOR_TAG_NEXT:-$ALCOR_TAG-next}
CONTROLLER_UID=10001
# shellcheck source=nats.sh
. "$K8S_DIR/nats.sh"  # SOUTHBOUND=mq: the NATS component in the same overlay

node_mountns() {  # I: the node's mount namespace with its own HOST_PATHS
  local i=$1 ns host p
  ns=$(node_ns "$i")
  host=$(node_dir "$i")/host
  # As `ip netns` does for /run/netns: namespace files are bound on a private mount.
  if ! mountpoint -q "$RUN/mnt"; then
    mkdir -p "$RUN/mnt"
    mount --bind "$RUN/mnt" "$RUN/mnt"
    mount --make-private "$RUN/mnt"
  fi
  for p in "${HOST_PATHS[@]}"; do
    mkdir -p "$host$p"
    [ -d "$p" ] || mkdir -pv "$p" | sed -n "s/^mkdir: created directory '\(.*\)'$/\1/p" \
      >>"$RUN/created-dirs"
  done
  chown "$CONTROLLER_UID:$CONTROLLER_UID" "$host/var/lib/alcor-controller"
  touch "$RUN/mnt/$ns"
  unshare --mount="$RUN/mnt/$ns" --propagation slave bash -euc '
    mount --make-rshared /
    host=$1
    shift
    for p in "$@"; do
      mount --bind "$host$p" "$p"
      mount --make-shared "$p"
    done' _ "$host" "${HOST_PATHS[@]}"
}

# The machine's mount points this cluster created, deepest first.
remove_created_dirs() {
  [ -f "$RUN/created-dirs" ] || return 0
  sort -r "$RUN/created-dirs" | while read -r d; do rmdir "$d" 2>/dev/null || true; done
}

import_alcor_images() {  # I: both tags of the three images, as localhost/alcor-*:TAG
  local sock archive image tag
  sock=$(node_dir "$1")/containerd/containerd.sock
  local images=(agent ovs controller)
  [ "$SOUTHBOUND" = mq ] && images+=(nats)
  for tag in "$ALCOR_TAG" "$ALCOR_TAG_NEXT"; do
    for image in "${images[@]}"; do
      archive=$ALCOR_IMAGES_DIR/alcor-$image-$tag.tar
      [ -f "$archive" ] || die "no $archive: run images/build.sh --tag=$ALCOR_TAG --tag=$ALCOR_TAG_NEXT"
      ctr --address "$sock" -n k8s.io images import "$archive" >/dev/null ||
        die "import $archive into node $1"
    done
  done
}

# write_overlay TAG: $RUN/overlay-TAG/kustomization.yaml, tests/k8s/manifests/local at TAG.
write_overlay() {
  local tag=$1 dir=$RUN/overlay-$1 base
  mkdir -p "$dir"
  base=$(realpath --relative-to="$dir" "$K8S_DIR/manifests/local")
  cat >"$dir/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - $base
images:
  - {name: localhost/alcor-agent, newTag: "$tag"}
  - {name: localhost/alcor-ovs, newTag: "$tag"}
  - {name: localhost/alcor-controller, newTag: "$tag"}
EOF
  [ "$SOUTHBOUND" = mq ] && nats_overlay "$dir" "$tag"
  echo "$dir"
}

# ovs_ready: an alcor-ovs pod on every node, ready (OnDelete: `rollout status` does not apply).
ovs_ready() {
  local want ready
  read -r want ready < <(kubectl_cp -n alcor-system get daemonset alcor-ovs \
    -o jsonpath='{.status.desiredNumberScheduled} {.status.numberReady}')
  [ -n "$want" ] && [ "$want" -gt 0 ] && [ "$want" = "$ready" ]
}

# rollouts_done: the controller and every agent run the applied spec and are ready, and OVS.
rollouts_done() {
  ovs_ready &&
    kubectl_cp -n alcor-system rollout status deployment/alcor-controller --timeout=5s &&
    kubectl_cp -n alcor-system rollout status daemonset/alcor-agent --timeout=5s
}

show_alcor_pods() {
  kubectl_cp -n alcor-system get pods -o wide >&2 || true
  kubectl_cp -n alcor-system get events --sort-by=.lastTimestamp 2>/dev/null | tail -15 >&2 || true
}

install_manifests() {  # kubectl apply -k the overlay at ALCOR_TAG, then everything Ready
  local overlay started=$SECONDS
  overlay=$(write_overlay "$ALCOR_TAG")
  info "kubectl apply -k $overlay (images localhost/alcor-*:$ALCOR_TAG)"
  kubectl_cp apply -k "$overlay" | sed 's/^/   /'
  wait_until "alcor-controller and the DaemonSets alcor-ovs and alcor-agent" 300 rollouts_done || {
    show_alcor_pods
    die "the manifests did not roll out"
  }
  info "controller, $(node_count) OVS and $(node_count) agents ready in $((SECONDS - started))s"
}

# Every node's conflist and plugin came from install-cni, not from this script.
check_installed_files() {
  local i host
  for i in $(seq 0 "$WORKERS"); do
    host=$(node_dir "$i")/host
    [ -f "$host/etc/cni/net.d/10-alcor.conflist" ] && [ -x "$host/opt/cni/bin/alcor-cni" ] ||
      die "install-cni did not install the conflist and alcor-cni on $(node_name "$i")"
  done
}

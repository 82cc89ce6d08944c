#!/usr/bin/env bash
# Writes a single-layer OCI image archive by hand (oci-layout, index.json, sha256-named blobs)
# that `ctr -n k8s.io images import` loads under NAME. No registry, no image builder.
#
#   oci-image.sh NAME ROOTFS_DIR OUT.tar [CONFIG_JSON]
#   oci-image.sh registry.k8s.io/pause:3.10.1 rootfs/ pause.tar '{"Entrypoint":["/pause"]}'
#
# CONFIG_JSON is the image config's "config" object (Entrypoint, Cmd, Env, User, WorkingDir).
# The archive is reproducible: fixed mtimes and owners, sorted entries.
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 NAME ROOTFS_DIR OUT.tar [CONFIG_JSON]" >&2; exit 2; }
name=$1 rootfs=$2 out=$3 config=${4:-'{}'}
tag=${name##*:}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/blobs/sha256"

reproducible_tar() { tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner "$@"; }

# blob FILE: moves FILE into blobs/ under its digest; prints "digest size".
blob() {
  local digest size
  digest=$(sha256sum "$1" | cut -d' ' -f1)
  size=$(stat -c %s "$1")
  mv "$1" "$work/blobs/sha256/$digest"
  echo "sha256:$digest $size"
}

reproducible_tar -C "$rootfs" -cf "$work/layer" .
read -r layer_digest layer_size <<<"$(blob "$work/layer")"

jq -n --argjson config "$config" --arg diff "$layer_digest" '{
  architecture: "amd64", os: "linux",
  created: "1970-01-01T00:00:00Z",
  config: $config,
  rootfs: {type: "layers", diff_ids: [$diff]}
}' >"$work/config"
read -r config_digest config_size <<<"$(blob "$work/config")"

jq -n --arg cd "$config_digest" --argjson cs "$config_size" \
  --arg ld "$layer_digest" --argjson ls "$layer_size" '{
  schemaVersion: 2,
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $cd, size: $cs},
  layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $ld, size: $ls}]
}' >"$work/manifest"
read -r manifest_digest manifest_size <<<"$(blob "$work/manifest")"

jq -n --arg md "$manifest_digest" --argjson ms "$manifest_size" --arg name "$name" \
  --arg tag "$tag" '{
  schemaVersion: 2,
  manifests: [{
    mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $md, size: $ms,
    platform: {architecture: "amd64", os: "linux"},
    annotations: {"io.containerd.image.name": $name, "org.opencontainers.image.ref.name": $tag}
  }]
}' >"$work/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$work/oci-layout"

mkdir -p "$(dirname "$out")"
reproducible_tar -C "$work" -cf "$out.tmp" oci-layout index.json blobs
mv "$out.tmp" "$out"

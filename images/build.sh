#!/usr/bin/env bash
# Builds the three images (alcor-agent, alcor-ovs, alcor-controller) on a machine without Docker
# or a registry, from their Dockerfiles, with buildah, and exports each as an OCI archive that
# `ctr -n k8s.io images import` loads (tests/k8s/cluster.sh does, into each node's containerd).
#
#   images/build.sh                        # tag: git describe --always --dirty
#   images/build.sh --tag v1 --tag v2      # one archive per image and tag (v2: the upgrade test's)
#   images/build.sh --binaries=source      # compile inside the image, as `docker build` does
#
# Steps, each skipped when its inputs did not change (rebuilds take seconds):
#   1. base: Debian 12 by debootstrap (minbase, deb.debian.org), cached as a root file system
#      tarball in $IMAGES_CACHE and imported as localhost/debian:12 and localhost/debian:12-slim,
#      the names the Dockerfiles start FROM (docker.io's debian:12 is the same release);
#   2. binaries (--binaries=host, the default): alcor-agent, alcor-cni (bundled with its
#      libraries by images/agent/bundle-cni.sh) and alcor-controller from the host's build
#      ($BUILD_DIR, built here with ninja if stale; same Debian 12, same ABI), stripped, in an
#      image the Dockerfiles take through --build-arg BINARIES;
#   3. `buildah bud --layers` of images/<name>/Dockerfile, with the package layers cached (the
#      version label is also given with --label: buildah 1.28's layer cache ignores the value of
#      the build argument in the Dockerfile's LABEL);
#   4. `buildah push` to $OUT/alcor-<name>-<tag>.tar (oci-archive), only when the image changed.
#
# Environment: IMAGES_CACHE (/var/cache/alcor-images), OUT ($IMAGES_CACHE/oci), BUILD_DIR
# (build), MIRROR (http://deb.debian.org/debian), IMAGES ("agent ovs controller").
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
IMAGES_CACHE=${IMAGES_CACHE:-/var/cache/alcor-images}
OUT=${OUT:-$IMAGES_CACHE/oci}
BUILD_DIR=${BUILD_DIR:-$REPO/build}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
IMAGES=${IMAGES:-agent ovs controller}
BINARIES=host
TAGS=()
for arg in "$@"; do
  case $arg in
    --tag=*) TAGS+=("${arg#--tag=}") ;;
    --binaries=host | --binaries=source) BINARIES=${arg#--binaries=} ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "images/build.sh: unknown argument '$arg' (--tag=TAG, --binaries=host|source)" >&2
       exit 2 ;;
  esac
done
[ ${#TAGS[@]} -gt 0 ] || TAGS=("$(git describe --always --dirty 2>/dev/null || echo dev)")
for tag in "${TAGS[@]}"; do
  [[ $tag =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] ||
    { echo "images/build.sh: '$tag' is not a valid image tag" >&2; exit 2; }
done
for image in $IMAGES; do
  [ -f "images/$image/Dockerfile" ] || { echo "images/build.sh: no images/$image/Dockerfile" >&2; exit 2; }
done
[ "$(id -u)" -eq 0 ] || { echo "images/build.sh needs root (debootstrap, buildah)" >&2; exit 1; }
for tool in buildah debootstrap; do
  command -v "$tool" >/dev/null || { echo "images/build.sh needs $tool (scripts/setup.sh)" >&2; exit 1; }
done

START=$SECONDS
progress() { printf 'images: [%3ds] %s\n' $((SECONDS - START)) "$*"; }
mkdir -p "$IMAGES_CACHE" "$OUT"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The image's ID, or nothing when it does not exist.
short_id() { local id=${1#sha256:}; echo "${id:0:12}"; }
image_id() { buildah images --noheading --no-trunc --format '{{.ID}}' "$1" 2>/dev/null | head -1 || true; }

# 1. Debian 12 base.
base() {
  local tarball=$IMAGES_CACHE/debian-12-rootfs.tar
  if [ ! -f "$tarball" ]; then
    progress "base: debootstrap bookworm (minbase) from $MIRROR (a few minutes, once)"
    local root=$IMAGES_CACHE/rootfs.tmp
    rm -rf "$root"
    debootstrap --variant=minbase bookworm "$root" "$MIRROR" >"$IMAGES_CACHE/debootstrap.log" 2>&1 ||
      { tail -5 "$IMAGES_CACHE/debootstrap.log" >&2; exit 1; }
    # As the official image: updates and security suites, no package caches kept.
    cat >"$root/etc/apt/sources.list" <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb ${MIRROR%/debian}/debian-security bookworm-security main
EOF
    echo 'APT::Install-Recommends "false";' >"$root/etc/apt/apt.conf.d/90alcor-no-recommends"
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar --numeric-owner -C "$root" -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    rm -rf "$root"
  fi
  local stamp=$IMAGES_CACHE/debian-12.id
  if [ -z "$(image_id localhost/debian:12)" ] || [ ! -f "$stamp" ] ||
    [ "$(cat "$stamp")" != "$(image_id localhost/debian:12)" ] || [ "$tarball" -nt "$stamp" ]; then
    progress "base: importing $tarball as localhost/debian:12 and :12-slim"
    local c
    c=$(buildah from scratch)
    buildah add "$c" "$tarball" / >/dev/null
    buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      --cmd bash --label org.opencontainers.image.description="Debian 12 (debootstrap minbase)" "$c"
    buildah commit -q --rm "$c" localhost/debian:12 >/dev/null
    buildah tag localhost/debian:12 localhost/debian:12-slim
    image_id localhost/debian:12 >"$stamp"
  else
    progress "base: localhost/debian:12 up to date"
  fi
}

# 2. The host's binaries, as the image localhost/alcor-binaries-<image>:<content hash>.
BINARIES_IMAGE=()
host_binaries() {
  local image=$1 dir=$work/binaries/$image targets=()
  case $image in
    agent) targets=(alcor-agent alcor-cni) ;;
    controller) targets=(alcor-controller) ;;
    *) return 0 ;;
  esac
  [ -f "$BUILD_DIR/build.ninja" ] || cmake -S "$REPO" -B "$BUILD_DIR" -G Ninja >/dev/null
  progress "$image: ninja ${targets[*]} in $BUILD_DIR"
  nice -n 5 ninja -j2 -C "$BUILD_DIR" "${targets[@]}" | grep -v '^ninja: no work' || true
  mkdir -p "$dir"
  case $image in
    agent)
      strip -o "$dir/alcor-agent" "$BUILD_DIR/node-agent/exe/alcor-agent"
      strip -o "$work/alcor-cni" "$BUILD_DIR/cni-plugin/alcor-cni"
      images/agent/bundle-cni.sh "$work/alcor-cni" "$dir/cni" >/dev/null
      ;;
    controller) strip -o "$dir/alcor-controller" "$BUILD_DIR/controller/alcor-controller" ;;
  esac
  local hash ref
  hash=$(cd "$dir" && find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)
  ref=localhost/alcor-binaries-$image:$hash
  if [ -z "$(image_id "$ref")" ]; then
    local c
    c=$(buildah from scratch)
    buildah copy "$c" "$dir" /out >/dev/null
    buildah commit -q --rm "$c" "$ref" >/dev/null
    progress "$image: binaries image $ref"
  fi
  BINARIES_IMAGE=(--build-arg "BINARIES=$ref")
}

# 3 and 4. The image under each tag, and its archive.
build_image() {
  local image=$1 tag name context=$work/context
  name=alcor-$image
  BINARIES_IMAGE=()
  if [ "$BINARIES" = host ]; then
    host_binaries "$image"
    # The Dockerfiles' final stages only COPY from images/: a small context.
    mkdir -p "$context"
    cp -r images "$context/"
  else
    context=$REPO
  fi
  for tag in "${TAGS[@]}"; do
    local before after archive=$OUT/$name-$tag.tar
    before=$(image_id "localhost/$name:$tag")
    progress "$name:$tag: buildah bud -f images/$image/Dockerfile"
    buildah bud --layers --pull=never --network=host --quiet "${BINARIES_IMAGE[@]}" \
      --build-arg "VERSION=$tag" --label "org.opencontainers.image.version=$tag" -f "images/$image/Dockerfile" -t "localhost/$name:$tag" \
      "$context" >"$work/bud.log" 2>&1 || { tail -20 "$work/bud.log" >&2; exit 1; }
    after=$(image_id "localhost/$name:$tag")
    if [ "$before" = "$after" ] && [ -f "$archive" ] && [ "$(cat "$archive.id" 2>/dev/null)" = "$after" ]; then
      progress "$name:$tag: unchanged ($(short_id "$after")), $archive kept"
      continue
    fi
    rm -f "$archive.tmp"
    buildah push -q "localhost/$name:$tag" "oci-archive:$archive.tmp:localhost/$name:$tag"
    mv "$archive.tmp" "$archive"
    echo "$after" >"$archive.id"
    progress "$name:$tag: $(short_id "$after") -> $archive ($(du -m "$archive" | cut -f1) MB)"
  done
}

base
for image in $IMAGES; do build_image "$image"; done
progress "done: $(for t in "${TAGS[@]}"; do printf 'alcor-{%s}:%s ' "${IMAGES// /,}" "$t"; done)in $OUT"

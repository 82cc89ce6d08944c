#!/usr/bin/env bash
# Builds the pod images the CRI tier and the cluster run need, as OCI archives, under the exact
# names the Kubernetes e2e suite expects (`e2e.test --list-images`). Everything comes from this
# machine: a static pause built here, Debian binaries with their libraries, and the Go binaries
# tests/k8s/build.sh made. An archive is rebuilt when one of its inputs is newer.
#
#   build-images.sh OUT_DIR [image...]     # default: all; images: pause busybox agnhost coredns
#                                          # jessie-dnsutils nginx
#   BIN_DIR=...  where agnhost and coredns are (default: the build cache of tests/k8s/build.sh);
#   GOMODCACHE_DIR=...  the module cache that holds the pinned k8s.io/kubernetes sources
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../versions.env
. "$here/../versions.env"
out=${1:?usage: build-images.sh OUT_DIR [image...]}
shift
images=("$@")
[ ${#images[@]} -gt 0 ] || images=(pause busybox agnhost coredns jessie-dnsutils nginx)
BIN_DIR=${BIN_DIR:-${ALCOR_K8S_CACHE:-/var/cache/alcor-k8s}/$K8S_VERSION/bin}
GOMODCACHE_DIR=${GOMODCACHE_DIR:-${ALCOR_K8S_CACHE:-/var/cache/alcor-k8s}/$K8S_VERSION/gomod}
E2E_REGISTRY=registry.k8s.io/e2e-test-images
mkdir -p "$out"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# fresh ARCHIVE INPUT...: true when ARCHIVE exists and is newer than every input.
fresh() {
  local archive=$1 input
  shift
  [ -f "$archive" ] || return 1
  for input in "$@" "$here/build-images.sh" "$here/oci-image.sh" "$here/../versions.env"; do
    [ "$archive" -nt "$input" ] || return 1
  done
}

# add_binaries ROOTFS PROGRAM...: copies the programs to their paths under ROOTFS, with every
# shared library they load (ldd) and the dynamic loader.
add_binaries() {
  local rootfs=$1 prog lib
  shift
  for prog in "$@"; do
    prog=$(readlink -f "$(command -v "$prog")")
    install -D -m 0755 "$prog" "$rootfs$prog"
    for lib in $(ldd "$prog" 2>/dev/null | grep -o '/[^ ]*' || true); do
      [ -e "$rootfs$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$rootfs$lib"
    done
  done
}

# debian_shell ROOTFS: /bin/sh is dash. Debian's static busybox is built as a rescue shell that
# runs its own applets before PATH: its `sh -c "nc -u ..."` would get busybox's nc (no -u), not
# the OpenBSD nc the image carries, as upstream's Alpine-based images would.
debian_shell() {
  add_binaries "$1" dash
  ln -sf "$(readlink -f "$(command -v dash)")" "$1/bin/sh"
}

# busybox_rootfs DIR: busybox-static with a link per applet, /tmp, /etc basics.
busybox_rootfs() {
  local rootfs=$1 applet
  mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,tmp,etc,root,var/run}
  chmod 1777 "$rootfs/tmp"
  install -m 0755 /bin/busybox "$rootfs/bin/busybox"
  for applet in $(/bin/busybox --list-full); do
    [ -e "$rootfs/$applet" ] || ln -s /bin/busybox "$rootfs/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' \
    >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
  printf 'hosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
}

build_pause() {
  local archive=$out/pause.tar
  fresh "$archive" "$here/pause.c" && return
  mkdir -p "$work/pause"
  cc -static -Os -o "$work/pause/pause" "$here/pause.c"
  strip "$work/pause/pause"
  "$here/oci-image.sh" "registry.k8s.io/pause:$PAUSE_TAG" "$work/pause" "$archive" \
    '{"Entrypoint":["/pause"],"User":"65535:65535"}'
}

build_busybox() {
  local archive=$out/busybox.tar
  fresh "$archive" /bin/busybox && return
  busybox_rootfs "$work/busybox"
  "$here/oci-image.sh" "$E2E_REGISTRY/busybox:$BUSYBOX_TAG" "$work/busybox" "$archive" \
    '{"Cmd":["sh"],"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}'
}

# agnhost, as upstream's image (test/images/agnhost/Dockerfile of the pinned release): the agnhost
# binary (also as agnhost-2), CoreDNS as /coredns, porter's certificate, /uploads, the user and
# group the security-context tests look for, `pause` as the default command, on a small userland
# with the tools the e2e tests exec in it (sh, curl, nc, dig, getent, ip, bash).
build_agnhost() {
  local archive=$out/agnhost.tar
  local source=$GOMODCACHE_DIR/k8s.io/kubernetes@$K8S_VERSION/test/images/agnhost
  fresh "$archive" "$BIN_DIR/agnhost" "$BIN_DIR/coredns" && return
  local rootfs=$work/agnhost
  busybox_rootfs "$rootfs"
  add_binaries "$rootfs" curl nc.openbsd dig getent ip bash
  debian_shell "$rootfs"
  ln -sf "$(readlink -f "$(command -v nc.openbsd)")" "$rootfs/usr/bin/nc"
  install -m 0755 "$BIN_DIR/agnhost" "$rootfs/agnhost"
  ln -s agnhost "$rootfs/agnhost-2"
  install -m 0755 "$BIN_DIR/coredns" "$rootfs/coredns"
  install -m 0644 "$source/porter/localhost.crt" "$source/porter/localhost.key" "$rootfs/"
  mkdir -p "$rootfs/uploads" "$rootfs/home/user-defined-in-image"
  echo "user-defined-in-image:x:1000:1000::/home/user-defined-in-image:/bin/sh" >>"$rootfs/etc/passwd"
  printf 'user-defined-in-image:x:1000:\ngroup-defined-in-image:x:50000:user-defined-in-image\n' \
    >>"$rootfs/etc/group"
  "$here/oci-image.sh" "$E2E_REGISTRY/agnhost:$AGNHOST_TAG" "$rootfs" "$archive" \
    '{"Entrypoint":["/agnhost"],"Cmd":["pause"],"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}'
}

build_coredns() {
  local archive=$out/coredns.tar
  fresh "$archive" "$BIN_DIR/coredns" && return
  mkdir -p "$work/coredns/etc"
  install -m 0755 "$BIN_DIR/coredns" "$work/coredns/coredns"
  "$here/oci-image.sh" "registry.k8s.io/coredns/coredns:$COREDNS_VERSION" "$work/coredns" \
    "$archive" '{"Entrypoint":["/coredns"]}'
}

# The DNS conformance tests run a shell loop of dig queries in this image.
build_jessie_dnsutils() {
  local archive=$out/jessie-dnsutils.tar
  fresh "$archive" "$(readlink -f "$(command -v dig)")" && return
  local rootfs=$work/jessie-dnsutils
  busybox_rootfs "$rootfs"
  add_binaries "$rootfs" dig host nslookup getent
  debian_shell "$rootfs"
  "$here/oci-image.sh" "$E2E_REGISTRY/jessie-dnsutils:$JESSIE_DNSUTILS_TAG" "$rootfs" "$archive" \
    '{"Cmd":["sh"],"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}'
}

# The EndpointSlice conformance test runs two pods of this image and only needs each to serve
# HTTP on port 80: busybox's httpd does, with a page of its own.
build_nginx() {
  local archive=$out/nginx.tar
  fresh "$archive" /bin/busybox && return
  local rootfs=$work/nginx
  busybox_rootfs "$rootfs"
  mkdir -p "$rootfs/usr/share/nginx/html"
  echo "<html><body>alcor-cni test web server (busybox httpd)</body></html>" \
    >"$rootfs/usr/share/nginx/html/index.html"
  "$here/oci-image.sh" "$E2E_REGISTRY/nginx:$NGINX_TAG" "$rootfs" "$archive" \
    '{"Cmd":["httpd","-f","-p","80","-h","/usr/share/nginx/html"],"Env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]}'
}

for image in "${images[@]}"; do
  case $image in
    pause) build_pause ;;
    busybox) build_busybox ;;
    agnhost) build_agnhost ;;
    coredns) build_coredns ;;
    jessie-dnsutils) build_jessie_dnsutils ;;
    nginx) build_nginx ;;
    *) echo "build-images.sh: unknown image $image" >&2; exit 2 ;;
  esac
done

#!/usr/bin/env bash
# Installs every Debian package the build, the tests and the demo need, then configures and
# builds. Idempotent: when everything is installed and built it returns in seconds.
#
#   scripts/setup.sh                 # RelWithDebInfo build in ./build
#   BUILD_DIR=build-asan CMAKE_ARGS=-DALCOR_SANITIZE=ON scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build}
CMAKE_ARGS=${CMAKE_ARGS:-}

PACKAGES=(
  # toolchain
  build-essential g++ cmake ninja-build pkg-config git clang clang-format libclang-rt-14-dev
  # libraries
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler nlohmann-json3-dev
  libnl-3-dev libnl-route-3-dev libcpp-httplib-dev libssl-dev libsqlite3-dev libmnl-dev libnftnl-dev
  libgtest-dev libgmock-dev libbenchmark-dev openssl
  # the southbound message bus (docs/controller.md, "Southbound over NATS"): C client and server
  libnats-dev libnats3.4 nats-server
  # data plane and the tools tests use as oracles
  openvswitch-switch openvswitch-common iproute2 ethtool tcpdump iputils-ping iputils-arping
  busybox-static dnsmasq-base isc-dhcp-client procps psmisc curl iptables conntrack nftables
  # a real CNI runtime for the podman tests, and the reference plugins
  podman containernetworking-plugins runc
  # the CRI tier and the real-Kubernetes cluster (scripts/k8s-e2e.sh): containerd's CRI plugin;
  # the tools the e2e pod images carry (tests/k8s/images); the Go toolchain is the machine's
  containerd netcat-openbsd bind9-dnsutils
  # benchmarks and plots; manifest validation
  gnuplot-nox python3 jq
  # the agent image bundles alcor-cni's shared libraries (images/agent/bundle-cni.sh)
  patchelf
  # the images built here without Docker or a registry (images/build.sh)
  buildah debootstrap
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${PACKAGES[@]}" >/dev/null
fi

# Node tools for the manifest validation (tests/packaging/manifests_test.sh), pinned by
# tools/package-lock.json into tools/node_modules; reinstalled only when the lock file changes.
if ! command -v npm >/dev/null; then  # the machine's Node.js normally brings npm
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    nodejs npm >/dev/null
fi
if ! cmp -s tools/package-lock.json tools/node_modules/.alcor-installed-lock 2>/dev/null; then
  echo "setup: installing tools/node_modules"
  npm ci --prefix tools --no-audit --no-fund --loglevel=error >/dev/null
  cp tools/package-lock.json tools/node_modules/.alcor-installed-lock
fi

if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  # shellcheck disable=SC2086
  cmake -S . -B "$BUILD_DIR" -G Ninja $CMAKE_ARGS
fi
cmake --build "$BUILD_DIR"

#!/usr/bin/env bash
# alcor-cni runs on the host, which has no gRPC/protobuf: images/agent/bundle-cni.sh ships its
# libraries beside it and install-cni installs both. Checks that the bundled binary resolves
# every library but glibc's from the bundle, answers VERSION from the installed location, and
# that install-cni installs the libraries (idempotently).
#
#   bundle_cni_test.sh ALCOR_CNI
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CNI=${1:?usage: bundle_cni_test.sh ALCOR_CNI}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v patchelf >/dev/null || fail "patchelf is not installed (scripts/setup.sh)"

"$ROOT/images/agent/bundle-cni.sh" "$CNI" "$T/image"
echo '{"cniVersion":"1.0.0","name":"alcor","plugins":[{"type":"alcor-cni"}]}' > "$T/conflist"
install() {
  CNI_BIN_DIR=$T/host/bin CNI_CONF_DIR=$T/host/conf CNI_CONFLIST=$T/conflist \
    ALCOR_CNI_BINARY=$T/image/alcor-cni ALCOR_CNI_LIBS=$T/image/alcor-lib CHAINED_PLUGINS="" \
    "$ROOT/images/agent/install-cni.sh" 2>"$T/log"
}
install
[ -x "$T/host/bin/alcor-cni" ] || fail "alcor-cni not installed"
n=$(find "$T/image/alcor-lib" -type f | wc -l)
[ "$n" -gt 0 ] && [ "$(find "$T/host/bin/alcor-lib" -type f | wc -l)" = "$n" ] ||
  fail "libraries not installed"
# Every library outside glibc resolves to the installed bundle.
outside=$(ldd "$T/host/bin/alcor-cni" | awk '$2 == "=>" {print $1, $3}' |
  grep -v "$T/host/bin/alcor-lib/" | grep -Ev '^(libc|libm|libpthread|libdl|librt)\.so' || true)
[ -z "$outside" ] || fail "libraries resolved outside the bundle: $outside"
echo '{"cniVersion":"1.0.0"}' | CNI_COMMAND=VERSION "$T/host/bin/alcor-cni" | grep -q '"1.0.0"' ||
  fail "the installed alcor-cni does not run"
install
grep -q "alcor-lib/.* is up to date" "$T/log" || fail "re-run rewrote unchanged libraries"
echo "bundle-cni: all checks passed"

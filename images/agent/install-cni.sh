#!/usr/bin/env bash
# install-cni: the agent DaemonSet's init container. Installs alcor-cni (and the chained
# reference plugins) into the host's CNI bin directory and writes the CNI network config.
# Every file is written to a temporary name and renamed, so kubelet never runs a half-written
# binary or reads a half-written conflist. Safe to re-run.
#
# Environment (defaults for the DaemonSet's mounts):
#   CNI_BIN_DIR      host CNI bin dir             (/host/opt/cni/bin)
#   CNI_CONF_DIR     host CNI config dir          (/host/etc/cni/net.d)
#   CNI_CONFLIST     conflist to install          (/etc/alcor/10-alcor.conflist, from the ConfigMap)
#   CNI_CONF_NAME    file name in CNI_CONF_DIR    (10-alcor.conflist)
#   ALCOR_CNI_BINARY the plugin                   (/opt/alcor/bin/alcor-cni)
#   ALCOR_CNI_LIBS   its shared libraries, installed as CNI_BIN_DIR/alcor-lib/ (bundle-cni.sh)
#                    when the directory exists    (/opt/alcor/bin/alcor-lib)
#   REFERENCE_PLUGINS_DIR  where portmap/loopback come from (/usr/lib/cni)
#   CHAINED_PLUGINS  reference plugins to install (portmap loopback bandwidth)
#   SKIP_CNI_BINARIES  space-separated names not to install
set -euo pipefail

CNI_BIN_DIR=${CNI_BIN_DIR:-/host/opt/cni/bin}
CNI_CONF_DIR=${CNI_CONF_DIR:-/host/etc/cni/net.d}
CNI_CONFLIST=${CNI_CONFLIST:-/etc/alcor/10-alcor.conflist}
CNI_CONF_NAME=${CNI_CONF_NAME:-10-alcor.conflist}
ALCOR_CNI_BINARY=${ALCOR_CNI_BINARY:-/opt/alcor/bin/alcor-cni}
ALCOR_CNI_LIBS=${ALCOR_CNI_LIBS:-/opt/alcor/bin/alcor-lib}
REFERENCE_PLUGINS_DIR=${REFERENCE_PLUGINS_DIR:-/usr/lib/cni}
CHAINED_PLUGINS=${CHAINED_PLUGINS:-portmap loopback bandwidth}
SKIP_CNI_BINARIES=${SKIP_CNI_BINARIES:-}

log() { echo "install-cni: $*" >&2; }

skipped() {
  local name=$1
  for s in $SKIP_CNI_BINARIES; do [ "$s" = "$name" ] && return 0; done
  return 1
}

# install_file SRC DEST MODE: copy to DEST.tmp.<pid>, then rename over DEST (atomic on one fs).
install_file() {
  local src=$1 dest=$2 mode=$3 tmp
  if [ -f "$dest" ] && cmp -s "$src" "$dest"; then
    log "$dest is up to date"
    return 0
  fi
  # The temporary name does not end in .conflist/.conf/.json, so the runtime never loads it.
  tmp="$dest.tmp.$$"
  rm -f "$dest".tmp.*  # left by an interrupted run
  trap 'rm -f "$tmp"' EXIT
  cp "$src" "$tmp"
  chmod "$mode" "$tmp"
  sync "$tmp" 2>/dev/null || true  # the content is on disk before the name points at it
  mv -f "$tmp" "$dest"
  trap - EXIT
  log "installed $dest"
}

[ -x "$ALCOR_CNI_BINARY" ] || { log "missing $ALCOR_CNI_BINARY"; exit 1; }
[ -f "$CNI_CONFLIST" ] || { log "missing $CNI_CONFLIST"; exit 1; }
mkdir -p "$CNI_BIN_DIR" "$CNI_CONF_DIR"

# The conflist must be valid JSON naming alcor-cni first; refuse to install anything else.
if command -v jq >/dev/null 2>&1; then
  jq -e '.plugins[0].type == "alcor-cni"' "$CNI_CONFLIST" >/dev/null ||
    { log "$CNI_CONFLIST is not a conflist with alcor-cni first"; exit 1; }
fi

if ! skipped alcor-cni; then
  # Libraries first: the binary is only found by the runtime once everything it needs is there.
  if [ -d "$ALCOR_CNI_LIBS" ]; then
    mkdir -p "$CNI_BIN_DIR/alcor-lib"
    for lib in "$ALCOR_CNI_LIBS"/*; do
      [ -f "$lib" ] && install_file "$lib" "$CNI_BIN_DIR/alcor-lib/$(basename "$lib")" 0644
    done
  fi
  install_file "$ALCOR_CNI_BINARY" "$CNI_BIN_DIR/alcor-cni" 0755
fi
for p in $CHAINED_PLUGINS; do
  skipped "$p" && continue
  if [ -x "$REFERENCE_PLUGINS_DIR/$p" ]; then
    install_file "$REFERENCE_PLUGINS_DIR/$p" "$CNI_BIN_DIR/$p" 0755
  else
    log "reference plugin $p not found in $REFERENCE_PLUGINS_DIR; skipping"
  fi
done
install_file "$CNI_CONFLIST" "$CNI_CONF_DIR/$CNI_CONF_NAME" 0644
log "done"

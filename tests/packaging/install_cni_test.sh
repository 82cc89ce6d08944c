#!/usr/bin/env bash
# install-cni in a temporary directory: installs the plugin and chained plugins, writes the
# conflist, never leaves a temporary file, re-runs idempotently, refuses a foreign conflist.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SCRIPT=$ROOT/images/agent/install-cni.sh
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir -p "$T/src" "$T/ref" "$T/bin" "$T/conf"
printf '#!/bin/sh\necho alcor\n' > "$T/src/alcor-cni"; chmod +x "$T/src/alcor-cni"
for p in portmap loopback; do printf '#!/bin/sh\necho %s\n' "$p" > "$T/ref/$p"; chmod +x "$T/ref/$p"; done
# The conflist of the shipped ConfigMap.
python3 - "$ROOT/manifests/configmap.yaml" > "$T/src/10-alcor.conflist" <<'PY'
import sys, re
text = open(sys.argv[1]).read()
block = text.split("10-alcor.conflist: |\n", 1)[1]
lines = []
for line in block.splitlines():
    if line.strip() and not line.startswith("    "):
        break
    lines.append(line[4:])
print("\n".join(lines).strip())
PY
jq -e '.plugins[0].type == "alcor-cni" and .plugins[1].type == "portmap"' "$T/src/10-alcor.conflist" >/dev/null ||
  fail "shipped conflist is not alcor-cni -> portmap"

run() {
  CNI_BIN_DIR=$T/bin CNI_CONF_DIR=$T/conf CNI_CONFLIST=$T/src/10-alcor.conflist \
  ALCOR_CNI_BINARY=$T/src/alcor-cni REFERENCE_PLUGINS_DIR=$T/ref CHAINED_PLUGINS="portmap loopback bandwidth" \
  "$SCRIPT"
}

run 2>"$T/log1"
[ -x "$T/bin/alcor-cni" ] || fail "alcor-cni not installed"
[ -x "$T/bin/portmap" ] && [ -x "$T/bin/loopback" ] || fail "chained plugins not installed"
grep -q "bandwidth not found" "$T/log1" || fail "missing plugin not reported"
cmp -s "$T/src/10-alcor.conflist" "$T/conf/10-alcor.conflist" || fail "conflist differs"
[ -z "$(find "$T/bin" "$T/conf" -name '*.tmp.*')" ] || fail "temporary files left"

# Idempotent: a second run changes nothing and says so.
before=$(stat -c %i "$T/bin/alcor-cni")
run 2>"$T/log2"
[ "$(stat -c %i "$T/bin/alcor-cni")" = "$before" ] || fail "re-run rewrote an unchanged binary"
grep -q "is up to date" "$T/log2" || fail "re-run did not report up-to-date files"

# An update replaces the file by rename (new inode), atomically.
printf '#!/bin/sh\necho alcor v2\n' > "$T/src/alcor-cni"
run 2>/dev/null
[ "$(stat -c %i "$T/bin/alcor-cni")" != "$before" ] || fail "update did not rename a new file in"
grep -q v2 "$T/bin/alcor-cni" || fail "update not installed"

# A temporary file left by an interrupted run is removed by the next one.
touch "$T/bin/alcor-cni.tmp.12345" "$T/conf/10-alcor.conflist.tmp.12345"
printf '#!/bin/sh\necho alcor v3\n' > "$T/src/alcor-cni"
echo '{"cniVersion":"1.0.0","name":"alcor","plugins":[{"type":"alcor-cni"}]}' > "$T/src/new.conflist"
CNI_BIN_DIR=$T/bin CNI_CONF_DIR=$T/conf CNI_CONFLIST=$T/src/new.conflist ALCOR_CNI_BINARY=$T/src/alcor-cni \
  REFERENCE_PLUGINS_DIR=$T/ref CHAINED_PLUGINS="" "$SCRIPT" 2>/dev/null
[ -z "$(find "$T/bin" "$T/conf" -name '*.tmp.*')" ] || fail "stale temporary files kept"
cmp -s "$T/src/new.conflist" "$T/conf/10-alcor.conflist" || fail "changed conflist not installed"

# SKIP_CNI_BINARIES is honoured.
rm "$T/bin/portmap"
SKIP_CNI_BINARIES=portmap run 2>/dev/null
[ ! -e "$T/bin/portmap" ] || fail "skipped plugin installed"

# A conflist that does not start with alcor-cni is refused and nothing is written.
echo '{"cniVersion":"1.0.0","name":"x","plugins":[{"type":"bridge"}]}' > "$T/src/10-alcor.conflist"
rm -f "$T/conf/10-alcor.conflist"
if run 2>/dev/null; then fail "foreign conflist accepted"; fi
[ ! -e "$T/conf/10-alcor.conflist" ] || fail "foreign conflist written"
echo "install-cni: all checks passed"

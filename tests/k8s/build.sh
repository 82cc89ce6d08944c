#!/usr/bin/env bash
# Builds the pinned Kubernetes release and the programs the cluster run needs, from the Go module
# proxy, into a cache outside the repository:
#
#   $ALCOR_K8S_CACHE/<k8s version>/   (default /var/cache/alcor-k8s/v1.34.4/)
#     gomod/ gocache/   GOMODCACHE and GOCACHE
#     src/              generated wrapper modules (kubernetes, etcd, coredns)
#     bin/              kubelet kube-apiserver ... e2e.test, each with a .stamp of its pins
#     logs/             one build log per component, build-times.txt
#
# A binary is rebuilt only when its stamp (the pins in versions.env and the Go version) changes.
#
#   tests/k8s/build.sh                 # everything
#   tests/k8s/build.sh kubelet kubectl # a subset
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"

ALL=(kubelet kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubectl etcd coredns
  agnhost e2e.test)
wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=("${ALL[@]}")

cache=${ALCOR_K8S_CACHE:-/var/cache/alcor-k8s}/$K8S_VERSION
mkdir -p "$cache"/{gomod,gocache,src,bin,logs}
export GOMODCACHE=$cache/gomod GOCACHE=$cache/gocache GOTOOLCHAIN=local CGO_ENABLED=0
export GOFLAGS="-mod=mod -buildvcs=false ${K8S_GOFLAGS:-}"
# sudo's secure_path leaves out the Go of the official tarball.
command -v go >/dev/null || [ ! -x /usr/local/go/bin/go ] || PATH=$PATH:/usr/local/go/bin
command -v go >/dev/null || { echo "build.sh: needs Go >= 1.24 on PATH (Kubernetes 1.34)" >&2; exit 1; }
go_version=$(go env GOVERSION)
go_minor=${go_version#go1.}
go_minor=${go_minor%%.*}
[ "${go_minor:-0}" -ge 24 ] 2>/dev/null ||
  { echo "build.sh: $go_version is too old: Kubernetes 1.34 needs Go >= 1.24" >&2; exit 1; }

tty=false
[ -t 1 ] && tty=true

elapsed() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# Runs "$@" with its output in $log and prints a progress line (label, packages compiled so far
# out of the total when known, elapsed time) until it ends; on failure prints the log's tail.
with_progress() {
  local label=$1 total=$2 log=$3
  shift 3
  local start=$SECONDS last=-100
  : >"$log"
  "$@" >"$log" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    local now=$SECONDS
    if $tty || ((now - last >= 30)); then
      local done_pkgs line
      done_pkgs=$(grep -cv -e '^#' -e '^go: ' "$log" || true)
      line="$label: $done_pkgs${total:+/$total} packages compiled, $(elapsed $((now - start)))"
      if [ "$total" = "-" ]; then
        line="$label: $(du -sh "$GOMODCACHE/cache/download" 2>/dev/null | cut -f1) downloaded, \
$(elapsed $((now - start)))"
      fi
      if $tty; then printf '\r\033[K%s' "$line"; else echo "$line"; fi
      last=$now
    fi
    sleep 2
  done
  $tty && printf '\r\033[K'
  if ! wait "$pid"; then
    echo "$label: FAILED after $(elapsed $((SECONDS - start))); last lines of $log:" >&2
    tail -n 25 "$log" >&2
    return 1
  fi
  echo "$label: done in $(elapsed $((SECONDS - start)))"
  echo "$label $((SECONDS - start))s $(date -u +%FT%TZ)" >>"$cache/logs/build-times.txt"
}

# The wrapper module: k8s.io/kubernetes cannot be built as a dependency without pinning each of
# its staging modules (required at v0.0.0 and replaced by ./staging paths in its own go.mod).
kubernetes_module() {
  local dir=$cache/src/kubernetes
  [ -f "$dir/go.mod" ] && grep -q "k8s.io/kubernetes $K8S_VERSION\$" "$dir/go.mod" && return
  mkdir -p "$dir"
  local upstream
  upstream=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  {
    echo "module alcor.local/kubernetes-build"
    echo
    grep -m1 '^go ' "$upstream"
    grep -m1 '^godebug ' "$upstream" || true
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    echo "replace ("
    sed -n 's|^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*|\t\1 => \1 '"$K8S_STAGING_VERSION"'|p' \
      "$upstream"
    echo ")"
  } >"$dir/go.mod.new"
  mv "$dir/go.mod.new" "$dir/go.mod"
  rm -f "$dir/go.sum"
}

# wrapper_module NAME "MODULE VERSION" MAIN_GO: src/NAME, a one-file main package over a published
# module; rewritten when the pinned version changes.
wrapper_module() {
  local dir=$cache/src/$1 require=$2 main=$3
  [ -f "$dir/go.mod" ] && grep -q "^require $require\$" "$dir/go.mod" && return
  mkdir -p "$dir"
  printf '%s\n' "$main" >"$dir/main.go"
  printf 'module alcor.local/%s-build\n\ngo 1.24\n\nrequire %s\n' "$1" "$require" >"$dir/go.mod"
  rm -f "$dir/go.sum"
}

# etcd's own main package is in its root module, which replaces its submodules by path; this is
# the same one-line program over the published server module.
etcd_module() {
  wrapper_module etcd "go.etcd.io/etcd/server/v3 $ETCD_VERSION" 'package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }'
}

# CoreDNS's main package imports its plugin set (core/plugin) and calls coremain.Run.
coredns_module() {
  wrapper_module coredns "github.com/coredns/coredns $COREDNS_VERSION" 'package main

import (
	_ "github.com/coredns/coredns/core/plugin"
	"github.com/coredns/coredns/coremain"
)

func main() { coremain.Run() }'
}

version_ldflags() {
  local minor=${K8S_VERSION#v1.}
  minor=${minor%%.*}
  local flags="-s -w" pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    flags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  echo "$flags"
}

# component -> "module-dir package"
source_of() {
  case $1 in
    etcd) echo "etcd ." ;;
    coredns) echo "coredns ." ;;
    agnhost) echo "kubernetes k8s.io/kubernetes/test/images/agnhost" ;;
    e2e.test) echo "kubernetes k8s.io/kubernetes/test/e2e" ;;
    *) echo "kubernetes k8s.io/kubernetes/cmd/$1" ;;
  esac
}

stamp_of() {
  case $1 in
    etcd) echo "etcd=$ETCD_VERSION $go_version" ;;
    coredns) echo "coredns=$COREDNS_VERSION $go_version" ;;
    *) echo "kubernetes=$K8S_VERSION staging=$K8S_STAGING_VERSION $go_version" ;;
  esac
}

todo=()
for c in "${wanted[@]}"; do
  [ -n "$(source_of "$c")" ] || { echo "build.sh: unknown component $c" >&2; exit 2; }
  if [ -x "$cache/bin/$c" ] && [ "$(cat "$cache/bin/$c.stamp" 2>/dev/null)" = "$(stamp_of "$c")" ]; then
    continue
  fi
  todo+=("$c")
done
if [ ${#todo[@]} -eq 0 ]; then
  echo "k8s build: ${wanted[*]} up to date in $cache/bin"
  exit 0
fi
echo "k8s build: $K8S_VERSION into $cache (${#todo[@]} to build: ${todo[*]}; $go_version)"
echo "k8s build: a cold build takes about an hour on 2 cores; logs in $cache/logs"

kubernetes_module
etcd_module
coredns_module

# Resolve and download every module the wanted packages need (fills go.sum), and count each
# component's packages for the progress lines.
declare -A total
n=0
for c in "${todo[@]}"; do
  n=$((n + 1))
  read -r mod pkg <<<"$(source_of "$c")"
  test_flag=""
  [ "$c" = e2e.test ] && test_flag=-test
  log=$cache/logs/$c.list.log
  (cd "$cache/src/$mod" && with_progress "[$n/${#todo[@]}] $c: modules" - "$log" \
    go list -deps $test_flag -f '{{.ImportPath}}' "$pkg")
  total[$c]=$(grep -cv -e '^go: ' "$log" || true)
done

n=0
ldflags=$(version_ldflags)
for c in "${todo[@]}"; do
  n=$((n + 1))
  read -r mod pkg <<<"$(source_of "$c")"
  out=$cache/bin/$c
  if [ "$c" = e2e.test ]; then
    cmd=(go test -c -vet=off -v -ldflags "$ldflags" -o "$out.tmp" "$pkg")
  else
    cmd=(go build -v -ldflags "$ldflags" -o "$out.tmp" "$pkg")
  fi
  (cd "$cache/src/$mod" && with_progress "[$n/${#todo[@]}] $c" "${total[$c]}" \
    "$cache/logs/$c.log" "${cmd[@]}")
  mv "$out.tmp" "$out"
  stamp_of "$c" >"$out.stamp"
done
echo "k8s build: all built in $cache/bin"

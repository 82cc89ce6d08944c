#!/usr/bin/env bash
# Offline checks of manifests/ and the kind overlay, with no cluster:
#   1. kustomize rendering (our renderer; compared with `kubectl kustomize` when kubectl exists)
#   2. every document against the Kubernetes API schemas (npm kubernetes-models, pinned in
#      tools/package.json, installed by scripts/setup.sh), unknown fields included
#   3. the packaging rules of issue 9 (tests/packaging/k8s_policy.cjs)
#   4. the binaries accept the shipped config and arguments; the controller starts with the
#      shipped controller.json and answers the probes' /healthz; every plugin of the conflist
#      supports its cniVersion
#   5. broken copies fail each of these checks (the checks have teeth)
#
#   manifests_test.sh ALCOR_AGENT ALCOR_CONTROLLER ALCOR_CNI
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
AGENT=${1:?usage: manifests_test.sh ALCOR_AGENT ALCOR_CONTROLLER ALCOR_CNI}
CONTROLLER=${2:?}
CNI=${3:?}
TOOL=$ROOT/tests/packaging/k8s_manifests.cjs
export ALCOR_NODE_MODULES=$ROOT/tools/node_modules
REFERENCE_PLUGINS_DIR=${REFERENCE_PLUGINS_DIR:-/usr/lib/cni}

T=$(mktemp -d)
OVERLAY=$ROOT/kind/.overlay-test-$$
CONTROLLER_PID=
cleanup() {
  [ -n "$CONTROLLER_PID" ] && kill "$CONTROLLER_PID" 2>/dev/null && wait "$CONTROLLER_PID" 2>/dev/null
  rm -rf "$T" "$OVERLAY"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }
k8s() { node "$TOOL" "$@"; }
# expect_fail WHAT CMD...: CMD must fail.
expect_fail() {
  local what=$1; shift
  if "$@" >"$T/neg.out" 2>&1; then cat "$T/neg.out" >&2; fail "$what was accepted"; fi
  echo "rejected as expected: $what"
}

command -v node >/dev/null || fail "node is not installed (scripts/setup.sh)"
[ -d "$ALCOR_NODE_MODULES/kubernetes-models" ] && [ -d "$ALCOR_NODE_MODULES/yaml" ] ||
  fail "tools/node_modules is missing: run scripts/setup.sh"
for b in "$AGENT" "$CONTROLLER" "$CNI"; do [ -x "$b" ] || fail "$b is not built"; done

# Same objects, whatever the order and formatting.
same_objects() {
  node -e '
    const { parseDocs, readText } = require(process.argv[1]);
    const load = (f) => Object.fromEntries(parseDocs(readText(f), f).map(
      (o) => [`${o.kind}/${o.metadata.namespace || ""}/${o.metadata.name}`, o]));
    const sortKeys = (v) => Array.isArray(v) ? v.map(sortKeys) : v && typeof v === "object"
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])])) : v;
    const a = load(process.argv[2]), b = load(process.argv[3]);
    const diff = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter(
      (k) => JSON.stringify(sortKeys(a[k])) !== JSON.stringify(sortKeys(b[k])));
    if (diff.length) { console.error("renderings differ in " + diff.join(", ")); process.exit(1); }
  ' "$TOOL" "$1" "$2"
}

render_and_check() {  # DIR OUT
  k8s render "$1" > "$2"
  if command -v kubectl >/dev/null && kubectl kustomize "$1" > "$2.kubectl" 2>"$T/kubectl.err"; then
    same_objects "$2" "$2.kubectl" || fail "our rendering of $1 differs from kubectl kustomize"
    echo "kubectl kustomize $1 renders the same objects"
  fi
  k8s validate "$2"
  k8s policy "$2"
}

step "base: render, schema-validate, policy"
k8s validate "$ROOT"/manifests/*.yaml
render_and_check "$ROOT/manifests" "$T/base.yaml"
[ "$(grep -c '^kind: ' "$T/base.yaml")" -ge 10 ] || fail "rendering lost objects"

step "kind overlays (kind/overlay.sh)"
VERSION=1.2.3 DATAPATH=system "$ROOT/kind/overlay.sh" "$OVERLAY"
render_and_check "$OVERLAY" "$T/kind-system.yaml"
grep -q 'image: alcor-agent:1.2.3' "$T/kind-system.yaml" || fail "overlay did not tag the images"
! grep -q 'image: alcor-[a-z]*:dev' "$T/kind-system.yaml" || fail "an image kept the dev tag"
VERSION=1.2.3 DATAPATH=netdev UNDERLAY_PREFIX_LENGTH=20 "$ROOT/kind/overlay.sh" "$OVERLAY"
render_and_check "$OVERLAY" "$T/kind-netdev.yaml"
[ "$(k8s get "$T/kind-netdev.yaml" ConfigMap alcor-config data/datapath)" = netdev ] ||
  fail "netdev overlay did not set the datapath"
[ "$(k8s get "$T/kind-netdev.yaml" ConfigMap alcor-config data/underlay-prefix-length)" = 20 ] ||
  fail "netdev overlay did not set the underlay prefix length"
expect_fail "overlay with DATAPATH=bogus" env DATAPATH=bogus "$ROOT/kind/overlay.sh" "$OVERLAY"

step "alcor-agent accepts the shipped agent.json, arguments and probe commands"
k8s get "$T/base.yaml" ConfigMap alcor-config data/agent.json > "$T/agent.json"
k8s get "$T/base.yaml" ConfigMap alcor-config data/controller.json > "$T/controller.json"
"$AGENT" --config="$T/agent.json" --help >/dev/null || fail "alcor-agent rejects agent.json"
# Container args with $(VAR) expanded the way kubelet does, from the env the DaemonSet gives.
expand_args() {  # FILE KIND NAME CONTAINER FIELD -> one argument per line
  node -e '
    const { parseDocs, readText } = require(process.argv[1]);
    const [file, kind, name, container, field] = process.argv.slice(2);
    const objs = parseDocs(readText(file), file);
    const o = objs.find((d) => d.kind === kind && d.metadata.name === name);
    const spec = o.spec.template.spec;
    const c = [...(spec.initContainers || []), ...spec.containers].find((x) => x.name === container);
    const cm = objs.find((d) => d.kind === "ConfigMap" && d.metadata.name === "alcor-config");
    const env = { ALCOR_CONTROLLER_SERVICE_HOST: "10.96.0.10", ALCOR_CONTROLLER_SERVICE_PORT_REST: "9009",
                  ALCOR_CONTROLLER_SERVICE_PORT_GRPC: "9090" };
    for (const e of c.env || []) {
      if (e.value !== undefined) env[e.name] = e.value;
      else if (e.valueFrom.configMapKeyRef) env[e.name] = cm.data[e.valueFrom.configMapKeyRef.key];
      else if (e.valueFrom.fieldRef) env[e.name] = e.valueFrom.fieldRef.fieldPath === "status.hostIP" ? "192.0.2.10" : "node-1";
    }
    let args = field === "args" ? c.args : c[field].exec.command.slice(1);
    for (const a of args) {
      const out = a.replace(/\$\((\w+)\)/g, (m, v) => { if (!(v in env)) { console.error("undefined " + m); process.exit(1); } return env[v]; });
      console.log(out.replace("/etc/alcor/", process.argv[7] + "/"));
    }
  ' "$TOOL" "$@" "$T"
}
for overlay in base kind-netdev; do
  mapfile -t args < <(expand_args "$T/$overlay.yaml" DaemonSet alcor-agent alcor-agent args)
  [ ${#args[@]} -gt 3 ] || fail "could not expand the agent's arguments"
  "$AGENT" "${args[@]}" --help >/dev/null || fail "alcor-agent rejects its DaemonSet arguments ($overlay): ${args[*]}"
done
for probe in readinessProbe livenessProbe startupProbe; do
  mapfile -t args < <(expand_args "$T/base.yaml" DaemonSet alcor-agent alcor-agent "$probe")
  "$AGENT" "${args[@]}" --help >/dev/null || fail "alcor-agent rejects its $probe: ${args[*]}"
done
# Without a running agent the readiness probe must fail (and say why), not pass.
mapfile -t args < <(expand_args "$T/base.yaml" DaemonSet alcor-agent alcor-agent readinessProbe)
expect_fail "readiness probe without a running agent" "$AGENT" "${args[@]}" --cni-socket="$T/none.sock"

step "alcor-controller starts with the shipped controller.json and answers /healthz"
mapfile -t args < <(expand_args "$T/base.yaml" Deployment alcor-controller alcor-controller args)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# Outside a cluster: no API server to review tokens with or publish the CA to (it retries in
# the background), so an admin token from a file stands in; TLS and its CA are the shipped ones.
echo "manifests-admin,admin,0,\"alcor:admins\"" > "$T/tokens.csv"
"$CONTROLLER" "${args[@]}" --listen="127.0.0.1:$PORT" --grpc-listen= --db="$T/controller.db" \
  --pki-dir="$T/pki" --tls-san=127.0.0.1 --kube-api-server=http://127.0.0.1:1 \
  --token-file="$T/tokens.csv" >"$T/controller.log" 2>&1 &
CONTROLLER_PID=$!
CURL=(curl -sf --cacert "$T/pki/ca.crt")
for _ in $(seq 100); do
  "${CURL[@]}" "https://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  kill -0 "$CONTROLLER_PID" 2>/dev/null || { cat "$T/controller.log" >&2; fail "controller exited"; }
  sleep 0.1
done
"${CURL[@]}" "https://127.0.0.1:$PORT/healthz" >/dev/null || { cat "$T/controller.log" >&2; fail "no /healthz"; }
"${CURL[@]}" "https://127.0.0.1:$PORT/metrics" > "$T/metrics" || fail "no /metrics"
grep -q '^alcor_controller_resources{kind="vpc"} 1$' "$T/metrics" ||
  fail "the bootstrap VPC of controller.json was not created"
! "${CURL[@]}" "https://127.0.0.1:$PORT/project/default/subnets" >/dev/null 2>&1 ||
  fail "the REST API answered without a token"
"${CURL[@]}" -H "Authorization: Bearer manifests-admin" "https://127.0.0.1:$PORT/project/default/subnets" |
  grep -q cluster-subnet || fail "the bootstrap subnet of controller.json was not created"
! curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 || fail "the controller serves plain HTTP"
# The metric names docs/configuration.md lists are the ones the controller exports.
for m in $(grep -o '^alcor_[a-z_]*' "$T/metrics" | sed -E 's/_(bucket|sum|count)$//' | sort -u); do
  grep -q "\`$m\`" "$ROOT/docs/configuration.md" || fail "metric $m is not documented in docs/configuration.md"
done
kill "$CONTROLLER_PID"; wait "$CONTROLLER_PID" 2>/dev/null || true; CONTROLLER_PID=

step "the NATS component (manifests/nats): render, schema-validate, policy, nats-server and binaries accept it"
mkdir -p "$OVERLAY"
printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../../manifests]\ncomponents: [../../manifests/nats]\n' \
  > "$OVERLAY/kustomization.yaml"
render_and_check "$OVERLAY" "$T/nats.yaml"
[ "$(k8s get "$T/nats.yaml" StatefulSet alcor-nats spec/replicas)" = 3 ] || fail "no 3-node NATS StatefulSet"
mapfile -t args < <(expand_args "$T/nats.yaml" DaemonSet alcor-agent alcor-agent args)
printf '%s\n' "${args[@]}" | grep -q '^--nats-user=node-1$' || fail "the agents do not sign in to NATS as their node"
"$AGENT" "${args[@]}" --help >/dev/null || fail "alcor-agent rejects its NATS arguments: ${args[*]}"
k8s get "$T/nats.yaml" ConfigMap alcor-config data/controller.json > "$T/controller-nats.json"
[ "$(jq -r .southbound "$T/controller-nats.json")" = mq ] || fail "the NATS component does not switch the controller to mq"
"$CONTROLLER" --config="$T/controller-nats.json" --help >/dev/null || fail "alcor-controller rejects the NATS controller.json"
# nats-server reads the shipped configuration with the files the Secrets would hold
# (certificates of gen-certs.sh, users of nats-auth.sh), laid out as the pod mounts them.
if command -v nats-server >/dev/null; then
  N=$T/etc-nats
  mkdir -p "$N/config" "$N/tls"
  k8s get "$T/nats.yaml" ConfigMap alcor-nats-config data/nats.conf | sed "s|/etc/nats/|$N/|g" > "$N/config/nats.conf"
  k8s get "$T/nats.yaml" ConfigMap alcor-nats-config data/routes.conf > "$N/config/routes.conf"
  "$ROOT/scripts/gen-certs.sh" "$T/nats-pki" --controller-name alcor-nats --san 192.0.2.11 >/dev/null
  cp "$T/nats-pki/controller.crt" "$N/tls/tls.crt"; cp "$T/nats-pki/controller.key" "$N/tls/tls.key"
  cp "$T/nats-pki/ca.crt" "$N/tls/ca.crt"
  "$ROOT/scripts/nats-auth.sh" "$N/auth" node-1=192.0.2.21 node-2=192.0.2.22 >/dev/null
  grep -q 'alcor.gs.host.192-0-2-21' "$N/auth/auth.conf" || fail "nats-auth.sh did not scope node-1 to its host subject"
  POD_NAME=alcor-nats-0 nats-server -t -c "$N/config/nats.conf" >"$T/nats-t.log" 2>&1 ||
    { cat "$T/nats-t.log" >&2; fail "nats-server rejects the shipped nats.conf"; }
  echo "nats-server accepts nats.conf with the users of nats-auth.sh"
  expect_fail "nats-auth.sh with a node address that is not IPv4" "$ROOT/scripts/nats-auth.sh" "$T/bad-auth" node-1=host.example
fi

step "every plugin of the conflist supports its cniVersion"
k8s get "$T/base.yaml" ConfigMap alcor-config data/10-alcor.conflist > "$T/conflist"
version=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).cniVersion)' "$T/conflist")
for type in $(node -e 'for (const p of JSON.parse(require("fs").readFileSync(process.argv[1])).plugins) console.log(p.type)' "$T/conflist"); do
  bin=$REFERENCE_PLUGINS_DIR/$type; [ "$type" = alcor-cni ] && bin=$CNI
  [ -x "$bin" ] || fail "plugin $type not found at $bin (containernetworking-plugins)"
  echo "{\"cniVersion\":\"$version\"}" | CNI_COMMAND=VERSION "$bin" > "$T/version.json" ||
    fail "$type VERSION failed"
  grep -q "\"$version\"" "$T/version.json" || fail "$type does not support cniVersion $version: $(cat "$T/version.json")"
  echo "$type supports $version"
done

step "broken copies are rejected"
mkdir -p "$T/broken"
sed 's/mountPropagation:/mountPropagaton:/' "$ROOT/manifests/agent.yaml" > "$T/broken/typo.yaml"
expect_fail "a misspelt field" k8s validate "$T/broken/typo.yaml"
sed 's/replicas: 1/replicas: "one"/' "$ROOT/manifests/controller.yaml" > "$T/broken/type.yaml"
expect_fail "a string where an integer belongs" k8s validate "$T/broken/type.yaml"
sed 's/^  selector:/  selectorr:/' "$ROOT/manifests/agent.yaml" > "$T/broken/required.yaml"
expect_fail "a DaemonSet without a selector" k8s validate "$T/broken/required.yaml"
# broken_bundle NAME FILE SED: the manifests with one file edited, rendered to $T/broken/NAME.yaml
broken_bundle() {
  cp -r "$ROOT/manifests" "$T/broken/$1"
  sed -i "$3" "$T/broken/$1/$2"
  ! cmp -s "$ROOT/manifests/$2" "$T/broken/$1/$2" || fail "edit '$3' changed nothing in $2"
  k8s render "$T/broken/$1" > "$T/broken/$1.yaml"
  k8s validate "$T/broken/$1.yaml" >/dev/null || fail "schema-valid copy $1 rejected"
}
broken_bundle rbac rbac.yaml 's/verbs: \["get"\]/verbs: ["get", "patch"]/'
expect_fail "RBAC that writes" k8s policy "$T/broken/rbac.yaml"
broken_bundle netns agent.yaml 's/mountPropagation: Bidirectional/mountPropagation: HostToContainer/'
expect_fail "netns without Bidirectional propagation" k8s policy "$T/broken/netns.yaml"
broken_bundle tolerations agent.yaml 's/- operator: Exists/- operator: Exists\n          key: foo/'
expect_fail "an agent that does not tolerate every taint" k8s policy "$T/broken/tolerations.yaml"
broken_bundle probe agent.yaml 's/--probe=ready/--probe=live/'
expect_fail "an agent without the ready probe" k8s policy "$T/broken/probe.yaml"
broken_bundle portmap configmap.yaml 's/"type": "portmap"/"type": "bandwidth"/'
expect_fail "a conflist without portmap" k8s policy "$T/broken/portmap.yaml"
broken_bundle plaintext agent.yaml 's|--controller-url=https://|--controller-url=http://|'
expect_fail "an agent talking plain HTTP to the controller" k8s policy "$T/broken/plaintext.yaml"
broken_bundle insecure configmap.yaml 's|"token-review": true,|"token-review": true, "insecure": true,|'
expect_fail "a controller started with --insecure" k8s policy "$T/broken/insecure.yaml"
broken_bundle ovs-rolling ovs.yaml 's/type: OnDelete/type: RollingUpdate/'
expect_fail "an OVS DaemonSet that rolls with every new image" k8s policy "$T/broken/ovs-rolling.yaml"
broken_bundle audience agent.yaml 's|audience: alcor-controller|audience: kubernetes|'
expect_fail "an agent token usable against the API server" k8s policy "$T/broken/audience.yaml"
cp -r "$ROOT/manifests" "$T/broken/kustomize"
sed -i 's/agent.yaml/agnet.yaml/' "$T/broken/kustomize/kustomization.yaml"
expect_fail "a kustomization naming a missing file" k8s render "$T/broken/kustomize"
sed 's/"state-dir"/"state-directory"/' "$T/agent.json" > "$T/broken/agent.json"
expect_fail "agent.json with an unknown key" "$AGENT" --config="$T/broken/agent.json" --help
sed 's/"agent-port": 50001/"agent-port": "many"/' "$T/controller.json" > "$T/broken/controller.json"
expect_fail "controller.json with a bad value" "$CONTROLLER" --config="$T/broken/controller.json" --help
echo "manifests: all checks passed"

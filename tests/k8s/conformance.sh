#!/usr/bin/env bash
# Runs the upstream Kubernetes e2e tests of the issue's focus against the cluster of cluster.sh,
# one e2e.test process per test (so every result prints as soon as it is known), and prints
#
#   PASS   12.3s  [sig-network] Networking Granular Checks: Pods should function for ...
#   FAIL   75.0s  [sig-network] Services should serve a basic endpoint from pods ...
#          Failure: <first line of the failure message>
#   N passed, M failed
#
#   conformance.sh RESULTS_DIR        # FOCUS / SKIP / E2E_FLAGS override the defaults below
#
# RESULTS_DIR gets results.tsv (state, seconds, name), one log and JSON report per test.
# docs/conformance.md explains the focus and every skip.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
results=${1:?usage: conformance.sh RESULTS_DIR}
mkdir -p "$results/tests"

FOCUS=${FOCUS:-'\[sig-network\].*\[Conformance\]|Networking Granular Checks|HostPort|DNS should provide DNS for the cluster|\[Feature:NetworkPolicy\]'}
# Each skip is what these machines cannot have; docs/conformance.md gives the reasons.
SKIP=${SKIP:-'\[Feature:SCTPConnectivity\]|with an SCTP HostPort'}

# e2e.test in the control plane's namespace (one process: nsenter and env exec it).
E2E=(nsenter --net="/run/netns/$(node_ns 0)" -- env KUBERNETES_PROVIDER=local "$K8S_BIN/e2e.test"
  --provider=local --kubeconfig="$RUN/pki/admin.kubeconfig" --kubectl-path="$K8S_BIN/kubectl"
  --disable-log-dump --ginkgo.no-color --system-pods-startup-timeout=2m ${E2E_FLAGS:-})

# The tests of the focus, by their full text, from a dry run.
"${E2E[@]}" --ginkgo.dry-run --ginkgo.focus="$FOCUS" --ginkgo.skip="$SKIP" \
  --ginkgo.json-report="$results/list.json" >"$results/list.log" 2>&1 ||
  die "e2e.test --ginkgo.dry-run failed: $(tail -5 "$results/list.log")"
jq -r '.[0].SpecReports[] | select(.LeafNodeType == "It" and .State == "passed")
  | (.ContainerHierarchyTexts + [.LeafNodeText]) | join(" ")' "$results/list.json" | sort -u \
  >"$results/tests.txt"
total=$(wc -l <"$results/tests.txt")
# Ginkgo matches --focus against "<suite description> <spec text>".
suite=$(jq -r '.[0].SuiteDescription' "$results/list.json")
echo "   $total upstream tests in the focus (list: $results/tests.txt)"

regex_quote() { sed 's/[][\.*^$(){}?+|/]/\\&/g' <<<"$1"; }

passed=0 failed=0 skipped=0 n=0 running=
trap '[ -n "$running" ] && kill "$running" 2>/dev/null; exit 130' INT TERM
: >"$results/results.tsv"
while IFS= read -r name; do
  n=$((n + 1))
  log=$results/tests/$(printf '%03d' "$n").log
  report=$results/tests/$(printf '%03d' "$n").json
  [ -t 1 ] && printf '   [%d/%d] running %s' "$n" "$total" "$name"
  start=$SECONDS
  # In the background, so that an interrupted run stops the test too.
  "${E2E[@]}" --ginkgo.focus="^$(regex_quote "$suite $name")\$" --ginkgo.json-report="$report" \
    --ginkgo.v --report-dir="$results/tests" </dev/null >"$log" 2>&1 &
  running=$!
  wait "$running" || true
  running=
  took=$((SECONDS - start))
  # The test's own state, "failed" when a suite set-up failed for it, "not-run" when the focus
  # did not select it; the first failure message (or the reason of a run-time skip).
  state=$(jq -r --arg name "$name" '[.[0].SpecReports[] | select(.State != "passed" and
    .State != "skipped" and .State != "pending") | .State] + [.[0].SpecReports[]
    | select(.LeafNodeType == "It" and ((.ContainerHierarchyTexts + [.LeafNodeText]) | join(" "))
      == $name) | .State] | first // "not-run"' "$report" 2>/dev/null || echo "no-report")
  message=$(jq -r --arg name "$name" '[.[0].SpecReports[] | select(.Failure != null
    and ((.ContainerHierarchyTexts + [.LeafNodeText]) | join(" ") == $name
      or .LeafNodeType != "It")) | .Failure.Message | split("\n") | map(select(test("^\\s*$") | not)) | .[0:2] | join(" ") | .[0:200]] | first // ""' \
    "$report" 2>/dev/null || true)
  [ -t 1 ] && printf '\r\033[K'
  case $state in
    passed) passed=$((passed + 1)); label=PASS ;;
    skipped) skipped=$((skipped + 1)); label=SKIP ;;
    *) failed=$((failed + 1)); label=FAIL ;;
  esac
  printf '%-5s %4ss  [%d/%d] %s\n' "$label" "$took" "$n" "$total" "$name"
  [ "$label" = PASS ] || echo "             ${message:-no report; see $log}"
  printf '%s\t%s\t%s\t%s\n' "$label" "$took" "$name" "$message" >>"$results/results.tsv"
done <"$results/tests.txt"

# The same as a Markdown table, for docs/conformance.md.
{
  echo "| result | seconds | test | failure (first line) |"
  echo "| --- | --- | --- | --- |"
  awk -F'\t' '{ gsub(/\|/, "\\|", $3); gsub(/\|/, "\\|", $4);
    printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4 }' "$results/results.tsv"
} >"$results/results.md"

[ "$skipped" -gt 0 ] && echo "$skipped skipped at run time (reasons above)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

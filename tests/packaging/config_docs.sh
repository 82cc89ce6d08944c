#!/usr/bin/env bash
# The flag tables of docs/configuration.md are generated from the binaries' --help output, so
# they cannot drift from the code: this test fails when they differ, and --update rewrites them.
#
#   config_docs.sh [--update] ALCOR_AGENT ALCOR_CONTROLLER
#
# A table sits between `<!-- BEGIN flags NAME -->` and `<!-- END flags NAME -->`.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DOC=$ROOT/docs/configuration.md
UPDATE=0
[ "${1:-}" = --update ] && { UPDATE=1; shift; }
AGENT=${1:?usage: config_docs.sh [--update] ALCOR_AGENT ALCOR_CONTROLLER}
CONTROLLER=${2:?}

# --help -> | Flag / config key | Default | Meaning |
flag_table() {
  "$1" --help | awk '
    function esc(s) { gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s);
                      gsub(/\|/, "\\|", s); return s }
    BEGIN { print "| Flag / config key | Default | Meaning |"; print "| --- | --- | --- |" }
    /^  --/ { name = $1; next }
    /^      / && name != "" {
      text = substr($0, 7); def = ""
      if (match(text, / \(default: .*\)$/)) {
        def = substr(text, RSTART + 11, RLENGTH - 12); text = substr(text, 1, RSTART - 1)
      }
      if (name == "--help") { name = ""; next }
      shown = def == "\"\"" ? "empty" : def == "" ? "" : "`" esc(def) "`"
      printf "| `%s` | %s | %s |\n", name, shown, esc(text)
      name = ""
    }'
}

# Replaces the block of NAME in the file $2 with the table on stdin.
replace_block() {
  local name=$1 file=$2 table
  table=$(cat)
  grep -q "^<!-- BEGIN flags $name -->$" "$file" || { echo "no BEGIN flags $name in $file" >&2; exit 1; }
  TABLE=$table awk -v name="$name" '
    $0 == "<!-- BEGIN flags " name " -->" { print; print ENVIRON["TABLE"]; skip = 1; next }
    $0 == "<!-- END flags " name " -->" { skip = 0 }
    !skip' "$file" > "$file.new"
  mv "$file.new" "$file"
}

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cp "$DOC" "$T/doc.md"
flag_table "$AGENT" | replace_block alcor-agent "$T/doc.md"
flag_table "$CONTROLLER" | replace_block alcor-controller "$T/doc.md"
if [ $UPDATE = 1 ]; then
  cp "$T/doc.md" "$DOC"
  echo "updated $DOC"
elif ! diff -u "$DOC" "$T/doc.md"; then
  echo "FAIL: docs/configuration.md flag tables are out of date:" >&2
  echo "  tests/packaging/config_docs.sh --update <build>/node-agent/exe/alcor-agent <build>/controller/alcor-controller" >&2
  exit 1
else
  echo "docs/configuration.md flag tables match --help"
fi

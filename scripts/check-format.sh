#!/usr/bin/env bash
# Fails when a C++ or proto file is not clang-formatted (.clang-format). With --fix, formats them.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=(--dry-run -Werror)
[ "${1:-}" = "--fix" ] && mode=(-i)
mapfile -t files < <(git ls-files --cached --others --exclude-standard -- \
  '*.cc' '*.h' | grep -v '^tests/testdata/')
[ ${#files[@]} -eq 0 ] && exit 0
clang-format "${mode[@]}" "${files[@]}"

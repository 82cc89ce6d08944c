#!/usr/bin/env bash
# The image must hold every shared library its binaries need: each library a binary links
# directly (DT_NEEDED) must come from a Debian package that the Dockerfile's last stage installs,
# or that one of those (or debian:12-slim's apt) depends on. Catches a new dependency (say, a
# library linked since the last image build) before a pod crashes on "cannot open shared object".
#
#   image_libraries_test.sh DOCKERFILE BINARY...
set -euo pipefail
DOCKERFILE=${1:?usage: image_libraries_test.sh DOCKERFILE BINARY...}
shift
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v dpkg-query >/dev/null && command -v apt-cache >/dev/null ||
  { echo "SKIP: needs dpkg and apt (Debian)"; exit 0; }

# The packages the last stage installs: the words of its apt-get install command.
listed=$(awk '/^FROM /{ stage = "" } { stage = stage $0 "\n" } END { printf "%s", stage }' "$DOCKERFILE" |
  sed -n '/apt-get install/,/&&/p' | tr ' \\' '\n\n' |
  grep -E '^[a-z0-9][a-z0-9.+-]+$' | grep -vE '^(apt-get|install|update|rm|DEBIAN_FRONTEND=.*)$' || true)
[ -n "$listed" ] || fail "no apt-get install in the last stage of $DOCKERFILE"
# Everything those pull in, plus what debian:12-slim has (apt and its dependencies).
available=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
  --no-replaces --no-enhances $listed apt 2>/dev/null | grep -v '^ ' | sed 's/:.*//' | sort -u)

for binary in "$@"; do
  [ -x "$binary" ] || fail "no binary $binary"
  while read -r soname; do
    [[ $soname == ld-linux* ]] && continue  # the dynamic loader, glibc's (libc6)
    # Sanitizer runtimes come only with -DALCOR_SANITIZE builds; images/build.sh packs the
    # plain build's binaries, never those.
    [[ $soname =~ ^lib(a|ub|l|t)san\.so ]] && continue
    path=$(ldd "$binary" | awk -v s="$soname" '$1 == s && $2 == "=>" { print $3 }')
    [ -n "$path" ] && [ "$path" != "not" ] || fail "$(basename "$binary"): $soname not found here"
    owner=$(dpkg-query -S "$(realpath "$path")" 2>/dev/null || dpkg-query -S "$path" 2>/dev/null ||
      true)
    owner=${owner%%:*}
    [ -n "$owner" ] || fail "$(basename "$binary"): $soname ($path) belongs to no Debian package"
    grep -qx "$owner" <<<"$available" ||
      fail "$(basename "$binary") needs $soname from $owner, which $DOCKERFILE does not install"
  done < <(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
done
echo "image libraries: $DOCKERFILE installs every library of $*"

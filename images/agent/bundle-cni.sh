#!/usr/bin/env bash
# Makes alcor-cni runnable on any node: kubelet runs it on the host, where gRPC and protobuf are
# not installed. Copies the binary and every shared library it needs except glibc's into OUT,
# libraries in OUT/alcor-lib, and points the binary's RPATH at $ORIGIN/alcor-lib (DT_RPATH, not
# RUNPATH, so the libraries' own dependencies are found there too). The node needs glibc >= the
# build's (2.36 for Debian 12).
#
#   bundle-cni.sh ALCOR_CNI OUT      # then install OUT/alcor-cni and OUT/alcor-lib/ side by side
set -euo pipefail
SRC=${1:?usage: bundle-cni.sh ALCOR_CNI OUT}
OUT=${2:?}
mkdir -p "$OUT/alcor-lib"
ldd "$SRC" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | while read -r lib; do
  case $(basename "$lib") in
    # glibc: must match the host's dynamic loader, so it is the host's.
    libc.so.* | libm.so.* | libpthread.so.* | libdl.so.* | librt.so.* | ld-linux*) ;;
    *) cp -L "$lib" "$OUT/alcor-lib/" ;;
  esac
done
cp "$SRC" "$OUT/alcor-cni"
patchelf --force-rpath --set-rpath '$ORIGIN/alcor-lib' "$OUT/alcor-cni"
echo "bundle-cni: alcor-cni + $(ls "$OUT/alcor-lib" | wc -l) libraries in $OUT"

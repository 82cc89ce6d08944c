#!/usr/bin/env bash
# Makes the certificates of an operator-managed PKI for Alcor CNI's control channels with the
# openssl CLI (docs/security.md, "Certificates"). Not needed in Kubernetes, where the controller
# runs its own CA; use it for standalone set-ups or to bring your own CA.
#
#   scripts/gen-certs.sh DIR                       # CA + controller certificate
#   scripts/gen-certs.sh DIR --node node-1 --node node-2 --san 10.0.0.1 --days 30
#
# DIR gets ca.crt/ca.key (kept if present, so nodes can be added later), controller.crt/.key
# (DNS name alcor-controller, or --controller-name, plus every --san) and node-NAME.crt/.key for
# each --node. Keys are 0600. Then:
#   alcor-controller --ca-cert=DIR/ca.crt --ca-key=DIR/ca.key --tls-cert=DIR/controller.crt \
#                    --tls-key=DIR/controller.key ...   (it issues node certificates itself), or
#   alcor-agent --tls-ca=DIR/ca.crt --tls-cert=DIR/node-N.crt --tls-key=DIR/node-N.key ...
# To rotate, run it again with the same DIR and let the binaries pick up the new files.
set -euo pipefail
DIR=${1:?usage: gen-certs.sh DIR [--node NAME]... [--san NAME|IP]... [--controller-name NAME] [--days N]}
shift
NODES=()
SANS=()
CONTROLLER=alcor-controller
DAYS=365
while [ $# -gt 0 ]; do
  case "$1" in
    --node) NODES+=("$2"); shift 2 ;;
    --san) SANS+=("$2"); shift 2 ;;
    --controller-name) CONTROLLER=$2; shift 2 ;;
    --days) DAYS=$2; shift 2 ;;
    *) echo "gen-certs.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
command -v openssl >/dev/null || { echo "gen-certs.sh needs the openssl CLI" >&2; exit 1; }
mkdir -p "$DIR"
umask 077
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

dns_name() {  # the rules the binaries check: lower-case DNS names
  [[ $1 =~ ^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$ ]] ||
    { echo "gen-certs.sh: \"$1\" is not a lower-case DNS name" >&2; exit 2; }
}

if [ ! -f "$DIR/ca.key" ]; then
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 \
    -keyout "$DIR/ca.key" -out "$DIR/ca.crt" -days 3650 -subj "/CN=alcor-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    2>/dev/null
  chmod 644 "$DIR/ca.crt"
  echo "gen-certs.sh: new CA $DIR/ca.crt"
fi

issue() {  # NAME FILE-PREFIX EXTRA-SANS...
  local name=$1 out=$2 san="DNS:$1"
  shift 2
  for s in "$@"; do
    if [[ $s =~ ^[0-9.]+$ || $s == *:* ]]; then san+=",IP:$s"; else dns_name "$s"; san+=",DNS:$s"; fi
  done
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$TMP/key" -out "$TMP/csr" -subj "/CN=$name" 2>/dev/null
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=%s\n' \
    "$san" > "$TMP/ext"
  openssl x509 -req -in "$TMP/csr" -CA "$DIR/ca.crt" -CAkey "$DIR/ca.key" -CAcreateserial \
    -CAserial "$TMP/serial" -days "$DAYS" -sha256 -extfile "$TMP/ext" -out "$TMP/crt" 2>/dev/null
  # The key first, then the certificate, each renamed into place.
  mv "$TMP/key" "$out.key.tmp" && mv "$out.key.tmp" "$out.key"
  chmod 644 "$TMP/crt" && mv "$TMP/crt" "$out.crt.tmp" && mv "$out.crt.tmp" "$out.crt"
  echo "gen-certs.sh: $out.crt ($san)"
}

dns_name "$CONTROLLER"
issue "$CONTROLLER" "$DIR/controller" "${SANS[@]}"
for n in "${NODES[@]}"; do
  dns_name "$n"
  [ "$n" != "$CONTROLLER" ] || { echo "gen-certs.sh: a node may not be named $CONTROLLER" >&2; exit 2; }
  issue "$n" "$DIR/node-$n"
done

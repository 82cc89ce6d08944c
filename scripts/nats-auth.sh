#!/usr/bin/env bash
# Writes the `authorization` block of nats-server's configuration for Alcor CNI's southbound
# (docs/controller.md, "Southbound over NATS"): one user for the controller and one per node,
# each with a random password kept in a file of its own, and the permissions of
# lib/southbound/subjects.cc (controllerPermissions, agentPermissions):
#   controller  publish alcor.gs.host.*, alcor.gs.subnet.>; subscribe alcor.gs.agent.*, _INBOX.>
#   node NAME   subscribe alcor.gs.host.<its IP, dots as dashes>, alcor.gs.subnet.>;
#               publish alcor.gs.agent.<same>; answer the requests it receives
#
#   scripts/nats-auth.sh DIR node-1=10.200.0.11 node-2=10.200.0.12 ...
#
# DIR gets auth.conf (for nats-server's `include`) and passwords/<user> (0600; users are
# `alcor-controller` and the node names). Passwords already in DIR are kept, so nodes can be
# added by running it again with the whole list, then reloading the servers
# (`nats-server --signal reload`).
set -euo pipefail
DIR=${1:?usage: nats-auth.sh DIR NODE=IP...}
shift
mkdir -p "$DIR/passwords"
umask 077

password() {  # USER -> its password (made once)
  local f=$DIR/passwords/$1
  [ -s "$f" ] || head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$f"
  cat "$f"
}
token() { [[ $1 =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || { echo "nats-auth.sh: \"$1\" is not an IPv4 address" >&2; exit 2; }; echo "${1//./-}"; }

{
  echo "authorization {"
  echo "  users: ["
  printf '    {user: "alcor-controller", password: "%s", permissions: {publish: {allow: ["alcor.gs.host.*", "alcor.gs.subnet.>"]}, subscribe: {allow: ["alcor.gs.agent.*", "_INBOX.>"]}}}\n' \
    "$(password alcor-controller)"
  for pair in "$@"; do
    name=${pair%%=*} ip=${pair#*=}
    [[ $name =~ ^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$ ]] && [ "$name" != alcor-controller ] ||
      { echo "nats-auth.sh: \"$name\" is not a node name" >&2; exit 2; }
    t=$(token "$ip")
    printf '    {user: "%s", password: "%s", permissions: {publish: {allow: ["alcor.gs.agent.%s"]}, subscribe: {allow: ["alcor.gs.host.%s", "alcor.gs.subnet.>"]}, allow_responses: true}}\n' \
      "$name" "$(password "$name")" "$t" "$t"
  done
  echo "  ]"
  echo "}"
} >"$DIR/auth.conf.new"
mv "$DIR/auth.conf.new" "$DIR/auth.conf"
echo "nats-auth.sh: $DIR/auth.conf: alcor-controller and $# node(s)"

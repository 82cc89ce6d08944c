#!/usr/bin/env bash
# Starts ovsdb-server and ovs-vswitchd in the foreground-supervised way a container needs, keeps
# the database on the host (so flows and ports survive container restarts), and stops both
# cleanly on SIGTERM.
set -euo pipefail
RUN=${OVS_RUNDIR:-/var/run/openvswitch}
DB_DIR=${OVS_DBDIR:-/var/lib/openvswitch}
DATAPATH=${OVS_DATAPATH:-system}
mkdir -p "$RUN" "$DB_DIR"
export OVS_RUNDIR=$RUN OVS_DBDIR=$DB_DIR

if [ "$DATAPATH" = system ]; then
  modprobe openvswitch || echo "start-ovs: cannot load the openvswitch module" >&2
fi
[ -f "$DB_DIR/conf.db" ] || ovsdb-tool create "$DB_DIR/conf.db" /usr/share/openvswitch/vswitch.ovsschema
ovsdb-tool needs-conversion "$DB_DIR/conf.db" /usr/share/openvswitch/vswitch.ovsschema | grep -q yes && \
  ovsdb-tool convert "$DB_DIR/conf.db" /usr/share/openvswitch/vswitch.ovsschema

ovsdb-server "$DB_DIR/conf.db" --remote=punix:"$RUN/db.sock" --pidfile="$RUN/ovsdb-server.pid" \
  --unixctl="$RUN/ovsdb-server.ctl" --detach -vconsole:info
ovs-vsctl --no-wait init
# On a restart (br-int already in the database) the kernel datapath keeps forwarding with its
# flows until alcor-agent has replayed its own: the agent clears flow-restore-wait once its tables
# are installed. The userspace datapath restarts with ovs-vswitchd, empty: there is nothing to
# keep, and waiting would only hold back br-phy (the node's own traffic) until the agent is back.
if [ "$DATAPATH" = system ] && ovs-vsctl --no-wait br-exists br-int 2>/dev/null; then
  ovs-vsctl --no-wait set Open_vSwitch . other_config:flow-restore-wait=true
else
  ovs-vsctl --no-wait remove Open_vSwitch . other_config flow-restore-wait 2>/dev/null || true
fi
extra=()
[ "$DATAPATH" = netdev ] && extra+=(--disable-system)
ovs-vswitchd unix:"$RUN/db.sock" --pidfile="$RUN/ovs-vswitchd.pid" --unixctl="$RUN/ovs-vswitchd.ctl" \
  --detach -vconsole:info "${extra[@]}"

stop() {
  ovs-appctl -t "$RUN/ovs-vswitchd.ctl" exit || true
  ovs-appctl -t "$RUN/ovsdb-server.ctl" exit || true
  exit 0
}
trap stop TERM INT
while ovs-appctl -t "$RUN/ovs-vswitchd.ctl" version >/dev/null 2>&1 &&
      ovs-appctl -t "$RUN/ovsdb-server.ctl" version >/dev/null 2>&1; do
  sleep 5 & wait $!
done
echo "start-ovs: an OVS daemon exited" >&2
exit 1

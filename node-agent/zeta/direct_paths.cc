#include "node-agent/zeta/direct_paths.h"

#include "node-agent/pipeline/tables.h"

namespace alcor::agent::zeta {

using openflow::FlowMod;

Status DirectPathTable::inject(const pipeline::DirectPath& path) {
  return openflow_.send({FlowMod::add(pipeline::directPathFlow(path, tunnel_ofport_))});
}

Status DirectPathTable::remove(const pipeline::DirectPath& path) {
  return openflow_.send({FlowMod::deleteStrict(pipeline::directPathFlow(path, tunnel_ofport_))});
}

Status DirectPathTable::removeVni(uint32_t vni) {
  FlowMod del;
  del.command = FlowMod::kDelete;
  del.flow.table = pipeline::kL2Forwarding.id;
  del.flow.cookie = pipeline::directPathCookie(vni);
  del.cookie_mask = ~uint64_t{0};
  return openflow_.send({del});
}

}  // namespace alcor::agent::zeta

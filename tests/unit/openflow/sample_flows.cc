// Flows that together use every match field and action the library models, each with the text
// ovs-ofctl prints for it. Shared by the codec unit tests and the OVS integration tests.

#include "tests/unit/openflow/sample_flows.h"

namespace alcor::openflow::testing {

static MacAddress mac(const char* s) { return *MacAddress::parse(s); }
static Ipv4Address ip(const char* s) { return *Ipv4Address::parse(s); }

std::vector<FlowCase> flowCases() {
  std::vector<FlowCase> cases;
  auto add = [&](const char* name, Flow f, const char* text) { cases.push_back({name, f, text}); };

  Flow f;
  f.priority = 100;
  f.match.in_port = 1;
  f.match.eth_src = Masked<MacAddress>(mac("00:11:22:33:44:55"));
  f.actions = {setField(Field::kTunId, 5001), loadReg(0, 5, 0, 16), loadReg(1, 7, 0, 8),
               move(Field::kEthSrc, Field::kEthDst), resubmit(10)};
  f.goto_table = 5;
  add("in_port_eth_src_loads", f,
      "priority=100,in_port=1,dl_src=00:11:22:33:44:55 actions=set_field:0x1389->tun_id,"
      "set_field:0x5/0xffff->reg0,set_field:0x7/0xff->reg1,"
      "move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],resubmit(,10),goto_table:5");

  f = Flow{};
  f.table = 1;
  f.priority = 200;
  f.cookie = 0x55;
  f.match = arpMatch();
  f.match.arp_op = 1;
  f.match.arp_tpa = Masked<Ipv4Address>(ip("10.99.0.254"));
  f.actions = {move(Field::kEthSrc, Field::kEthDst),
               setField(Field::kEthSrc, mac("0a:58:0a:63:00:fe")),
               setField(Field::kArpOp, 2),
               move(Field::kArpSha, Field::kArpTha),
               move(Field::kArpSpa, Field::kArpTpa),
               setField(Field::kArpSha, mac("0a:58:0a:63:00:fe")),
               setField(Field::kArpSpa, ip("10.99.0.254")),
               OutputInPort{}};
  add("arp_responder", f,
      "table:1 priority=200,arp,arp_tpa=10.99.0.254,arp_op=1 cookie:0x55 "
      "actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],set_field:0a:58:0a:63:00:fe->eth_src,"
      "set_field:2->arp_op,move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],"
      "move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],set_field:0a:58:0a:63:00:fe->arp_sha,"
      "set_field:10.99.0.254->arp_spa,IN_PORT");

  f = Flow{};
  f.table = 2;
  f.priority = 10;
  f.match = tcpMatch();
  f.match.ct_state = Masked<uint32_t>(kCtNew | kCtTracked, kCtNew | kCtTracked);
  f.match.ipv4_src = Masked<Ipv4Address>(ip("10.0.0.0"), ip("255.255.255.0"));
  f.match.tcp_dst = Masked<uint16_t>(80);
  Ct c;
  c.commit = true;
  c.zone = 1;
  c.table = 3;
  c.nat = Nat{Nat::Kind::kDst, ip("10.99.0.2"), std::nullopt, 8080, std::nullopt};
  c.actions = {SetField{Field::kCtMark, 7, std::nullopt}};
  f.actions = {c};
  add("ct_commit_dnat", f,
      "table:2 priority=10,ct_state=+new+trk,tcp,nw_src=10.0.0.0/24,tp_dst=80 "
      "actions=ct(commit,table=3,zone=1,nat(dst=10.99.0.2:8080),exec(set_field:0x7->ct_mark))");

  f = Flow{};
  f.table = 2;
  f.priority = 10;
  f.match = ipv4Match();
  f.match.ct_state = Masked<uint32_t>(0, kCtTracked);
  Ct c2;
  c2.zone_field = Field::kReg6;
  c2.table = 20;
  c2.nat = Nat{};
  f.actions = {c2};
  add("ct_zone_from_reg_unnat", f,
      "table:2 priority=10,ct_state=-trk,ip actions=ct(table=20,zone=NXM_NX_REG6[0..15],nat)");

  f = Flow{};
  f.table = 2;
  f.match = udpMatch();
  f.match.udp_src = Masked<uint16_t>(5, 0xff);
  f.match.udp_dst = Masked<uint16_t>(67);
  f.actions = {Conjunction{7, 0, 2}};
  add("conjunction_udp", f, "table:2 udp,tp_src=0x5/0xff,tp_dst=67 actions=conjunction(7,1/2)");

  f = Flow{};
  f.table = 2;
  f.match = ipv4Match();
  f.match.conj_id = 7;
  Controller ctl;
  ctl.userdata = {1, 2, 3, 4};
  Controller paused;
  paused.userdata = {1, 2};
  paused.pause = true;
  f.actions = {ctl,       Controller{128},  paused,
               Group{5},  PushVlan{0x8100}, setField(Field::kVlanVid, 0x1064),
               PopVlan{}, DecTtl{},         output(3)};
  add("controller_group_vlan", f,
      "table:2 conj_id=7,ip actions=controller(userdata=01.02.03.04),CONTROLLER:128,"
      "controller(userdata=01.02,pause),group:5,push_vlan:0x8100,set_field:4196->vlan_vid,"
      "pop_vlan,dec_ttl,output:3");

  f = Flow{};
  f.table = 3;
  f.priority = 5;
  f.match = udpMatch();
  f.match.ct_zone = 5;
  f.match.ct_mark = Masked<uint32_t>(3);
  f.match.reg[3] = Masked<uint32_t>(5, 0xff);
  f.match.reg[15] = Masked<uint32_t>(1);
  f.match.metadata = Masked<uint64_t>(0x10);
  f.match.tun_id = Masked<uint64_t>(5);
  f.match.tun_ipv4_src = Masked<Ipv4Address>(ip("1.1.1.1"));
  f.match.tun_ipv4_dst = Masked<Ipv4Address>(ip("2.2.2.2"));
  f.match.vlan_vid = Masked<uint16_t>(kVlanPresent | 5);
  f.match.eth_dst = Masked<MacAddress>(mac("01:00:00:00:00:00"), mac("01:00:00:00:00:00"));
  f.actions = {Resubmit{1, 4}, Resubmit{std::nullopt, 4}, Resubmit{2, 0xff}};
  add("metadata_fields_resubmits", f,
      "table:3 priority=5,ct_zone=5,ct_mark=0x3,udp,reg3=0x5/0xff,reg15=0x1,tun_id=0x5,"
      "tun_src=1.1.1.1,tun_dst=2.2.2.2,metadata=0x10,dl_vlan=5,"
      "dl_dst=01:00:00:00:00:00/01:00:00:00:00:00 "
      "actions=resubmit(1,4),resubmit(,4),resubmit:2");

  f = Flow{};
  f.table = 4;
  f.match = icmpMatch();
  f.match.icmp_type = 8;
  f.match.icmp_code = 0;
  f.match.ipv4_dst = Masked<Ipv4Address>(ip("10.1.2.3"));
  f.actions = {output(kPortNormal)};
  add("icmp", f, "table:4 icmp,nw_dst=10.1.2.3,icmp_type=8,icmp_code=0 actions=NORMAL");

  f = Flow{};
  f.table = 4;
  f.match = arpMatch();
  f.match.arp_sha = mac("00:00:00:00:00:01");
  f.match.arp_tha = mac("00:00:00:00:00:02");
  f.match.arp_spa = Masked<Ipv4Address>(ip("1.1.1.0"), ip("255.255.255.0"));
  f.actions = {output(kPortLocal), output(kPortFlood)};
  add("arp_addresses", f,
      "table:4 arp,arp_spa=1.1.1.0/24,arp_sha=00:00:00:00:00:01,arp_tha=00:00:00:00:00:02 "
      "actions=LOCAL,FLOOD");

  f = Flow{};
  f.table = 5;
  f.priority = 0;
  add("drop", f, "table:5 priority=0 actions=drop");

  f = Flow{};
  f.table = 6;
  f.priority = 1;
  f.idle_timeout = 10;
  f.hard_timeout = 20;
  f.match = tcpMatch();
  f.match.tcp_src = Masked<uint16_t>(5);
  f.match.in_port = kPortLocal;
  Ct snat;
  snat.commit = true;
  snat.zone = 5;
  snat.nat = Nat{Nat::Kind::kSrc, ip("10.0.0.1"), ip("10.0.0.5"), 1000, 2000};
  Ct mark;
  mark.commit = true;
  mark.actions = {SetField{Field::kCtMark, 2, 2}};
  f.actions = {snat,
               mark,
               loadReg(2, 1, 3, 1),
               setField(Field::kIpv4Dst, ip("1.2.3.4")),
               move(Field::kReg1, 0, Field::kReg2, 4, 4),
               move(Field::kTunIpv4Src, Field::kReg3),
               move(Field::kMetadata, 0, Field::kReg1, 0, 32),
               move(Field::kTunId, 0, Field::kReg4, 0, 32),
               move(Field::kInPort, Field::kReg6)};
  add("timeouts_snat_moves", f,
      "table:6 priority=1,tcp,in_port=LOCAL,tp_src=5 idle:10 hard:20 "
      "actions=ct(commit,zone=5,nat(src=10.0.0.1-10.0.0.5:1000-2000)),"
      "ct(commit,exec(set_field:0x2/0x2->ct_mark)),set_field:0x8/0x8->reg2,"
      "set_field:1.2.3.4->ip_dst,move:NXM_NX_REG1[0..3]->NXM_NX_REG2[4..7],"
      "move:NXM_NX_TUN_IPV4_SRC[]->NXM_NX_REG3[],move:OXM_OF_METADATA[0..31]->NXM_NX_REG1[],"
      "move:NXM_NX_TUN_ID[0..31]->NXM_NX_REG4[],move:OXM_OF_IN_PORT[]->NXM_NX_REG6[]");

  f = Flow{};
  f.table = 7;
  f.match.eth_type = 0x88cc;
  f.match.vlan_vid = Masked<uint16_t>(0);
  f.actions = {setField(Field::kEthDst, mac("00:00:00:00:00:01")),
               setField(Field::kTunIpv4Dst, ip("1.1.1.1")), setField(Field::kMetadata, 5),
               output(kPortAll), output(kPortInPort)};
  add("other_ethertype", f,
      "table:7 vlan_tci=0x0000/0x1fff,dl_type=0x88cc actions=set_field:00:00:00:00:00:01->eth_dst,"
      "set_field:1.1.1.1->tun_dst,set_field:0x5->metadata,ALL,IN_PORT");
  return cases;
}

}  // namespace alcor::openflow::testing

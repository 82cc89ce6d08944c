// bench_scale: the scale cases of issue 10 (see docs/performance.md).
//
//   bench_scale [--cases=simulated,real] [--hosts=100] [--ports=1000,10000] [--modes=bulk,single]
//               [--southbounds=grpc,mq3,mq6,auto3] [--clients=8] [--nodes=3] [--pods=300]
//               [--concurrency=10] [--out=DIR]
//
// simulated: the real alcor-controller binary + M simulated agents (real GoalState handling over
//            a fake data plane), N ports created at once over REST.
// real:      3 node namespaces with OVS + alcor-agent, N pods through alcor-cni.
// Prints one row per run and the anchors; writes DIR/scale.csv. Run as root.

#include <cstdio>
#include <iostream>

#include "bench/scale/cases.h"
#include "lib/base/flags.h"
#include "lib/base/logging.h"
#include "lib/base/strings.h"

int main(int argc, char** argv) {
  using namespace alcor;
  std::string cases = "simulated,real", ports = "1000,10000", modes = "bulk,single", out;
  std::string southbounds = "grpc";
  int64_t hosts = 100, clients = 8, nodes = 3, pods = 300, concurrency = 10, timeout = 900;
  std::vector<std::string> controller_flags;
  FlagSet flags("bench_scale", "scale cases: simulated fan-out and real nodes");
  flags.addString("cases", &cases, "comma-separated: simulated, real");
  flags.addInt("hosts", &hosts, "simulated agents (M)");
  flags.addString("ports", &ports, "simulated: comma-separated port counts");
  flags.addString("modes", &modes, "simulated: bulk (one POST /ports/bulk), single (POST each)");
  flags.addString("southbounds", &southbounds,
                  "simulated: grpc, mqN (NATS, N-node cluster), autoN (--southbound=auto over "
                  "one), comma-separated, compared per run");
  flags.addInt("clients", &clients, "simulated: concurrent REST clients for single POSTs");
  flags.addStringList("controller-flag", &controller_flags, "simulated: extra controller flag");
  flags.addInt("nodes", &nodes, "real: node namespaces with OVS + agent");
  flags.addInt("pods", &pods, "real: pods ADDed through alcor-cni");
  flags.addInt("concurrency", &concurrency, "real: CNI ADDs in flight");
  flags.addInt("timeout", &timeout, "seconds one run may take");
  flags.addString("out", &out, "directory for scale.csv (empty: none)");
  if (auto st = flags.parse(argc, argv); !st.ok() || flags.helpRequested()) {
    std::cout << flags.usage();
    return st.ok() ? 0 : 2;
  }
  (void)log::configure("warn");

  std::vector<bench::ScaleRow> rows;
  for (auto c : splitString(cases, ',')) {
    if (c == "simulated") {
      bench::SimulatedOptions o;
      o.hosts = static_cast<int>(hosts);
      o.ports.clear();
      for (auto p : splitString(ports, ',')) {
        auto n = parseInt<size_t>(p);
        if (!n || *n == 0) {
          std::cerr << "bad --ports value: " << p << "\n";
          return 2;
        }
        o.ports.push_back(*n);
      }
      o.modes.clear();
      for (auto m : splitString(modes, ',')) {
        if (m != "bulk" && m != "single") {
          std::cerr << "bad --modes value: " << m << "\n";
          return 2;
        }
        o.modes.emplace_back(m);
      }
      o.southbounds.clear();
      for (auto sb : splitString(southbounds, ',')) {
        const size_t digits = sb.rfind("auto", 0) == 0 ? 4 : sb.rfind("mq", 0) == 0 ? 2 : 0;
        if (sb != "grpc" && !(digits > 0 && parseInt<int>(sb.substr(digits)).value_or(0) > 0)) {
          std::cerr << "bad --southbounds value: " << sb << "\n";
          return 2;
        }
        o.southbounds.emplace_back(sb);
      }
      o.clients = static_cast<int>(clients);
      o.timeout_s = static_cast<int>(timeout);
      o.controller_flags = controller_flags;
      auto r = bench::runSimulated(o);
      rows.insert(rows.end(), r.begin(), r.end());
    } else if (c == "real") {
      bench::RealOptions o;
      o.nodes = static_cast<int>(nodes);
      o.pods = static_cast<int>(pods);
      o.concurrency = static_cast<int>(concurrency);
      o.timeout_s = static_cast<int>(timeout);
      rows.push_back(bench::runReal(o));
    } else {
      std::cerr << "unknown case: " << c << " (simulated, real)\n";
      return 2;
    }
    // Written after each case, so a later failure keeps the earlier figures.
    if (!out.empty() && !bench::writeCsv(out + "/scale.csv", rows)) {
      std::cerr << "cannot write " << out << "/scale.csv\n";
      return 1;
    }
  }
  bench::printReport(rows);
  return 0;
}

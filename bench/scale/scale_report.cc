#include "bench/scale/scale_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>

namespace alcor::bench {

Percentiles percentiles(std::vector<double> v) {
  Percentiles p;
  p.count = v.size();
  if (v.empty()) return p;
  std::sort(v.begin(), v.end());
  auto rank = [&](double q) {
    size_t r = static_cast<size_t>(std::max(1.0, std::ceil(q * static_cast<double>(v.size()))));
    return v[std::min(r, v.size()) - 1];
  };
  p.p50 = rank(0.5);
  p.p90 = rank(0.9);
  p.p99 = rank(0.99);
  p.max = v.back();
  return p;
}

bool writeCsv(const std::string& path, const std::vector<ScaleRow>& rows) {
  std::ofstream out(path);
  if (!out) return false;
  out << "scenario,mode,southbound,hosts,ports,posted_s,active_s,converged_s,ports_per_s,"
         "active_p50_ms,active_p90_ms,active_p99_ms,flows_p50_ms,flows_p90_ms,flows_p99_ms,"
         "gs_messages,gs_bytes,controller_cpu_s,controller_rss_mb,agent_cpu_s,agent_rss_mb,"
         "broker_cpu_s\n";
  for (const auto& r : rows) {
    char line[512];
    std::snprintf(line, sizeof(line),
                  "%s,%s,%s,%d,%zu,%.3f,%.3f,%.3f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%llu,%llu,"
                  "%.2f,%.1f,%.2f,%.1f,%.2f\n",
                  r.scenario.c_str(), r.mode.c_str(), r.southbound.c_str(), r.hosts, r.ports,
                  r.posted_s, r.active_s, r.converged_s, r.ports_per_s, r.active_ms.p50,
                  r.active_ms.p90, r.active_ms.p99, r.flows_ms.p50, r.flows_ms.p90, r.flows_ms.p99,
                  static_cast<unsigned long long>(r.gs_messages),
                  static_cast<unsigned long long>(r.gs_bytes), r.controller_cpu_s,
                  r.controller_rss_mb, r.agent_cpu_s, r.agent_rss_mb, r.broker_cpu_s);
    out << line;
  }
  return static_cast<bool>(out);
}

void printReport(const std::vector<ScaleRow>& rows) {
  std::printf("\n%-9s %-6s %-5s %5s %6s %8s %8s %9s %7s %-20s %-20s %7s %8s %7s %7s %7s %7s\n",
              "scenario", "mode", "south", "hosts", "ports", "posted s", "active s", "converge s",
              "ports/s", "ACTIVE p50/p90/p99 ms", "flows p50/p90/p99 ms", "GS msgs", "GS MB",
              "ctl cpu", "ctl MB", "agt cpu", "agt MB");
  for (const auto& r : rows) {
    char active[48], flows[48];
    std::snprintf(active, sizeof(active), "%.0f/%.0f/%.0f", r.active_ms.p50, r.active_ms.p90,
                  r.active_ms.p99);
    std::snprintf(flows, sizeof(flows), "%.0f/%.0f/%.0f", r.flows_ms.p50, r.flows_ms.p90,
                  r.flows_ms.p99);
    std::printf(
        "%-9s %-6s %-5s %5d %6zu %8.2f %8.2f %9.2f %7.0f %-20s %-20s %7llu %8.1f %7.1f %7.0f "
        "%7.1f %7.0f%s%s\n",
        r.scenario.c_str(), r.mode.c_str(), r.southbound.c_str(), r.hosts, r.ports, r.posted_s,
        r.active_s, r.converged_s, r.ports_per_s, active, flows,
        static_cast<unsigned long long>(r.gs_messages), r.gs_bytes / 1e6, r.controller_cpu_s,
        r.controller_rss_mb, r.agent_cpu_s, r.agent_rss_mb, r.note.empty() ? "" : "  # ",
        r.note.c_str());
  }

  // Issue 20: NATS against gRPC in the same run (goal at 10,000 ports: converged at least 2x
  // faster with less than half the controller CPU).
  bool mq_header = false;
  for (const auto& r : rows) {
    if (r.southbound == "grpc") continue;
    for (const auto& g : rows) {
      if (g.southbound != "grpc" || g.scenario != r.scenario || g.mode != r.mode ||
          g.ports != r.ports || g.hosts != r.hosts) {
        continue;
      }
      if (!mq_header) {
        std::printf(
            "\nsouthbound vs grpc (same run)        converge   ctl CPU   flows p99   broker CPU\n");
        mq_header = true;
      }
      std::printf("%-6s %6zu %-5s                  %5.2fx     %5.2fx    %5.2fx     %.1f s\n",
                  r.mode.c_str(), r.ports, r.southbound.c_str(),
                  r.converged_s > 0 ? g.converged_s / r.converged_s : 0.0,
                  g.controller_cpu_s > 0 ? r.controller_cpu_s / g.controller_cpu_s : 0.0,
                  r.flows_ms.p99 > 0 ? g.flows_ms.p99 / r.flows_ms.p99 : 0.0, r.broker_cpu_s);
    }
  }

  // Anchors: the time for N ports' neighbor state to reach the hosts, and the pod start SLO.
  auto best = [&](const std::string& scenario, size_t ports) -> const ScaleRow* {
    const ScaleRow* out = nullptr;
    for (const auto& r : rows) {
      if (r.scenario == scenario && r.ports == ports &&
          (!out || r.converged_s < out->converged_s)) {
        out = &r;
      }
    }
    return out;
  };
  std::printf("\nanchor                                   reference   ours\n");
  auto line = [](const char* what, const char* ref, const ScaleRow* r, bool p99) {
    if (!r) {
      std::printf("%-40s %-11s (not run)\n", what, ref);
      return;
    }
    if (p99) {
      std::printf("%-40s %-11s %.2f s (%s %s, %zu pods, %d hosts)\n", what, ref,
                  r->active_ms.p99 / 1000.0, r->scenario.c_str(), r->mode.c_str(), r->ports,
                  r->hosts);
    } else {
      std::printf("%-40s %-11s %.2f s (%s %s, %d hosts)\n", what, ref, r->converged_s,
                  r->scenario.c_str(), r->mode.c_str(), r->hosts);
    }
  };
  line("1k ports: neighbors on all hosts", "ACA 2.7 s", best("simulated", 1000), false);
  line("10k ports: neighbors on all hosts", "ACA 237 s", best("simulated", 10000), false);
  line("10k ports: neighbors on all hosts", "DPM 2.6 s", best("simulated", 10000), false);
  const ScaleRow* real = nullptr;
  for (const auto& r : rows) {
    if (r.scenario == "real") real = &r;
  }
  line("pod start (CNI ADD) p99", "k8s SLO 5 s", real, true);

  // Simulated rows next to the figures before issue 17 (docs/performance.md, 2026-11-28, 100
  // hosts) and that goals.
  struct Before {
    const char* mode;
    size_t ports;
    double converged_s, flows_p99_ms, cpu_s, rss_mb;
    const char* goal;
  };
  static const Before kBefore[] = {
      {"bulk", 1000, 1.62, 1610, 1.1, 110, "converged <= 0.5 s, RSS <= 250 MB"},
      {"single", 1000, 1.83, 713, 1.7, 50, "converged <= 0.5 s, RSS <= 250 MB"},
      {"bulk", 10000, 20.6, 20600, 17.2, 825, "converged <= 3 s, RSS <= 250 MB"},
      {"single", 10000, 21.5, 893, 19.6, 64, "flows p99 <= 150 ms, RSS <= 250 MB"},
  };
  bool header = false;
  for (const auto& r : rows) {
    for (const auto& b : kBefore) {
      if (r.scenario != "simulated" || r.southbound != "grpc" || r.mode != b.mode ||
          r.ports != b.ports) {
        continue;
      }
      if (!header) {
        std::printf("\nsimulated, now vs before issue 17 (ACA: 237 s for 10k)   goal\n");
        header = true;
      }
      std::printf(
          "%-6s %6zu: converged %.2f s (was %.1f s, %.1fx), flows p99 %.0f ms (was %.0f), "
          "ctl CPU %.1f s (was %.1f), RSS %.0f MB (was %.0f)   %s\n",
          b.mode, b.ports, r.converged_s, b.converged_s,
          r.converged_s > 0 ? b.converged_s / r.converged_s : 0.0, r.flows_ms.p99, b.flows_p99_ms,
          r.controller_cpu_s, b.cpu_s, r.controller_rss_mb, b.rss_mb, b.goal);
    }
  }
}

}  // namespace alcor::bench

// alcor-agent: the node agent. See docs/configuration.md for every flag.

#include <csignal>
#include <iostream>
#include <thread>

#include "lib/base/flags.h"
#include "lib/base/logging.h"
#include "node-agent/exe/agent.h"

int main(int argc, char** argv) {
  using namespace alcor;
  agent::AgentConfig config;
  std::string probe;
  FlagSet flags("alcor-agent",
                "Alcor CNI node agent: CNI server, GoalState server, OVS programming");
  agent::registerAgentFlags(flags, config);
  flags.addString("probe", &probe, "Run a Kubernetes probe (live or ready) and exit");
  flags.enableConfigFile();
  if (Status s = flags.parse(argc, argv); !s.ok()) {
    std::cerr << "alcor-agent: " << s.message() << "\n";
    return 2;
  }
  if (flags.helpRequested()) {
    std::cout << flags.usage();
    return 0;
  }
  if (!probe.empty()) return agent::runProbe(probe, config.cni_socket);
  if (Status s = agent::finalizeAgentConfig(config); !s.ok()) {
    std::cerr << "alcor-agent: " << s.message() << "\n";
    return 2;
  }
  if (Status s = log::configure(config.log_level); !s.ok()) {
    std::cerr << "alcor-agent: " << s.message() << "\n";
    return 2;
  }

  // Signals are taken by one thread with sigwait, so no handler runs inside library code.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  agent::Agent agent(config);
  if (config.cleanup) {
    Status s = agent.cleanup();
    if (!s.ok()) ALOG(Error, Main) << "cleanup: " << s.message();
    return s.ok() ? 0 : 1;
  }
  if (Status s = agent.start(); !s.ok()) {
    ALOG(Error, Main) << "start-up failed: " << s.message();
    return 1;
  }
  std::thread signal_thread([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    ALOG(Info, Main) << "signal " << sig << ": stopping";
    agent.stop();
  });
  signal_thread.detach();
  agent.run();
  return 0;
}

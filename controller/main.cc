// alcor-controller: Alcor-compatible REST API, IPAM and DPM pushing GoalStates to alcor-agents.
// See docs/controller.md.

#include <csignal>
#include <iostream>

#include "controller/controller_app.h"
#include "lib/base/logging.h"

int main(int argc, char** argv) {
  using namespace alcor;
  controller::ControllerConfig config;
  FlagSet flags("alcor-controller",
                "Alcor-compatible controller: REST API, IPAM, SQLite store, DPM pushing "
                "GoalStates to alcor-agent");
  controller::addControllerFlags(flags, &config);
  if (Status st = flags.parse(argc, argv); !st.ok()) {
    std::cerr << "alcor-controller: " << st.message() << "\n" << flags.usage();
    return 2;
  }
  if (flags.helpRequested()) {
    std::cout << flags.usage();
    return 0;
  }
  if (Status st = log::configure(config.log_level); !st.ok()) {
    std::cerr << "alcor-controller: " << st.message() << "\n";
    return 2;
  }
  // Block the stop signals before any thread starts, then wait for one.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto app = controller::ControllerApp::start(config);
  if (!app.ok()) {
    ALOG(Error, Main) << "cannot start: " << app.status();
    return 1;
  }
  ALOG(Info, Main) << "alcor-controller ready";
  int sig = 0;
  sigwait(&stop_signals, &sig);
  ALOG(Info, Main) << "signal " << sig << ": stopping";
  (*app)->stop();
  return 0;
}

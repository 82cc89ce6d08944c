#include "tests/harness/kube_apiserver.h"

#include <cstdlib>
#include <fstream>

namespace alcor::testing {
namespace {

constexpr const char* kDefaultBinDir = "/var/cache/alcor-k8s/v1.34.4/bin";
constexpr const char* kAdminToken = "alcor-test-admin";
constexpr const char* kControllerToken = "alcor-test-controller";

void writeText(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

std::string readText(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

std::string kubernetesBinDir() {
  const char* env = std::getenv("ALCOR_K8S_BIN");
  return env && *env ? env : kDefaultBinDir;
}

StatusOr<std::unique_ptr<KubeApiServer>> KubeApiServer::start(const std::string& netns,
                                                              const std::string& address,
                                                              const std::string& dir) {
  const std::string bin = kubernetesBinDir();
  for (const char* b : {"etcd", "kube-apiserver", "kubectl"}) {
    if (run({"test", "-x", bin + "/" + b}).exit_code != 0) {
      return failedPreconditionError(
          bin + "/" + b +
          " is missing: build the Kubernetes binaries first (tests/k8s/build.sh of the "
          "real-Kubernetes work caches them there; ALCOR_K8S_BIN names another directory)");
    }
  }
  std::unique_ptr<KubeApiServer> s(new KubeApiServer(netns, address, dir));
  auto key = run({"openssl", "genrsa", "-out", dir + "/sa.key", "2048"});
  auto pub = run({"openssl", "rsa", "-in", dir + "/sa.key", "-pubout", "-out", dir + "/sa.pub"});
  if (!key.ok() || !pub.ok()) return internalError("openssl: " + key.describe() + pub.describe());
  writeText(s->adminTokenFile(), kAdminToken);
  writeText(s->controllerTokenFile(), kControllerToken);
  // The controller's token stands for its ServiceAccount: RBAC binds to that user name.
  writeText(dir + "/tokens.csv",
            std::string(kAdminToken) + ",alcor-test-admin,1,\"system:masters\"\n" +
                kControllerToken +
                ",system:serviceaccount:alcor-system:alcor-controller,2,"
                "\"system:serviceaccounts,system:serviceaccounts:alcor-system\"\n");
  RunOptions o;
  o.netns = netns;
  ASSIGN_OR_RETURN(
      s->etcd_, Daemon::start({bin + "/etcd", "--name=test", "--data-dir=" + dir + "/etcd",
                               "--listen-client-urls=http://127.0.0.1:2379",
                               "--advertise-client-urls=http://127.0.0.1:2379",
                               "--listen-peer-urls=http://127.0.0.1:2380",
                               "--initial-advertise-peer-urls=http://127.0.0.1:2380",
                               "--initial-cluster=test=http://127.0.0.1:2380", "--unsafe-no-fsync",
                               "--log-level=warn"},
                              dir + "/etcd.log", o));
  ASSIGN_OR_RETURN(
      s->apiserver_,
      Daemon::start(
          {bin + "/kube-apiserver", "--advertise-address=" + address, "--bind-address=" + address,
           "--secure-port=6443", "--cert-dir=" + dir + "/certs",
           "--etcd-servers=http://127.0.0.1:2379", "--service-cluster-ip-range=10.96.0.0/12",
           "--service-account-issuer=https://kubernetes.default.svc",
           "--service-account-key-file=" + dir + "/sa.pub",
           "--service-account-signing-key-file=" + dir + "/sa.key",
           "--token-auth-file=" + dir + "/tokens.csv", "--authorization-mode=RBAC",
           // No controller-manager creates the namespaces' default ServiceAccounts.
           "--disable-admission-plugins=ServiceAccount", "--profiling=false", "--v=1"},
          dir + "/kube-apiserver.log", o));
  const bool ready = waitFor(
      [&] {
        return s->kubectl({"get", "--raw", "/readyz"}).ok();
      },
      std::chrono::seconds(90));
  if (!ready) {
    return unavailableError("kube-apiserver did not become ready; log: " + dir +
                            "/kube-apiserver.log");
  }
  // The controller's rights are the manifests' own.
  const std::string manifests = std::string(ALCOR_SOURCE_DIR) + "/manifests";
  auto rbac =
      s->kubectl({"apply", "-f", manifests + "/namespace.yaml", "-f", manifests + "/rbac.yaml"});
  if (!rbac.ok()) return internalError("kubectl apply rbac.yaml: " + rbac.describe());
  return s;
}

KubeApiServer::~KubeApiServer() {
  apiserver_.stop();
  etcd_.stop();
}

CommandResult KubeApiServer::kubectl(const std::vector<std::string>& args,
                                     const std::string& stdin_data) {
  std::vector<std::string> argv = {kubernetesBinDir() + "/kubectl", "--server=" + url(),
                                   "--token=" + readText(adminTokenFile()),
                                   "--certificate-authority=" + caFile()};
  argv.insert(argv.end(), args.begin(), args.end());
  RunOptions o;
  o.netns = netns_;
  o.stdin_data = stdin_data;
  o.timeout = std::chrono::seconds(30);
  return run(argv, o);
}

StatusOr<nlohmann::json> KubeApiServer::write(const std::string& verb,
                                              const nlohmann::json& object) {
  auto r = kubectl({verb, "-o", "json", "-f", "-"}, object.dump());
  if (!r.ok()) return internalError("kubectl " + verb + ": " + r.describe());
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded()) return internalError("kubectl " + verb + " printed no JSON: " + r.out);
  return j;
}

}  // namespace alcor::testing

// The certificate authority and the X.509 helpers: what an issued certificate names is the
// issuer's choice (never the request's), a request must prove its key, chains are checked, and
// bad input is an error, never a crash.

#include "lib/security/x509.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "tests/harness/process.h"

namespace alcor::security {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Issued {
  std::string key, cert;
};

Issued issue(const CertificateAuthority& ca, const std::string& asked_name, IssueOptions o) {
  auto key = generatePrivateKey();
  EXPECT_TRUE(key.ok()) << key.status();
  auto csr = makeCsr(*key, asked_name);
  EXPECT_TRUE(csr.ok()) << csr.status();
  auto cert = ca.issue(*csr, o);
  EXPECT_TRUE(cert.ok()) << cert.status();
  return {*key, cert.valueOr("")};
}

TEST(X509Test, IssuedCertificateNamesWhatTheIssuerChoseNotTheRequest) {
  auto ca = CertificateAuthority::create("test-ca", std::chrono::hours(1));
  ASSERT_TRUE(ca.ok()) << ca.status();
  IssueOptions o;
  o.common_name = "node-1";
  o.dns_names = {"node-1"};
  o.ip_addresses = {"10.0.0.1"};
  o.validity = std::chrono::seconds(600);
  Issued leaf = issue(*ca, "alcor-controller", o);  // the request asks for the controller's name

  auto info = parseCertificate(leaf.cert);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->common_name, "node-1");
  EXPECT_THAT(info->dns_names, ElementsAre("node-1"));
  EXPECT_THAT(info->ip_addresses, ElementsAre("10.0.0.1"));
  EXPECT_FALSE(info->hasDnsName("alcor-controller"));
  EXPECT_FALSE(info->is_ca);
  EXPECT_FALSE(info->serial.empty());
  // Valid now, for the validity asked, back-dated a little for clock skew.
  auto now = Clock::now();
  EXPECT_LE(info->not_before, now);
  EXPECT_GT(info->not_after, now + std::chrono::seconds(590));
  EXPECT_LT(info->not_after, now + std::chrono::seconds(610));
  EXPECT_GE(info->not_before, now - std::chrono::seconds(160));

  EXPECT_TRUE(checkKeyMatchesCertificate(leaf.key, leaf.cert).ok());
  EXPECT_TRUE(checkIssuedBy(leaf.cert, ca->certificatePem()).ok());
  auto ca_info = parseCertificate(ca->certificatePem());
  ASSERT_TRUE(ca_info.ok());
  EXPECT_TRUE(ca_info->is_ca);
}

TEST(X509Test, AnotherCaOrAnotherKeyIsNoticed) {
  auto ca = CertificateAuthority::create("ca-1", std::chrono::hours(1));
  auto other = CertificateAuthority::create("ca-2", std::chrono::hours(1));
  ASSERT_TRUE(ca.ok() && other.ok());
  IssueOptions o;
  o.common_name = "n";
  o.dns_names = {"n"};
  Issued leaf = issue(*other, "n", o);
  EXPECT_THAT(checkIssuedBy(leaf.cert, ca->certificatePem()).message(),
              HasSubstr("not issued by this CA"));
  auto stranger = generatePrivateKey();
  ASSERT_TRUE(stranger.ok());
  EXPECT_FALSE(checkKeyMatchesCertificate(*stranger, leaf.cert).ok());
  // A CA needs its own key, and a leaf is no CA.
  EXPECT_FALSE(CertificateAuthority::load(ca->certificatePem(), other->keyPem()).ok());
  EXPECT_THAT(CertificateAuthority::load(leaf.cert, leaf.key).status().message(),
              HasSubstr("not a CA"));
  EXPECT_TRUE(CertificateAuthority::load(ca->certificatePem(), ca->keyPem()).ok());
}

TEST(X509Test, RequestsMustProveTheirKeyAndNamesMustBeNames) {
  auto ca = CertificateAuthority::create("ca", std::chrono::hours(1));
  ASSERT_TRUE(ca.ok());
  auto key = generatePrivateKey();
  auto csr = makeCsr(*key, "node-1");
  ASSERT_TRUE(csr.ok());
  auto parsed = parseCsr(*csr);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->common_name, "node-1");

  // Flip one character inside the base64 body: the self-signature no longer verifies (or the
  // DER no longer parses); either way, no certificate.
  std::string tampered = *csr;
  size_t pos = tampered.find('\n', 40) + 30;
  tampered[pos] = tampered[pos] == 'A' ? 'B' : 'A';
  IssueOptions o;
  o.common_name = "node-1";
  o.dns_names = {"node-1"};
  EXPECT_FALSE(ca->issue(tampered, o).ok());
  EXPECT_FALSE(ca->issue("not a request", o).ok());
  o.dns_names = {"node-1,IP:10.0.0.1"};  // no smuggling a second name through the first
  EXPECT_THAT(ca->issue(*csr, o).status().message(), HasSubstr("not a DNS name"));
  o.dns_names = {"node-1"};
  o.ip_addresses = {"10.0.0.300"};
  EXPECT_THAT(ca->issue(*csr, o).status().message(), HasSubstr("not an IP address"));
}

TEST(X509Test, DnsNames) {
  for (const char* good : {"node-1", "a", "alcor-controller.alcor-system.svc", "ip-10-0-0-1"}) {
    EXPECT_TRUE(isValidDnsName(good)) << good;
  }
  for (const char* bad :
       {"", "Node-1", "-node", "node-", "a..b", ".a", "a.", "a b", "a,b", "node_1", "\xc3\xa9"}) {
    EXPECT_FALSE(isValidDnsName(bad)) << bad;
  }
  EXPECT_TRUE(isValidDnsName(std::string(63, 'a')));
  EXPECT_FALSE(isValidDnsName(std::string(64, 'a')));
  EXPECT_FALSE(isValidDnsName(std::string(254, 'a')));
}

TEST(X509Test, GarbageIsAnErrorNotACrash) {
  for (std::string junk :
       {std::string(""), std::string("-----BEGIN CERTIFICATE-----\nAAAA\n"),
        std::string("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"),
        std::string(5000, '\0')}) {
    EXPECT_FALSE(parseCertificate(junk).ok());
    EXPECT_FALSE(parseCsr(junk).ok());
    EXPECT_FALSE(makeCsr(junk, "n").ok());
  }
}

TEST(X509Test, OpensslAgreesWithWhatWeIssued) {
  // An independent oracle: the openssl CLI verifies the chain and reads the names.
  auto ca = CertificateAuthority::create("oracle-ca", std::chrono::hours(1));
  IssueOptions o;
  o.common_name = "node-7";
  o.dns_names = {"node-7"};
  Issued leaf = issue(*ca, "whatever", o);
  alcor::testing::TempDir dir;
  std::ofstream(dir.path() + "/ca.crt") << ca->certificatePem();
  std::ofstream(dir.path() + "/leaf.crt") << leaf.cert;
  auto verify = alcor::testing::run({"openssl", "verify", "-CAfile", dir.path() + "/ca.crt",
                                     "-purpose", "sslclient", dir.path() + "/leaf.crt"});
  EXPECT_TRUE(verify.ok()) << verify.describe();
  auto text = alcor::testing::run(
      {"openssl", "x509", "-noout", "-ext", "subjectAltName", "-in", dir.path() + "/leaf.crt"});
  EXPECT_THAT(text.out, HasSubstr("DNS:node-7"));
}

TEST(X509Test, RenewalAtTwoThirds) {
  Clock::time_point start = Clock::now();
  EXPECT_EQ(renewalTime(start, start + std::chrono::seconds(90)), start + std::chrono::seconds(60));
}

}  // namespace
}  // namespace alcor::security

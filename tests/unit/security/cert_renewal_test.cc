// Keeping a certificate file current: made when missing, kept while good, renewed at two thirds
// of its life or when it is of another CA, name or key, always with the same private key.

#include "lib/security/cert_renewal.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <thread>

#include "lib/security/files.h"
#include "tests/harness/process.h"

namespace alcor::security {
namespace {

class CertRenewalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_ = std::make_unique<CertificateAuthority>(
        *CertificateAuthority::create("ca", std::chrono::hours(1)));
    slot_ = {dir_.path() + "/pki/node.key", dir_.path() + "/pki/node.crt", "node-1"};
  }
  CsrSigner signer(std::chrono::seconds validity, const std::string& name = "node-1") {
    return [this, validity, name](const std::string& csr) -> StatusOr<std::string> {
      ++signed_;
      IssueOptions o;
      o.common_name = name;
      o.dns_names = {name};
      o.validity = validity;
      return ca_->issue(csr, o);
    };
  }
  std::string serial() { return parseCertificate(*readTextFile(slot_.cert_path))->serial; }

  alcor::testing::TempDir dir_;
  std::unique_ptr<CertificateAuthority> ca_;
  CertificateSlot slot_;
  std::atomic<int> signed_{0};
};

TEST_F(CertRenewalTest, IssuesOnceThenKeepsAGoodCertificate) {
  auto next = refreshCertificate(slot_, signer(std::chrono::seconds(3000)), ca_->certificatePem());
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(signed_.load(), 1);
  EXPECT_GT(*next, Clock::now() + std::chrono::seconds(1500));
  struct stat st;
  ASSERT_EQ(stat(slot_.key_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string key = *readTextFile(slot_.key_path);
  ASSERT_TRUE(
      refreshCertificate(slot_, signer(std::chrono::seconds(3000)), ca_->certificatePem()).ok());
  EXPECT_EQ(signed_.load(), 1);
  EXPECT_EQ(*readTextFile(slot_.key_path), key);
}

TEST_F(CertRenewalTest, RenewsWhenDueOrWrongKeepingTheKey) {
  ASSERT_TRUE(refreshCertificate(slot_, signer(std::chrono::seconds(12)), "").ok());
  std::string key = *readTextFile(slot_.key_path);
  std::string first = serial();
  // Backdated by 3 s: 15 s of life, renewed after 10 s, i.e. 7 s from now.
  auto next = refreshCertificate(slot_, signer(std::chrono::seconds(12)), "");
  EXPECT_EQ(signed_.load(), 1);
  ASSERT_TRUE(next.ok());
  std::this_thread::sleep_until(*next + std::chrono::milliseconds(100));
  ASSERT_TRUE(refreshCertificate(slot_, signer(std::chrono::seconds(12)), "").ok());
  EXPECT_EQ(signed_.load(), 2);
  EXPECT_NE(serial(), first);
  EXPECT_EQ(*readTextFile(slot_.key_path), key);

  // A certificate of a CA we no longer trust is replaced (here by asking the signer again).
  auto other = CertificateAuthority::create("other", std::chrono::hours(1));
  signed_ = 0;
  (void)refreshCertificate(slot_, signer(std::chrono::seconds(3000)), other->certificatePem());
  EXPECT_EQ(signed_.load(), 1);
  signed_ = 0;
  ASSERT_TRUE(writeFileAtomically(slot_.cert_path, "garbage", 0644).ok());
  ASSERT_TRUE(refreshCertificate(slot_, signer(std::chrono::seconds(3000)), "").ok());
  EXPECT_EQ(signed_.load(), 1);
  // A signer that names someone else is not accepted.
  ASSERT_TRUE(writeFileAtomically(slot_.cert_path, "garbage", 0644).ok());
  EXPECT_FALSE(refreshCertificate(slot_, signer(std::chrono::seconds(3000), "node-2"), "").ok());
}

TEST_F(CertRenewalTest, TheRenewerRetriesUntilTheSignerAnswers) {
  std::atomic<bool> up{false};
  CsrSigner flaky = [&](const std::string& csr) -> StatusOr<std::string> {
    if (!up) return unavailableError("controller unreachable");
    return signer(std::chrono::seconds(3000))(csr);
  };
  CertificateRenewer renewer(slot_, flaky, [this] { return ca_->certificatePem(); });
  EXPECT_EQ(renewer.start().code(), StatusCode::kUnavailable);
  up = true;
  EXPECT_TRUE(alcor::testing::waitFor([&] { return readTextFile(slot_.cert_path).ok(); },
                                      std::chrono::seconds(5)));
  renewer.stop();
}

}  // namespace
}  // namespace alcor::security

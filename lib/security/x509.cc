#include "lib/security/x509.h"

#include <arpa/inet.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <ctime>

namespace alcor::security {
namespace {

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using ReqPtr = std::unique_ptr<X509_REQ, Deleter<X509_REQ_free>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using NamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;

// The reason of the last libcrypto failure, and an empty error queue for the next call.
std::string cryptoError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return buf;
}

BioPtr readBio(std::string_view text) {
  if (text.size() > static_cast<size_t>(INT32_MAX)) return nullptr;
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string bioText(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

StatusOr<X509Ptr> readCertificate(std::string_view pem) {
  BioPtr bio = readBio(pem);
  if (!bio) return invalidArgumentError("certificate: too large");
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return invalidArgumentError("not a PEM certificate: " + cryptoError());
  return cert;
}

StatusOr<KeyPtr> readPrivateKey(std::string_view pem) {
  BioPtr bio = readBio(pem);
  if (!bio) return invalidArgumentError("private key: too large");
  KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return invalidArgumentError("not a PEM private key: " + cryptoError());
  return key;
}

// A request whose self-signature verifies (the requester holds the key).
StatusOr<ReqPtr> readVerifiedCsr(std::string_view pem) {
  BioPtr bio = readBio(pem);
  if (!bio) return invalidArgumentError("certificate request: too large");
  ReqPtr req(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  if (!req) return invalidArgumentError("not a PEM certificate request: " + cryptoError());
  EVP_PKEY* key = X509_REQ_get0_pubkey(req.get());
  if (key == nullptr) return invalidArgumentError("certificate request without a public key");
  if (X509_REQ_verify(req.get(), key) != 1) {
    return invalidArgumentError("certificate request signature does not verify: " + cryptoError());
  }
  return req;
}

std::string commonNameOf(const X509_NAME* name) {
  if (name == nullptr) return "";
  int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (i < 0) return "";
  const ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
  if (s == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s)));
}

StatusOr<Clock::time_point> timeOf(const ASN1_TIME* t) {
  struct tm tm = {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    ERR_clear_error();
    return invalidArgumentError("certificate has an invalid validity time");
  }
  return Clock::from_time_t(timegm(&tm));
}

std::string ipText(const ASN1_OCTET_STRING* ip) {
  char buf[INET6_ADDRSTRLEN] = {0};
  const unsigned char* data = ASN1_STRING_get0_data(ip);
  int len = ASN1_STRING_length(ip);
  if (len == 4 && inet_ntop(AF_INET, data, buf, sizeof(buf))) return buf;
  if (len == 16 && inet_ntop(AF_INET6, data, buf, sizeof(buf))) return buf;
  return "";
}

bool setName(X509_NAME* name, const std::string& common_name) {
  return X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                                    reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                    -1, 0) == 1;
}

// Extensions without user input, in OpenSSL's configuration syntax.
bool addExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// subjectAltName built entry by entry (never from text, so a name cannot smuggle in another).
Status addSubjectAltNames(X509* cert, const IssueOptions& o) {
  NamesPtr names(GENERAL_NAMES_new());
  for (const auto& dns : o.dns_names) {
    if (!isValidDnsName(dns)) return invalidArgumentError("\"" + dns + "\" is not a DNS name");
    ASN1_IA5STRING* s = ASN1_IA5STRING_new();
    ASN1_STRING_set(s, dns.data(), static_cast<int>(dns.size()));
    GENERAL_NAME* g = GENERAL_NAME_new();
    GENERAL_NAME_set0_value(g, GEN_DNS, s);
    sk_GENERAL_NAME_push(names.get(), g);
  }
  for (const auto& ip : o.ip_addresses) {
    unsigned char bytes[16];
    int len = 0;
    if (inet_pton(AF_INET, ip.c_str(), bytes) == 1) {
      len = 4;
    } else if (inet_pton(AF_INET6, ip.c_str(), bytes) == 1) {
      len = 16;
    } else {
      return invalidArgumentError("\"" + ip + "\" is not an IP address");
    }
    ASN1_OCTET_STRING* s = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(s, bytes, len);
    GENERAL_NAME* g = GENERAL_NAME_new();
    GENERAL_NAME_set0_value(g, GEN_IPADD, s);
    sk_GENERAL_NAME_push(names.get(), g);
  }
  if (sk_GENERAL_NAME_num(names.get()) == 0) return okStatus();
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, 0) != 1) {
    return internalError("subjectAltName: " + cryptoError());
  }
  return okStatus();
}

Status setSerialAndValidity(X509* cert, std::chrono::seconds validity) {
  if (validity.count() <= 0) return invalidArgumentError("validity must be positive");
  BnPtr bn(BN_new());
  // 127 random bits: positive, unique enough that no two certificates share a serial.
  if (!bn || BN_rand(bn.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) {
    return internalError("serial number: " + cryptoError());
  }
  const long backdate = static_cast<long>(std::min<int64_t>(300, validity.count() / 4));
  if (X509_gmtime_adj(X509_getm_notBefore(cert), -backdate) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert), static_cast<long>(validity.count())) == nullptr) {
    return internalError("validity: " + cryptoError());
  }
  return okStatus();
}

StatusOr<std::string> certificateText(X509* cert) {
  BioPtr out(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509(out.get(), cert) != 1) return internalError(cryptoError());
  return bioText(out.get());
}

StatusOr<std::string> keyText(EVP_PKEY* key) {
  BioPtr out(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PrivateKey(out.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return internalError(cryptoError());
  }
  return bioText(out.get());
}

}  // namespace

bool CertificateInfo::hasDnsName(std::string_view name) const {
  return std::find(dns_names.begin(), dns_names.end(), name) != dns_names.end();
}

StatusOr<CertificateInfo> parseCertificate(std::string_view pem) {
  ASSIGN_OR_RETURN(X509Ptr cert, readCertificate(pem));
  CertificateInfo info;
  info.common_name = commonNameOf(X509_get_subject_name(cert.get()));
  ASSIGN_OR_RETURN(info.not_before, timeOf(X509_get0_notBefore(cert.get())));
  ASSIGN_OR_RETURN(info.not_after, timeOf(X509_get0_notAfter(cert.get())));
  info.is_ca = X509_check_ca(cert.get()) > 0;
  if (BnPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr)); bn) {
    char* hex = BN_bn2hex(bn.get());
    if (hex) info.serial = hex;
    OPENSSL_free(hex);
  }
  NamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(names.get(), i);
    if (g->type == GEN_DNS) {
      const ASN1_IA5STRING* s = g->d.dNSName;
      info.dns_names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                  static_cast<size_t>(ASN1_STRING_length(s)));
    } else if (g->type == GEN_IPADD) {
      if (std::string ip = ipText(g->d.iPAddress); !ip.empty()) info.ip_addresses.push_back(ip);
    }
  }
  ERR_clear_error();
  return info;
}

StatusOr<CsrInfo> parseCsr(std::string_view pem) {
  ASSIGN_OR_RETURN(ReqPtr req, readVerifiedCsr(pem));
  return CsrInfo{commonNameOf(X509_REQ_get_subject_name(req.get()))};
}

StatusOr<std::string> generatePrivateKey() {
  KeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return internalError("EC key generation: " + cryptoError());
  return keyText(key.get());
}

StatusOr<std::string> makeCsr(std::string_view key_pem, const std::string& common_name) {
  ASSIGN_OR_RETURN(KeyPtr key, readPrivateKey(key_pem));
  ReqPtr req(X509_REQ_new());
  if (!req || X509_REQ_set_version(req.get(), 0) != 1 ||
      !setName(X509_REQ_get_subject_name(req.get()), common_name) ||
      X509_REQ_set_pubkey(req.get(), key.get()) != 1 ||
      X509_REQ_sign(req.get(), key.get(), EVP_sha256()) <= 0) {
    return internalError("certificate request: " + cryptoError());
  }
  BioPtr out(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509_REQ(out.get(), req.get()) != 1) return internalError(cryptoError());
  return bioText(out.get());
}

Status checkKeyMatchesCertificate(std::string_view key_pem, std::string_view cert_pem) {
  ASSIGN_OR_RETURN(KeyPtr key, readPrivateKey(key_pem));
  ASSIGN_OR_RETURN(X509Ptr cert, readCertificate(cert_pem));
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return invalidArgumentError("the private key does not belong to the certificate");
  }
  return okStatus();
}

Status checkIssuedBy(std::string_view cert_pem, std::string_view ca_pem) {
  ASSIGN_OR_RETURN(X509Ptr cert, readCertificate(cert_pem));
  ASSIGN_OR_RETURN(X509Ptr ca, readCertificate(ca_pem));
  if (X509_check_issued(ca.get(), cert.get()) != X509_V_OK ||
      X509_verify(cert.get(), X509_get0_pubkey(ca.get())) != 1) {
    ERR_clear_error();
    return invalidArgumentError("the certificate was not issued by this CA");
  }
  return okStatus();
}

bool isValidDnsName(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  size_t label = 0;
  char prev = '.';
  for (char c : name) {
    if (c == '.') {
      if (label == 0 || prev == '-') return false;
      label = 0;
    } else {
      bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
      if (!ok || (label == 0 && c == '-') || ++label > 63) return false;
    }
    prev = c;
  }
  return label > 0 && prev != '-';
}

StatusOr<CertificateAuthority> CertificateAuthority::load(std::string_view cert_pem,
                                                          std::string_view key_pem) {
  RETURN_IF_ERROR(checkKeyMatchesCertificate(key_pem, cert_pem));
  ASSIGN_OR_RETURN(CertificateInfo info, parseCertificate(cert_pem));
  if (!info.is_ca) return invalidArgumentError("the CA certificate is not a CA (basicConstraints)");
  return CertificateAuthority(std::string(cert_pem), std::string(key_pem));
}

StatusOr<CertificateAuthority> CertificateAuthority::create(const std::string& common_name,
                                                            std::chrono::seconds validity) {
  ASSIGN_OR_RETURN(std::string key_pem, generatePrivateKey());
  ASSIGN_OR_RETURN(KeyPtr key, readPrivateKey(key_pem));
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1 ||
      !setName(X509_get_subject_name(cert.get()), common_name) ||
      X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())) != 1 ||
      X509_set_pubkey(cert.get(), key.get()) != 1) {
    return internalError("CA certificate: " + cryptoError());
  }
  RETURN_IF_ERROR(setSerialAndValidity(cert.get(), validity));
  if (!addExtension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE") ||
      !addExtension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign") ||
      !addExtension(cert.get(), cert.get(), NID_subject_key_identifier, "hash") ||
      X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) {
    return internalError("CA certificate: " + cryptoError());
  }
  ASSIGN_OR_RETURN(std::string cert_pem, certificateText(cert.get()));
  return CertificateAuthority(std::move(cert_pem), std::move(key_pem));
}

StatusOr<std::string> CertificateAuthority::issue(std::string_view csr_pem,
                                                  const IssueOptions& o) const {
  ASSIGN_OR_RETURN(ReqPtr req, readVerifiedCsr(csr_pem));
  ASSIGN_OR_RETURN(X509Ptr ca, readCertificate(cert_pem_));
  ASSIGN_OR_RETURN(KeyPtr ca_key, readPrivateKey(key_pem_));
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1 ||
      !setName(X509_get_subject_name(cert.get()), o.common_name) ||
      X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.get())) != 1 ||
      X509_set_pubkey(cert.get(), X509_REQ_get0_pubkey(req.get())) != 1) {
    return internalError("certificate: " + cryptoError());
  }
  RETURN_IF_ERROR(setSerialAndValidity(cert.get(), o.validity));
  RETURN_IF_ERROR(addSubjectAltNames(cert.get(), o));
  if (!addExtension(cert.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !addExtension(cert.get(), ca.get(), NID_key_usage, "critical,digitalSignature") ||
      !addExtension(cert.get(), ca.get(), NID_ext_key_usage, "serverAuth,clientAuth") ||
      !addExtension(cert.get(), ca.get(), NID_authority_key_identifier, "keyid") ||
      X509_sign(cert.get(), ca_key.get(), EVP_sha256()) <= 0) {
    return internalError("certificate: " + cryptoError());
  }
  return certificateText(cert.get());
}

Clock::time_point renewalTime(Clock::time_point not_before, Clock::time_point not_after) {
  return not_before + (not_after - not_before) * 2 / 3;
}

}  // namespace alcor::security

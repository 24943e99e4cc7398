// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "support/token_factory.h"

#include <stdexcept>
#include <vector>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

namespace authgate::testing {
namespace {

void Check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("token_factory: ") + what);
}

std::shared_ptr<EVP_PKEY> Wrap(EVP_PKEY* key) {
  Check(key != nullptr, "key generation failed");
  return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
}

std::string BigNumParam(EVP_PKEY* key, const char* name, int pad_to = 0) {
  BIGNUM* bn = nullptr;
  Check(EVP_PKEY_get_bn_param(key, name, &bn) == 1, name);
  int size = pad_to > 0 ? pad_to : BN_num_bytes(bn);
  std::string out(static_cast<size_t>(size), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), size);
  BN_free(bn);
  return out;
}

const EVP_MD* Digest(std::string_view alg) {
  std::string_view bits = alg.substr(2);
  if (bits == "256") return EVP_sha256();
  if (bits == "384") return EVP_sha384();
  if (bits == "512") return EVP_sha512();
  return nullptr;
}

size_t CoordinateSize(const std::string& curve) {
  return curve == "P-256" ? 32 : curve == "P-384" ? 48 : 66;
}

}  // namespace

std::string Base64Url(std::string_view bytes) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  size_t i = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  for (; i + 2 < bytes.size(); i += 3) {
    unsigned v = (p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
    for (int shift : {18, 12, 6, 0}) out.push_back(kAlphabet[(v >> shift) & 63]);
  }
  if (bytes.size() - i == 1) {
    unsigned v = p[i] << 16;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
  } else if (bytes.size() - i == 2) {
    unsigned v = (p[i] << 16) | (p[i + 1] << 8);
    for (int shift : {18, 12, 6}) out.push_back(kAlphabet[(v >> shift) & 63]);
  }
  return out;
}

TestKey TestKey::Rsa(int bits) {
  TestKey key;
  key.pkey_ = Wrap(EVP_RSA_gen(static_cast<unsigned>(bits)));
  return key;
}

TestKey TestKey::Ec(std::string_view curve) {
  const char* group = curve == "P-256" ? "P-256" : curve == "P-384" ? "P-384" : "P-521";
  TestKey key;
  key.pkey_ = Wrap(EVP_EC_gen(group));
  key.curve_ = std::string(curve);
  return key;
}

TestKey TestKey::Ed25519() {
  TestKey key;
  key.pkey_ = Wrap(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  key.curve_ = "Ed25519";
  return key;
}

TestKey TestKey::Ed448() {
  TestKey key;
  key.pkey_ = Wrap(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED448"));
  key.curve_ = "Ed448";
  return key;
}

TestKey TestKey::Hmac(std::string secret) {
  TestKey key;
  key.secret_ = std::move(secret);
  return key;
}

std::string TestKey::PublicJwk(std::optional<std::string> kid,
                               std::optional<std::string> alg) const {
  std::string jwk = "{";
  if (!pkey_) {
    jwk += "\"kty\":\"oct\",\"k\":\"" + Base64Url(secret_) + "\"";
  } else if (EVP_PKEY_is_a(pkey_.get(), "RSA")) {
    jwk += "\"kty\":\"RSA\",\"n\":\"" + Base64Url(BigNumParam(pkey_.get(), OSSL_PKEY_PARAM_RSA_N)) +
           "\",\"e\":\"" + Base64Url(BigNumParam(pkey_.get(), OSSL_PKEY_PARAM_RSA_E)) + "\"";
  } else if (EVP_PKEY_is_a(pkey_.get(), "EC")) {
    int size = static_cast<int>(CoordinateSize(curve_));
    jwk += "\"kty\":\"EC\",\"crv\":\"" + curve_ + "\",\"x\":\"" +
           Base64Url(BigNumParam(pkey_.get(), OSSL_PKEY_PARAM_EC_PUB_X, size)) + "\",\"y\":\"" +
           Base64Url(BigNumParam(pkey_.get(), OSSL_PKEY_PARAM_EC_PUB_Y, size)) + "\"";
  } else {
    size_t len = 0;
    EVP_PKEY_get_raw_public_key(pkey_.get(), nullptr, &len);
    std::string raw(len, '\0');
    EVP_PKEY_get_raw_public_key(pkey_.get(), reinterpret_cast<unsigned char*>(raw.data()), &len);
    jwk += "\"kty\":\"OKP\",\"crv\":\"" + curve_ + "\",\"x\":\"" + Base64Url(raw) + "\"";
  }
  if (kid) jwk += ",\"kid\":\"" + *kid + "\"";
  if (alg) jwk += ",\"alg\":\"" + *alg + "\"";
  return jwk + "}";
}

std::string TestKey::PublicJwks(std::optional<std::string> kid,
                                std::optional<std::string> alg) const {
  return "{\"keys\":[" + PublicJwk(std::move(kid), std::move(alg)) + "]}";
}

std::string TestKey::PublicPem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  Check(PEM_write_bio_PUBKEY(bio, pkey_.get()) == 1, "PEM_write_bio_PUBKEY");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(len));
  BIO_free(bio);
  return pem;
}

namespace {

X509* SelfSigned(EVP_PKEY* key) {
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("authgate test"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  bool one_shot = EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448");
  Check(X509_sign(cert, key, one_shot ? nullptr : EVP_sha256()) > 0, "X509_sign");
  return cert;
}

}  // namespace

std::string TestKey::CertificatePem() const {
  X509* cert = SelfSigned(pkey_.get());
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(len));
  BIO_free(bio);
  X509_free(cert);
  return pem;
}

std::string TestKey::CertificateDer() const {
  X509* cert = SelfSigned(pkey_.get());
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  X509_free(cert);
  return out;
}

std::string TestKey::Sign(std::string_view alg, std::string_view input) const {
  if (alg.substr(0, 2) == "HS") {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    Check(HMAC(Digest(alg), secret_.data(), static_cast<int>(secret_.size()),
               reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,
               &len) != nullptr,
          "HMAC");
    return std::string(reinterpret_cast<char*>(mac), len);
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  const EVP_MD* md = alg == "EdDSA" ? nullptr : Digest(alg);
  Check(EVP_DigestSignInit(ctx, &pctx, md, nullptr, pkey_.get()) == 1, "EVP_DigestSignInit");
  if (alg.substr(0, 2) == "PS") {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md);
  }
  size_t len = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  Check(EVP_DigestSign(ctx, nullptr, &len, data, input.size()) == 1, "EVP_DigestSign size");
  std::string sig(len, '\0');
  Check(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len, data,
                       input.size()) == 1,
        "EVP_DigestSign");
  sig.resize(len);
  EVP_MD_CTX_free(ctx);
  if (alg.substr(0, 2) != "ES") return sig;
  // DER ECDSA-Sig-Value -> r || s, each padded to the coordinate size.
  const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
  ECDSA_SIG* ecdsa = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
  Check(ecdsa != nullptr, "d2i_ECDSA_SIG");
  int size = static_cast<int>(CoordinateSize(curve_));
  std::string raw(static_cast<size_t>(2 * size), '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(ecdsa), reinterpret_cast<unsigned char*>(raw.data()), size);
  BN_bn2binpad(ECDSA_SIG_get0_s(ecdsa), reinterpret_cast<unsigned char*>(raw.data()) + size,
               size);
  ECDSA_SIG_free(ecdsa);
  return raw;
}

std::string SignToken(const TestKey& key, std::string_view alg, std::string_view header_json,
                      std::string_view payload_json) {
  std::string input = Base64Url(header_json) + "." + Base64Url(payload_json);
  return input + "." + Base64Url(key.Sign(alg, input));
}

std::string Compact(std::string_view header_json, std::string_view payload_json,
                    std::string_view signature) {
  return Base64Url(header_json) + "." + Base64Url(payload_json) + "." + Base64Url(signature);
}

}  // namespace authgate::testing

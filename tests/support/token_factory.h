// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// token_factory.h: private keys and token signing for tests and benchmarks,
// written directly against OpenSSL so that it shares no code path with the
// verifier under test.
//
//   TestKey key = TestKey::Ec("P-256");
//   std::string jwks = key.PublicJwks("kid-1");
//   std::string token = SignToken(key, "ES256", R"({"alg":"ES256","kid":"kid-1"})",
//                                 R"({"sub":"u","exp":4102444800})");

#ifndef AUTHGATE_TESTS_SUPPORT_TOKEN_FACTORY_H_
#define AUTHGATE_TESTS_SUPPORT_TOKEN_FACTORY_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <openssl/evp.h>

namespace authgate::testing {

class TestKey {
 public:
  static TestKey Rsa(int bits = 2048);
  // `curve` is a JWK name: "P-256", "P-384" or "P-521".
  static TestKey Ec(std::string_view curve);
  static TestKey Ed25519();
  static TestKey Ed448();
  static TestKey Hmac(std::string secret);

  // PublicJwk returns the public JWK as JSON text, with the given members.
  std::string PublicJwk(std::optional<std::string> kid = std::nullopt,
                        std::optional<std::string> alg = std::nullopt) const;
  // PublicJwks wraps PublicJwk() in {"keys":[...]}.
  std::string PublicJwks(std::optional<std::string> kid = std::nullopt,
                         std::optional<std::string> alg = std::nullopt) const;
  // PublicPem returns the SubjectPublicKeyInfo in PEM.
  std::string PublicPem() const;
  // CertificatePem returns a self-signed certificate for the key, in PEM.
  std::string CertificatePem() const;
  // CertificateDer returns the same certificate in DER.
  std::string CertificateDer() const;

  // Sign returns the raw JWS signature of `input` with algorithm `alg`
  // ("RS256", "PS384", "ES256", "EdDSA", "HS256", ...): r || s for ECDSA.
  std::string Sign(std::string_view alg, std::string_view input) const;

  EVP_PKEY* pkey() const { return pkey_.get(); }
  const std::string& secret() const { return secret_; }

 private:
  std::shared_ptr<EVP_PKEY> pkey_;
  std::string secret_;
  std::string curve_;  // JWK curve name for EC/OKP keys
};

std::string Base64Url(std::string_view bytes);

// SignToken returns base64url(header).base64url(payload).base64url(sig),
// signing with `alg` whatever the header says (to build attack tokens).
std::string SignToken(const TestKey& key, std::string_view alg, std::string_view header_json,
                      std::string_view payload_json);

// Unsigned returns base64url(header).base64url(payload).base64url(signature).
std::string Compact(std::string_view header_json, std::string_view payload_json,
                    std::string_view signature);

}  // namespace authgate::testing

#endif  // AUTHGATE_TESTS_SUPPORT_TOKEN_FACTORY_H_

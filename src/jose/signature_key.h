// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// signature_key.h: one verification key, parsed once and prepared for fast,
// concurrent signature checks with each algorithm it may be used with.
//
//   SignatureKey::Spec spec;
//   spec.pkey = std::move(rsa_public_key);
//   spec.kid = "2024-06";
//   absl::StatusOr<std::unique_ptr<SignatureKey>> key = SignatureKey::Create(std::move(spec));
//   if (key.ok() && (*key)->Verify(Algorithm::kRS256, signing_input, signature)) { ... }
//
// Create() enforces what makes a key acceptable at all, wherever it came from
// (JWK, PEM, certificate): RSA of 2048 to 16384 bits with an odd public
// exponent >= 3 and without the ROCA fingerprint; EC on P-256, P-384 or P-521;
// OKP Ed25519 or Ed448; HMAC secrets at least as long as the hash output. The
// algorithms a key may verify are those of its family, narrowed by its curve,
// its secret length and the JWK `alg` when one was given.

#ifndef AUTHGATE_SRC_JOSE_SIGNATURE_KEY_H_
#define AUTHGATE_SRC_JOSE_SIGNATURE_KEY_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "jose/algorithm.h"
#include "jose/internal/context_pool.h"
#include "jose/openssl_ptr.h"

namespace authgate {

class SignatureKey {
 public:
  struct Spec {
    // Asymmetric keys: the public key. Symmetric keys: null.
    UniquePtr<EVP_PKEY> pkey;
    // Symmetric keys: the HMAC secret.
    std::string secret;
    std::optional<std::string> kid;
    // The JWK `alg`, when given: the only algorithm the key may verify.
    std::optional<Algorithm> alg;
  };

  ~SignatureKey();
  SignatureKey(const SignatureKey&) = delete;
  SignatureKey& operator=(const SignatureKey&) = delete;

  // Create validates `spec` and prepares the key. Errors say why the key is
  // unusable ("RSA key of 1024 bits: at least 2048 are required").
  static absl::StatusOr<std::unique_ptr<SignatureKey>> Create(Spec spec);

  // Verify returns true when `signature` is a valid `alg` signature of
  // `signing_input` under this key. `alg` must be one of algorithms(); any
  // other returns false. Thread-safe; allocation-free in the steady state.
  bool Verify(Algorithm alg, std::string_view signing_input,
              absl::Span<const uint8_t> signature) const;

  KeyFamily family() const { return family_; }
  AlgorithmSet algorithms() const { return algorithms_; }
  const std::optional<std::string>& kid() const { return kid_; }
  // description names the key for logs and warnings ("EC P-256 key kid=\"a\"").
  const std::string& description() const { return description_; }
  // pkey returns the public key (null for HMAC keys), owned by this object.
  const EVP_PKEY* pkey() const { return pkey_.get(); }

 private:
  struct PerAlgorithm;

  SignatureKey() = default;
  bool VerifyDigestSigned(const PerAlgorithm& prepared, std::string_view signing_input,
                          absl::Span<const uint8_t> signature) const;
  bool VerifyEcdsa(const PerAlgorithm& prepared, std::string_view signing_input,
                   absl::Span<const uint8_t> signature) const;
  bool VerifyEdDsa(const PerAlgorithm& prepared, std::string_view signing_input,
                   absl::Span<const uint8_t> signature) const;
  bool VerifyHmac(const PerAlgorithm& prepared, std::string_view signing_input,
                  absl::Span<const uint8_t> signature) const;

  KeyFamily family_ = KeyFamily::kOct;
  AlgorithmSet algorithms_;
  std::optional<std::string> kid_;
  std::string description_;
  UniquePtr<EVP_PKEY> pkey_;
  std::string secret_;
  // ECDSA: the group order, big-endian, padded to the coordinate size.
  std::string ec_order_;
  size_t ec_coordinate_size_ = 0;
  // EdDSA: the exact signature size (64 for Ed25519, 114 for Ed448).
  size_t eddsa_signature_size_ = 0;
  size_t rsa_modulus_size_ = 0;
  std::array<std::unique_ptr<PerAlgorithm>, kAlgorithmCount> prepared_;
};

}  // namespace authgate

#endif  // AUTHGATE_SRC_JOSE_SIGNATURE_KEY_H_

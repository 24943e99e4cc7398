// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// algorithm.h: the JWS algorithms authgate implements (RFC 7518 section 3,
// RFC 8037 for EdDSA) and the key family each one needs.
//
//   std::optional<Algorithm> alg = AlgorithmFromName("ES256");
//   if (alg && AlgorithmInfoOf(*alg).family == KeyFamily::kEc) { ... }
//
// `none` is not an algorithm here, in any spelling: a name lookup is exact and
// case-sensitive, so "none", "None" and "NONE" are all unknown.

#ifndef AUTHGATE_SRC_JOSE_ALGORITHM_H_
#define AUTHGATE_SRC_JOSE_ALGORITHM_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace authgate {

enum class Algorithm : uint8_t {
  kRS256, kRS384, kRS512,
  kPS256, kPS384, kPS512,
  kES256, kES384, kES512,
  kEdDSA,
  kHS256, kHS384, kHS512,
};
inline constexpr int kAlgorithmCount = 13;

enum class KeyFamily : uint8_t { kRsa, kEc, kOkp, kOct };

enum class SignatureScheme : uint8_t { kRsaPkcs1, kRsaPss, kEcdsa, kEdDsa, kHmac };

struct AlgorithmInfo {
  Algorithm algorithm;
  std::string_view name;       // JWA name, e.g. "PS384"
  KeyFamily family;
  SignatureScheme scheme;
  std::string_view digest;     // OpenSSL digest name; empty for EdDSA
  size_t digest_size;          // bytes; for HMAC also the minimum key size
};

// AlgorithmInfoOf returns the static description of `alg`.
const AlgorithmInfo& AlgorithmInfoOf(Algorithm alg);

// AlgorithmFromName returns the algorithm named exactly `name`, if any.
std::optional<Algorithm> AlgorithmFromName(std::string_view name);

inline std::string_view AlgorithmName(Algorithm alg) { return AlgorithmInfoOf(alg).name; }

// AlgorithmSet is a small bit set of algorithms.
class AlgorithmSet {
 public:
  constexpr AlgorithmSet() = default;
  static constexpr AlgorithmSet All() { return AlgorithmSet((1u << kAlgorithmCount) - 1); }
  static AlgorithmSet OfFamily(KeyFamily family);

  constexpr bool contains(Algorithm alg) const { return bits_ & Bit(alg); }
  constexpr bool empty() const { return bits_ == 0; }
  void insert(Algorithm alg) { bits_ |= Bit(alg); }
  void erase(Algorithm alg) { bits_ &= ~Bit(alg); }
  constexpr AlgorithmSet operator&(AlgorithmSet other) const {
    return AlgorithmSet(bits_ & other.bits_);
  }
  constexpr AlgorithmSet operator|(AlgorithmSet other) const {
    return AlgorithmSet(bits_ | other.bits_);
  }
  constexpr bool operator==(AlgorithmSet other) const { return bits_ == other.bits_; }

 private:
  constexpr explicit AlgorithmSet(uint32_t bits) : bits_(bits) {}
  static constexpr uint32_t Bit(Algorithm alg) { return 1u << static_cast<uint32_t>(alg); }
  uint32_t bits_ = 0;
};

}  // namespace authgate

#endif  // AUTHGATE_SRC_JOSE_ALGORITHM_H_

// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "jose/algorithm.h"

namespace authgate {
namespace {

constexpr AlgorithmInfo kAlgorithms[kAlgorithmCount] = {
    {Algorithm::kRS256, "RS256", KeyFamily::kRsa, SignatureScheme::kRsaPkcs1, "SHA256", 32},
    {Algorithm::kRS384, "RS384", KeyFamily::kRsa, SignatureScheme::kRsaPkcs1, "SHA384", 48},
    {Algorithm::kRS512, "RS512", KeyFamily::kRsa, SignatureScheme::kRsaPkcs1, "SHA512", 64},
    {Algorithm::kPS256, "PS256", KeyFamily::kRsa, SignatureScheme::kRsaPss, "SHA256", 32},
    {Algorithm::kPS384, "PS384", KeyFamily::kRsa, SignatureScheme::kRsaPss, "SHA384", 48},
    {Algorithm::kPS512, "PS512", KeyFamily::kRsa, SignatureScheme::kRsaPss, "SHA512", 64},
    {Algorithm::kES256, "ES256", KeyFamily::kEc, SignatureScheme::kEcdsa, "SHA256", 32},
    {Algorithm::kES384, "ES384", KeyFamily::kEc, SignatureScheme::kEcdsa, "SHA384", 48},
    {Algorithm::kES512, "ES512", KeyFamily::kEc, SignatureScheme::kEcdsa, "SHA512", 64},
    {Algorithm::kEdDSA, "EdDSA", KeyFamily::kOkp, SignatureScheme::kEdDsa, "", 0},
    {Algorithm::kHS256, "HS256", KeyFamily::kOct, SignatureScheme::kHmac, "SHA256", 32},
    {Algorithm::kHS384, "HS384", KeyFamily::kOct, SignatureScheme::kHmac, "SHA384", 48},
    {Algorithm::kHS512, "HS512", KeyFamily::kOct, SignatureScheme::kHmac, "SHA512", 64},
};

}  // namespace

const AlgorithmInfo& AlgorithmInfoOf(Algorithm alg) {
  return kAlgorithms[static_cast<size_t>(alg)];
}

std::optional<Algorithm> AlgorithmFromName(std::string_view name) {
  for (const AlgorithmInfo& info : kAlgorithms) {
    if (info.name == name) return info.algorithm;
  }
  return std::nullopt;
}

AlgorithmSet AlgorithmSet::OfFamily(KeyFamily family) {
  AlgorithmSet set;
  for (const AlgorithmInfo& info : kAlgorithms) {
    if (info.family == family) set.insert(info.algorithm);
  }
  return set;
}

}  // namespace authgate

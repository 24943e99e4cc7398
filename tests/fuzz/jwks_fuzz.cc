// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzzes key loading as it happens for a jwks_uri answer, a discovery's
// JWKS, a key file or inline keys: KeySet::FromText over a JWKS, a single
// JWK or PEM public keys and certificates.
//
// Invariants, beyond no crash, leak or hang:
// - a refusal is InvalidArgument (or ResourceExhausted) with a message;
// - an accepted set is not empty, never mixes HMAC secrets with public keys,
//   has no two keys with the same kid, and its algorithms() is the union of
//   its keys';
// - a key is only usable with algorithms of its own type: RSA keys with
//   RS*/PS* (RSA-PSS keys with PS* only) and at least 2048 bits, EC keys with
//   exactly the ES* of their curve, OKP keys with EdDSA, oct keys with HS*;
// - Candidates() returns only keys usable with the algorithm, honours the
//   kid rule (same kid, or no kid on either side), puts same-kid keys first
//   and respects the limit;
// - no key verifies a made-up signature, of the right size or not, and none
//   verifies with an algorithm it was not given.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "fuzz_check.h"
#include "jose/key_set.h"

namespace {

using authgate::Algorithm;
using authgate::AlgorithmSet;
using authgate::KeyFamily;
using authgate::KeySet;
using authgate::SignatureKey;

constexpr std::string_view kSigningInput = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJmdXp6In0";

std::vector<Algorithm> AllAlgorithms() {
  std::vector<Algorithm> all;
  for (int i = 0; i < authgate::kAlgorithmCount; ++i) all.push_back(static_cast<Algorithm>(i));
  return all;
}

// The one ES* algorithm of an EC key's curve.
std::optional<Algorithm> CurveAlgorithm(const EVP_PKEY* pkey) {
  char name[64];
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof(name),
                                     &len) != 1) {
    return std::nullopt;
  }
  const std::string_view group(name, len);
  if (group == "prime256v1") return Algorithm::kES256;
  if (group == "secp384r1") return Algorithm::kES384;
  if (group == "secp521r1") return Algorithm::kES512;
  return std::nullopt;
}

void CheckKeyType(const SignatureKey& key) {
  const AlgorithmSet algorithms = key.algorithms();
  const EVP_PKEY* pkey = key.pkey();
  FUZZ_CHECK(!algorithms.empty());
  FUZZ_CHECK((algorithms & AlgorithmSet::OfFamily(key.family())) == algorithms);
  FUZZ_CHECK(!key.description().empty());
  switch (key.family()) {
    case KeyFamily::kOct:
      FUZZ_CHECK(pkey == nullptr);
      break;
    case KeyFamily::kRsa:
      FUZZ_CHECK(EVP_PKEY_is_a(pkey, "RSA") || EVP_PKEY_is_a(pkey, "RSA-PSS"));
      FUZZ_CHECK(EVP_PKEY_get_bits(pkey) >= 2048);
      if (EVP_PKEY_is_a(pkey, "RSA-PSS")) {
        for (Algorithm alg : {Algorithm::kRS256, Algorithm::kRS384, Algorithm::kRS512}) {
          FUZZ_CHECK(!algorithms.contains(alg));
        }
      }
      break;
    case KeyFamily::kEc: {
      FUZZ_CHECK(EVP_PKEY_is_a(pkey, "EC"));
      const std::optional<Algorithm> curve_alg = CurveAlgorithm(pkey);
      FUZZ_CHECK(curve_alg.has_value());
      AlgorithmSet only;
      only.insert(*curve_alg);
      FUZZ_CHECK(algorithms == only);
      break;
    }
    case KeyFamily::kOkp:
      FUZZ_CHECK(EVP_PKEY_is_a(pkey, "ED25519") || EVP_PKEY_is_a(pkey, "ED448"));
      break;
  }
}

// The sizes a signature of `alg` could have for `key`, and one off.
std::vector<size_t> SignatureSizes(const SignatureKey& key, Algorithm alg) {
  size_t size = authgate::AlgorithmInfoOf(alg).digest_size;  // HMAC
  if (key.pkey() != nullptr) size = static_cast<size_t>(EVP_PKEY_get_size(key.pkey()));
  if (alg == Algorithm::kEdDSA) size = EVP_PKEY_is_a(key.pkey(), "ED25519") ? 64 : 114;
  if (key.family() == KeyFamily::kEc) {
    size = alg == Algorithm::kES256 ? 64 : alg == Algorithm::kES384 ? 96 : 132;
  }
  return {0, 1, size - 1, size, size + 1};
}

void CheckNoMadeUpSignatureVerifies(const SignatureKey& key) {
  for (Algorithm alg : AllAlgorithms()) {
    for (size_t size : SignatureSizes(key, alg)) {
      for (uint8_t fill : {uint8_t{0x00}, uint8_t{0x01}, uint8_t{0xff}}) {
        const std::vector<uint8_t> signature(size, fill);
        FUZZ_CHECK(!key.Verify(alg, kSigningInput, signature));
      }
    }
  }
}

void CheckCandidates(const KeySet& set, std::optional<std::string_view> kid, size_t limit) {
  for (Algorithm alg : AllAlgorithms()) {
    bool more = false;
    const KeySet::CandidateList candidates = set.Candidates(alg, kid, limit, &more);
    size_t eligible = 0, same_kid = 0;
    for (const auto& key : set.keys()) {
      if (!key->algorithms().contains(alg)) continue;
      const bool kid_fits = !kid || !key->kid() || *key->kid() == *kid;
      eligible += kid_fits ? 1 : 0;
      same_kid += kid && key->kid() && *key->kid() == *kid ? 1 : 0;
    }
    FUZZ_CHECK(candidates.size() == std::min(eligible, limit));
    FUZZ_CHECK(more == (eligible > limit));
    if (!set.algorithms().contains(alg)) FUZZ_CHECK(candidates.empty());
    std::set<const SignatureKey*> seen;
    for (size_t i = 0; i < candidates.size(); ++i) {
      const SignatureKey* key = candidates[i];
      FUZZ_CHECK(seen.insert(key).second);
      FUZZ_CHECK(key->algorithms().contains(alg));
      FUZZ_CHECK(!kid || !key->kid() || *key->kid() == *kid);
      // Keys with the token's kid come first.
      if (kid && i < same_kid) FUZZ_CHECK(key->kid() && *key->kid() == *kid);
    }
  }
}

void CheckSet(const KeySet& set) {
  FUZZ_CHECK(set.size() > 0 && set.size() == set.keys().size());
  AlgorithmSet union_of_keys;
  std::set<std::string> kids;
  for (const auto& key : set.keys()) {
    FUZZ_CHECK((key->family() == KeyFamily::kOct) == set.symmetric());
    if (key->kid()) FUZZ_CHECK(kids.insert(*key->kid()).second);
    union_of_keys = union_of_keys | key->algorithms();
    CheckKeyType(*key);
    CheckNoMadeUpSignatureVerifies(*key);
  }
  FUZZ_CHECK(set.algorithms() == union_of_keys);

  CheckCandidates(set, std::nullopt, 4);
  CheckCandidates(set, "no such kid", 4);
  for (const std::string& kid : kids) {
    CheckCandidates(set, kid, 4);
    CheckCandidates(set, kid, 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<KeySet::Loaded> loaded = KeySet::FromText(text);
  if (!loaded.ok()) {
    FUZZ_CHECK(loaded.status().code() == absl::StatusCode::kInvalidArgument ||
               loaded.status().code() == absl::StatusCode::kResourceExhausted);
    FUZZ_CHECK(!loaded.status().message().empty());
    return 0;
  }
  FUZZ_CHECK(loaded->keys != nullptr);
  for (const std::string& warning : loaded->warnings) FUZZ_CHECK(!warning.empty());
  CheckSet(*loaded->keys);
  return 0;
}

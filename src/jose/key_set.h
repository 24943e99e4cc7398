// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// key_set.h: an immutable set of verification keys (a JWKS, a JWK, PEM keys or
// certificates) and the rule that picks the keys a token may be checked with.
//
//   absl::StatusOr<KeySet::Loaded> loaded = KeySet::FromText(jwks_text);
//   if (!loaded.ok()) return loaded.status();
//   for (const std::string& w : loaded->warnings) Log(w);   // skipped keys
//   std::shared_ptr<const KeySet> keys = loaded->keys;
//
// A set never mixes symmetric and asymmetric keys: one that does is refused,
// since it invites using public key material as an HMAC secret. Keys that
// share a `kid` are ambiguous and all of them are dropped (with a warning),
// while the other keys stay usable; so are keys that cannot be used at all.

#ifndef AUTHGATE_SRC_JOSE_KEY_SET_H_
#define AUTHGATE_SRC_JOSE_KEY_SET_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "jose/algorithm.h"
#include "jose/json.h"
#include "jose/signature_key.h"

namespace authgate {

class KeySet {
 public:
  struct Loaded {
    std::shared_ptr<const KeySet> keys;
    // One line per skipped key, saying which and why.
    std::vector<std::string> warnings;
  };

  // FromText parses a JWKS or a single JWK (JSON text), or PEM text holding
  // public keys and certificates. Fails when the text is unreadable, mixes
  // symmetric and asymmetric keys, or yields no usable key.
  static absl::StatusOr<Loaded> FromText(std::string_view text);

  // FromJson builds the set from a parsed JWKS ({"keys": [...]}) or JWK.
  static absl::StatusOr<Loaded> FromJson(JsonValue value);

  // Candidates is the key-selection rule: the keys whose type fits `alg` and
  // that are allowed to verify it, where a key with a `kid` is a candidate
  // only for a token with the same `kid` or with none, and a key without
  // `kid` is a candidate for any token. Keys with the token's `kid` come
  // first. At most `limit` keys are returned; *more is set when further
  // candidates were left out.
  using CandidateList = absl::InlinedVector<const SignatureKey*, 4>;
  CandidateList Candidates(Algorithm alg, std::optional<std::string_view> kid, size_t limit,
                           bool* more) const;

  const std::vector<std::unique_ptr<SignatureKey>>& keys() const { return keys_; }
  size_t size() const { return keys_.size(); }
  bool symmetric() const { return symmetric_; }
  // algorithms is the union of what the keys may verify.
  AlgorithmSet algorithms() const { return algorithms_; }

 private:
  KeySet() = default;
  static absl::StatusOr<Loaded> Assemble(
      std::vector<absl::StatusOr<std::unique_ptr<SignatureKey>>> parsed);

  std::vector<std::unique_ptr<SignatureKey>> keys_;
  bool symmetric_ = false;
  AlgorithmSet algorithms_;
};

}  // namespace authgate

#endif  // AUTHGATE_SRC_JOSE_KEY_SET_H_

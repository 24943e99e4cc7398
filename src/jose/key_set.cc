// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "jose/key_set.h"

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "text.h"
#include "absl/strings/str_join.h"
#include "jose/jwk.h"

namespace authgate {
namespace {

// JWKS documents come from configuration or from the network: bounded.
constexpr JsonLimits kJwksLimits{/*max_size=*/4 << 20, /*max_depth=*/16};

bool StartsWithPem(std::string_view text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && text.substr(first).rfind("-----BEGIN ", 0) == 0;
}

}  // namespace

absl::StatusOr<KeySet::Loaded> KeySet::FromText(std::string_view text) {
  if (StartsWithPem(text)) {
    absl::StatusOr<std::vector<absl::StatusOr<std::unique_ptr<SignatureKey>>>> parsed =
        ParsePemKeys(text);
    if (!parsed.ok()) return parsed.status();
    return Assemble(std::move(*parsed));
  }
  JsonDocument doc;
  if (absl::Status s = doc.Parse(text, kJwksLimits); !s.ok()) {
    return absl::InvalidArgumentError(
        StrCat("key set is neither PEM nor valid JSON: ", s.message()));
  }
  return FromJson(doc.root());
}

absl::StatusOr<KeySet::Loaded> KeySet::FromJson(JsonValue value) {
  if (!value.is_object()) return absl::InvalidArgumentError("a JWKS or JWK must be an object");
  std::vector<absl::StatusOr<std::unique_ptr<SignatureKey>>> parsed;
  JsonValue keys = value.Find("keys");
  if (keys.valid()) {
    if (!keys.is_array()) return absl::InvalidArgumentError("JWKS \"keys\" must be an array");
    for (JsonValue jwk : keys.elements()) parsed.push_back(ParseJwk(jwk));
    // A kid shared with an unusable JWK is just as ambiguous as one shared
    // with a usable key, but Assemble() only sees usable keys: refuse such
    // keys here (Wycheproof json_web_key tcId 4, whose twin key is not
    // strict base64url).
    absl::flat_hash_set<std::string> unusable_kids;
    for (size_t i = 0; i < parsed.size(); ++i) {
      JsonValue kid = keys.At(i).Find("kid");
      if (!parsed[i].ok() && kid.is_string()) unusable_kids.emplace(kid.string());
    }
    for (auto& key : parsed) {
      if (key.ok() && (*key)->kid() && unusable_kids.contains(*(*key)->kid())) {
        key = absl::InvalidArgumentError(
            "another key has the same kid (and is unusable): the kid is ambiguous");
      }
    }
  } else if (value.Find("kty").valid()) {
    parsed.push_back(ParseJwk(value));
  } else {
    return absl::InvalidArgumentError("object is neither a JWKS (\"keys\") nor a JWK (\"kty\")");
  }
  return Assemble(std::move(parsed));
}

absl::StatusOr<KeySet::Loaded> KeySet::Assemble(
    std::vector<absl::StatusOr<std::unique_ptr<SignatureKey>>> parsed) {
  Loaded loaded;
  std::vector<std::unique_ptr<SignatureKey>> usable;
  for (size_t i = 0; i < parsed.size(); ++i) {
    if (!parsed[i].ok()) {
      loaded.warnings.push_back(
          StrCat("key #", i + 1, " skipped: ", parsed[i].status().message()));
      continue;
    }
    usable.push_back(std::move(*parsed[i]));
  }

  bool any_symmetric = false, any_asymmetric = false;
  for (const auto& key : usable) {
    (key->family() == KeyFamily::kOct ? any_symmetric : any_asymmetric) = true;
  }
  if (any_symmetric && any_asymmetric) {
    return absl::InvalidArgumentError(
        "key set mixes symmetric (oct) and asymmetric keys; use separate key sets");
  }

  absl::flat_hash_map<std::string, int> kid_count;
  for (const auto& key : usable) {
    if (key->kid()) ++kid_count[*key->kid()];
  }
  std::unique_ptr<KeySet> set(new KeySet());
  set->symmetric_ = any_symmetric;
  for (auto& key : usable) {
    if (key->kid() && kid_count[*key->kid()] > 1) {
      loaded.warnings.push_back(StrCat(key->description(),
                                             " dropped: another key has the same kid"));
      continue;
    }
    set->algorithms_ = set->algorithms_ | key->algorithms();
    set->keys_.push_back(std::move(key));
  }
  if (set->keys_.empty()) {
    std::string why = loaded.warnings.empty() ? "the key set is empty"
                                              : absl::StrJoin(loaded.warnings, "; ");
    return absl::InvalidArgumentError(StrCat("no usable key: ", why));
  }
  loaded.keys = std::move(set);
  return loaded;
}

KeySet::CandidateList KeySet::Candidates(Algorithm alg, std::optional<std::string_view> kid,
                                         size_t limit, bool* more) const {
  CandidateList out;
  *more = false;
  auto add = [&](const SignatureKey* key) {
    if (out.size() == limit) {
      *more = true;
      return;
    }
    out.push_back(key);
  };
  // Keys whose kid matches come first, then keys without a kid.
  for (const auto& key : keys_) {
    if (!key->algorithms().contains(alg)) continue;
    if (!kid || (key->kid() && *key->kid() == *kid)) add(key.get());
  }
  if (kid) {
    for (const auto& key : keys_) {
      if (key->algorithms().contains(alg) && !key->kid()) add(key.get());
    }
  }
  return out;
}

}  // namespace authgate

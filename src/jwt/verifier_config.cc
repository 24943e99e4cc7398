// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "jwt/verifier_config.h"

#include "text.h"
#include "config_object.h"

namespace authgate {
namespace {

constexpr JsonLimits kConfigLimits{/*max_size=*/8 << 20, /*max_depth=*/32};
constexpr int64_t kMaxTokenSizeLimit = 1 << 20;

absl::Status ReadKeys(ConfigObject& config, KeySet::Loaded* out) {
  JsonValue jwks = config.Get("jwks");
  if (!jwks.valid()) return config.Error("jwks", "is required (a JWKS, a JWK or PEM text)");
  absl::StatusOr<KeySet::Loaded> loaded =
      jwks.is_string() ? KeySet::FromText(jwks.string())
      : jwks.is_object() ? KeySet::FromJson(jwks)
                         : absl::InvalidArgumentError("must be an object or a string");
  if (!loaded.ok()) return config.Error("jwks", FromAbsl(loaded.status().message()));
  *out = std::move(*loaded);
  return absl::OkStatus();
}

absl::Status ReadAlgorithms(ConfigObject& config, AlgorithmSet* out) {
  std::vector<std::string> names;
  if (absl::Status s = config.GetStringList("algorithms", &names); !s.ok()) return s;
  if (!config.Get("algorithms").valid()) return absl::OkStatus();
  if (names.empty()) return config.Error("algorithms", "must not be empty");
  AlgorithmSet set;
  for (const std::string& name : names) {
    std::optional<Algorithm> alg = AlgorithmFromName(name);
    if (!alg) {
      return config.Error("algorithms", StrCat("\"", name.substr(0, 32),
                                                     "\" is not a supported JWS algorithm"));
    }
    set.insert(*alg);
  }
  *out = set;
  return absl::OkStatus();
}

absl::Status ReadCache(ConfigObject& config, TokenCache::Options* out) {
  JsonValue value = config.Get("token_cache");
  if (!value.valid()) return absl::OkStatus();
  absl::StatusOr<ConfigObject> cache = ConfigObject::Open(value, config.Path("token_cache"));
  if (!cache.ok()) return cache.status();
  int64_t entries = 10000, bytes = 16 << 20;
  if (absl::Status s = cache->GetInteger("max_entries", 0, 100000000, &entries); !s.ok()) return s;
  if (absl::Status s = cache->GetInteger("max_bytes", 0, int64_t{1} << 40, &bytes); !s.ok()) {
    return s;
  }
  if (absl::Status s = cache->CheckAllKeysKnown(); !s.ok()) return s;
  out->max_entries = static_cast<size_t>(entries);
  out->max_bytes = static_cast<size_t>(bytes);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<VerifierConfig> ParseVerifierConfig(std::string_view json) {
  JsonDocument doc;
  if (absl::Status s = doc.Parse(json, kConfigLimits); !s.ok()) {
    return absl::InvalidArgumentError(StrCat("configuration: ", s.message()));
  }
  absl::StatusOr<ConfigObject> config = ConfigObject::Open(doc.root(), "");
  if (!config.ok()) return config.status();

  VerifierConfig out;
  ClaimRules& claims = out.options.claims;
  if (absl::Status s = ReadKeys(*config, &out.keys); !s.ok()) return s;
  if (absl::Status s = config->GetStringList("issuers", &claims.issuers); !s.ok()) return s;
  if (absl::Status s = config->GetStringList("audiences", &claims.audiences); !s.ok()) return s;
  if (absl::Status s = ReadAlgorithms(*config, &out.options.algorithms); !s.ok()) return s;
  std::optional<absl::Duration> skew;
  if (absl::Status s = config->GetDuration("clock_skew", &skew); !s.ok()) return s;
  if (skew) claims.clock_skew = *skew;
  if (absl::Status s = config->GetBool("require_exp", &claims.require_exp); !s.ok()) return s;
  if (absl::Status s = config->GetDuration("max_lifetime", &claims.max_lifetime); !s.ok()) {
    return s;
  }
  if (absl::Status s = config->GetStringList("required_claims", &claims.required_claims);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = config->GetString("typ", &claims.typ); !s.ok()) return s;
  if (absl::Status s = config->GetStringList("subjects", &claims.subjects); !s.ok()) return s;
  int64_t max_token_size = static_cast<int64_t>(out.options.max_token_size);
  if (absl::Status s = config->GetInteger("max_token_size", 16, kMaxTokenSizeLimit,
                                          &max_token_size);
      !s.ok()) {
    return s;
  }
  out.options.max_token_size = static_cast<size_t>(max_token_size);
  int64_t candidates = static_cast<int64_t>(out.options.max_key_candidates);
  if (absl::Status s = config->GetInteger("max_key_candidates", 1, 64, &candidates); !s.ok()) {
    return s;
  }
  out.options.max_key_candidates = static_cast<size_t>(candidates);
  if (absl::Status s = ReadCache(*config, &out.options.cache); !s.ok()) return s;
  if (absl::Status s = config->CheckAllKeysKnown(); !s.ok()) return s;
  return out;
}

}  // namespace authgate

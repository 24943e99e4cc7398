// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// verifier_config.h: the JSON configuration of a verifier (the document
// authgate_verifier_new() takes; see docs/config.md) turned into keys and
// options.
//
//   absl::StatusOr<VerifierConfig> config = ParseVerifierConfig(json_text);
//   if (!config.ok()) return config.status();   // names the offending key
//   auto verifier = JwtVerifier::Create(config->keys.keys, config->options);

#ifndef AUTHGATE_SRC_JWT_VERIFIER_CONFIG_H_
#define AUTHGATE_SRC_JWT_VERIFIER_CONFIG_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "jose/key_set.h"
#include "jwt/jwt_verifier.h"

namespace authgate {

struct VerifierConfig {
  KeySet::Loaded keys;
  JwtVerifierOptions options;
};

absl::StatusOr<VerifierConfig> ParseVerifierConfig(std::string_view json);

}  // namespace authgate

#endif  // AUTHGATE_SRC_JWT_VERIFIER_CONFIG_H_

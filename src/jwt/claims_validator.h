// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// claims_validator.h: the claim checks of a JWT (RFC 7519 section 4.1) and the
// header `typ` requirement, run only after the signature has verified.
//
//   ClaimRules rules;
//   rules.issuers = {"https://idp.example"};
//   rules.audiences = {"api://orders"};
//   ClaimTimes times;
//   Rejection why;
//   if (!ValidateClaims(payload.root(), rules, now, &times, &why)) return why;
//
// Registered claims are type-checked whenever present: `iss`, `sub` and `jti`
// are strings; `aud` is a string or an array of strings; `exp`, `nbf` and
// `iat` are finite JSON numbers from 0 to 253402300799 (year 9999). A claim
// of the wrong type is rejected (invalid_claim), never ignored. Checks run in
// a fixed order and the first failure is reported: exp, nbf, iat, lifetime,
// iss, aud, sub, required claims.

#ifndef AUTHGATE_SRC_JWT_CLAIMS_VALIDATOR_H_
#define AUTHGATE_SRC_JWT_CLAIMS_VALIDATOR_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "jose/json.h"
#include "reason.h"

namespace authgate {

struct ClaimRules {
  // `iss` must equal one of these byte for byte; empty: not checked.
  std::vector<std::string> issuers;
  // `aud` (string or any array element) must equal one of these; empty: not checked.
  std::vector<std::string> audiences;
  bool require_exp = true;
  absl::Duration clock_skew = absl::Seconds(60);
  // When set, `iat` is required and `exp` - `iat` may not exceed it.
  std::optional<absl::Duration> max_lifetime;
  // Top-level claims that must be present (any type).
  std::vector<std::string> required_claims;
  // `sub` must be one of these; empty: not checked.
  std::vector<std::string> subjects;
  // Required header `typ`, compared case-insensitively after removing an
  // optional "application/" prefix from both sides (RFC 7515 4.1.9).
  std::optional<std::string> typ;
};

// The validity window a token was found to have, for the verified-token
// cache: valid while not_before <= now < not_after (skew included).
struct ClaimTimes {
  double not_before = -1e300;
  double not_after = 1e300;
};

// ValidateClaims checks the claims object `payload` at time `now`. Returns
// true and fills *times, or false with *why set.
bool ValidateClaims(JsonValue payload, const ClaimRules& rules, absl::Time now,
                    ClaimTimes* times, Rejection* why);

// CheckType applies rules.typ to the header's `typ` (absent: nullopt).
bool CheckType(std::optional<std::string_view> typ, const ClaimRules& rules, Rejection* why);

}  // namespace authgate

#endif  // AUTHGATE_SRC_JWT_CLAIMS_VALIDATOR_H_

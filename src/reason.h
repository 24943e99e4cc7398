// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// reason.h: the closed enumeration of reasons a token (and later a request) is
// refused. Each reason has a pinned number and a stable snake_case name shared
// by the core, the C ABI, the CLI, the bindings and the proxy's logs.
//
//   Rejection r{Reason::kExpired, "token expired at 2026-01-01T00:00:00Z"};
//   std::string_view name = ReasonName(r.reason);  // "expired"
//
// New reasons are only ever appended; a number never changes meaning. The C
// header mirrors these values (a static_assert in capi/ keeps them equal).

#ifndef AUTHGATE_SRC_REASON_H_
#define AUTHGATE_SRC_REASON_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace authgate {

enum class Reason : uint32_t {
  kNone = 0,
  kMalformed = 1,
  kUnsupportedTokenType = 2,
  kUnsupportedAlg = 3,
  kAlgNotAllowed = 4,
  kKeyNotFound = 5,
  kSignatureInvalid = 6,
  kExpired = 7,
  kNotYetValid = 8,
  kIssuerMismatch = 9,
  kAudienceMismatch = 10,
  kMissingClaim = 11,
  kInvalidClaim = 12,
  kTokenTooLarge = 13,
  kJwksUnavailable = 14,
  kUnsupportedHeader = 15,
  kTypeMismatch = 16,
  kSubjectNotAllowed = 17,
  kLifetimeTooLong = 18,
  kNonceMismatch = 19,
  kSessionInvalid = 20,
  kSessionExpired = 21,
  kStateMismatch = 22,
  kFlowCookieMissing = 23,
  kAuthorizationError = 24,
  kTokenExchangeFailed = 25,
  kRefreshFailed = 26,
  kTokenMissing = 27,
  kMultipleTokens = 28,
  kInsufficientClaims = 29,
  kNoMatchingRule = 30,
  kInvalidPath = 31,
  kLoginRequired = 32,
  kProviderUnavailable = 33,
  kInvalidMethod = 34,
  kRateLimited = 35,
};

// The largest reason number defined; reasons are 0..kMaxReason without gaps.
inline constexpr uint32_t kMaxReason = 35;

// ReasonName returns the stable snake_case name of `reason`, or "unknown" for a
// number outside the enumeration.
std::string_view ReasonName(Reason reason);

// Rejection is the verdict against a token: which check failed and why, in
// words fit for a log line (never containing key material or the token).
struct Rejection {
  Reason reason = Reason::kNone;
  std::string detail;
};

}  // namespace authgate

#endif  // AUTHGATE_SRC_REASON_H_

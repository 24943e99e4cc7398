// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "reason.h"

namespace authgate {

std::string_view ReasonName(Reason reason) {
  switch (reason) {
    case Reason::kNone: return "none";
    case Reason::kMalformed: return "malformed";
    case Reason::kUnsupportedTokenType: return "unsupported_token_type";
    case Reason::kUnsupportedAlg: return "unsupported_alg";
    case Reason::kAlgNotAllowed: return "alg_not_allowed";
    case Reason::kKeyNotFound: return "key_not_found";
    case Reason::kSignatureInvalid: return "signature_invalid";
    case Reason::kExpired: return "expired";
    case Reason::kNotYetValid: return "not_yet_valid";
    case Reason::kIssuerMismatch: return "issuer_mismatch";
    case Reason::kAudienceMismatch: return "audience_mismatch";
    case Reason::kMissingClaim: return "missing_claim";
    case Reason::kInvalidClaim: return "invalid_claim";
    case Reason::kTokenTooLarge: return "token_too_large";
    case Reason::kJwksUnavailable: return "jwks_unavailable";
    case Reason::kUnsupportedHeader: return "unsupported_header";
    case Reason::kTypeMismatch: return "type_mismatch";
    case Reason::kSubjectNotAllowed: return "subject_not_allowed";
    case Reason::kLifetimeTooLong: return "lifetime_too_long";
    case Reason::kNonceMismatch: return "nonce_mismatch";
    case Reason::kSessionInvalid: return "session_invalid";
    case Reason::kSessionExpired: return "session_expired";
    case Reason::kStateMismatch: return "state_mismatch";
    case Reason::kFlowCookieMissing: return "flow_cookie_missing";
    case Reason::kAuthorizationError: return "authorization_error";
    case Reason::kTokenExchangeFailed: return "token_exchange_failed";
    case Reason::kRefreshFailed: return "refresh_failed";
    case Reason::kTokenMissing: return "token_missing";
    case Reason::kMultipleTokens: return "multiple_tokens";
    case Reason::kInsufficientClaims: return "insufficient_claims";
    case Reason::kNoMatchingRule: return "no_matching_rule";
    case Reason::kInvalidPath: return "invalid_path";
    case Reason::kLoginRequired: return "login_required";
    case Reason::kProviderUnavailable: return "provider_unavailable";
    case Reason::kInvalidMethod: return "invalid_method";
    case Reason::kRateLimited: return "rate_limited";
  }
  return "unknown";
}

}  // namespace authgate

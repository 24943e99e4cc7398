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
  }
  return "unknown";
}

}  // namespace authgate

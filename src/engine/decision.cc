// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "engine/decision.h"

namespace authgate {

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kAllowed: return "allowed";
    case Outcome::kLoginRedirect: return "login_redirect";
    case Outcome::kLoggedIn: return "logged_in";
    case Outcome::kSignedOut: return "signed_out";
    case Outcome::kUnauthorized: return "unauthorized";
    case Outcome::kForbidden: return "forbidden";
    case Outcome::kBadRequest: return "bad_request";
    case Outcome::kUnavailable: return "unavailable";
  }
  return "unknown";
}

}  // namespace authgate

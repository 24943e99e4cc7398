// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// decision.h: what the engine decided about one request, for the host to
// carry out: forward it upstream with header changes, or answer it.
//
//   Decision d = engine->Evaluate(request);
//   if (d.action == Decision::Action::kAllow) {
//     for (const std::string& name : d.remove_headers) upstream.erase(name);
//     for (const auto& [name, value] : d.set_headers) upstream.set(name, value);
//     Forward(d.upstream_target, upstream);   // then add d.response_headers to the answer
//   } else {
//     Respond(d.status, d.response_headers, d.body);
//   }
//
// Header names in a decision are lowercase.

#ifndef AUTHGATE_SRC_ENGINE_DECISION_H_
#define AUTHGATE_SRC_ENGINE_DECISION_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reason.h"

namespace authgate {

// Outcome labels requests are counted and logged by; stable names.
enum class Outcome {
  kAllowed = 0,        // forwarded upstream
  kLoginRedirect,      // sent to the identity provider
  kLoggedIn,           // a callback that completed a login
  kSignedOut,          // the sign-out path (also its cross-site confirmation page)
  kUnauthorized,       // 401
  kForbidden,          // 403
  kBadRequest,         // 400 (malformed method or path, several tokens, failed callback),
                       // 429 (too many callbacks from one address)
  kUnavailable,        // 502/503/504: the provider could not be reached in time
};
inline constexpr int kOutcomeCount = 8;
std::string_view OutcomeName(Outcome outcome);

struct Decision {
  enum class Action { kAllow, kRespond };
  Action action = Action::kRespond;
  Outcome outcome = Outcome::kForbidden;

  // kAllow: the target to send upstream (the normalised path the rules saw,
  // with the original query), the request headers to remove (first) and to
  // set (replacing any of that name).
  std::string upstream_target;
  std::vector<std::string> remove_headers;
  std::vector<std::pair<std::string, std::string>> set_headers;

  // kRespond: the answer. Headers in response_headers go on the answer to
  // the client in both cases (after an allow, onto the upstream's response:
  // Set-Cookie of a refreshed or renewed session).
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> response_headers;

  // For logs and metrics: the rule that matched ("" when none), and why a
  // request was refused (kNone when allowed), with a detail fit for a log
  // (never a token, cookie or secret).
  std::string rule;
  Reason reason = Reason::kNone;
  std::string detail;

  // kAllow with an identity: its claims as JSON text, the Bearer token's
  // payload as signed or the session's ID-token claims (for jwt_all, the
  // first provider's); "" without one. For in-process hosts, which hand the
  // identity to the application instead of headers.
  std::string claims_json;
};

}  // namespace authgate

#endif  // AUTHGATE_SRC_ENGINE_DECISION_H_

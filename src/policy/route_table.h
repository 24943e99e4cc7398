// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// route_table.h: the ordered access rules of the engine. The first rule whose
// match holds decides what a request requires; a request no rule matches is
// denied (fail closed).
//
//   absl::StatusOr<RouteTable> table =
//       RouteTable::Parse(config.Find("rules"), "rules", {"idp", "partner"});
//   absl::StatusOr<std::string> path = NormalizePath(request.Path());
//   const RouteRule* rule = table->Match(request.method, request.authority, *path);
//   if (rule == nullptr) return Rejection{Reason::kNoMatchingRule, "no rule matches"};
//   switch (rule->requirement.kind) { ... }
//
// Configuration (JSON; errors name the key, e.g. "rules[2].match.regex: ..."):
//   "rules": [
//     {"match": {"prefix": "/public"}, "requires": "none"},
//     {"name": "api", "match": {"prefix": "/api", "methods": ["GET"], "host": "api.example.com"},
//      "requires": {"jwt": ["idp"]}, "claims": {"scope": {"contains": "api:read"}}},
//     {"match": {"regex": "^/items/[0-9]+$"}, "requires": {"jwt": ["idp"], "allow_missing": true}},
//     {"match": {"path": "/"}, "requires": "login"},
//     {"requires": {"login_or_jwt": ["idp"]}}
//   ]
// `match` has at most one of `path` (exact), `prefix` (whole segments: "/api"
// matches "/api", "/api/" and "/api/x", never "/apix"; "/" matches every path)
// and `regex` (RE2, matched against the whole path), plus optional `methods`
// (exact, uppercase tokens) and `host` (case-insensitive, against the request
// authority without its port or a trailing dot; "*.example.com" matches one
// or more labels before "example.com", not "example.com" itself). Configured
// paths and prefixes must already be in NormalizePath() form, or they could
// never match. No `match`, or an empty one, matches every request.
//
// `requires`: "none", "login", {"jwt": [...]} (any of the providers),
// {"jwt_all": [...]}, {"login_or_jwt": [...]}; "jwt" also takes
// "allow_missing" (no token passes, a bad one fails) or
// "allow_missing_or_failed" (always passes; an identity only when valid).
// `claims` (see claim_condition.h) need an identity, so they are refused on a
// rule that can pass without one: "none" and the two allow flags (omitting
// the token would bypass them).
//
// With `case_insensitive_paths` (the engine's `rules_case_insensitive`),
// every rule's path, prefix and regex match ignoring ASCII case, for
// upstreams whose router does (Express, ASP.NET Core): "/ADMIN" must not
// slip past a "/admin" rule there. It is one switch for the whole table, not
// a per-rule flag, since one rule without it would leave the bypass open.
// Methods always compare exactly: requests with a lower-case letter in the
// method are refused before matching (IsUpperCaseMethod).
//
// A RouteTable is immutable after Parse and safe to share across threads.

#ifndef AUTHGATE_SRC_POLICY_ROUTE_TABLE_H_
#define AUTHGATE_SRC_POLICY_ROUTE_TABLE_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "jose/json.h"
#include "policy/claim_condition.h"
#include "re2/re2.h"

namespace authgate {

enum class RequirementKind { kNone, kLogin, kJwtAny, kJwtAll, kLoginOrJwt };

struct Requirement {
  RequirementKind kind = RequirementKind::kNone;
  std::vector<std::string> providers;  // for the jwt kinds and login_or_jwt
  // jwt any-of only: no token passes, a bad one fails.
  bool allow_missing = false;
  // jwt any-of only: passes whatever happens (an identity only when valid).
  bool allow_missing_or_failed = false;
};

struct RouteRule {
  std::string name;  // the "name" key, default "rules[<index>]"; for logs and metrics

  // The match; an unset field matches anything.
  std::optional<std::string> exact_path;
  std::optional<std::string> prefix;      // without a trailing '/'; "" matches every path
  std::shared_ptr<const re2::RE2> regex;  // full match
  std::vector<std::string> methods;       // empty: any method
  std::optional<std::string> host;        // lowercase; may start with "*."
  bool case_insensitive_paths = false;    // exact_path and prefix ignore ASCII case

  Requirement requirement;
  std::vector<ClaimCondition> claims;  // all must hold

  // Matches tells whether this rule applies to the request.
  bool Matches(std::string_view method, std::string_view host_header,
               std::string_view normalized_path) const;
};

// IsUpperCaseMethod tells whether `method` is an HTTP method token (RFC 9110
// 5.6.2) without a lower-case letter: what rules are written with, and the
// only methods the engine accepts. Upstreams that uppercase the method
// (Django, Werkzeug) would serve "post" as a POST that skipped every POST
// rule.
bool IsUpperCaseMethod(std::string_view method);

class RouteTable {
 public:
  // Parse reads the `rules` array of the engine configuration. `path` names
  // it in errors ("rules"); `known_providers` are the JWT provider names the
  // configuration defines elsewhere.
  static absl::StatusOr<RouteTable> Parse(JsonValue rules, std::string_view path,
                                          const std::vector<std::string>& known_providers,
                                          bool case_insensitive_paths = false);

  // Match returns the first rule matching the request, or null. `host` is the
  // request authority (host[:port]); `normalized_path` is NormalizePath()'s
  // output. The returned rule lives as long as the table.
  const RouteRule* Match(std::string_view method, std::string_view host,
                         std::string_view normalized_path) const;

  const std::vector<RouteRule>& rules() const { return rules_; }

 private:
  std::vector<RouteRule> rules_;
};

}  // namespace authgate

#endif  // AUTHGATE_SRC_POLICY_ROUTE_TABLE_H_

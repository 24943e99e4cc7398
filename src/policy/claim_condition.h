// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// claim_condition.h: role-based access conditions on the claims of a verified
// identity (a JWT payload or the ID token of a session). A rule holds a list
// of them, all of which must hold.
//
//   absl::StatusOr<std::vector<ClaimCondition>> conditions =
//       ParseClaimConditions(rule_json.Find("claims"), "rules[1].claims");
//   std::string unmet;
//   if (!ClaimsSatisfied(payload.root(), *conditions, &unmet)) {
//     return Rejection{Reason::kInsufficientClaims, StrCat("claim ", unmet, " not satisfied")};
//   }
//
// Configuration, in two equivalent forms:
//   {"scope": {"contains": "api:read"}, "realm_access.roles": {"one_of": ["a", "b"]}}
//   [{"claim": ["https://example.com/roles"], "contains": "admin"},
//    {"claim": "realm_access.roles", "one_of": ["a", "b"]}]
// A claim is named by a dotted path into nested objects, or by a list of
// segments when a name itself contains a dot. Each condition has exactly one
// of `equals`, `one_of`, `contains`; values are strings, numbers or booleans.
//
// Semantics: `equals v` holds when the claim has v's JSON type and value
// (numbers compare by value: 1 equals 1.0); `one_of` when it equals one of the
// values; `contains v` when the claim is an array with an element equal to v,
// or a string whose space-separated tokens include v (the OAuth `scope`
// form). An absent claim, or a claim of another type, never holds. Arrays are
// not traversed on the way to a claim: in "groups.name", `groups` must be an
// object; an array there makes the claim absent, which fails closed.

#ifndef AUTHGATE_SRC_POLICY_CLAIM_CONDITION_H_
#define AUTHGATE_SRC_POLICY_CLAIM_CONDITION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "jose/json.h"

namespace authgate {

// ClaimValue is one configured value: a string, a number or a boolean,
// copied out of the configuration document.
struct ClaimValue {
  enum class Type { kString, kNumber, kBool };
  Type type = Type::kString;
  std::string text;                // a string's content; a number's literal
  double number = 0;               // a number's value
  std::optional<int64_t> integer;  // a number written as an integer that fits
  bool boolean = false;

  // Equals tells whether the claim `value` has this value's type and value.
  bool Equals(JsonValue value) const;
};

struct ClaimCondition {
  enum class Op { kEquals, kOneOf, kContains };

  std::vector<std::string> path;  // object member names, outermost first
  Op op = Op::kEquals;
  std::vector<ClaimValue> values;  // one, except for kOneOf

  // Describe returns the condition for logs and errors, e.g.
  //   scope contains "api:read"
  //   ["https://example.com/roles"] one of ["a","b"]
  std::string Describe() const;
  // PathText returns the claim's name: dotted, or as a JSON list when a
  // segment contains a dot.
  std::string PathText() const;
};

// ParseClaimConditions reads a rule's `claims` (object or list form).
// Errors are InvalidArgument naming the key below `path`, e.g.
// "rules[1].claims[0].one_of: must not be empty".
absl::StatusOr<std::vector<ClaimCondition>> ParseClaimConditions(JsonValue claims,
                                                                 std::string_view path);

// ClaimsSatisfied returns true when every condition holds on `claims` (a JSON
// object). Otherwise it returns false and, when `unmet` is not null, sets it
// to the PathText() of the first condition that fails (never the claim's
// value, which may be personal data).
bool ClaimsSatisfied(JsonValue claims, const std::vector<ClaimCondition>& conditions,
                     std::string* unmet);

}  // namespace authgate

#endif  // AUTHGATE_SRC_POLICY_CLAIM_CONDITION_H_

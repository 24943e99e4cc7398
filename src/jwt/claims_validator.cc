// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "jwt/claims_validator.h"

#include <algorithm>
#include <cmath>

#include "text.h"
#include "absl/strings/str_format.h"

namespace authgate {
namespace {

// 9999-12-31T23:59:59Z: the largest NumericDate we accept.
constexpr double kMaxNumericDate = 253402300799.0;

bool Fail(Rejection* why, Reason reason, std::string detail) {
  why->reason = reason;
  why->detail = std::move(detail);
  return false;
}

std::string FormatTime(double seconds) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(static_cast<int64_t>(seconds)),
                          absl::UTCTimeZone());
}

// The registered claims, found in one pass over the members (a lookup per
// claim would scan the object seven times).
struct RegisteredClaims {
  JsonValue iss, sub, aud, exp, nbf, iat, jti;

  explicit RegisteredClaims(JsonValue payload) {
    for (JsonValue::Member member : payload.members()) {
      std::string_view name = member.name;
      if (name.size() != 3) continue;
      if (name == "iss") iss = member.value;
      else if (name == "sub") sub = member.value;
      else if (name == "aud") aud = member.value;
      else if (name == "exp") exp = member.value;
      else if (name == "nbf") nbf = member.value;
      else if (name == "iat") iat = member.value;
      else if (name == "jti") jti = member.value;
    }
  }
};

// Reads a NumericDate claim. Returns false (with *why) when it is present
// but not a finite number in range; *present tells whether it exists.
bool ReadNumericDate(JsonValue value, std::string_view name, bool* present, double* out,
                     Rejection* why) {
  *present = value.valid();
  if (!*present) return true;
  if (!value.is_number() || !value.GetDouble(out) || !std::isfinite(*out) || *out < 0 ||
      *out > kMaxNumericDate) {
    return Fail(why, Reason::kInvalidClaim,
                StrCat("\"", name, "\" must be a number of seconds from 0 to ",
                             static_cast<int64_t>(kMaxNumericDate)));
  }
  return true;
}

bool IsStringOrAbsent(JsonValue value, std::string_view name, Rejection* why) {
  if (value.valid() && !value.is_string()) {
    return Fail(why, Reason::kInvalidClaim, StrCat("\"", name, "\" must be a string"));
  }
  return true;
}

bool Contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::string_view WithoutApplicationPrefix(std::string_view typ) {
  constexpr std::string_view kPrefix = "application/";
  if (typ.size() > kPrefix.size() && StartsWithIgnoreCase(typ, kPrefix)) {
    return typ.substr(kPrefix.size());
  }
  return typ;
}

}  // namespace

bool ValidateClaims(JsonValue payload, const ClaimRules& rules, absl::Time now,
                    ClaimTimes* times, Rejection* why) {
  if (!payload.is_object()) return Fail(why, Reason::kMalformed, "claims are not a JSON object");
  const double now_s = absl::ToDoubleSeconds(now - absl::UnixEpoch());
  const double skew = absl::ToDoubleSeconds(rules.clock_skew);

  const RegisteredClaims claims(payload);
  bool has_exp, has_nbf, has_iat;
  double exp = 0, nbf = 0, iat = 0;
  if (!ReadNumericDate(claims.exp, "exp", &has_exp, &exp, why)) return false;
  if (!ReadNumericDate(claims.nbf, "nbf", &has_nbf, &nbf, why)) return false;
  if (!ReadNumericDate(claims.iat, "iat", &has_iat, &iat, why)) return false;

  // RFC 7519 4.1.4: valid only before exp; skew extends it.
  if (has_exp) {
    if (now_s >= exp + skew) {
      return Fail(why, Reason::kExpired, StrCat("token expired at ", FormatTime(exp)));
    }
    times->not_after = exp + skew;
  } else if (rules.require_exp) {
    return Fail(why, Reason::kMissingClaim, "\"exp\" is required");
  }
  // RFC 7519 4.1.5: valid from nbf on.
  if (has_nbf) {
    if (now_s < nbf - skew) {
      return Fail(why, Reason::kNotYetValid, StrCat("token not valid before ", FormatTime(nbf)));
    }
    times->not_before = nbf - skew;
  }
  if (has_iat) {
    if (now_s < iat - skew) {
      return Fail(why, Reason::kNotYetValid,
                  StrCat("token issued in the future (", FormatTime(iat), ")"));
    }
    times->not_before = std::max(times->not_before, iat - skew);
  }
  if (rules.max_lifetime) {
    if (!has_iat) return Fail(why, Reason::kMissingClaim, "\"iat\" is required (maximum lifetime)");
    if (!has_exp) return Fail(why, Reason::kMissingClaim, "\"exp\" is required (maximum lifetime)");
    if (exp - iat > absl::ToDoubleSeconds(*rules.max_lifetime)) {
      return Fail(why, Reason::kLifetimeTooLong,
                  StrCat("lifetime exp - iat of ", static_cast<int64_t>(exp - iat),
                               " s exceeds the maximum of ",
                               absl::ToInt64Seconds(*rules.max_lifetime), " s"));
    }
  }

  if (!IsStringOrAbsent(claims.iss, "iss", why) || !IsStringOrAbsent(claims.sub, "sub", why) ||
      !IsStringOrAbsent(claims.jti, "jti", why)) {
    return false;
  }
  if (!rules.issuers.empty()) {
    JsonValue iss = claims.iss;
    if (!iss.valid()) return Fail(why, Reason::kMissingClaim, "\"iss\" is required");
    if (!Contains(rules.issuers, iss.string())) {
      return Fail(why, Reason::kIssuerMismatch, "\"iss\" is not an accepted issuer");
    }
  }

  JsonValue aud = claims.aud;
  if (aud.valid()) {
    bool ok_type = aud.is_string();
    if (aud.is_array()) {
      ok_type = true;
      for (JsonValue element : aud.elements()) ok_type &= element.is_string();
    }
    if (!ok_type) {
      return Fail(why, Reason::kInvalidClaim, "\"aud\" must be a string or an array of strings");
    }
  }
  if (!rules.audiences.empty()) {
    if (!aud.valid()) return Fail(why, Reason::kMissingClaim, "\"aud\" is required");
    bool match = aud.is_string() && Contains(rules.audiences, aud.string());
    for (JsonValue element : aud.elements()) match |= Contains(rules.audiences, element.string());
    if (!match) return Fail(why, Reason::kAudienceMismatch, "no \"aud\" is an accepted audience");
  }

  if (!rules.subjects.empty()) {
    JsonValue sub = claims.sub;
    if (!sub.valid()) return Fail(why, Reason::kMissingClaim, "\"sub\" is required");
    if (!Contains(rules.subjects, sub.string())) {
      return Fail(why, Reason::kSubjectNotAllowed, "\"sub\" is not in the allowed subjects");
    }
  }
  for (const std::string& name : rules.required_claims) {
    if (!payload.Find(name).valid()) {
      return Fail(why, Reason::kMissingClaim, StrCat("\"", name, "\" is required"));
    }
  }
  return true;
}

bool CheckType(std::optional<std::string_view> typ, const ClaimRules& rules, Rejection* why) {
  if (!rules.typ) return true;
  if (!typ) {
    return Fail(why, Reason::kTypeMismatch, StrCat("header has no \"typ\"; \"", *rules.typ,
                                                         "\" is required"));
  }
  if (!EqualsIgnoreCase(WithoutApplicationPrefix(*typ),
                              WithoutApplicationPrefix(*rules.typ))) {
    return Fail(why, Reason::kTypeMismatch,
                StrCat("header \"typ\" is not \"", *rules.typ, "\""));
  }
  return true;
}

}  // namespace authgate

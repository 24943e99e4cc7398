// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "session/set_cookie.h"

#include <algorithm>
#include <cstdint>

#include "text.h"

namespace authgate {
namespace {

constexpr std::string_view kSeparators = "()<>@,;:\\\"/[]?={} \t";

std::string Attributes(const CookieAttributes& attributes, std::optional<int64_t> max_age_seconds,
                       bool with_epoch_expires) {
  std::string out;
  if (!attributes.path.empty()) out += StrCat("; Path=", attributes.path);
  if (attributes.domain.has_value()) out += StrCat("; Domain=", *attributes.domain);
  if (max_age_seconds.has_value()) out += StrCat("; Max-Age=", *max_age_seconds);
  if (with_epoch_expires) out += "; Expires=Thu, 01 Jan 1970 00:00:00 GMT";
  if (attributes.secure) out += "; Secure";
  if (attributes.http_only) out += "; HttpOnly";
  if (!attributes.same_site.empty()) out += StrCat("; SameSite=", attributes.same_site);
  return out;
}

absl::Status Invalid(std::string_view name, std::string_view why) {
  return absl::InvalidArgumentError(ToAbsl(StrCat("cookie \"", name, "\": ", why)));
}

bool IsAttributeValue(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c >= 0x20 && c < 0x7f && c != ';'; });
}

bool IsHostName(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.';
  });
}

}  // namespace

bool IsCookieName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return c > 0x20 && c < 0x7f && kSeparators.find(c) == std::string_view::npos;
  });
}

bool IsCookieValue(std::string_view value) {
  return std::all_of(value.begin(), value.end(), [](char c) {
    return c > 0x20 && c < 0x7f && c != '"' && c != ',' && c != ';' && c != '\\';
  });
}

absl::Status ValidateCookie(std::string_view name, const CookieAttributes& attributes) {
  if (!IsCookieName(name)) return Invalid(name, "not a valid cookie name");
  const std::string& same_site = attributes.same_site;
  if (same_site != "Strict" && same_site != "Lax" && same_site != "None") {
    return Invalid(name, "SameSite must be Strict, Lax or None");
  }
  if (same_site == "None" && !attributes.secure) {
    return Invalid(name, "SameSite=None requires Secure");
  }
  if (attributes.path.empty() || attributes.path[0] != '/' || !IsAttributeValue(attributes.path)) {
    return Invalid(name, "Path must start with '/' and hold no ';' or control character");
  }
  if (attributes.domain.has_value() && !IsHostName(*attributes.domain)) {
    return Invalid(name, "Domain must be a host name");
  }
  if (StartsWithIgnoreCase(name, "__Secure-") && !attributes.secure) {
    return Invalid(name, "a __Secure- cookie requires Secure");
  }
  if (StartsWithIgnoreCase(name, "__Host-") &&
      (!attributes.secure || attributes.path != "/" || attributes.domain.has_value())) {
    return Invalid(name, "a __Host- cookie requires Secure, Path=/ and no Domain");
  }
  return absl::OkStatus();
}

std::string FormatSetCookie(std::string_view name, std::string_view value,
                            const CookieAttributes& attributes,
                            std::optional<absl::Duration> max_age) {
  std::optional<int64_t> max_age_seconds;
  if (max_age.has_value()) {
    max_age_seconds = std::max<int64_t>(0, absl::ToInt64Seconds(*max_age));
  }
  return StrCat(name, "=", value, Attributes(attributes, max_age_seconds, false));
}

std::string FormatDeleteCookie(std::string_view name, const CookieAttributes& attributes) {
  return StrCat(name, "=", Attributes(attributes, 0, true));
}

}  // namespace authgate

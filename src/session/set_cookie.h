// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// set_cookie.h: the Set-Cookie header values authgate sends (RFC 6265
// section 4.1, with SameSite and the cookie name prefixes of RFC 6265bis).
//
//   CookieAttributes attributes;  // Secure; HttpOnly; SameSite=Lax; Path=/
//   std::string line = FormatSetCookie("__Host-authgate_session", sealed, attributes,
//                                      absl::Hours(1));
//   // "__Host-authgate_session=<sealed>; Path=/; Max-Age=3600; Secure; HttpOnly; SameSite=Lax"
//   std::string gone = FormatDeleteCookie("__Host-authgate_session", attributes);
//
// The formatters do not validate: names and attributes come from the
// configuration, checked once by ValidateCookie when it is loaded, and the
// values are authgate's own encodings (base64url and '.'), which are always
// cookie octets. A deletion carries the same Path, Domain and Secure as the
// cookie it replaces, since a browser only overwrites a cookie with matching
// ones (and refuses a prefixed name without them).

#ifndef AUTHGATE_SRC_SESSION_SET_COOKIE_H_
#define AUTHGATE_SRC_SESSION_SET_COOKIE_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace authgate {

struct CookieAttributes {
  bool secure = true;
  bool http_only = true;
  std::string same_site = "Lax";  // "Strict", "Lax" or "None"
  std::string path = "/";
  std::optional<std::string> domain;
};

// IsCookieName tells whether `name` is an RFC 6265 cookie-name (an HTTP token).
bool IsCookieName(std::string_view name);

// IsCookieValue tells whether `value` is made of RFC 6265 cookie-octets
// (printable ASCII except space, '"', ',', ';' and '\\'), unquoted.
bool IsCookieValue(std::string_view value);

// ValidateCookie returns InvalidArgument unless `name` is a cookie name and
// `attributes` are well formed and consistent with it: SameSite one of
// Strict, Lax, None (None requires Secure); Path starting with '/'; Domain a
// host name; a "__Secure-" name requires Secure, a "__Host-" name requires
// Secure, Path "/" and no Domain (browsers silently drop such cookies
// otherwise; the prefixes are matched ignoring case, as browsers do).
absl::Status ValidateCookie(std::string_view name, const CookieAttributes& attributes);

// FormatSetCookie returns the Set-Cookie header value setting `name` to
// `value`: "name=value; Path=..; Domain=..; Max-Age=..; Secure; HttpOnly;
// SameSite=..", each attribute only when set. Without `max_age` the cookie
// lives until the browser closes; a negative `max_age` is written as 0.
std::string FormatSetCookie(std::string_view name, std::string_view value,
                            const CookieAttributes& attributes,
                            std::optional<absl::Duration> max_age);

// FormatDeleteCookie returns the Set-Cookie header value that removes
// `name`: an empty value, Max-Age=0 and an Expires date in 1970 (for
// clients that ignore Max-Age), with the same attributes as when it was set.
std::string FormatDeleteCookie(std::string_view name, const CookieAttributes& attributes);

}  // namespace authgate

#endif  // AUTHGATE_SRC_SESSION_SET_COOKIE_H_

// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// cookie_jar.h: the cookies a request carries (RFC 6265 section 5.4), read
// from every `Cookie` header, and the rewriting of that header for the
// upstream without authgate's own cookies.
//
//   CookieJar jar = CookieJar::FromRequest(request);
//   std::optional<std::string_view> session = jar.Get("__Host-authgate_session");
//   std::string forwarded = RemoveCookies(jar, [](std::string_view name) {
//     return name.rfind("__Host-authgate", 0) == 0;
//   });
//
// Parsing is lenient about whitespace, as browsers are, and never fails: a
// pair without '=' is kept with an empty name, as RFC 6265 5.2 prescribes
// for Set-Cookie. Values are not decoded; quotes around a value are kept.

#ifndef AUTHGATE_SRC_SESSION_COOKIE_JAR_H_
#define AUTHGATE_SRC_SESSION_COOKIE_JAR_H_

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/request.h"

namespace authgate {

class CookieJar {
 public:
  using Cookie = std::pair<std::string, std::string>;  // name, value

  // FromRequest collects the cookies of every Cookie header of `request`, in
  // order (HTTP/2 clients may send one header per cookie).
  static CookieJar FromRequest(const Request& request);
  // Parse reads one Cookie header value.
  static CookieJar Parse(std::string_view header);

  // Get returns the value of the first cookie named `name` (names are case
  // sensitive), or nullopt.
  std::optional<std::string_view> Get(std::string_view name) const;
  // Count returns how many cookies are named `name`.
  size_t Count(std::string_view name) const;

  const std::vector<Cookie>& cookies() const { return cookies_; }

 private:
  void Add(std::string_view header);
  std::vector<Cookie> cookies_;
};

// RemoveCookies returns a Cookie header value holding every cookie of `jar`
// for which `remove` is false, in order ("a=1; b=2"), which Parse() reads
// back as exactly those cookies; empty when none is left (the caller then
// drops the header).
std::string RemoveCookies(const CookieJar& jar,
                          const std::function<bool(std::string_view name)>& remove);

}  // namespace authgate

#endif  // AUTHGATE_SRC_SESSION_COOKIE_JAR_H_

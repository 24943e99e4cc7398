// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// cookie_scope.h: what authgate's cookies and its signed `state` are bound
// to for one request: the request's host, or the configured cookie domain.
//
//   std::optional<std::string> scope = CookieScope(request.authority, cookie_domain);
//   if (!scope) return Refuse();  // a host outside the cookie domain: nothing opens
//   SessionStore::Load(jar, *scope, now, &session, &why);
//
// Without a cookie domain the cookies are host-only: a value sealed on one
// host (the authority, lowercase) is refused on every other. With one, the
// browser sends the cookies to the domain and each of its subdomains, so the
// values are bound to the domain: a login started on a.example.com completes
// on b.example.com, and its session opens on both. A host outside the
// domain has no scope: the browser never sends the domain's cookies there,
// so any that arrive were copied, and neither they nor a `state` open.

#ifndef AUTHGATE_SRC_SESSION_COOKIE_SCOPE_H_
#define AUTHGATE_SRC_SESSION_COOKIE_SCOPE_H_

#include <optional>
#include <string>
#include <string_view>

namespace authgate {

// NormalizeCookieDomain returns `domain` lowercase without one leading dot
// (".Example.COM" -> "example.com"), or nullopt when that is not a domain
// name.
std::optional<std::string> NormalizeCookieDomain(std::string_view domain);

// IsWithinCookieDomain tells whether `host` (without port) is `domain` (a
// normalised cookie domain) or a subdomain of it, ignoring ASCII case.
bool IsWithinCookieDomain(std::string_view host, std::string_view domain);

// CookieScope returns what the cookies of a request to `authority`
// (host[:port]) are bound to: the authority lowercase without a cookie
// domain; with one, the domain when the host is within it, else nullopt.
std::optional<std::string> CookieScope(std::string_view authority,
                                       const std::optional<std::string>& cookie_domain);

}  // namespace authgate

#endif  // AUTHGATE_SRC_SESSION_COOKIE_SCOPE_H_

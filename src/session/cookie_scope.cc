// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "session/cookie_scope.h"

#include "net/url.h"
#include "text.h"

namespace authgate {

std::optional<std::string> NormalizeCookieDomain(std::string_view domain) {
  if (!domain.empty() && domain.front() == '.') domain.remove_prefix(1);
  std::string normalized = AsciiLowercase(domain);
  if (!IsDomainName(normalized)) return std::nullopt;
  return normalized;
}

bool IsWithinCookieDomain(std::string_view host, std::string_view domain) {
  if (host.size() == domain.size()) return EqualsIgnoreCase(host, domain);
  // A subdomain: whole labels only, so "badexample.com" is not within "example.com".
  return host.size() > domain.size() + 1 && host[host.size() - domain.size() - 1] == '.' &&
         EqualsIgnoreCase(host.substr(host.size() - domain.size()), domain);
}

std::optional<std::string> CookieScope(std::string_view authority,
                                       const std::optional<std::string>& cookie_domain) {
  if (!cookie_domain) return AsciiLowercase(authority);
  if (!IsWithinCookieDomain(HostOfAuthority(authority), *cookie_domain)) return std::nullopt;
  return *cookie_domain;
}

}  // namespace authgate

// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// cookie_security.h: whether authgate's cookies carry `Secure` and a name
// prefix, decided once from the configured redirect URI.
//
//   absl::StatusOr<CookieSecurity> security = DecideCookieSecurity(
//       "https://app.example/oauth2/callback", /*allow_insecure_http=*/false, std::nullopt);
//   std::string name = security->name_prefix + "authgate_session";  // "__Host-authgate_session"
//   if (security->warning) log(*security->warning);
//
// The browser comes back to the redirect URI, so its scheme is the scheme
// the cookies are used under:
// - https: Secure, and the "__Host-" prefix, which makes the browser refuse
//   the cookie unless it is Secure, has Path=/ and no Domain, so that no
//   sibling subdomain can set or overwrite it (cookie tossing). With a
//   cookie domain configured "__Host-" is impossible; "__Secure-" still
//   guarantees the cookie was set over https.
// - plain http on a loopback host (local development): not Secure (the
//   browser would drop it), no prefix (a prefix requires Secure), a warning.
// - plain http elsewhere: refused, since the session cookie would cross the
//   network in clear, unless allow_insecure_http; then as for loopback.

#ifndef AUTHGATE_SRC_SESSION_COOKIE_SECURITY_H_
#define AUTHGATE_SRC_SESSION_COOKIE_SECURITY_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace authgate {

struct CookieSecurity {
  bool secure = true;
  std::string name_prefix;  // "__Host-", "__Secure-" or "" (always "" when not secure)
  std::optional<std::string> warning;  // for the log, when cookies are not Secure
};

// DecideCookieSecurity returns the decision for `redirect_uri`, or
// InvalidArgument naming `oidc.redirect_uri` when it is not an http(s) URL or
// is plain http to a non-loopback host without `allow_insecure_http`.
absl::StatusOr<CookieSecurity> DecideCookieSecurity(
    std::string_view redirect_uri, bool allow_insecure_http,
    const std::optional<std::string>& cookie_domain);

}  // namespace authgate

#endif  // AUTHGATE_SRC_SESSION_COOKIE_SECURITY_H_

// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "session/cookie_security.h"

#include "net/url.h"
#include "text.h"

namespace authgate {

absl::StatusOr<CookieSecurity> DecideCookieSecurity(
    std::string_view redirect_uri, bool allow_insecure_http,
    const std::optional<std::string>& cookie_domain) {
  absl::StatusOr<Url> url = Url::Parse(redirect_uri);
  if (!url.ok()) {
    return absl::InvalidArgumentError(
        ToAbsl(StrCat("oidc.redirect_uri: ", FromAbsl(url.status().message()))));
  }
  CookieSecurity security;
  if (url->scheme == "https") {
    security.secure = true;
    security.name_prefix = cookie_domain.has_value() ? "__Secure-" : "__Host-";
    return security;
  }
  security.secure = false;
  if (url->IsLoopback()) {
    security.warning =
        "cookies are not Secure: redirect_uri is plain http on a loopback host; use https "
        "outside local development";
    return security;
  }
  if (!allow_insecure_http) {
    return absl::InvalidArgumentError(ToAbsl(
        StrCat("oidc.redirect_uri: plain http to ", url->host,
               " would send the session cookie in clear; use https (plain http is allowed only "
               "for localhost, 127.0.0.0/8 and [::1] unless allow_insecure_http is set)")));
  }
  security.warning = StrCat("cookies are not Secure: redirect_uri is plain http to ", url->host,
                            " (allow_insecure_http is set); anyone on the network path can "
                            "steal the session cookie");
  return security;
}

}  // namespace authgate

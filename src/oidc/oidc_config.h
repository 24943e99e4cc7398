// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// oidc_config.h: the settings of the OpenID Connect login (the relying
// party): who the provider is, who we are to it, and how strictly its
// answers are checked. Read from the engine's `oidc` configuration object.
//
//   absl::StatusOr<ConfigObject> oidc = ConfigObject::Open(root.Find("oidc"), "oidc");
//   OidcConfig config;
//   if (absl::Status s = ParseOidcConfig(&*oidc, &config); !s.ok()) return s;
//   // "oidc.redirect_uri: is required"
//
// The engine reads its own keys of the same object (signout_path, cookies,
// ...) and calls CheckAllKeysKnown() itself; ParseOidcConfig only marks the
// keys below as known.
//
// Keys: issuer, client_id, client_secret, redirect_uri, scopes (Envoy oauth2
// names where the concept matches), authorization_endpoint, token_endpoint,
// end_session_endpoint, jwks_uri, token_endpoint_auth_method,
// auth_request_params, post_logout_redirect_uri, id_token_algorithms,
// clock_skew, allow_insecure_http.

#ifndef AUTHGATE_SRC_OIDC_OIDC_CONFIG_H_
#define AUTHGATE_SRC_OIDC_OIDC_CONFIG_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "config_object.h"
#include "jose/algorithm.h"

namespace authgate {

// How the client authenticates at the token endpoint (OIDC Core 9).
enum class TokenEndpointAuthMethod { kClientSecretBasic, kClientSecretPost, kNone };

struct OidcConfig {
  // The provider's issuer identifier, compared byte for byte with the
  // discovery document's `issuer`, the ID token's `iss` and RFC 9207 `iss`.
  std::string issuer;
  std::string client_id;
  // Empty only with TokenEndpointAuthMethod::kNone.
  std::string client_secret;
  // Exactly as registered at the provider (sent verbatim).
  std::string redirect_uri;
  // "openid" always comes first.
  std::vector<std::string> scopes = {"openid"};

  // Explicit endpoints; each one given overrides the discovered one, and
  // with the first three all given discovery is skipped.
  std::optional<std::string> authorization_endpoint;
  std::optional<std::string> token_endpoint;
  std::optional<std::string> jwks_uri;
  std::optional<std::string> end_session_endpoint;

  // Unset: client_secret_basic, or client_secret_post when discovery says
  // the provider supports post but not basic.
  std::optional<TokenEndpointAuthMethod> token_endpoint_auth_method;
  // Extra parameters of the authorization request (audience, prompt, ...),
  // in configuration order; never a protocol parameter.
  std::vector<std::pair<std::string, std::string>> auth_request_params;
  std::optional<std::string> post_logout_redirect_uri;
  // Algorithms an ID token may be signed with. HS* ones are verified with
  // the client secret as key; they are accepted only when listed.
  AlgorithmSet id_token_algorithms = AsymmetricAlgorithms();
  absl::Duration clock_skew = absl::Seconds(60);
  // Plain http to hosts other than loopback (see net/url.h).
  bool allow_insecure_http = false;

  // HasExplicitEndpoints: discovery is not needed.
  bool HasExplicitEndpoints() const { return authorization_endpoint && token_endpoint && jwks_uri; }

  // AsymmetricAlgorithms is every JWS algorithm but the HMAC ones.
  static AlgorithmSet AsymmetricAlgorithms();
};

// ParseOidcConfig reads the keys above from `oidc` into *out (which keeps
// its defaults for absent keys). Errors name the key: "oidc.scopes: ...".
absl::Status ParseOidcConfig(ConfigObject* oidc, OidcConfig* out);

}  // namespace authgate

#endif  // AUTHGATE_SRC_OIDC_OIDC_CONFIG_H_

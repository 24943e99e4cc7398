// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// engine_config.h: the engine's configuration document (docs/config.md,
// section "engine"), read strictly into typed settings. The sidecar's YAML
// becomes this same JSON tree; its host-only keys (listen, upstream, admin)
// are removed before.
//
//   absl::StatusOr<EngineConfig> config = ParseEngineConfig(json, SystemEnvironment());
//   if (!config.ok()) return config.status();   // "session.secret: must be at least 32 bytes"
//   for (const std::string& w : config->warnings) Log(w);
//
// References (${VAR}, ${file:...}) are resolved first (engine/config_loader.h).

#ifndef AUTHGATE_SRC_ENGINE_ENGINE_CONFIG_H_
#define AUTHGATE_SRC_ENGINE_ENGINE_CONFIG_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/config_loader.h"
#include "engine/rate_limiter.h"
#include "engine/request.h"
#include "jwks/key_source.h"
#include "jwt/jwt_verifier.h"
#include "jwt/verifier_config.h"
#include "net/http_client.h"
#include "oidc/oidc_config.h"
#include "policy/route_table.h"
#include "policy/token_extractor.h"
#include "session/set_cookie.h"

namespace authgate {

// ClaimToHeader copies a claim of the verified identity into a request
// header for the upstream (strings as they are; numbers and booleans as
// their JSON text; other types are not copied).
struct ClaimToHeader {
  std::vector<std::string> claim;  // path segments
  std::string header;              // lowercase
};

// HeaderMatcher selects requests by one header; used for the requests that
// get 401 instead of a redirect to the provider.
struct HeaderMatcher {
  std::string name;  // lowercase
  enum class Kind { kExact, kPrefix, kContains, kPresent } kind = Kind::kExact;
  std::string value;
  bool Matches(const Request& request) const;
};

struct JwtProviderConfig {
  std::string name;
  std::string issuer;
  ProviderSpec keys;
  JwtVerifierOptions options;
  TokenLocations locations;
  std::vector<ClaimToHeader> claim_to_headers;
  // Keep the token in the request to the upstream (default: removed).
  bool forward = false;
  // Header to receive the token's claims, base64url-encoded JSON.
  std::optional<std::string> forward_payload_header;
};

struct LoginConfig {
  OidcConfig oidc;
  std::string callback_path;  // the path of oidc.redirect_uri
  std::string signout_path = "/signout";
  bool forward_bearer_token = false;
  std::vector<ClaimToHeader> claim_to_headers;
  std::optional<std::string> forward_payload_header;
  // Requests matching any of these get 401 instead of a redirect; and so do
  // requests whose Accept lacks text/html when redirect_only_html is set.
  std::vector<HeaderMatcher> deny_redirect_matchers;
  bool redirect_only_html = true;
  // Refresh the access token this long before it expires.
  absl::Duration refresh_margin = absl::Seconds(30);
  // Callbacks whose state verifies, per client address, before the code
  // exchange (per_minute 0: no limit).
  RateLimit callback_rate_limit;
};

struct SessionConfig {
  std::vector<std::string> secrets;
  std::string cookie_name = "authgate_session";  // before any prefix
  std::string flow_cookie_name = "authgate_flow";
  CookieAttributes attributes;                   // secure decided from the redirect URI
  std::string cookie_prefix;                     // "__Host-", "__Secure-" or ""
  absl::Duration lifetime = absl::Hours(24);
  absl::Duration idle_timeout = absl::Hours(1);
  absl::Duration login_timeout = absl::Minutes(10);
  int max_pending_logins = 5;
};

struct EngineConfig {
  SessionConfig session;
  std::optional<LoginConfig> login;
  std::vector<JwtProviderConfig> providers;
  RemoteKeySourceOptions remote_defaults;
  absl::Duration file_check_interval = absl::Seconds(5);
  HttpClientOptions http;
  RouteTable rules;
  std::string bearer_realm = "authgate";
  // How long the synchronous evaluate waits for a network step.
  absl::Duration evaluate_timeout = absl::Seconds(10);
  // Things that work but deserve a look (plain-http cookies, ...).
  std::vector<std::string> warnings;
};

absl::StatusOr<EngineConfig> ParseEngineConfig(std::string_view json,
                                               const Environment& environment);

}  // namespace authgate

#endif  // AUTHGATE_SRC_ENGINE_ENGINE_CONFIG_H_

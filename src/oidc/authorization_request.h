// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// authorization_request.h: the start of a login (OIDC Core 3.1.2.1 with
// PKCE, RFC 7636): the per-login secrets kept by the browser in a sealed
// cookie (FlowState), and the URL that sends the browser to the provider.
//
//   FlowState flow = client.NewFlow("/orders?page=2", now);
//   std::string cookie_payload = SerializeFlowState(flow);   // sealed by the engine
//   std::string url = BuildAuthorizationUrl(*metadata, config, signed_state, flow.nonce,
//                                           PkceChallengeS256(flow.code_verifier));
//   ...
//   absl::StatusOr<FlowState> back = ParseFlowState(opened_cookie_payload);

#ifndef AUTHGATE_SRC_OIDC_AUTHORIZATION_REQUEST_H_
#define AUTHGATE_SRC_OIDC_AUTHORIZATION_REQUEST_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "oidc/oidc_config.h"
#include "oidc/provider_metadata.h"

namespace authgate {

// FlowState is what one login attempt must remember between the redirect
// to the provider and the callback.
struct FlowState {
  std::string state_id;       // random; the engine signs it into `state`
  std::string nonce;          // random; the ID token must carry it back
  std::string code_verifier;  // PKCE secret; only its S256 hash leaves
  std::string return_to;      // where the browser goes after the login
  absl::Time created;         // whole seconds survive serialisation
};

// SerializeFlowState returns `flow` as compact JSON:
// {"id":..,"n":..,"v":..,"r":..,"t":<unix seconds>}.
std::string SerializeFlowState(const FlowState& flow);

// ParseFlowState reads SerializeFlowState's output strictly: exactly those
// members, non-empty values, a code verifier of RFC 7636 4.1 form.
absl::StatusOr<FlowState> ParseFlowState(std::string_view json);

// BuildAuthorizationUrl returns the authorization endpoint with
// response_type=code, client_id, redirect_uri, scope, state, nonce,
// code_challenge, code_challenge_method=S256, then the configured extra
// parameters, form-urlencoded. A query already on the endpoint is kept.
std::string BuildAuthorizationUrl(const ProviderMetadata& metadata, const OidcConfig& config,
                                  std::string_view state_param, std::string_view nonce,
                                  std::string_view code_challenge);

}  // namespace authgate

#endif  // AUTHGATE_SRC_OIDC_AUTHORIZATION_REQUEST_H_

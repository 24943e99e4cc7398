// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// oidc_client.h: the OpenID Connect login flow (authorization code with
// PKCE) as the engine drives it: start a login, take the callback, refresh
// the tokens of a session, and sign out at the provider. No I/O of its own:
// HTTP through the injected client, time through parameters and the clock;
// no cookies or sessions either (the engine seals the FlowState into a
// cookie, signs `state`, and keeps the LoginResult in the session).
//
//   auto client = OidcClient::Create(config, http, scheduler, Clock::System());
//   // A request without a session:
//   absl::StatusOr<FlowState> flow = (*client)->NewFlow(request.target, now);
//   absl::StatusOr<std::string> url = (*client)->AuthorizationUrl(*flow, Sign(flow->state_id));
//   // The callback, once the engine has opened the flow cookie and matched `state`:
//   (*client)->HandleCallback(query_params, flow, now,
//       [](bool ok, LoginResult result, Rejection why) { ... });
//
// Thread-safe: every method may be called from any number of threads at
// once. Completion callbacks run exactly once, on the calling thread or on a
// thread of the HTTP client; no lock of the client is held while they run.
// Destroying the client while requests are in flight is safe: the callbacks
// still pending run during the destruction (logins with
// provider_unavailable, refreshes with refresh_failed), and answers arriving
// later are dropped. The HTTP client, the scheduler and the
// clock must outlive the OidcClient.

#ifndef AUTHGATE_SRC_OIDC_OIDC_CLIENT_H_
#define AUTHGATE_SRC_OIDC_OIDC_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "clock.h"
#include "jose/json.h"
#include "jwks/key_source.h"
#include "jwt/verified_token.h"
#include "net/http_client.h"
#include "oidc/authorization_request.h"
#include "oidc/id_token_validator.h"
#include "oidc/oidc_config.h"
#include "oidc/provider_metadata.h"
#include "oidc/token_client.h"
#include "random.h"
#include "reason.h"
#include "scheduler.h"

namespace authgate {

// LoginResult is what a login or a refresh yields for the session.
struct LoginResult {
  TokenResponse tokens;
  // The validated ID token. After a refresh whose response had no ID token
  // it is empty (has_value() false): the session keeps its claims.
  VerifiedToken id_token;
  // When the access token expires (InfiniteFuture when the provider gave no
  // expires_in), counted from the arrival of the token response.
  absl::Time access_token_expires_at = absl::InfiniteFuture();
};

// OidcStats counts answers given (a refresh shared by several callers counts
// once per caller) and requests made.
struct OidcStats {
  uint64_t logins_ok = 0;
  uint64_t logins_failed = 0;
  uint64_t refreshes_ok = 0;
  uint64_t refreshes_failed = 0;
  // Requests sent to the token endpoint (code exchanges and refreshes).
  uint64_t token_requests = 0;
};

class OidcClient {
 public:
  // Create checks `config` against what it needs, starts discovery unless
  // every endpoint is configured, and the fetch of the provider's keys
  // (unless `id_token_keys` replaces them: tests, fixed keys). `http` and
  // `scheduler` are required; `random` (the flows' secrets) must outlive
  // the client.
  static absl::StatusOr<std::unique_ptr<OidcClient>> Create(
      OidcConfig config, HttpClient* http, Scheduler* scheduler, const Clock& clock,
      std::unique_ptr<KeySource> id_token_keys = nullptr,
      const RandomSource& random = RandomSource::System());

  ~OidcClient();
  OidcClient(const OidcClient&) = delete;
  OidcClient& operator=(const OidcClient&) = delete;

  // Ready tells whether the provider metadata is loaded (logins can start).
  bool Ready() const;
  // WaitReady blocks until the metadata and the provider's keys are loaded,
  // or `timeout` passes (hosts that want to start only when ready).
  bool WaitReady(absl::Duration timeout) const;
  // last_error describes why the metadata is not loaded (empty when it is).
  std::string last_error() const;

  // NewFlow makes the secrets of a new login: random state id, nonce and
  // PKCE verifier. `return_to` goes through SafeReturnTarget() ("/" when
  // refused). Fails (Unavailable) when the random generator does.
  absl::StatusOr<FlowState> NewFlow(std::string return_to, absl::Time now) const;

  // AuthorizationUrl returns where to send the browser; `state_param` is the
  // engine's signed form of flow.state_id. Unavailable while the metadata is
  // not loaded.
  absl::StatusOr<std::string> AuthorizationUrl(const FlowState& flow,
                                               std::string_view state_param) const;

  using LoginDone = std::function<void(bool ok, LoginResult result, Rejection why)>;

  // HandleCallback completes a login. `params` are the callback's decoded
  // query parameters; `flow` is the engine's opened flow cookie, whose
  // state_id it has already matched with `state`. Refused, in this order:
  // an `error`, `code` or `iss` parameter given twice (authorization_error);
  // an RFC 9207 `iss` other than the issuer (issuer_mismatch); an `error`
  // (authorization_error, with the error code); metadata not loaded
  // (provider_unavailable); no `iss` while the provider announces it
  // (issuer_mismatch); no `code` (authorization_error); a failed code
  // exchange (token_exchange_failed); an ID token failing
  // IdTokenValidator::Validate at `now` (its own reason).
  void HandleCallback(const std::vector<std::pair<std::string, std::string>>& params,
                      const FlowState& flow, absl::Time now, LoginDone done);

  using RefreshDone = std::function<void(bool ok, LoginResult result, Rejection why)>;

  // Refresh renews the tokens of session `session_id`. Single-flight: calls
  // for a session while its refresh runs make no request of their own and
  // get its result. A result is remembered for 60 s, keyed by the session
  // and a hash of the refresh token it used: calls with that old token
  // within the minute (requests still carrying the old cookie) get the same
  // new tokens instead of replaying a rotated refresh token. A new ID token
  // must pass IdTokenValidator::ValidateRefreshed against
  // `previous_claims_json` (the session's ID token claims); a response
  // without a refresh token keeps the old one. Any failure is refresh_failed
  // (the user logs in again), with the cause in the detail.
  void Refresh(std::string session_id, std::string refresh_token, std::string previous_claims_json,
               absl::Time now, RefreshDone done);

  // LogoutUrl returns the provider's end_session_endpoint with
  // id_token_hint (when not empty), post_logout_redirect_uri (when
  // configured) and client_id (OIDC RP-Initiated Logout 1.0), or nullopt
  // when the provider has none (or the metadata is not loaded).
  std::optional<std::string> LogoutUrl(std::string_view id_token_hint) const;

  OidcStats Stats() const;
  const OidcConfig& config() const { return config_; }

 private:
  // Shared with answers arriving on other threads, which may outlive the
  // client (defined in the .cc).
  struct Shared;
  struct RefreshFlight;
  // The verdict of a login or refresh step (defined in the .cc).
  struct Outcome;

  OidcClient(OidcConfig config, HttpClient* http, const Clock& clock, const RandomSource& random,
             std::unique_ptr<MetadataSource> metadata, std::unique_ptr<IdTokenValidator> validator);

  // Checks the callback parameters; returns the code or nullopt with *why.
  std::optional<std::string> CheckCallback(
      const std::vector<std::pair<std::string, std::string>>& params,
      const ProviderMetadata* metadata, Rejection* why) const;
  // The token response of a login or a refresh, judged; they run on the HTTP
  // client's thread with the client known to be alive. nullopt: the verdict
  // waits for a key refetch, which will finish the step itself.
  std::optional<Outcome> OnCodeExchanged(uint64_t login, const std::string& nonce, absl::Time now,
                                         absl::StatusOr<TokenResponse> response);
  std::optional<Outcome> OnRefreshed(const std::shared_ptr<RefreshFlight>& flight,
                                     std::shared_ptr<const JsonDocument> previous, absl::Time now,
                                     absl::Time arrived, absl::StatusOr<TokenResponse> response);

  OidcConfig config_;
  const Clock& clock_;
  const RandomSource& random_;
  std::shared_ptr<Shared> shared_;
  TokenClient token_client_;
  std::unique_ptr<MetadataSource> metadata_;
  std::unique_ptr<IdTokenValidator> validator_;
};

}  // namespace authgate

#endif  // AUTHGATE_SRC_OIDC_OIDC_CLIENT_H_

// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// provider_metadata.h: what the relying party knows of the OpenID Provider
// (its endpoints and capabilities), from OIDC Discovery 1.0 or from explicit
// configuration, and the source that keeps it current.
//
//   absl::StatusOr<std::unique_ptr<MetadataSource>> source =
//       MetadataSource::Create(config, http, scheduler);
//   std::shared_ptr<const ProviderMetadata> metadata = (*source)->Get();
//   if (metadata == nullptr) return Unavailable((*source)->last_error());
//   Send(metadata->token_endpoint, ...);
//
// Discovery is strict: the document must be a JSON object whose `issuer`
// equals the configured issuer byte for byte (Discovery 4.3, a defence
// against provider mix-up), with the endpoints as https URLs (http only to
// loopback unless allowed) and the listed members of the right types.

#ifndef AUTHGATE_SRC_OIDC_PROVIDER_METADATA_H_
#define AUTHGATE_SRC_OIDC_PROVIDER_METADATA_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "net/http_client.h"
#include "oidc/oidc_config.h"
#include "scheduler.h"

namespace authgate {

struct ProviderMetadata {
  std::string issuer;
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::optional<std::string> end_session_endpoint;
  std::string jwks_uri;
  // RFC 9207: the provider puts `iss` into every authorization response.
  bool authorization_response_iss_parameter_supported = false;
  std::vector<std::string> token_endpoint_auth_methods_supported;
  std::vector<std::string> id_token_signing_alg_values_supported;
  std::vector<std::string> code_challenge_methods_supported;
};

// DiscoveryUrl is <issuer without one trailing '/'>/.well-known/openid-configuration.
std::string DiscoveryUrl(std::string_view issuer);

// ParseDiscoveryDocument reads a discovery document. `issuer`,
// `authorization_endpoint`, `token_endpoint` and `jwks_uri` are required;
// the issuer must equal `expected_issuer`; every endpoint must pass
// CheckFetchAllowed(`allow_insecure_http`).
absl::StatusOr<ProviderMetadata> ParseDiscoveryDocument(std::string_view body,
                                                        std::string_view expected_issuer,
                                                        bool allow_insecure_http = false);

// MetadataSource holds the current provider metadata. Thread-safe.
class MetadataSource {
 public:
  struct Options {
    // Retry after a failure: exponential from initial to max, with jitter.
    absl::Duration initial_backoff = absl::Seconds(1);
    absl::Duration max_backoff = absl::Minutes(5);
    // A loaded document is fetched again this often; a failed refresh
    // keeps the last good one.
    absl::Duration refresh_interval = absl::Hours(24);
  };

  // Create returns a source with the explicit endpoints of `config` (ready
  // at once) when it has them all, else one that starts discovery now over
  // `http` on `scheduler` (both must outlive the source); endpoints given in
  // `config` then override the discovered ones.
  static absl::StatusOr<std::unique_ptr<MetadataSource>> Create(const OidcConfig& config,
                                                                HttpClient* http,
                                                                Scheduler* scheduler,
                                                                Options options);
  static absl::StatusOr<std::unique_ptr<MetadataSource>> Create(const OidcConfig& config,
                                                                HttpClient* http,
                                                                Scheduler* scheduler) {
    return Create(config, http, scheduler, Options());
  }

  // Closes the source: answers arriving later and pending timers do nothing.
  ~MetadataSource();
  MetadataSource(const MetadataSource&) = delete;
  MetadataSource& operator=(const MetadataSource&) = delete;

  // Get returns the metadata in use, or null until the first document has
  // loaded. Takes a short lock.
  std::shared_ptr<const ProviderMetadata> Get() const;
  // WaitReady blocks until Get() is non-null or `timeout` passes.
  bool WaitReady(absl::Duration timeout) const;
  // last_error describes the last failed fetch; empty after a success.
  std::string last_error() const;

 private:
  // Shared with HTTP callbacks and timers, which may outlive the source.
  struct State;

  explicit MetadataSource(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

}  // namespace authgate

#endif  // AUTHGATE_SRC_OIDC_PROVIDER_METADATA_H_

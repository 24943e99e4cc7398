// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// verifier_config.h: the JSON configuration of a verifier (the document
// authgate_verifier_new() takes; see docs/config.md) and the verifier built
// from it, with its key sources, HTTP client and scheduler.
//
//   absl::StatusOr<VerifierConfig> config = ParseVerifierConfig(json_text);
//   if (!config.ok()) return config.status();   // names the offending key
//   absl::StatusOr<std::unique_ptr<JwtVerifier>> verifier = BuildVerifier(std::move(*config));
//
// Keys come from exactly one of `jwks` (inline), `jwks_file`, `jwks_uri` or
// `discovery` (an issuer), or from `providers`, a list of issuers each with
// one of those.

#ifndef AUTHGATE_SRC_JWT_VERIFIER_CONFIG_H_
#define AUTHGATE_SRC_JWT_VERIFIER_CONFIG_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "config_object.h"
#include "jose/key_set.h"
#include "jwks/key_source.h"
#include "jwt/jwt_verifier.h"
#include "net/http_client.h"

namespace authgate {

struct ProviderSpec {
  std::optional<std::string> issuer;
  // Exactly one of the three.
  std::optional<KeySet::Loaded> inline_keys;
  std::optional<std::string> file;
  std::optional<RemoteKeySourceOptions> remote;
};

struct VerifierConfig {
  std::vector<ProviderSpec> providers;
  JwtVerifierOptions options;
  HttpClientOptions http;
  // How often key files are checked for changes.
  absl::Duration file_check_interval = absl::Seconds(5);
};

absl::StatusOr<VerifierConfig> ParseVerifierConfig(std::string_view json);

// BuildVerifier makes the key sources (starting remote fetches) and the
// verifier. `http` replaces the libcurl client (tests); `scheduler` the
// threaded scheduler (tests drive time by hand).
absl::StatusOr<std::unique_ptr<JwtVerifier>> BuildVerifier(
    VerifierConfig config, std::unique_ptr<HttpClient> http = nullptr,
    std::unique_ptr<Scheduler> scheduler = nullptr);

// The pieces of ParseVerifierConfig(), for documents that embed verifiers
// (the engine's JWT providers). Each reads its keys from `config` and leaves
// the other keys alone; none calls CheckAllKeysKnown().

// ReadKeySource reads exactly one of `jwks`, `jwks_file`, `jwks_uri` and
// `discovery` (an issuer URL when `issuer` is absent, true/false otherwise).
// With `discover_by_default` and an `issuer`, none of them means discovery
// from the issuer.
absl::Status ReadKeySource(ConfigObject& config, const std::optional<std::string>& issuer,
                           const RemoteKeySourceOptions& remote_defaults,
                           bool discover_by_default, ProviderSpec* out);
// ReadJwksCache reads the `jwks_cache` object into the remote defaults.
absl::Status ReadJwksCache(ConfigObject& config, RemoteKeySourceOptions* out,
                           absl::Duration* file_check_interval);
// ReadHttp reads the `http` object.
absl::Status ReadHttp(ConfigObject& config, HttpClientOptions* out);
// ReadVerifyOptions reads every verification option except `issuers` and
// `audiences`: algorithms, clock_skew, require_exp, max_lifetime,
// required_claims, typ, subjects, max_token_size, max_key_candidates,
// token_cache, async_timeout.
absl::Status ReadVerifyOptions(ConfigObject& config, JwtVerifierOptions* options);

// MakeKeyProvider makes the key source of `spec` (starting a remote fetch);
// `http` and `scheduler` must outlive it (null only for inline keys).
absl::StatusOr<KeyProvider> MakeKeyProvider(ProviderSpec spec, absl::Duration file_check_interval,
                                            HttpClient* http, Scheduler* scheduler);

}  // namespace authgate

#endif  // AUTHGATE_SRC_JWT_VERIFIER_CONFIG_H_

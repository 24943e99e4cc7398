// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzzes the OIDC discovery document as the relying party reads it from the
// provider (ParseDiscoveryDocument), against a configured issuer the input
// also chooses. Input: one flag byte (bit 0: allow_insecure_http), the
// configured issuer up to the first '\n', then the document.
//
// Invariants, beyond no crash, leak or hang:
// - a rejection is InvalidArgument and says "discovery document: ...";
// - an accepted document is a JSON object whose "issuer" equals the
//   configured issuer byte for byte, and any other issuer refuses it (no
//   normalisation: a trailing '/', case or escapes make another issuer);
// - every endpoint taken is a URL authgate may fetch from under the flag
//   (https, or http only to loopback unless allow_insecure_http), and
//   re-parses to the same URL from its canonical form;
// - allowing plain http never refuses a document that was accepted without,
//   and gives the same metadata;
// - the discovery URL of the issuer is the issuer without one trailing '/'
//   followed by /.well-known/openid-configuration.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/strings/match.h"
#include "fuzz_check.h"
#include "jose/json.h"
#include "net/url.h"
#include "oidc/provider_metadata.h"

namespace {

using authgate::ProviderMetadata;

constexpr std::string_view kWellKnown = "/.well-known/openid-configuration";

void CheckFetchable(std::string_view endpoint, bool allow_insecure_http) {
  absl::StatusOr<authgate::Url> url = authgate::Url::Parse(endpoint);
  FUZZ_CHECK(url.ok());
  FUZZ_CHECK(authgate::CheckFetchAllowed(*url, allow_insecure_http).ok());
  FUZZ_CHECK(url->scheme == "https" || url->IsLoopback() || allow_insecure_http);
  absl::StatusOr<authgate::Url> again = authgate::Url::Parse(url->ToString());
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->scheme == url->scheme && again->host == url->host &&
             again->port == url->port && again->path == url->path);
}

bool SameMetadata(const ProviderMetadata& a, const ProviderMetadata& b) {
  return a.issuer == b.issuer && a.authorization_endpoint == b.authorization_endpoint &&
         a.token_endpoint == b.token_endpoint && a.end_session_endpoint == b.end_session_endpoint &&
         a.jwks_uri == b.jwks_uri &&
         a.authorization_response_iss_parameter_supported ==
             b.authorization_response_iss_parameter_supported &&
         a.token_endpoint_auth_methods_supported == b.token_endpoint_auth_methods_supported &&
         a.id_token_signing_alg_values_supported == b.id_token_signing_alg_values_supported &&
         a.code_challenge_methods_supported == b.code_challenge_methods_supported;
}

void CheckDiscoveryUrl(std::string_view issuer) {
  const std::string url = authgate::DiscoveryUrl(issuer);
  std::string_view base = issuer;
  if (!base.empty() && base.back() == '/') base.remove_suffix(1);
  FUZZ_CHECK(url == std::string(base) + std::string(kWellKnown));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool allow_insecure_http = (data[0] & 1) != 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t newline = input.find('\n');
  if (newline == std::string_view::npos) return 0;
  const std::string_view issuer = input.substr(0, newline);
  const std::string_view body = input.substr(newline + 1);

  CheckDiscoveryUrl(issuer);
  absl::StatusOr<ProviderMetadata> metadata =
      authgate::ParseDiscoveryDocument(body, issuer, allow_insecure_http);
  absl::StatusOr<ProviderMetadata> insecure_allowed =
      authgate::ParseDiscoveryDocument(body, issuer, /*allow_insecure_http=*/true);
  if (!metadata.ok()) {
    FUZZ_CHECK(metadata.status().code() == absl::StatusCode::kInvalidArgument);
    FUZZ_CHECK(absl::StartsWith(metadata.status().message(), "discovery document: "));
    return 0;
  }
  FUZZ_CHECK(insecure_allowed.ok() && SameMetadata(*metadata, *insecure_allowed));

  authgate::JsonDocument doc;
  FUZZ_CHECK(doc.Parse(body, authgate::JsonLimits{body.size(), 16}).ok());
  FUZZ_CHECK(doc.root().is_object() && doc.root().Find("issuer").string() == issuer);
  FUZZ_CHECK(metadata->issuer == issuer);

  for (const std::string& other :
       {std::string(issuer) + "/", std::string(issuer).substr(0, issuer.size() / 2),
        std::string(issuer) + "x"}) {
    if (other != issuer) {
      FUZZ_CHECK(!authgate::ParseDiscoveryDocument(body, other, allow_insecure_http).ok());
    }
  }

  CheckFetchable(metadata->authorization_endpoint, allow_insecure_http);
  CheckFetchable(metadata->token_endpoint, allow_insecure_http);
  CheckFetchable(metadata->jwks_uri, allow_insecure_http);
  if (metadata->end_session_endpoint) {
    CheckFetchable(*metadata->end_session_endpoint, allow_insecure_http);
  }
  return 0;
}

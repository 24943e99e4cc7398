// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// token_client.h: the token endpoint (OIDC Core 3.1.3, RFC 6749 4.1.3 and
// 6): the authorization code exchanged for tokens, with the PKCE verifier,
// and refresh.
//
//   TokenClient tokens(config, http);
//   tokens.ExchangeCode(*metadata, code, flow.code_verifier,
//                       [](absl::StatusOr<TokenResponse> response) { ... });
//
// Requests are POSTs of application/x-www-form-urlencoded bodies with
// Accept: application/json, the client authenticated by client_secret_basic
// (Authorization: Basic base64(urlencode(id) ":" urlencode(secret)), RFC
// 6749 2.3.1), client_secret_post (both in the body) or none (client_id in
// the body). Responses are read strictly: HTTP 200 with a JSON object, a
// non-empty string `access_token`, `token_type` Bearer in any case (DPoP
// and other types are refused: authgate could not use them), `expires_in`
// a non-negative integer when present, the other members strings. Error
// messages carry the RFC 6749 5.2 `error` code, never the secret, the code
// or a token.

#ifndef AUTHGATE_SRC_OIDC_TOKEN_CLIENT_H_
#define AUTHGATE_SRC_OIDC_TOKEN_CLIENT_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "net/http_client.h"
#include "oidc/oidc_config.h"
#include "oidc/provider_metadata.h"

namespace authgate {

struct TokenResponse {
  std::string access_token;
  std::string token_type;
  std::string id_token;       // empty when absent
  std::string refresh_token;  // empty when absent
  std::string scope;          // empty when absent
  std::optional<int64_t> expires_in;
};

// ChooseAuthMethod returns the configured method; when none is configured,
// client_secret_post if the provider lists it but not client_secret_basic,
// else client_secret_basic (the default of OIDC Core 9).
TokenEndpointAuthMethod ChooseAuthMethod(const OidcConfig& config,
                                         const ProviderMetadata& metadata);

// OAuthErrorForLog returns an RFC 6749 `error` code (token or authorization
// error response) fit for a log line: the code when it keeps to its
// character set (%x20-21 / %x23-5B / %x5D-7E) and 64 bytes, else a
// placeholder. It comes from the network (or, in a callback, from anyone).
std::string OAuthErrorForLog(std::string_view code);

// ParseTokenResponse reads a token endpoint response (see above). Errors:
// PermissionDenied for an RFC 6749 5.2 error ("invalid_grant (HTTP 400)"),
// Unavailable for another non-200 status, InvalidArgument for a response
// authgate cannot accept.
absl::StatusOr<TokenResponse> ParseTokenResponse(const HttpResponse& response);

// TokenClient sends token requests over `http` (which must outlive it).
// Immutable and thread-safe; a request in flight does not refer to the
// client, which may be destroyed before the answer.
class TokenClient {
 public:
  // Done runs exactly once, on a thread of the HTTP client.
  using Done = std::function<void(absl::StatusOr<TokenResponse>)>;

  TokenClient(const OidcConfig& config, HttpClient* http);

  // ExchangeCode: grant_type=authorization_code with code, redirect_uri and
  // code_verifier.
  void ExchangeCode(const ProviderMetadata& metadata, std::string code, std::string code_verifier,
                    Done done) const;
  // Refresh: grant_type=refresh_token.
  void Refresh(const ProviderMetadata& metadata, std::string refresh_token, Done done) const;

 private:
  void Send(const ProviderMetadata& metadata, std::string body, Done done) const;

  OidcConfig config_;
  HttpClient* http_;
};

}  // namespace authgate

#endif  // AUTHGATE_SRC_OIDC_TOKEN_CLIENT_H_

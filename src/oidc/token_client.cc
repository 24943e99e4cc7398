// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "oidc/token_client.h"

#include <algorithm>

#include "jose/base64url.h"
#include "jose/json.h"
#include "oidc/form_encoding.h"
#include "text.h"

namespace authgate {
namespace {

constexpr JsonLimits kTokenResponseLimits{/*max_size=*/1 << 20, /*max_depth=*/16};
constexpr size_t kMaxErrorCodeSize = 64;

bool Lists(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// Standard base64 with padding (RFC 4648 4), as HTTP Basic wants it.
std::string Base64(std::string_view bytes) {
  std::string out = Base64UrlEncode(bytes);
  std::replace(out.begin(), out.end(), '-', '+');
  std::replace(out.begin(), out.end(), '_', '/');
  out.append((4 - out.size() % 4) % 4, '=');
  return out;
}

absl::Status Unacceptable(std::string_view why) {
  return absl::InvalidArgumentError(ToAbsl(StrCat("token response: ", why)));
}

absl::Status ReadOptionalString(JsonValue root, std::string_view name, std::string* out) {
  JsonValue value = root.Find(name);
  if (!value.valid()) return absl::OkStatus();
  if (!value.is_string()) return Unacceptable(StrCat("\"", name, "\" must be a string"));
  *out = std::string(value.string());
  return absl::OkStatus();
}

}  // namespace

std::string OAuthErrorForLog(std::string_view code) {
  if (code.empty() || code.size() > kMaxErrorCodeSize) return "(malformed error code)";
  for (char c : code) {
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return "(malformed error code)";
  }
  return std::string(code);
}

TokenEndpointAuthMethod ChooseAuthMethod(const OidcConfig& config,
                                         const ProviderMetadata& metadata) {
  if (config.token_endpoint_auth_method) return *config.token_endpoint_auth_method;
  const std::vector<std::string>& supported = metadata.token_endpoint_auth_methods_supported;
  if (!Lists(supported, "client_secret_basic") && Lists(supported, "client_secret_post")) {
    return TokenEndpointAuthMethod::kClientSecretPost;
  }
  return TokenEndpointAuthMethod::kClientSecretBasic;
}

absl::StatusOr<TokenResponse> ParseTokenResponse(const HttpResponse& response) {
  JsonDocument doc;
  absl::Status parsed = doc.Parse(response.body, kTokenResponseLimits);
  JsonValue root = doc.root();
  if (response.status != 200) {
    // RFC 6749 5.2: 400 (401 for failed client authentication) with a JSON
    // object naming the error.
    JsonValue error = root.Find("error");
    if (parsed.ok() && response.status >= 400 && response.status < 500 && error.is_string()) {
      return absl::PermissionDeniedError(ToAbsl(StrCat(
          "token endpoint: ", OAuthErrorForLog(error.string()), " (HTTP ", response.status, ")")));
    }
    return absl::UnavailableError(ToAbsl(StrCat("token endpoint: HTTP status ", response.status)));
  }
  if (!parsed.ok()) return Unacceptable(FromAbsl(parsed.message()));
  if (!root.is_object()) return Unacceptable("not a JSON object");

  TokenResponse out;
  JsonValue access_token = root.Find("access_token");
  if (!access_token.is_string() || access_token.string().empty()) {
    return Unacceptable("\"access_token\" (a non-empty string) is required");
  }
  out.access_token = std::string(access_token.string());
  JsonValue token_type = root.Find("token_type");
  if (!token_type.is_string()) return Unacceptable("\"token_type\" (a string) is required");
  if (!EqualsIgnoreCase(token_type.string(), "Bearer")) {
    return Unacceptable("\"token_type\" is not Bearer");
  }
  out.token_type = std::string(token_type.string());
  JsonValue expires_in = root.Find("expires_in");
  if (expires_in.valid()) {
    int64_t seconds = 0;
    if (!expires_in.GetInt64(&seconds) || seconds < 0) {
      return Unacceptable("\"expires_in\" must be a non-negative integer");
    }
    out.expires_in = seconds;
  }
  if (absl::Status s = ReadOptionalString(root, "id_token", &out.id_token); !s.ok()) return s;
  if (absl::Status s = ReadOptionalString(root, "refresh_token", &out.refresh_token); !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadOptionalString(root, "scope", &out.scope); !s.ok()) return s;
  return out;
}

TokenClient::TokenClient(const OidcConfig& config, HttpClient* http)
    : config_(config), http_(http) {}

void TokenClient::ExchangeCode(const ProviderMetadata& metadata, std::string code,
                               std::string code_verifier, Done done) const {
  std::string body;
  AppendFormParam(&body, "grant_type", "authorization_code");
  AppendFormParam(&body, "code", code);
  AppendFormParam(&body, "redirect_uri", config_.redirect_uri);
  AppendFormParam(&body, "code_verifier", code_verifier);
  Send(metadata, std::move(body), std::move(done));
}

void TokenClient::Refresh(const ProviderMetadata& metadata, std::string refresh_token,
                          Done done) const {
  std::string body;
  AppendFormParam(&body, "grant_type", "refresh_token");
  AppendFormParam(&body, "refresh_token", refresh_token);
  Send(metadata, std::move(body), std::move(done));
}

void TokenClient::Send(const ProviderMetadata& metadata, std::string body, Done done) const {
  HttpRequest request;
  request.method = "POST";
  request.url = metadata.token_endpoint;
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                     {"Accept", "application/json"}};
  switch (ChooseAuthMethod(config_, metadata)) {
    case TokenEndpointAuthMethod::kClientSecretBasic:
      request.headers.emplace_back(
          "Authorization", StrCat("Basic ", Base64(StrCat(FormUrlEncode(config_.client_id), ":",
                                                          FormUrlEncode(config_.client_secret)))));
      break;
    case TokenEndpointAuthMethod::kClientSecretPost:
      AppendFormParam(&body, "client_id", config_.client_id);
      AppendFormParam(&body, "client_secret", config_.client_secret);
      break;
    case TokenEndpointAuthMethod::kNone:
      AppendFormParam(&body, "client_id", config_.client_id);
      break;
  }
  request.body = std::move(body);
  http_->Send(std::move(request), [done = std::move(done)](absl::StatusOr<HttpResponse> response) {
    if (!response.ok()) {
      done(absl::Status(response.status().code(),
                        ToAbsl(StrCat("token endpoint: ", response.status().message()))));
      return;
    }
    done(ParseTokenResponse(*response));
  });
}

}  // namespace authgate

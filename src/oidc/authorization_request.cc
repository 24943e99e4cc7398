// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "oidc/authorization_request.h"

#include "jose/json.h"
#include "oidc/form_encoding.h"
#include "text.h"

namespace authgate {
namespace {

// The flow cookie holds at most a 4096-byte return target and a few
// random values.
constexpr JsonLimits kFlowLimits{/*max_size=*/8 << 10, /*max_depth=*/2};
// 9999-12-31T23:59:59Z.
constexpr int64_t kMaxUnixSeconds = 253402300799;

// RFC 7636 4.1: code-verifier = 43*128unreserved.
bool IsCodeVerifier(std::string_view verifier) {
  if (verifier.size() < 43 || verifier.size() > 128) return false;
  for (char c : verifier) {
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (!unreserved) return false;
  }
  return true;
}

absl::Status Invalid(std::string_view why) {
  return absl::InvalidArgumentError(ToAbsl(StrCat("flow state: ", why)));
}

}  // namespace

std::string SerializeFlowState(const FlowState& flow) {
  std::string out = "{\"id\":";
  JsonQuote(flow.state_id, &out);
  out += ",\"n\":";
  JsonQuote(flow.nonce, &out);
  out += ",\"v\":";
  JsonQuote(flow.code_verifier, &out);
  out += ",\"r\":";
  JsonQuote(flow.return_to, &out);
  out += StrCat(",\"t\":", absl::ToUnixSeconds(flow.created), "}");
  return out;
}

absl::StatusOr<FlowState> ParseFlowState(std::string_view json) {
  JsonDocument doc;
  if (absl::Status s = doc.Parse(json, kFlowLimits); !s.ok()) return Invalid(FromAbsl(s.message()));
  JsonValue root = doc.root();
  if (!root.is_object() || root.size() != 5) return Invalid("not an object of five members");
  JsonValue id = root.Find("id"), nonce = root.Find("n"), verifier = root.Find("v"),
            return_to = root.Find("r"), created = root.Find("t");
  if (!id.is_string() || !nonce.is_string() || !verifier.is_string() || !return_to.is_string()) {
    return Invalid("\"id\", \"n\", \"v\" and \"r\" must be strings");
  }
  if (id.string().empty() || nonce.string().empty()) return Invalid("empty state id or nonce");
  if (!IsCodeVerifier(verifier.string())) return Invalid("the code verifier is malformed");
  int64_t seconds = 0;
  if (!created.GetInt64(&seconds) || seconds < 0 || seconds > kMaxUnixSeconds) {
    return Invalid("\"t\" must be whole seconds since 1970");
  }
  FlowState flow;
  flow.state_id = std::string(id.string());
  flow.nonce = std::string(nonce.string());
  flow.code_verifier = std::string(verifier.string());
  flow.return_to = std::string(return_to.string());
  flow.created = absl::FromUnixSeconds(seconds);
  return flow;
}

std::string BuildAuthorizationUrl(const ProviderMetadata& metadata, const OidcConfig& config,
                                  std::string_view state_param, std::string_view nonce,
                                  std::string_view code_challenge) {
  std::string scope;
  for (const std::string& s : config.scopes) scope += scope.empty() ? s : StrCat(" ", s);
  std::string query;
  AppendFormParam(&query, "response_type", "code");
  AppendFormParam(&query, "client_id", config.client_id);
  AppendFormParam(&query, "redirect_uri", config.redirect_uri);
  AppendFormParam(&query, "scope", scope);
  AppendFormParam(&query, "state", state_param);
  AppendFormParam(&query, "nonce", nonce);
  AppendFormParam(&query, "code_challenge", code_challenge);
  AppendFormParam(&query, "code_challenge_method", "S256");
  for (const auto& [name, value] : config.auth_request_params) {
    AppendFormParam(&query, name, value);
  }
  return WithQuery(metadata.authorization_endpoint, query);
}

}  // namespace authgate

// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "oidc/oidc_config.h"

#include <algorithm>

#include "net/url.h"
#include "text.h"

namespace authgate {
namespace {

// Parameters of the authorization request that authgate sets itself; an
// extra parameter may not replace them. response_mode too: the callback
// reads a query string, and request/request_uri would carry a second set of
// parameters past this check.
constexpr std::string_view kProtocolParams[] = {
    "response_type", "response_mode", "client_id",      "redirect_uri",          "scope",
    "state",         "nonce",         "code_challenge", "code_challenge_method", "request",
    "request_uri",   "client_secret"};

constexpr absl::Duration kMaxClockSkew = absl::Minutes(10);

absl::Status RequiredString(ConfigObject* oidc, std::string_view key, std::string* out) {
  std::optional<std::string> value;
  if (absl::Status s = oidc->GetString(key, &value); !s.ok()) return s;
  if (!value || value->empty()) return oidc->Error(key, "is required");
  *out = std::move(*value);
  return absl::OkStatus();
}

// An absolute http(s) URL; with `fetched`, also one that follows the fetch
// rule (https, or http to loopback unless allow_insecure_http).
absl::Status CheckUrl(ConfigObject* oidc, std::string_view key, const std::string& text,
                      bool fetched, bool allow_insecure_http) {
  absl::StatusOr<Url> url = Url::Parse(text);
  if (!url.ok()) return oidc->Error(key, FromAbsl(url.status().message()));
  if (fetched) {
    if (absl::Status allowed = CheckFetchAllowed(*url, allow_insecure_http); !allowed.ok()) {
      return oidc->Error(key, FromAbsl(allowed.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status OptionalUrl(ConfigObject* oidc, std::string_view key, bool fetched,
                         bool allow_insecure_http, std::optional<std::string>* out) {
  if (absl::Status s = oidc->GetString(key, out); !s.ok()) return s;
  if (!*out) return absl::OkStatus();
  return CheckUrl(oidc, key, **out, fetched, allow_insecure_http);
}

// RFC 6749 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
bool IsScopeToken(std::string_view scope) {
  if (scope.empty()) return false;
  for (char c : scope) {
    if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') return false;
  }
  return true;
}

absl::Status ReadScopes(ConfigObject* oidc, std::vector<std::string>* out) {
  std::vector<std::string> scopes;
  if (absl::Status s = oidc->GetStringList("scopes", &scopes); !s.ok()) return s;
  if (!oidc->Get("scopes").valid()) return absl::OkStatus();
  for (size_t i = 0; i < scopes.size(); ++i) {
    if (!IsScopeToken(scopes[i])) {
      return oidc->Error("scopes",
                         "each scope must be non-empty printable ASCII without "
                         "spaces, '\"' or '\\' (RFC 6749 3.3)");
    }
    if (std::find(scopes.begin(), scopes.begin() + i, scopes[i]) != scopes.begin() + i) {
      return oidc->Error("scopes", StrCat("\"", scopes[i], "\" appears twice"));
    }
  }
  auto openid = std::find(scopes.begin(), scopes.end(), "openid");
  if (openid != scopes.end()) scopes.erase(openid);
  scopes.insert(scopes.begin(), "openid");
  *out = std::move(scopes);
  return absl::OkStatus();
}

absl::Status ReadAuthMethod(ConfigObject* oidc, std::optional<TokenEndpointAuthMethod>* out) {
  std::optional<std::string> name;
  if (absl::Status s = oidc->GetString("token_endpoint_auth_method", &name); !s.ok()) return s;
  if (!name) return absl::OkStatus();
  if (*name == "client_secret_basic") {
    *out = TokenEndpointAuthMethod::kClientSecretBasic;
  } else if (*name == "client_secret_post") {
    *out = TokenEndpointAuthMethod::kClientSecretPost;
  } else if (*name == "none") {
    *out = TokenEndpointAuthMethod::kNone;
  } else {
    return oidc->Error("token_endpoint_auth_method",
                       "must be \"client_secret_basic\", \"client_secret_post\" or \"none\"");
  }
  return absl::OkStatus();
}

absl::Status ReadAuthRequestParams(ConfigObject* oidc,
                                   std::vector<std::pair<std::string, std::string>>* out) {
  JsonValue params = oidc->Get("auth_request_params");
  if (!params.valid()) return absl::OkStatus();
  if (!params.is_object()) {
    return oidc->Error("auth_request_params", "must be an object of string parameters");
  }
  for (JsonValue::Member member : params.members()) {
    std::string path = StrCat("auth_request_params.", member.name);
    if (member.name.empty()) return oidc->Error("auth_request_params", "has an empty name");
    if (!member.value.is_string()) return oidc->Error(path, "must be a string");
    for (std::string_view reserved : kProtocolParams) {
      if (member.name == reserved) {
        return oidc->Error(path, "is a protocol parameter that authgate sets itself");
      }
    }
    out->emplace_back(std::string(member.name), std::string(member.value.string()));
  }
  return absl::OkStatus();
}

}  // namespace

AlgorithmSet OidcConfig::AsymmetricAlgorithms() {
  return AlgorithmSet::OfFamily(KeyFamily::kRsa) | AlgorithmSet::OfFamily(KeyFamily::kEc) |
         AlgorithmSet::OfFamily(KeyFamily::kOkp);
}

absl::Status ParseOidcConfig(ConfigObject* oidc, OidcConfig* out) {
  // First: the URL checks below depend on it.
  if (absl::Status s = oidc->GetBool("allow_insecure_http", &out->allow_insecure_http); !s.ok()) {
    return s;
  }
  const bool insecure = out->allow_insecure_http;

  if (absl::Status s = RequiredString(oidc, "issuer", &out->issuer); !s.ok()) return s;
  if (absl::Status s = CheckUrl(oidc, "issuer", out->issuer, /*fetched=*/true, insecure); !s.ok()) {
    return s;
  }
  // OIDC Discovery 3: an issuer has no query or fragment.
  if (out->issuer.find('?') != std::string::npos) {
    return oidc->Error("issuer", "must not have a query");
  }
  if (absl::Status s = RequiredString(oidc, "client_id", &out->client_id); !s.ok()) return s;
  if (absl::Status s = ReadAuthMethod(oidc, &out->token_endpoint_auth_method); !s.ok()) return s;
  std::optional<std::string> secret;
  if (absl::Status s = oidc->GetString("client_secret", &secret); !s.ok()) return s;
  if (out->token_endpoint_auth_method == TokenEndpointAuthMethod::kNone) {
    if (secret) {
      return oidc->Error("client_secret",
                         "must not be set with token_endpoint_auth_method \"none\"");
    }
  } else {
    if (!secret || secret->empty()) {
      return oidc->Error("client_secret",
                         "is required (unless token_endpoint_auth_method is \"none\")");
    }
    out->client_secret = std::move(*secret);
  }
  if (absl::Status s = RequiredString(oidc, "redirect_uri", &out->redirect_uri); !s.ok()) return s;
  // Not fetched, but the rule applies: over plain http elsewhere than
  // loopback, codes and cookies cross the network in the clear.
  if (absl::Status s =
          CheckUrl(oidc, "redirect_uri", out->redirect_uri, /*fetched=*/true, insecure);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadScopes(oidc, &out->scopes); !s.ok()) return s;

  // The browser visits these two, authgate fetches the others; all of them
  // carry codes or tokens, so all follow the fetch rule.
  if (absl::Status s =
          OptionalUrl(oidc, "authorization_endpoint", true, insecure, &out->authorization_endpoint);
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          OptionalUrl(oidc, "end_session_endpoint", true, insecure, &out->end_session_endpoint);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = OptionalUrl(oidc, "token_endpoint", true, insecure, &out->token_endpoint);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = OptionalUrl(oidc, "jwks_uri", true, insecure, &out->jwks_uri); !s.ok()) {
    return s;
  }
  if (absl::Status s = OptionalUrl(oidc, "post_logout_redirect_uri", false, insecure,
                                   &out->post_logout_redirect_uri);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadAuthRequestParams(oidc, &out->auth_request_params); !s.ok()) return s;
  // The client secret is the HMAC key (OIDC Core 10.1): it must exist and
  // be as long as the hash output (RFC 7518 3.2).
  auto check_hmac_key = [&](const std::string& name, Algorithm alg) {
    const AlgorithmInfo& info = AlgorithmInfoOf(alg);
    if (info.family == KeyFamily::kOct && out->client_secret.size() < info.digest_size) {
      return oidc->Error("id_token_algorithms",
                         StrCat(name, " needs a client_secret of at least ", info.digest_size,
                                " bytes (it is the HMAC key)"));
    }
    return absl::OkStatus();
  };
  if (absl::Status s =
          oidc->GetAlgorithms("id_token_algorithms", &out->id_token_algorithms, check_hmac_key);
      !s.ok()) {
    return s;
  }

  std::optional<absl::Duration> skew;
  if (absl::Status s = oidc->GetDuration("clock_skew", &skew); !s.ok()) return s;
  if (skew) {
    if (*skew > kMaxClockSkew) return oidc->Error("clock_skew", "must be at most 10m");
    out->clock_skew = *skew;
  }
  return absl::OkStatus();
}

}  // namespace authgate

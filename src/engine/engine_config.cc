// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "engine/engine_config.h"

#include <utility>

#include "config_object.h"
#include "jose/json.h"
#include "jwt/token_cache.h"
#include "net/url.h"
#include "session/cookie_scope.h"
#include "session/cookie_security.h"
#include "session/set_cookie.h"
#include "text.h"

namespace authgate {
namespace {

constexpr JsonLimits kConfigLimits{/*max_size=*/8 << 20, /*max_depth=*/32};
constexpr ConfigObject::DurationRange kPositive = ConfigObject::DurationRange::kPositive;
constexpr ConfigObject::DurationRange kNonNegative = ConfigObject::DurationRange::kNonNegative;

// The top-level keys of the sidecar's document that only its HTTP server
// reads: a binding may hand the whole document over, so they are accepted,
// left unread, and named in a warning (a host reading them as its own
// settings would be surprised that the engine does not).
constexpr std::string_view kSidecarServerKeys[] = {"listen", "upstream", "admin", "server"};

// Headers an identity header may never be: the request's framing, its
// routing, and what authgate itself manages.
constexpr std::string_view kReservedHeaders[] = {
    "authorization", "cookie",         "host",    "connection", "content-length",
    "content-type",  "transfer-encoding", "te",   "trailer",    "upgrade",
    "keep-alive",    "proxy-authorization", "proxy-connection", "x-forwarded-for",
    "x-forwarded-proto", "x-forwarded-host"};

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

absl::Status ReadHeaderName(ConfigObject& object, std::string_view key, std::string* out) {
  std::optional<std::string> name;
  if (absl::Status s = object.GetString(key, &name); !s.ok()) return s;
  if (!name || name->empty()) return object.Error(key, "is required");
  for (char c : *name) {
    if (!IsTokenChar(c)) return object.Error(key, "is not a valid header name");
  }
  *out = AsciiLowercase(*name);
  for (std::string_view reserved : kReservedHeaders) {
    if (*out == reserved) {
      return object.Error(key, StrCat("\"", *out, "\" cannot carry an identity"));
    }
  }
  return absl::OkStatus();
}

absl::Status ReadClaimPath(ConfigObject& object, std::string_view key,
                           std::vector<std::string>* out) {
  JsonValue claim = object.Get(key);
  out->clear();
  if (claim.is_string()) {
    std::string_view text = claim.string();
    while (true) {
      size_t dot = text.find('.');
      out->emplace_back(text.substr(0, dot));
      if (dot == std::string_view::npos) break;
      text.remove_prefix(dot + 1);
    }
  } else if (claim.is_array()) {
    for (JsonValue segment : claim.elements()) {
      if (!segment.is_string()) return object.Error(key, "must be a string or a list of strings");
      out->emplace_back(segment.string());
    }
  } else if (!claim.valid()) {
    return object.Error(key, "is required");
  } else {
    return object.Error(key, "must be a string or a list of strings");
  }
  for (const std::string& segment : *out) {
    if (segment.empty()) return object.Error(key, "has an empty path segment");
  }
  if (out->empty()) return object.Error(key, "must not be empty");
  return absl::OkStatus();
}

absl::Status ReadClaimToHeaders(ConfigObject& parent, std::vector<ClaimToHeader>* out) {
  JsonValue list = parent.Get("claim_to_headers");
  if (!list.valid()) return absl::OkStatus();
  if (!list.is_array()) return parent.Error("claim_to_headers", "must be a list of objects");
  size_t index = 0;
  for (JsonValue element : list.elements()) {
    absl::StatusOr<ConfigObject> entry =
        ConfigObject::Open(element, StrCat(parent.Path("claim_to_headers"), "[", index++, "]"));
    if (!entry.ok()) return entry.status();
    ClaimToHeader mapping;
    if (absl::Status s = ReadClaimPath(*entry, "claim", &mapping.claim); !s.ok()) return s;
    if (absl::Status s = ReadHeaderName(*entry, "header", &mapping.header); !s.ok()) return s;
    if (absl::Status s = entry->CheckAllKeysKnown(); !s.ok()) return s;
    out->push_back(std::move(mapping));
  }
  return absl::OkStatus();
}

absl::Status ReadOptionalHeader(ConfigObject& object, std::string_view key,
                                std::optional<std::string>* out) {
  if (!object.Get(key).valid()) return absl::OkStatus();
  std::string name;
  if (absl::Status s = ReadHeaderName(object, key, &name); !s.ok()) return s;
  *out = std::move(name);
  return absl::OkStatus();
}

absl::Status ReadSession(ConfigObject& root, bool required, SessionConfig* out) {
  JsonValue value = root.Get("session");
  if (!value.valid()) {
    return required ? root.Error("session", "is required with oidc (it holds the session secret)")
                    : absl::OkStatus();
  }
  absl::StatusOr<ConfigObject> session = ConfigObject::Open(value, "session");
  if (!session.ok()) return session.status();
  JsonValue secret = session->Get("secret");
  if (secret.is_string()) {
    out->secrets.emplace_back(secret.string());
  } else if (secret.is_array()) {
    if (absl::Status s = session->GetStringList("secret", &out->secrets); !s.ok()) return s;
  } else {
    return session->Error("secret", secret.valid() ? "must be a string or a list of strings"
                                                   : "is required");
  }
  if (out->secrets.empty()) return session->Error("secret", "must not be empty");
  for (size_t i = 0; i < out->secrets.size(); ++i) {
    if (out->secrets[i].size() < 32) {
      return session->Error("secret", out->secrets.size() == 1
                                          ? std::string("must be at least 32 bytes")
                                          : StrCat("[", i, "] must be at least 32 bytes"));
    }
  }
  if (out->secrets.size() > 8) return session->Error("secret", "at most 8 secrets");
  std::optional<std::string> text;
  const std::pair<std::string_view, std::string*> kNames[] = {
      {"cookie_name", &out->cookie_name}, {"flow_cookie_name", &out->flow_cookie_name}};
  for (auto [key, target] : kNames) {
    text.reset();
    if (absl::Status s = session->GetString(key, &text); !s.ok()) return s;
    if (!text) continue;
    if (text->empty() || !IsCookieName(*text) || text->rfind("__", 0) == 0) {
      return session->Error(key, "must be a cookie name (letters, digits, '_' and '-'; the "
                                 "__Host-/__Secure- prefix is chosen by authgate)");
    }
    *target = *text;
  }
  if (out->cookie_name == out->flow_cookie_name ||
      out->flow_cookie_name.rfind(out->cookie_name + ".", 0) == 0) {
    return session->Error("flow_cookie_name", "must differ from cookie_name");
  }
  if (absl::Status s = session->GetDuration("lifetime", &out->lifetime, kPositive); !s.ok()) {
    return s;
  }
  if (absl::Status s = session->GetDuration("idle_timeout", &out->idle_timeout, kNonNegative);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = session->GetDuration("login_timeout", &out->login_timeout, kPositive);
      !s.ok()) {
    return s;
  }
  text.reset();
  if (absl::Status s = session->GetString("same_site", &text); !s.ok()) return s;
  if (text) {
    if (*text != "Lax" && *text != "Strict" && *text != "None") {
      return session->Error("same_site", "must be \"Lax\", \"Strict\" or \"None\"");
    }
    out->attributes.same_site = *text;
  }
  text.reset();
  if (absl::Status s = session->GetString("cookie_domain", &text); !s.ok()) return s;
  if (text) {
    out->attributes.domain = NormalizeCookieDomain(*text);
    if (!out->attributes.domain) {
      return session->Error("cookie_domain", "must be a domain name such as example.com");
    }
  }
  int64_t pending = out->max_pending_logins;
  if (absl::Status s = session->GetInteger("max_pending_logins", 1, 32, &pending); !s.ok()) {
    return s;
  }
  out->max_pending_logins = static_cast<int>(pending);
  return session->CheckAllKeysKnown();
}

absl::Status ReadDenyRedirectMatchers(ConfigObject& oidc, std::vector<HeaderMatcher>* out) {
  JsonValue list = oidc.Get("deny_redirect_matcher");
  if (!list.valid()) {
    out->push_back(
        HeaderMatcher{"x-requested-with", HeaderMatcher::Kind::kExact, "XMLHttpRequest"});
    return absl::OkStatus();
  }
  if (!list.is_array()) return oidc.Error("deny_redirect_matcher", "must be a list of objects");
  size_t index = 0;
  for (JsonValue element : list.elements()) {
    absl::StatusOr<ConfigObject> entry = ConfigObject::Open(
        element, StrCat(oidc.Path("deny_redirect_matcher"), "[", index++, "]"));
    if (!entry.ok()) return entry.status();
    HeaderMatcher matcher;
    std::optional<std::string> name;
    if (absl::Status s = entry->GetString("name", &name); !s.ok()) return s;
    if (!name || name->empty()) return entry->Error("name", "is required");
    matcher.name = AsciiLowercase(*name);
    int kinds = 0;
    const std::pair<std::string_view, HeaderMatcher::Kind> kKinds[] = {
        {"exact", HeaderMatcher::Kind::kExact},
        {"prefix", HeaderMatcher::Kind::kPrefix},
        {"contains", HeaderMatcher::Kind::kContains}};
    for (const auto& [key, kind] : kKinds) {
      std::optional<std::string> value;
      if (absl::Status s = entry->GetString(key, &value); !s.ok()) return s;
      if (value) {
        ++kinds;
        matcher.kind = kind;
        matcher.value = *value;
      }
    }
    bool present = false;
    if (absl::Status s = entry->GetBool("present", &present); !s.ok()) return s;
    if (present) {
      ++kinds;
      matcher.kind = HeaderMatcher::Kind::kPresent;
    }
    if (kinds != 1) {
      return entry->Error("exact", "give exactly one of exact, prefix, contains, present: true");
    }
    if (absl::Status s = entry->CheckAllKeysKnown(); !s.ok()) return s;
    out->push_back(std::move(matcher));
  }
  return absl::OkStatus();
}

absl::Status ReadRateLimit(ConfigObject& parent, std::string_view key, RateLimit* out) {
  JsonValue value = parent.Get(key);
  if (!value.valid()) return absl::OkStatus();
  absl::StatusOr<ConfigObject> limit = ConfigObject::Open(value, parent.Path(key));
  if (!limit.ok()) return limit.status();
  int64_t per_minute = out->per_minute, burst = out->burst;
  if (absl::Status s = limit->GetInteger("per_minute", 0, 1000000, &per_minute); !s.ok()) {
    return s;
  }
  if (absl::Status s = limit->GetInteger("burst", 1, 1000000, &burst); !s.ok()) return s;
  out->per_minute = static_cast<int>(per_minute);
  out->burst = static_cast<int>(burst);
  return limit->CheckAllKeysKnown();
}

absl::Status ReadLogin(ConfigObject& root, EngineConfig* config) {
  JsonValue value = root.Get("oidc");
  if (!value.valid()) return absl::OkStatus();
  absl::StatusOr<ConfigObject> oidc = ConfigObject::Open(value, "oidc");
  if (!oidc.ok()) return oidc.status();
  LoginConfig login;
  std::optional<std::string> signout;
  if (absl::Status s = oidc->GetString("signout_path", &signout); !s.ok()) return s;
  if (signout) {
    if (signout->empty() || (*signout)[0] != '/' || signout->find('?') != std::string::npos) {
      return oidc->Error("signout_path", "must be a path starting with '/'");
    }
    login.signout_path = *signout;
  }
  if (absl::Status s = oidc->GetBool("forward_bearer_token", &login.forward_bearer_token);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadClaimToHeaders(*oidc, &login.claim_to_headers); !s.ok()) return s;
  if (absl::Status s = ReadOptionalHeader(*oidc, "forward_payload_header",
                                          &login.forward_payload_header);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadDenyRedirectMatchers(*oidc, &login.deny_redirect_matchers); !s.ok()) {
    return s;
  }
  if (absl::Status s = oidc->GetBool("redirect_only_html", &login.redirect_only_html); !s.ok()) {
    return s;
  }
  if (absl::Status s = oidc->GetDuration("refresh_margin", &login.refresh_margin, kNonNegative);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadRateLimit(*oidc, "callback_rate_limit", &login.callback_rate_limit);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ParseOidcConfig(&*oidc, &login.oidc); !s.ok()) return s;
  if (absl::Status s = oidc->CheckAllKeysKnown(); !s.ok()) return s;

  absl::StatusOr<Url> redirect = Url::Parse(login.oidc.redirect_uri);
  if (!redirect.ok()) return oidc->Error("redirect_uri", FromAbsl(redirect.status().message()));
  std::string_view redirect_path = redirect->path;
  login.callback_path = std::string(redirect_path.substr(0, redirect_path.find('?')));
  if (login.callback_path == login.signout_path) {
    return oidc->Error("signout_path", "must differ from the path of redirect_uri");
  }
  const std::optional<std::string>& cookie_domain = config->session.attributes.domain;
  if (cookie_domain && !IsWithinCookieDomain(redirect->host, *cookie_domain)) {
    return absl::InvalidArgumentError(
        StrCat("session.cookie_domain: the host of oidc.redirect_uri (", redirect->host,
               ") is outside ", *cookie_domain, ", so the callback would never see the login "
               "cookie"));
  }
  absl::StatusOr<CookieSecurity> security = DecideCookieSecurity(
      login.oidc.redirect_uri, login.oidc.allow_insecure_http, config->session.attributes.domain);
  if (!security.ok()) return security.status();
  config->session.attributes.secure = security->secure;
  config->session.cookie_prefix = security->name_prefix;
  if (security->warning) config->warnings.push_back(*security->warning);
  if (!security->secure && config->session.attributes.same_site == "None") {
    return absl::InvalidArgumentError(
        "session.same_site: \"None\" needs Secure cookies, which a plain http redirect_uri "
        "cannot have");
  }
  config->login = std::move(login);
  return absl::OkStatus();
}

absl::Status ReadProvider(std::string_view name, JsonValue value, const std::string& path,
                          const RemoteKeySourceOptions& remote_defaults,
                          JwtProviderConfig* out) {
  absl::StatusOr<ConfigObject> provider = ConfigObject::Open(value, path);
  if (!provider.ok()) return provider.status();
  out->name = std::string(name);
  std::optional<std::string> issuer;
  if (absl::Status s = provider->GetString("issuer", &issuer); !s.ok()) return s;
  if (!issuer || issuer->empty()) return provider->Error("issuer", "is required");
  out->issuer = *issuer;
  out->keys.issuer = *issuer;
  if (absl::Status s = ReadKeySource(*provider, issuer, remote_defaults,
                                     /*discover_by_default=*/true, &out->keys);
      !s.ok()) {
    return s;
  }
  out->options.claims.issuers = {*issuer};
  if (absl::Status s = provider->GetStringList("audiences", &out->options.claims.audiences);
      !s.ok()) {
    return s;
  }
  // A sidecar sees a client's token on every request: the engine caches
  // verified tokens unless `token_cache: {max_entries: 0}` says not to.
  out->options.cache.max_entries = TokenCache::kDefaultMaxEntries;
  if (absl::Status s = ReadVerifyOptions(*provider, &out->options); !s.ok()) return s;
  if (absl::Status s = ParseTokenLocations(&*provider, &out->locations); !s.ok()) return s;
  if (absl::Status s = ReadClaimToHeaders(*provider, &out->claim_to_headers); !s.ok()) return s;
  if (absl::Status s = provider->GetBool("forward", &out->forward); !s.ok()) return s;
  if (absl::Status s = ReadOptionalHeader(*provider, "forward_payload_header",
                                          &out->forward_payload_header);
      !s.ok()) {
    return s;
  }
  return provider->CheckAllKeysKnown();
}

absl::Status ReadJwt(ConfigObject& root, EngineConfig* config) {
  JsonValue value = root.Get("jwt");
  if (!value.valid()) return absl::OkStatus();
  absl::StatusOr<ConfigObject> jwt = ConfigObject::Open(value, "jwt");
  if (!jwt.ok()) return jwt.status();
  config->remote_defaults.allow_insecure_http = config->http.allow_insecure_http;
  if (absl::Status s = ReadJwksCache(*jwt, &config->remote_defaults, &config->file_check_interval);
      !s.ok()) {
    return s;
  }
  JsonValue providers = jwt->Get("providers");
  if (!providers.is_object() || providers.size() == 0) {
    return jwt->Error("providers", "must be an object naming at least one provider");
  }
  for (const JsonValue::Member& member : providers.members()) {
    if (member.name.empty()) return jwt->Error("providers", "a provider name is empty");
    JwtProviderConfig provider;
    if (absl::Status s = ReadProvider(member.name, member.value,
                                      StrCat(jwt->Path("providers"), ".", member.name),
                                      config->remote_defaults, &provider);
        !s.ok()) {
      return s;
    }
    if (provider.options.claims.audiences.empty()) {
      config->warnings.push_back(StrCat(
          "jwt.providers.", provider.name, ": no audiences, so a token ", provider.issuer,
          " issued for any other application (another API, any of its clients) is accepted; "
          "set audiences to the identifier this API's tokens carry in aud"));
    }
    config->providers.push_back(std::move(provider));
  }
  return jwt->CheckAllKeysKnown();
}

}  // namespace

bool HeaderMatcher::Matches(const Request& request) const {
  for (const auto& [key, header] : request.headers) {
    if (!EqualsIgnoreCase(key, name)) continue;
    std::string_view v = header;
    switch (kind) {
      case Kind::kExact:
        if (v == value) return true;
        break;
      case Kind::kPrefix:
        if (v.substr(0, value.size()) == value) return true;
        break;
      case Kind::kContains:
        if (v.find(value) != std::string_view::npos) return true;
        break;
      case Kind::kPresent:
        return true;
    }
  }
  return false;
}

absl::StatusOr<EngineConfig> ParseEngineConfig(std::string_view json,
                                               const Environment& environment) {
  absl::StatusOr<std::string> resolved = ResolveConfigReferences(json, environment);
  if (!resolved.ok()) return resolved.status();
  JsonDocument doc;
  if (absl::Status s = doc.Parse(*resolved, kConfigLimits); !s.ok()) {
    return absl::InvalidArgumentError(StrCat("configuration: ", s.message()));
  }
  absl::StatusOr<ConfigObject> root = ConfigObject::Open(doc.root(), "");
  if (!root.ok()) return root.status();

  EngineConfig config;
  std::string ignored;
  for (std::string_view key : kSidecarServerKeys) {
    if (!root->Get(key).valid()) continue;
    ignored += StrCat(ignored.empty() ? "" : ", ", "\"", key, "\"");
  }
  if (!ignored.empty()) {
    config.warnings.push_back(
        StrCat(ignored, ": settings of the sidecar's server, ignored by the engine"));
  }
  if (absl::Status s = ReadHttp(*root, &config.http); !s.ok()) return s;
  if (absl::Status s = ReadSession(*root, root->Get("oidc").valid(), &config.session); !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadLogin(*root, &config); !s.ok()) return s;
  if (absl::Status s = ReadJwt(*root, &config); !s.ok()) return s;
  std::optional<std::string> realm;
  if (absl::Status s = root->GetString("bearer_realm", &realm); !s.ok()) return s;
  if (realm) {
    for (char c : *realm) {
      if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
        return root->Error("bearer_realm", "must not contain quotes, backslashes or controls");
      }
    }
    config.bearer_realm = *realm;
  }
  if (absl::Status s = root->GetDuration("evaluate_timeout", &config.evaluate_timeout, kPositive);
      !s.ok()) {
    return s;
  }

  std::vector<std::string> provider_names;
  for (const JwtProviderConfig& provider : config.providers) {
    provider_names.push_back(provider.name);
  }
  bool case_insensitive_paths = false;
  if (absl::Status s = root->GetBool("rules_case_insensitive", &case_insensitive_paths); !s.ok()) {
    return s;
  }
  JsonValue rules = root->Get("rules");
  if (!rules.valid()) {
    return root->Error("rules", "is required (a request no rule matches is denied)");
  }
  absl::StatusOr<RouteTable> table =
      RouteTable::Parse(rules, "rules", provider_names, case_insensitive_paths);
  if (!table.ok()) return table.status();
  config.rules = std::move(*table);
  for (size_t i = 0; i < config.rules.rules().size(); ++i) {
    RequirementKind kind = config.rules.rules()[i].requirement.kind;
    if ((kind == RequirementKind::kLogin || kind == RequirementKind::kLoginOrJwt) &&
        !config.login) {
      return absl::InvalidArgumentError(
          StrCat("rules[", i, "].requires: a login rule needs the oidc section"));
    }
  }
  if (absl::Status s = root->CheckAllKeysKnown(); !s.ok()) return s;
  return config;
}

}  // namespace authgate

// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// Discovery runs as the remote key source does: all mutable state lives in
// a State shared with HTTP callbacks and timers through weak pointers; every
// request and timer is started with the mutex held and the source open, so
// that once the destructor has closed it nothing new reaches the HTTP client
// or the scheduler, which may then go away.

#include "oidc/provider_metadata.h"

#include <condition_variable>
#include <mutex>
#include <random>

#include "jose/json.h"
#include "net/url.h"
#include "text.h"

namespace authgate {
namespace {

constexpr JsonLimits kDiscoveryLimits{/*max_size=*/1 << 20, /*max_depth=*/16};

absl::Status Invalid(std::string_view message) {
  return absl::InvalidArgumentError(ToAbsl(StrCat("discovery document: ", message)));
}

// Reads endpoint `name`: absent is fine unless `required`; present, it must
// be a URL authgate may fetch from.
absl::Status ReadEndpoint(JsonValue root, std::string_view name, bool required,
                          bool allow_insecure_http, std::optional<std::string>* out) {
  JsonValue value = root.Find(name);
  if (!value.valid()) {
    return required ? Invalid(StrCat("\"", name, "\" is required")) : absl::OkStatus();
  }
  if (!value.is_string()) return Invalid(StrCat("\"", name, "\" must be a string"));
  absl::StatusOr<Url> url = Url::Parse(value.string());
  if (!url.ok()) return Invalid(StrCat("\"", name, "\": ", url.status().message()));
  if (absl::Status allowed = CheckFetchAllowed(*url, allow_insecure_http); !allowed.ok()) {
    return Invalid(StrCat("\"", name, "\": ", allowed.message()));
  }
  *out = std::string(value.string());
  return absl::OkStatus();
}

absl::Status ReadStringList(JsonValue root, std::string_view name, std::vector<std::string>* out) {
  JsonValue value = root.Find(name);
  if (!value.valid()) return absl::OkStatus();
  if (!value.is_array()) return Invalid(StrCat("\"", name, "\" must be an array of strings"));
  for (JsonValue element : value.elements()) {
    if (!element.is_string()) return Invalid(StrCat("\"", name, "\" must be an array of strings"));
    out->emplace_back(element.string());
  }
  return absl::OkStatus();
}

// The metadata of a configuration that names every endpoint itself.
ProviderMetadata ExplicitMetadata(const OidcConfig& config) {
  ProviderMetadata metadata;
  metadata.issuer = config.issuer;
  metadata.authorization_endpoint = *config.authorization_endpoint;
  metadata.token_endpoint = *config.token_endpoint;
  metadata.jwks_uri = *config.jwks_uri;
  metadata.end_session_endpoint = config.end_session_endpoint;
  return metadata;
}

}  // namespace

std::string DiscoveryUrl(std::string_view issuer) {
  if (!issuer.empty() && issuer.back() == '/') issuer.remove_suffix(1);
  return StrCat(issuer, "/.well-known/openid-configuration");
}

absl::StatusOr<ProviderMetadata> ParseDiscoveryDocument(std::string_view body,
                                                        std::string_view expected_issuer,
                                                        bool allow_insecure_http) {
  JsonDocument doc;
  if (absl::Status s = doc.Parse(body, kDiscoveryLimits); !s.ok()) {
    return Invalid(FromAbsl(s.message()));
  }
  JsonValue root = doc.root();
  if (!root.is_object()) return Invalid("not a JSON object");
  JsonValue issuer = root.Find("issuer");
  if (!issuer.is_string()) return Invalid("\"issuer\" (a string) is required");
  if (issuer.string() != expected_issuer) {
    return Invalid(
        "\"issuer\" does not equal the configured issuer (OpenID Connect "
        "Discovery 4.3)");
  }

  ProviderMetadata out;
  out.issuer = std::string(issuer.string());
  std::optional<std::string> authorization, token, jwks;
  if (absl::Status s =
          ReadEndpoint(root, "authorization_endpoint", true, allow_insecure_http, &authorization);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadEndpoint(root, "token_endpoint", true, allow_insecure_http, &token);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadEndpoint(root, "jwks_uri", true, allow_insecure_http, &jwks); !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadEndpoint(root, "end_session_endpoint", false, allow_insecure_http,
                                    &out.end_session_endpoint);
      !s.ok()) {
    return s;
  }
  out.authorization_endpoint = std::move(*authorization);
  out.token_endpoint = std::move(*token);
  out.jwks_uri = std::move(*jwks);

  JsonValue iss_supported = root.Find("authorization_response_iss_parameter_supported");
  if (iss_supported.valid()) {
    if (!iss_supported.is_bool()) {
      return Invalid("\"authorization_response_iss_parameter_supported\" must be true or false");
    }
    out.authorization_response_iss_parameter_supported = iss_supported.bool_value();
  }
  if (absl::Status s = ReadStringList(root, "token_endpoint_auth_methods_supported",
                                      &out.token_endpoint_auth_methods_supported);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadStringList(root, "id_token_signing_alg_values_supported",
                                      &out.id_token_signing_alg_values_supported);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadStringList(root, "code_challenge_methods_supported",
                                      &out.code_challenge_methods_supported);
      !s.ok()) {
    return s;
  }
  return out;
}

struct MetadataSource::State : std::enable_shared_from_this<State> {
  OidcConfig config;  // the issuer, the fetch rule and the endpoint overrides
  Options options;
  HttpClient* http = nullptr;
  Scheduler* scheduler = nullptr;

  mutable std::mutex mutex;
  mutable std::condition_variable loaded;
  std::shared_ptr<const ProviderMetadata> metadata;
  std::string last_error;
  bool closed = false;
  int consecutive_failures = 0;
  std::mt19937_64 random{std::random_device{}()};

  void Fetch() {
    std::lock_guard<std::mutex> lock(mutex);
    if (closed) return;
    std::weak_ptr<State> weak = weak_from_this();
    http->Send({"GET", DiscoveryUrl(config.issuer), {{"Accept", "application/json"}}, ""},
               [weak](absl::StatusOr<HttpResponse> response) {
                 if (auto self = weak.lock()) self->OnResponse(std::move(response));
               });
  }

  void OnResponse(absl::StatusOr<HttpResponse> response) {
    absl::StatusOr<ProviderMetadata> parsed = Interpret(response);
    std::lock_guard<std::mutex> lock(mutex);
    if (closed) return;
    absl::Time now = scheduler->clock().Now();
    if (parsed.ok()) {
      ApplyOverrides(&*parsed);
      metadata = std::make_shared<const ProviderMetadata>(std::move(*parsed));
      last_error.clear();
      consecutive_failures = 0;
      loaded.notify_all();
      ScheduleFetchLocked(now + options.refresh_interval);
    } else {
      last_error =
          StrCat("discovery from ", DiscoveryUrl(config.issuer), ": ", parsed.status().message());
      ++consecutive_failures;
      ScheduleFetchLocked(now + Backoff());
    }
  }

  absl::StatusOr<ProviderMetadata> Interpret(const absl::StatusOr<HttpResponse>& response) const {
    if (!response.ok()) return response.status();
    if (response->status != 200) {
      return absl::UnavailableError(ToAbsl(StrCat("HTTP status ", response->status)));
    }
    return ParseDiscoveryDocument(response->body, config.issuer, config.allow_insecure_http);
  }

  void ApplyOverrides(ProviderMetadata* discovered) const {
    if (config.authorization_endpoint) {
      discovered->authorization_endpoint = *config.authorization_endpoint;
    }
    if (config.token_endpoint) discovered->token_endpoint = *config.token_endpoint;
    if (config.jwks_uri) discovered->jwks_uri = *config.jwks_uri;
    if (config.end_session_endpoint) discovered->end_session_endpoint = config.end_session_endpoint;
  }

  absl::Duration Backoff() {
    absl::Duration base = options.initial_backoff;
    for (int i = 1; i < consecutive_failures && base < options.max_backoff; ++i) base *= 2;
    base = std::min(base, options.max_backoff);
    // Half fixed, half random: spreads the retries of many instances.
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    return base * jitter(random);
  }

  void ScheduleFetchLocked(absl::Time when) {
    std::weak_ptr<State> weak = weak_from_this();
    scheduler->RunAt(when, [weak] {
      if (auto self = weak.lock()) self->Fetch();
    });
  }
};

absl::StatusOr<std::unique_ptr<MetadataSource>> MetadataSource::Create(const OidcConfig& config,
                                                                       HttpClient* http,
                                                                       Scheduler* scheduler,
                                                                       Options options) {
  auto state = std::make_shared<State>();
  state->config = config;
  state->options = options;
  if (config.HasExplicitEndpoints()) {
    state->metadata = std::make_shared<const ProviderMetadata>(ExplicitMetadata(config));
    return std::unique_ptr<MetadataSource>(new MetadataSource(std::move(state)));
  }
  if (http == nullptr || scheduler == nullptr) {
    return absl::InvalidArgumentError("discovery needs an HTTP client and a scheduler");
  }
  if (options.initial_backoff <= absl::ZeroDuration() ||
      options.initial_backoff > options.max_backoff ||
      options.refresh_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("discovery: bad backoff or refresh interval");
  }
  absl::StatusOr<Url> url = Url::Parse(DiscoveryUrl(config.issuer));
  if (!url.ok()) return url.status();
  if (absl::Status allowed = CheckFetchAllowed(*url, config.allow_insecure_http); !allowed.ok()) {
    return allowed;
  }
  state->http = http;
  state->scheduler = scheduler;
  std::unique_ptr<MetadataSource> source(new MetadataSource(state));
  state->Fetch();
  return source;
}

MetadataSource::~MetadataSource() {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->closed = true;
}

std::shared_ptr<const ProviderMetadata> MetadataSource::Get() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->metadata;
}

bool MetadataSource::WaitReady(absl::Duration timeout) const {
  std::unique_lock<std::mutex> lock(state_->mutex);
  return state_->loaded.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                                 [&] { return state_->metadata != nullptr; });
}

std::string MetadataSource::last_error() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->last_error;
}

}  // namespace authgate

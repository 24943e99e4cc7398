// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "jwt/verifier_config.h"

#include "text.h"
#include "config_object.h"
#include "net/url.h"

namespace authgate {
namespace {

constexpr JsonLimits kConfigLimits{/*max_size=*/8 << 20, /*max_depth=*/32};
constexpr int64_t kMaxTokenSizeLimit = 1 << 20;

absl::Status ReadInlineKeys(ConfigObject& config, JsonValue jwks, KeySet::Loaded* out) {
  absl::StatusOr<KeySet::Loaded> loaded =
      jwks.is_string() ? KeySet::FromText(jwks.string())
      : jwks.is_object() ? KeySet::FromJson(jwks)
                         : absl::InvalidArgumentError("must be an object or a string");
  if (!loaded.ok()) return config.Error("jwks", FromAbsl(loaded.status().message()));
  *out = std::move(*loaded);
  return absl::OkStatus();
}

}  // namespace

absl::Status ReadKeySource(ConfigObject& config, const std::optional<std::string>& issuer,
                           const RemoteKeySourceOptions& remote_defaults,
                           bool discover_by_default, ProviderSpec* out) {
  JsonValue jwks = config.Get("jwks");
  std::optional<std::string> jwks_file;
  if (absl::Status s = config.GetString("jwks_file", &jwks_file); !s.ok()) return s;
  std::optional<std::string> jwks_uri;
  if (absl::Status s = config.GetString("jwks_uri", &jwks_uri); !s.ok()) return s;
  JsonValue discovery = config.Get("discovery");
  std::optional<std::string> discovery_issuer;
  if (discovery.valid()) {
    if (issuer && discovery.is_bool()) {
      if (discovery.bool_value()) discovery_issuer = *issuer;
    } else if (!issuer && discovery.is_string()) {
      discovery_issuer = std::string(discovery.string());
    } else {
      return config.Error("discovery", issuer ? "must be true or false"
                                              : "must be the issuer URL to discover from");
    }
  }
  int sources = jwks.valid() + jwks_file.has_value() + jwks_uri.has_value() +
                discovery_issuer.has_value();
  if (sources == 0 && discover_by_default && issuer && !discovery.valid()) {
    discovery_issuer = *issuer;
    sources = 1;
  }
  if (sources != 1) {
    return config.Error(
        "jwks", "give exactly one key source: jwks (inline), jwks_file, jwks_uri, or discovery");
  }
  if (jwks_file) {
    if (jwks_file->empty()) return config.Error("jwks_file", "must not be empty");
    out->file = *jwks_file;
    return absl::OkStatus();
  }
  if (jwks.valid()) {
    KeySet::Loaded loaded;
    if (absl::Status s = ReadInlineKeys(config, jwks, &loaded); !s.ok()) return s;
    out->inline_keys = std::move(loaded);
    return absl::OkStatus();
  }
  RemoteKeySourceOptions remote = remote_defaults;
  if (jwks_uri) remote.jwks_uri = *jwks_uri;
  if (discovery_issuer) remote.discovery_issuer = *discovery_issuer;
  std::string_view key = jwks_uri ? "jwks_uri" : "discovery";
  absl::StatusOr<Url> url =
      Url::Parse(jwks_uri ? *jwks_uri : StrCat(*discovery_issuer, "/.well-known/x"));
  if (!url.ok()) return config.Error(key, FromAbsl(url.status().message()));
  if (absl::Status allowed = CheckFetchAllowed(*url, remote.allow_insecure_http); !allowed.ok()) {
    return config.Error(key, FromAbsl(allowed.message()));
  }
  out->remote = std::move(remote);
  return absl::OkStatus();
}

absl::Status ReadJwksCache(ConfigObject& config, RemoteKeySourceOptions* out,
                           absl::Duration* file_check_interval) {
  JsonValue value = config.Get("jwks_cache");
  if (!value.valid()) return absl::OkStatus();
  absl::StatusOr<ConfigObject> cache = ConfigObject::Open(value, config.Path("jwks_cache"));
  if (!cache.ok()) return cache.status();
  const std::pair<std::string_view, absl::Duration*> durations[] = {
      {"cache_duration", &out->cache_duration},
      {"min_cache_duration", &out->min_cache_duration},
      {"max_cache_duration", &out->max_cache_duration},
      {"refetch_interval", &out->refetch_interval},
      {"max_stale", &out->max_stale},
      {"initial_backoff", &out->initial_backoff},
      {"max_backoff", &out->max_backoff},
      {"file_check_interval", file_check_interval}};
  for (const auto& [key, target] : durations) {
    if (absl::Status s = cache->GetDuration(key, target); !s.ok()) return s;
  }
  if (out->min_cache_duration > out->max_cache_duration) {
    return cache->Error("min_cache_duration", "must not exceed max_cache_duration");
  }
  if (out->initial_backoff <= absl::ZeroDuration() || out->initial_backoff > out->max_backoff) {
    return cache->Error("initial_backoff", "must be positive and at most max_backoff");
  }
  return cache->CheckAllKeysKnown();
}

absl::Status ReadHttp(ConfigObject& config, HttpClientOptions* out) {
  JsonValue value = config.Get("http");
  if (!value.valid()) return absl::OkStatus();
  absl::StatusOr<ConfigObject> http = ConfigObject::Open(value, config.Path("http"));
  if (!http.ok()) return http.status();
  if (absl::Status s = http->GetDuration("connect_timeout", &out->connect_timeout); !s.ok()) {
    return s;
  }
  if (absl::Status s = http->GetDuration("timeout", &out->total_timeout); !s.ok()) return s;
  int64_t max_bytes = static_cast<int64_t>(out->max_response_bytes);
  if (absl::Status s = http->GetInteger("max_response_bytes", 1024, int64_t{1} << 30, &max_bytes);
      !s.ok()) {
    return s;
  }
  out->max_response_bytes = static_cast<size_t>(max_bytes);
  std::optional<std::string> ca_file, ca_dir;
  if (absl::Status s = http->GetString("ca_file", &ca_file); !s.ok()) return s;
  if (absl::Status s = http->GetString("ca_dir", &ca_dir); !s.ok()) return s;
  if (ca_file) out->ca_file = *ca_file;
  if (ca_dir) out->ca_dir = *ca_dir;
  if (absl::Status s = http->GetBool("follow_redirects", &out->follow_redirects); !s.ok()) return s;
  if (absl::Status s = http->GetBool("allow_insecure_http", &out->allow_insecure_http); !s.ok()) {
    return s;
  }
  return http->CheckAllKeysKnown();
}

namespace {

absl::Status ReadProviders(ConfigObject& config, const RemoteKeySourceOptions& remote_defaults,
                           std::vector<ProviderSpec>* out) {
  JsonValue list = config.Get("providers");
  if (!list.is_array() || list.size() == 0) {
    return config.Error("providers", "must be a non-empty array of provider objects");
  }
  size_t index = 0;
  for (JsonValue element : list.elements()) {
    absl::StatusOr<ConfigObject> provider =
        ConfigObject::Open(element, StrCat(config.Path("providers"), "[", index++, "]"));
    if (!provider.ok()) return provider.status();
    std::optional<std::string> issuer;
    if (absl::Status s = provider->GetString("issuer", &issuer); !s.ok()) return s;
    if (!issuer || issuer->empty()) return provider->Error("issuer", "is required");
    for (const ProviderSpec& other : *out) {
      if (other.issuer == issuer) return provider->Error("issuer", "appears in two providers");
    }
    ProviderSpec spec;
    spec.issuer = issuer;
    if (absl::Status s = ReadKeySource(*provider, issuer, remote_defaults,
                                       /*discover_by_default=*/false, &spec);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = provider->CheckAllKeysKnown(); !s.ok()) return s;
    out->push_back(std::move(spec));
  }
  return absl::OkStatus();
}

absl::Status ReadCache(ConfigObject& config, TokenCache::Options* out) {
  JsonValue value = config.Get("token_cache");
  if (!value.valid()) return absl::OkStatus();
  absl::StatusOr<ConfigObject> cache = ConfigObject::Open(value, config.Path("token_cache"));
  if (!cache.ok()) return cache.status();
  int64_t entries = static_cast<int64_t>(TokenCache::kDefaultMaxEntries);
  int64_t bytes = static_cast<int64_t>(TokenCache::kDefaultMaxBytes);
  if (absl::Status s = cache->GetInteger("max_entries", 0, 100000000, &entries); !s.ok()) return s;
  if (absl::Status s = cache->GetInteger("max_bytes", 0, int64_t{1} << 40, &bytes); !s.ok()) {
    return s;
  }
  if (absl::Status s = cache->CheckAllKeysKnown(); !s.ok()) return s;
  out->max_entries = static_cast<size_t>(entries);
  out->max_bytes = static_cast<size_t>(bytes);
  return absl::OkStatus();
}

}  // namespace

absl::Status ReadVerifyOptions(ConfigObject& config, JwtVerifierOptions* options) {
  ClaimRules& claims = options->claims;
  if (absl::Status s = config.GetAlgorithms("algorithms", &options->algorithms); !s.ok()) return s;
  if (absl::Status s = config.GetDuration("clock_skew", &claims.clock_skew); !s.ok()) return s;
  if (absl::Status s = config.GetBool("require_exp", &claims.require_exp); !s.ok()) return s;
  if (absl::Status s = config.GetDuration("max_lifetime", &claims.max_lifetime); !s.ok()) {
    return s;
  }
  if (absl::Status s = config.GetStringList("required_claims", &claims.required_claims);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = config.GetString("typ", &claims.typ); !s.ok()) return s;
  if (absl::Status s = config.GetStringList("subjects", &claims.subjects); !s.ok()) return s;
  int64_t max_token_size = static_cast<int64_t>(options->max_token_size);
  if (absl::Status s = config.GetInteger("max_token_size", 16, kMaxTokenSizeLimit,
                                          &max_token_size);
      !s.ok()) {
    return s;
  }
  options->max_token_size = static_cast<size_t>(max_token_size);
  int64_t candidates = static_cast<int64_t>(options->max_key_candidates);
  if (absl::Status s = config.GetInteger("max_key_candidates", 1, 64, &candidates); !s.ok()) {
    return s;
  }
  options->max_key_candidates = static_cast<size_t>(candidates);
  if (absl::Status s = ReadCache(config, &options->cache); !s.ok()) return s;
  if (absl::Status s = config.GetDuration("async_timeout", &options->async_timeout); !s.ok()) {
    return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<VerifierConfig> ParseVerifierConfig(std::string_view json) {
  JsonDocument doc;
  if (absl::Status s = doc.Parse(json, kConfigLimits); !s.ok()) {
    return absl::InvalidArgumentError(StrCat("configuration: ", s.message()));
  }
  absl::StatusOr<ConfigObject> config = ConfigObject::Open(doc.root(), "");
  if (!config.ok()) return config.status();

  VerifierConfig out;
  // HTTP and cache settings first: the key sources are checked against them.
  if (absl::Status s = ReadHttp(*config, &out.http); !s.ok()) return s;
  RemoteKeySourceOptions remote_defaults;
  remote_defaults.allow_insecure_http = out.http.allow_insecure_http;
  if (absl::Status s = ReadJwksCache(*config, &remote_defaults, &out.file_check_interval);
      !s.ok()) {
    return s;
  }
  if (out.file_check_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("jwks_cache.file_check_interval: must be positive");
  }
  if (config->Get("providers").valid()) {
    if (absl::Status s = ReadProviders(*config, remote_defaults, &out.providers); !s.ok()) {
      return s;
    }
  } else {
    ProviderSpec spec;
    if (absl::Status s = ReadKeySource(*config, std::nullopt, remote_defaults,
                                       /*discover_by_default=*/false, &spec);
        !s.ok()) {
      return s;
    }
    out.providers.push_back(std::move(spec));
  }

  ClaimRules& claims = out.options.claims;
  if (absl::Status s = config->GetStringList("issuers", &claims.issuers); !s.ok()) return s;
  if (absl::Status s = config->GetStringList("audiences", &claims.audiences); !s.ok()) return s;
  if (absl::Status s = ReadVerifyOptions(*config, &out.options); !s.ok()) return s;
  if (absl::Status s = config->CheckAllKeysKnown(); !s.ok()) return s;
  return out;
}

absl::StatusOr<KeyProvider> MakeKeyProvider(ProviderSpec spec, absl::Duration file_check_interval,
                                            HttpClient* http, Scheduler* scheduler) {
  KeyProvider provider;
  provider.issuer = spec.issuer;
  if (spec.inline_keys) {
    provider.keys =
        KeySource::Fixed(std::move(spec.inline_keys->keys), std::move(spec.inline_keys->warnings));
  } else if (spec.file) {
    absl::StatusOr<std::unique_ptr<KeySource>> file =
        KeySource::File(*spec.file, file_check_interval, scheduler);
    if (!file.ok()) {
      return absl::InvalidArgumentError(StrCat("jwks_file: ", file.status().message()));
    }
    provider.keys = std::move(*file);
  } else {
    absl::StatusOr<std::unique_ptr<KeySource>> remote =
        KeySource::Remote(std::move(*spec.remote), http, scheduler);
    if (!remote.ok()) return remote.status();
    provider.keys = std::move(*remote);
  }
  return provider;
}

absl::StatusOr<std::unique_ptr<JwtVerifier>> BuildVerifier(VerifierConfig config,
                                                           std::unique_ptr<HttpClient> http,
                                                           std::unique_ptr<Scheduler> scheduler) {
  bool any_remote = false, any_file = false;
  for (const ProviderSpec& spec : config.providers) {
    any_remote |= spec.remote.has_value();
    any_file |= spec.file.has_value();
  }
  if (any_remote && http == nullptr) http = NewCurlHttpClient(config.http);
  if ((any_remote || any_file) && scheduler == nullptr) {
    scheduler = Scheduler::NewThreaded(Clock::System());
  }
  std::vector<KeyProvider> providers;
  for (ProviderSpec& spec : config.providers) {
    absl::StatusOr<KeyProvider> provider =
        MakeKeyProvider(std::move(spec), config.file_check_interval, http.get(), scheduler.get());
    if (!provider.ok()) return provider.status();
    providers.push_back(std::move(*provider));
  }
  return JwtVerifier::Create(std::move(providers), std::move(config.options), std::move(http),
                             std::move(scheduler));
}

}  // namespace authgate

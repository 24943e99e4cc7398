// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// The remote key source: a JWKS URI (or OIDC discovery of one), cached,
// refreshed ahead of expiry, refetched early for unknown kids at most once
// per interval, retried with exponential backoff and jitter on failure, and
// served stale up to max_stale while the provider is down.
//
// All mutable state lives in a State shared with the HTTP callbacks and
// scheduled tasks through weak pointers, so that a callback arriving after
// the source is gone does nothing. The mutex guards bookkeeping only; it is
// never held across a network call or a waiter's callback, and readers of
// the keys never take it (SnapshotCell).

#include <condition_variable>
#include <mutex>
#include <random>

#include "jose/json.h"
#include "jwks/internal/snapshot_cell.h"
#include "jwks/key_source.h"
#include "net/url.h"
#include "text.h"

namespace authgate {
namespace {

constexpr JsonLimits kDiscoveryLimits{/*max_size=*/1 << 20, /*max_depth=*/16};

// Reads max-age from a Cache-Control value; no-store/no-cache mean 0.
std::optional<absl::Duration> MaxAge(std::string_view cache_control) {
  std::string lower(cache_control);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  if (lower.find("no-store") != std::string::npos || lower.find("no-cache") != std::string::npos) {
    return absl::ZeroDuration();
  }
  size_t at = lower.find("max-age=");
  if (at == std::string::npos) return std::nullopt;
  int64_t seconds = 0;
  size_t i = at + 8;
  if (i >= lower.size() || lower[i] < '0' || lower[i] > '9') return std::nullopt;
  for (; i < lower.size() && lower[i] >= '0' && lower[i] <= '9'; ++i) {
    seconds = std::min<int64_t>(seconds * 10 + (lower[i] - '0'), INT64_C(1) << 40);
  }
  return absl::Seconds(seconds);
}

std::string DiscoveryUrl(std::string_view issuer) {
  if (!issuer.empty() && issuer.back() == '/') issuer.remove_suffix(1);
  return StrCat(issuer, "/.well-known/openid-configuration");
}

class RemoteKeySource final : public KeySource {
 public:
  struct State : std::enable_shared_from_this<State> {
    RemoteKeySourceOptions options;
    HttpClient* http = nullptr;
    Scheduler* scheduler = nullptr;
    internal::SnapshotCell<KeySet> keys;
    std::atomic<uint64_t> generation{0};

    mutable std::mutex mutex;
    mutable std::condition_variable keys_changed;
    bool closed = false;
    bool in_flight = false;
    bool has_keys = false;
    // The rate limit of unknown-kid refetches has its own clock: a scheduled
    // refresh (or the first fetch) must not delay the fetch of a key the
    // provider started signing with just after it.
    std::optional<absl::Time> last_unknown_key_fetch;
    int consecutive_failures = 0;
    std::string jwks_uri;  // resolved (after discovery)
    std::optional<absl::Time> keys_fetched_at;
    uint64_t timer_epoch = 0;  // only the newest scheduled fetch runs
    KeySourceStats stats;
    std::vector<std::function<void()>> waiters;
    std::mt19937_64 random{std::random_device{}()};

    absl::Time Now() const { return scheduler->clock().Now(); }

    // Starts a fetch unless one is running. A fetch for an unknown key
    // (`force` false) happens at most once per refetch_interval, so that a
    // flood of made-up kids cannot hammer the provider; scheduled fetches
    // (`force`) are not limited. Returns whether a fetch is under way;
    // `waiter` is queued if so.
    bool StartFetch(bool force, std::function<void()> waiter) {
      std::lock_guard<std::mutex> lock(mutex);
      if (closed) return false;
      if (in_flight) {
        if (waiter) waiters.push_back(std::move(waiter));
        return true;
      }
      if (!force) {
        absl::Time now = Now();
        if (last_unknown_key_fetch && now - *last_unknown_key_fetch < options.refetch_interval) {
          return false;
        }
        last_unknown_key_fetch = now;
      }
      in_flight = true;
      if (waiter) waiters.push_back(std::move(waiter));
      if (jwks_uri.empty()) {
        SendLocked(DiscoveryUrl(options.discovery_issuer), &State::OnDiscovery);
      } else {
        SendLocked(jwks_uri, &State::OnJwks);
      }
      return true;
    }

    // Every request and every timer is started with the mutex held and the
    // source open: once the destructor has set `closed`, nothing new reaches
    // the HTTP client or the scheduler, which may then go away.
    void SendLocked(const std::string& url, void (State::*handler)(absl::StatusOr<HttpResponse>)) {
      std::weak_ptr<State> weak = weak_from_this();
      http->Send({"GET", url, {{"Accept", "application/json"}}, ""},
                 [weak, handler](absl::StatusOr<HttpResponse> response) {
                   if (auto self = weak.lock()) ((*self).*handler)(std::move(response));
                 });
    }

    void OnDiscovery(absl::StatusOr<HttpResponse> response) {
      if (!response.ok()) {
        return Complete(nullptr, {}, StrCat("discovery: ", response.status().message()));
      }
      if (response->status != 200) {
        return Complete(nullptr, {}, StrCat("discovery: HTTP status ", response->status));
      }
      JsonDocument doc;
      if (absl::Status s = doc.Parse(response->body, kDiscoveryLimits); !s.ok()) {
        return Complete(nullptr, {}, StrCat("discovery document: ", s.message()));
      }
      JsonValue issuer = doc.root().Find("issuer");
      if (!issuer.is_string() || issuer.string() != options.discovery_issuer) {
        return Complete(nullptr, {},
                        "discovery document \"issuer\" does not equal the configured issuer "
                        "(OpenID Connect Discovery 4.3)");
      }
      JsonValue uri = doc.root().Find("jwks_uri");
      if (!uri.is_string()) return Complete(nullptr, {}, "discovery document lacks \"jwks_uri\"");
      absl::StatusOr<Url> parsed = Url::Parse(uri.string());
      if (!parsed.ok()) return Complete(nullptr, {}, StrCat("discovery: ", parsed.status().message()));
      // The fetch rules apply to the discovered URI too.
      if (absl::Status allowed = CheckFetchAllowed(*parsed, options.allow_insecure_http);
          !allowed.ok()) {
        return Complete(nullptr, {}, StrCat("discovered jwks_uri: ", allowed.message()));
      }
      std::lock_guard<std::mutex> lock(mutex);
      jwks_uri = std::string(uri.string());
      stats.location = jwks_uri;
      if (!closed) SendLocked(jwks_uri, &State::OnJwks);
    }

    void OnJwks(absl::StatusOr<HttpResponse> response) {
      if (!response.ok()) return Complete(nullptr, {}, StrCat("JWKS: ", response.status().message()));
      if (response->status != 200) {
        if (response->status == 404 && !options.discovery_issuer.empty()) {
          std::lock_guard<std::mutex> lock(mutex);
          jwks_uri.clear();  // the provider moved its keys: discover again next time
        }
        return Complete(nullptr, {}, StrCat("JWKS: HTTP status ", response->status));
      }
      absl::StatusOr<KeySet::Loaded> loaded = KeySet::FromText(response->body);
      if (!loaded.ok()) return Complete(nullptr, {}, StrCat("JWKS: ", loaded.status().message()));
      absl::Duration lifetime = options.cache_duration;
      if (std::optional<std::string_view> cache_control = response->Header("cache-control")) {
        if (std::optional<absl::Duration> max_age = MaxAge(*cache_control)) {
          lifetime = std::clamp(*max_age, options.min_cache_duration, options.max_cache_duration);
        }
      }
      Complete(std::move(loaded->keys), std::move(loaded->warnings), "", lifetime);
    }

    absl::Duration Backoff(int failures) {
      absl::Duration base = options.initial_backoff;
      for (int i = 1; i < failures && base < options.max_backoff; ++i) base *= 2;
      base = std::min(base, options.max_backoff);
      // Half fixed, half random: spreads the retries of many instances.
      std::uniform_real_distribution<double> jitter(0.5, 1.0);
      return base * jitter(random);
    }

    void ScheduleFetch(absl::Time when) {
      uint64_t epoch = ++timer_epoch;
      std::weak_ptr<State> weak = weak_from_this();
      scheduler->RunAt(when, [weak, epoch] {
        auto self = weak.lock();
        if (!self) return;
        {
          std::lock_guard<std::mutex> lock(self->mutex);
          if (epoch != self->timer_epoch) return;
        }
        self->StartFetch(/*force=*/true, nullptr);
      });
    }

    void ScheduleExpiry(absl::Time fetched_at) {
      std::weak_ptr<State> weak = weak_from_this();
      scheduler->RunAt(fetched_at + options.max_stale, [weak, fetched_at] {
        auto self = weak.lock();
        if (!self) return;
        std::lock_guard<std::mutex> lock(self->mutex);
        if (self->keys_fetched_at != fetched_at) return;  // refreshed since
        self->keys.Publish(nullptr);
        self->has_keys = false;
        self->stats.key_count = 0;
        ++self->generation;
      });
    }

    void Complete(std::shared_ptr<const KeySet> fetched, std::vector<std::string> warnings,
                  std::string error, absl::Duration lifetime = absl::ZeroDuration()) {
      std::vector<std::function<void()>> done;
      {
        std::lock_guard<std::mutex> lock(mutex);
        in_flight = false;
        done.swap(waiters);
        if (!closed) {
          absl::Time now = Now();
          if (fetched != nullptr) {
            ++stats.fetch_successes;
            stats.last_success = now;
            stats.last_error.clear();
            stats.key_count = fetched->size();
            stats.warnings = std::move(warnings);
            keys.Publish(std::move(fetched));
            has_keys = true;
            ++generation;
            keys_fetched_at = now;
            consecutive_failures = 0;
            // Refresh when 80% of the lifetime has passed.
            ScheduleFetch(now + lifetime * 0.8);
            ScheduleExpiry(now);
            keys_changed.notify_all();
          } else {
            ++stats.fetch_failures;
            stats.last_error = std::move(error);
            ++consecutive_failures;
            ScheduleFetch(now + Backoff(consecutive_failures));
          }
        }
      }
      for (auto& waiter : done) waiter();
    }
  };

  explicit RemoteKeySource(std::shared_ptr<State> state) : state_(std::move(state)) {}

  ~RemoteKeySource() override {
    std::vector<std::function<void()>> done;
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      state_->closed = true;
      done.swap(state_->waiters);
    }
    for (auto& waiter : done) waiter();
  }

  const KeySet* Keys() const override { return state_->keys.Read(); }
  uint64_t Generation() const override { return state_->generation.load(); }

  bool RefreshForUnknownKey(std::function<void()> done) override {
    return state_->StartFetch(/*force=*/false, std::move(done));
  }

  void Refresh() override { state_->StartFetch(/*force=*/true, nullptr); }

  bool WaitForKeys(absl::Duration timeout) const override {
    std::unique_lock<std::mutex> lock(state_->mutex);
    return state_->keys_changed.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                                         [&] { return state_->has_keys; });
  }

  KeySourceStats Stats() const override {
    std::lock_guard<std::mutex> lock(state_->mutex);
    KeySourceStats stats = state_->stats;
    if (state_->has_keys && state_->keys_fetched_at) {
      stats.age = state_->Now() - *state_->keys_fetched_at;
    }
    return stats;
  }

 private:
  std::shared_ptr<State> state_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<KeySource>> KeySource::Remote(RemoteKeySourceOptions options,
                                                             HttpClient* http,
                                                             Scheduler* scheduler) {
  if (options.jwks_uri.empty() == options.discovery_issuer.empty()) {
    return absl::InvalidArgumentError("give exactly one of jwks_uri and discovery issuer");
  }
  std::string first_url =
      options.jwks_uri.empty() ? DiscoveryUrl(options.discovery_issuer) : options.jwks_uri;
  absl::StatusOr<Url> url = Url::Parse(first_url);
  if (!url.ok()) return url.status();
  if (absl::Status allowed = CheckFetchAllowed(*url, options.allow_insecure_http); !allowed.ok()) {
    return allowed;
  }
  auto state = std::make_shared<RemoteKeySource::State>();
  state->options = std::move(options);
  state->http = http;
  state->scheduler = scheduler;
  state->jwks_uri = state->options.jwks_uri;
  state->stats.location = first_url;
  auto source = std::make_unique<RemoteKeySource>(state);
  state->StartFetch(/*force=*/true, nullptr);
  return std::unique_ptr<KeySource>(std::move(source));
}

}  // namespace authgate

// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// key_source.h: where a provider's verification keys come from, and how they
// are kept current: fixed (inline), a file reloaded when it changes, a
// remote `jwks_uri`, or OIDC discovery from an issuer.
//
//   std::unique_ptr<KeySource> source = KeySource::Remote(options, http, scheduler);
//   const KeySet* keys = source->Keys();          // never blocks, never locks
//   if (keys == nullptr) return Reject(Reason::kJwksUnavailable);
//
// Reading keys never waits on the network: remote keys are fetched at
// creation and refreshed in the background before their cache lifetime
// ends. A token with an unknown `kid` may ask for one early refetch
// (RefreshForUnknownKey), which is single-flight and rate-limited. When the
// provider fails, the last good keys keep being served up to `max_stale`;
// a malformed or empty JWKS never replaces good keys.

#ifndef AUTHGATE_SRC_JWKS_KEY_SOURCE_H_
#define AUTHGATE_SRC_JWKS_KEY_SOURCE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jose/key_set.h"
#include "net/http_client.h"
#include "scheduler.h"

namespace authgate {

struct KeySourceStats {
  std::string location;  // the URI, file path, or "inline"
  uint64_t fetch_successes = 0;
  uint64_t fetch_failures = 0;
  std::optional<absl::Time> last_success;
  std::string last_error;  // empty after a success
  size_t key_count = 0;
  // Since the keys in use were obtained.
  std::optional<absl::Duration> age;
  // Keys skipped in the last accepted key set, and why.
  std::vector<std::string> warnings;
};

struct RemoteKeySourceOptions {
  // Exactly one of the two: the JWKS URI, or the issuer to discover it from
  // (<issuer without one trailing '/'>/.well-known/openid-configuration,
  // whose `issuer` must equal this byte for byte).
  std::string jwks_uri;
  std::string discovery_issuer;
  // Cache lifetime when the response has no Cache-Control max-age; a
  // max-age is honoured within [min_cache_duration, max_cache_duration].
  absl::Duration cache_duration = absl::Minutes(10);
  absl::Duration min_cache_duration = absl::Seconds(30);
  absl::Duration max_cache_duration = absl::Hours(24);
  // At most one refetch for unknown kids per interval.
  absl::Duration refetch_interval = absl::Seconds(30);
  // How long the last good keys are served while the provider fails.
  absl::Duration max_stale = absl::Hours(24);
  // Retry after a failure: exponential from initial to max, with jitter.
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Minutes(5);
  // As HttpClientOptions::allow_insecure_http: checked at creation too, so a
  // forbidden source is a configuration error rather than a stream of
  // failed fetches.
  bool allow_insecure_http = false;
};

class KeySource {
 public:
  virtual ~KeySource() = default;

  // Keys returns the keys in use, or null when there are none (not fetched
  // yet, or stale beyond max_stale). The pointer is valid until this thread
  // calls Keys() on this source again. Lock-free and thread-safe.
  virtual const KeySet* Keys() const = 0;

  // Generation changes whenever the keys in use change.
  virtual uint64_t Generation() const = 0;

  // RefreshForUnknownKey asks for an early refetch because a token named a
  // `kid` the keys lack (or because no keys are there yet). Returns true
  // when a fetch is under way (started now or already running): `done` then
  // runs once on a library thread when it completes. Returns false when the
  // rate limit refuses (or the source cannot refetch); `done` never runs.
  virtual bool RefreshForUnknownKey(std::function<void()> done) = 0;

  // Refresh starts a fetch now, ignoring the rate limit (an operator's
  // explicit request). No-op for fixed sources.
  virtual void Refresh() = 0;

  // WaitForKeys blocks until Keys() is non-null or `timeout` passes.
  virtual bool WaitForKeys(absl::Duration timeout) const = 0;

  virtual KeySourceStats Stats() const = 0;

  // Fixed returns a source that always has `keys`.
  static std::unique_ptr<KeySource> Fixed(std::shared_ptr<const KeySet> keys,
                                          std::vector<std::string> warnings);

  // File returns a source reading `path` (JWKS, JWK or PEM) now, and again
  // whenever the file changes (checked every `poll_interval` on
  // `scheduler`, which must outlive the source). Fails when the file cannot
  // be read or holds no usable key; later failures keep the last good keys.
  static absl::StatusOr<std::unique_ptr<KeySource>> File(std::string path,
                                                         absl::Duration poll_interval,
                                                         Scheduler* scheduler);

  // Remote returns a source fetching over `http` (which must outlive it),
  // driven by `scheduler` (likewise). The first fetch starts at once.
  static absl::StatusOr<std::unique_ptr<KeySource>> Remote(RemoteKeySourceOptions options,
                                                           HttpClient* http,
                                                           Scheduler* scheduler);
};

}  // namespace authgate

#endif  // AUTHGATE_SRC_JWKS_KEY_SOURCE_H_

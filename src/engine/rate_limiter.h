// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// rate_limiter.h: a token bucket per key (a client address), in a table of
// bounded size.
//
//   RateLimiter limiter(RateLimit{/*per_minute=*/10, /*burst=*/10}, /*capacity=*/4096);
//   absl::Duration retry_after;
//   if (!limiter.Allow(request.client_address, clock.Now(), &retry_after)) {
//     return TooManyRequests(retry_after);
//   }
//
// Each key's bucket holds up to `burst` tokens and refills at `per_minute`
// tokens a minute; each allowed event takes one. The bucket is kept as the
// time it will be full again (the generic cell rate algorithm, a token
// bucket in exact integer time: no rounding drift). The table keeps at most
// `capacity` keys: a new key in a full table evicts the key used least
// recently, so a flood of addresses costs bounded memory (and can at worst
// refill the bucket of an address idle for longer than the flood).
//
// Time is the caller's (the engine's injected clock). Thread-safe: one
// std::mutex around a short lookup (Debian's abseil is not TSan-clean).

#ifndef AUTHGATE_SRC_ENGINE_RATE_LIMITER_H_
#define AUTHGATE_SRC_ENGINE_RATE_LIMITER_H_

#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "absl/time/time.h"

namespace authgate {

struct RateLimit {
  int per_minute = 10;  // refill rate; 0: no limit
  int burst = 10;       // bucket size, at least 1
};

class RateLimiter {
 public:
  // `limit.per_minute` and `limit.burst` must be positive, `capacity` too.
  RateLimiter(RateLimit limit, size_t capacity);

  // Allow takes a token from the bucket of `key` at `now` and returns true,
  // or returns false with *retry_after set to the wait (whole seconds, at
  // least one) until the bucket holds a token again.
  bool Allow(std::string_view key, absl::Time now, absl::Duration* retry_after);

  // size returns how many keys the table holds now.
  size_t size() const;

 private:
  struct Bucket {
    // When the bucket is full again; each token taken adds an interval.
    absl::Time full_at = absl::InfinitePast();
    std::list<std::string>::iterator recency;  // its place in recency_
  };

  const absl::Duration interval_;   // one token's refill time
  const absl::Duration tolerance_;  // (burst - 1) intervals: how far full_at may run ahead
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
  std::list<std::string> recency_;  // keys, the most recently used first
};

}  // namespace authgate

#endif  // AUTHGATE_SRC_ENGINE_RATE_LIMITER_H_

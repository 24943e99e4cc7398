// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "engine/rate_limiter.h"

#include <algorithm>

namespace authgate {

RateLimiter::RateLimiter(RateLimit limit, size_t capacity)
    : interval_(absl::Minutes(1) / limit.per_minute),
      tolerance_(interval_ * (limit.burst - 1)),
      capacity_(capacity) {}

bool RateLimiter::Allow(std::string_view key, absl::Time now, absl::Duration* retry_after) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, inserted] = buckets_.try_emplace(std::string(key));
  Bucket& bucket = it->second;
  if (inserted) {
    if (buckets_.size() > capacity_) {
      buckets_.erase(recency_.back());
      recency_.pop_back();
    }
    recency_.push_front(it->first);
  } else {
    recency_.splice(recency_.begin(), recency_, bucket.recency);
  }
  bucket.recency = recency_.begin();
  absl::Time full_at = std::max(bucket.full_at, now);
  if (full_at - now > tolerance_) {
    *retry_after = absl::Ceil(full_at - now - tolerance_, absl::Seconds(1));
    return false;
  }
  bucket.full_at = full_at + interval_;
  return true;
}

size_t RateLimiter::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return buckets_.size();
}

}  // namespace authgate

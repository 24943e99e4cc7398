// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "engine/rate_limiter.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "text.h"

namespace authgate {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1800000000);

TEST(RateLimiterTest, BurstThenOnePerInterval) {
  RateLimiter limiter(RateLimit{/*per_minute=*/6, /*burst=*/3}, 16);
  absl::Duration retry_after;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Allow("a", kStart, &retry_after)) << i;
  EXPECT_FALSE(limiter.Allow("a", kStart, &retry_after));
  EXPECT_EQ(retry_after, absl::Seconds(10));
  EXPECT_FALSE(limiter.Allow("a", kStart + absl::Seconds(9), &retry_after));
  EXPECT_EQ(retry_after, absl::Seconds(1));
  EXPECT_TRUE(limiter.Allow("a", kStart + absl::Seconds(10), &retry_after));
  EXPECT_FALSE(limiter.Allow("a", kStart + absl::Seconds(10), &retry_after));
  // A long pause refills the burst, never more.
  absl::Time later = kStart + absl::Hours(1);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Allow("a", later, &retry_after)) << i;
  EXPECT_FALSE(limiter.Allow("a", later, &retry_after));
}

TEST(RateLimiterTest, KeysHaveTheirOwnBuckets) {
  RateLimiter limiter(RateLimit{/*per_minute=*/1, /*burst=*/1}, 16);
  absl::Duration retry_after;
  EXPECT_TRUE(limiter.Allow("a", kStart, &retry_after));
  EXPECT_FALSE(limiter.Allow("a", kStart, &retry_after));
  EXPECT_TRUE(limiter.Allow("b", kStart, &retry_after));
}

// The wait a key is told when it asks twice at once with a burst of one.
absl::Duration SecondRequestWait(int per_minute) {
  RateLimiter limiter(RateLimit{per_minute, /*burst=*/1}, 16);
  absl::Duration retry_after;
  EXPECT_TRUE(limiter.Allow("a", kStart, &retry_after));
  EXPECT_FALSE(limiter.Allow("a", kStart, &retry_after));
  return retry_after;
}

TEST(RateLimiterTest, RetryAfterIsOneIntervalInWholeSecondsAtLeastOne) {
  EXPECT_EQ(SecondRequestWait(1), absl::Seconds(60));
  EXPECT_EQ(SecondRequestWait(7), absl::Seconds(9));  // 8.57 s, rounded up
  EXPECT_EQ(SecondRequestWait(600), absl::Seconds(1));
}

TEST(RateLimiterTest, ClockSteppingBackRefillsNothing) {
  RateLimiter limiter(RateLimit{/*per_minute=*/1, /*burst=*/1}, 16);
  absl::Duration retry_after;
  EXPECT_TRUE(limiter.Allow("a", kStart, &retry_after));
  EXPECT_FALSE(limiter.Allow("a", kStart - absl::Hours(1), &retry_after));
}

TEST(RateLimiterTest, TableIsBoundedAndForgetsTheLeastRecentlySeen) {
  RateLimiter limiter(RateLimit{/*per_minute=*/1, /*burst=*/1}, 3);
  absl::Duration retry_after;
  for (const char* key : {"a", "b", "c"}) EXPECT_TRUE(limiter.Allow(key, kStart, &retry_after));
  EXPECT_FALSE(limiter.Allow("a", kStart, &retry_after));  // "a" is now the most recent
  EXPECT_TRUE(limiter.Allow("d", kStart, &retry_after));   // evicts "b"
  EXPECT_EQ(limiter.size(), 3u);
  EXPECT_FALSE(limiter.Allow("a", kStart, &retry_after)) << "kept";
  EXPECT_FALSE(limiter.Allow("c", kStart, &retry_after)) << "kept";
  EXPECT_TRUE(limiter.Allow("b", kStart, &retry_after)) << "forgotten, so a fresh bucket";
  for (int i = 0; i < 1000; ++i) limiter.Allow(StrCat("flood-", i), kStart, &retry_after);
  EXPECT_EQ(limiter.size(), 3u);
}

TEST(RateLimiterTest, ConcurrentCallersShareOneBucket) {
  RateLimiter limiter(RateLimit{/*per_minute=*/1, /*burst=*/50}, 8);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      absl::Duration retry_after;
      for (int i = 0; i < 100; ++i) {
        if (limiter.Allow(i % 2 == 0 ? "a" : StrCat("k", i % 7), kStart, &retry_after) &&
            i % 2 == 0) {
          allowed++;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), 50);
}

}  // namespace
}  // namespace authgate

// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "jwt/token_cache.h"

#include <string>

#include "gtest/gtest.h"

namespace authgate {
namespace {

std::shared_ptr<const TokenRecord> Record(double not_before, double not_after) {
  auto record = std::make_shared<TokenRecord>();
  EXPECT_TRUE(record->claims.Parse(R"({"sub":"a"})", JsonLimits{}).ok());
  record->times.not_before = not_before;
  record->times.not_after = not_after;
  return record;
}

TEST(TokenCacheTest, OffByDefault) {
  TokenCache cache(TokenCache::Options{});
  EXPECT_FALSE(cache.enabled());
  cache.Insert("t", Record(0, 100));
  EXPECT_FALSE(cache.Lookup("t", 50, nullptr));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(TokenCacheTest, HitsOnlyInsideTheValidityWindow) {
  TokenCache cache({/*max_entries=*/10, /*max_bytes=*/1 << 20});
  cache.Insert("token", Record(10, 100));
  std::shared_ptr<const TokenRecord> record;
  EXPECT_TRUE(cache.Lookup("token", 50, &record));
  ASSERT_NE(record, nullptr);
  EXPECT_EQ(record->claims.root().Find("sub").string(), "a");
  EXPECT_TRUE(cache.Lookup("token", 10, nullptr));
  EXPECT_FALSE(cache.Lookup("token", 100, nullptr)) << "not_after is exclusive";
  EXPECT_FALSE(cache.Lookup("token", 9.5, nullptr));
  EXPECT_EQ(cache.hits(), 2u);
  EXPECT_EQ(cache.misses(), 2u);
}

TEST(TokenCacheTest, ComparesTheWholeToken) {
  TokenCache cache({10, 1 << 20});
  cache.Insert("token-a", Record(0, 100));
  EXPECT_FALSE(cache.Lookup("token-b", 50, nullptr));
  EXPECT_FALSE(cache.Lookup("token-a ", 50, nullptr));
  EXPECT_FALSE(cache.Lookup("token-", 50, nullptr));
  EXPECT_FALSE(cache.Lookup("", 50, nullptr));
}

TEST(TokenCacheTest, BoundedInEntries) {
  TokenCache cache({/*max_entries=*/32, /*max_bytes=*/1 << 30});
  for (int i = 0; i < 1000; ++i) cache.Insert("token-" + std::to_string(i), Record(0, 100));
  // Each of the 16 shards holds at most ceil(32 / 16) entries.
  EXPECT_LE(cache.size(), 32u);
  EXPECT_GT(cache.size(), 0u);
  // The newest entries survive; the oldest went first.
  EXPECT_TRUE(cache.Lookup("token-999", 50, nullptr));
  EXPECT_FALSE(cache.Lookup("token-0", 50, nullptr));
}

TEST(TokenCacheTest, BoundedInBytes) {
  TokenCache cache({/*max_entries=*/100000, /*max_bytes=*/64 * 1024});
  std::string big(1000, 'x');
  for (int i = 0; i < 1000; ++i) cache.Insert(big + std::to_string(i), Record(0, 100));
  // About 1.5 KB per entry with overhead: well under 100 entries fit.
  EXPECT_LE(cache.size(), 64u);
  // An entry larger than a shard's share is not stored at all.
  cache.Insert(std::string(1 << 20, 'y'), Record(0, 100));
  EXPECT_FALSE(cache.Lookup(std::string(1 << 20, 'y'), 50, nullptr));
}

TEST(TokenCacheTest, ReplacingAndClearing) {
  TokenCache cache({10, 1 << 20});
  cache.Insert("t", Record(0, 100));
  cache.Insert("t", Record(0, 200));
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_TRUE(cache.Lookup("t", 150, nullptr));
  for (int i = 0; i < 100; ++i) cache.Insert("t", Record(0, 200));
  EXPECT_EQ(cache.size(), 1u);
  cache.Clear();
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_FALSE(cache.Lookup("t", 150, nullptr));
}

}  // namespace
}  // namespace authgate

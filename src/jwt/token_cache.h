// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// token_cache.h: the verified-token cache. A token seen again costs a hash, a
// lookup and a byte comparison instead of a signature check.
//
//   TokenCache cache({.max_entries = 10000, .max_bytes = 16 << 20});
//   std::shared_ptr<const TokenRecord> record;
//   if (cache.Lookup(token, now_seconds, &record)) { ... valid ... }
//   ...verify...; cache.Insert(token, record);   // successes only
//
// Entries are found by a seeded 64-bit hash of the token (the seed is random
// per cache, so collisions cannot be planned) and every hit is confirmed by a
// full comparison with the stored token. A hit is only a hit while the token
// is inside its validity window (exp re-checked on every hit, skew included)
// and the keys have not changed since it was verified.
// Bounded in entries and bytes; the oldest entries go first. Only successful
// verifications are ever inserted. Thread-safe: sharded, each shard behind
// its own mutex held for a lookup or an insert only.

#ifndef AUTHGATE_SRC_JWT_TOKEN_CACHE_H_
#define AUTHGATE_SRC_JWT_TOKEN_CACHE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "jwt/verified_token.h"

namespace authgate {

class TokenCache {
 public:
  // The limits of a cache that is on without limits of its own: a
  // `token_cache` object without them, and an engine's JWT providers.
  static constexpr size_t kDefaultMaxEntries = 10000;
  static constexpr size_t kDefaultMaxBytes = 16 << 20;

  struct Options {
    size_t max_entries = 0;  // 0: the cache is off
    size_t max_bytes = kDefaultMaxBytes;
  };

  explicit TokenCache(Options options);
  TokenCache(const TokenCache&) = delete;
  TokenCache& operator=(const TokenCache&) = delete;

  bool enabled() const { return options_.max_entries > 0; }

  // Lookup returns true when `token` is cached, valid at `now_seconds` and
  // was verified with keys of `key_generation`; then, if `record` is not
  // null, *record receives its data.
  bool Lookup(std::string_view token, double now_seconds,
              std::shared_ptr<const TokenRecord>* record, uint64_t key_generation = 0) const;

  // Insert stores a successfully verified token (a copy of its bytes).
  void Insert(std::string_view token, std::shared_ptr<const TokenRecord> record);

  // Clear drops every entry (the key set changed).
  void Clear();

  size_t size() const;
  uint64_t hits() const;
  uint64_t misses() const;

 private:
  static constexpr size_t kShardCount = 16;

  struct Entry {
    std::string token;
    std::shared_ptr<const TokenRecord> record;
    uint64_t generation;
    size_t bytes;
  };
  struct Order {
    uint64_t hash;
    uint64_t generation;
  };
  struct alignas(64) Shard {
    mutable std::mutex mutex;
    absl::flat_hash_map<uint64_t, Entry> entries;
    std::deque<Order> insertion_order;  // oldest first; may hold stale items
    size_t bytes = 0;
    uint64_t next_generation = 0;
    // Counted per shard, under its mutex: a shared counter would put every
    // hit of every thread on one contended cache line.
    uint64_t hits = 0;
    uint64_t misses = 0;
  };

  uint64_t Hash(std::string_view token) const;
  // EvictOldest removes the oldest live entry; false when there is none.
  static bool EvictOldest(Shard& shard);

  Options options_;
  size_t shard_max_entries_;
  size_t shard_max_bytes_;
  uint64_t seed_;
  mutable std::array<Shard, kShardCount> shards_;
};

}  // namespace authgate

#endif  // AUTHGATE_SRC_JWT_TOKEN_CACHE_H_

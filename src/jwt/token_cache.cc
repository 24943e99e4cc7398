// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "jwt/token_cache.h"

#include <algorithm>
#include <cstring>

#include <openssl/rand.h>

namespace authgate {
namespace {

// Bookkeeping per entry beyond the token and claims text (map slot, record,
// JSON node tapes), so that max_bytes bounds real memory.
constexpr size_t kEntryOverhead = 512;

inline uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// 64x64 -> 128-bit multiply folded to 64 bits: the mixing step of a fast
// keyed hash. Every input bit reaches every output bit within two rounds.
inline uint64_t Fold(uint64_t a, uint64_t b) {
  unsigned __int128 product = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(product) ^ static_cast<uint64_t>(product >> 64);
}

constexpr uint64_t kPrime0 = 0xa0761d6478bd642fULL;
constexpr uint64_t kPrime1 = 0xe7037ed1a0b428dbULL;
constexpr uint64_t kPrime2 = 0x8ebc6af09c88c6e3ULL;

uint64_t SeededHash(uint64_t seed, std::string_view data) {
  const char* p = data.data();
  size_t n = data.size();
  uint64_t h = seed ^ Fold(n ^ kPrime0, kPrime1);
  while (n >= 16) {
    h = Fold(Load64(p) ^ kPrime1, Load64(p + 8) ^ h);
    p += 16;
    n -= 16;
  }
  uint64_t a = 0, b = 0;
  if (n >= 8) {
    a = Load64(p);
    b = Load64(p + n - 8);
  } else if (n > 0) {
    char tail[8] = {};
    std::memcpy(tail, p, n);
    a = Load64(tail);
  }
  return Fold(Fold(a ^ kPrime1, b ^ h) ^ kPrime2, data.size() ^ kPrime0);
}

}  // namespace

TokenCache::TokenCache(Options options)
    : options_(options),
      shard_max_entries_(std::max<size_t>(1, (options.max_entries + kShardCount - 1) / kShardCount)),
      shard_max_bytes_(std::max<size_t>(1, options.max_bytes / kShardCount)) {
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&seed_), sizeof(seed_)) != 1) {
    // No randomness: fall back to an address, still unknown to a remote peer.
    seed_ = reinterpret_cast<uintptr_t>(this) * kPrime2;
  }
}

uint64_t TokenCache::Hash(std::string_view token) const { return SeededHash(seed_, token); }

bool TokenCache::Lookup(std::string_view token, double now_seconds,
                        std::shared_ptr<const TokenRecord>* record,
                        uint64_t key_generation) const {
  if (!enabled()) return false;
  uint64_t hash = Hash(token);
  Shard& shard = shards_[hash % kShardCount];
  std::lock_guard<std::mutex> lock(shard.mutex);
  auto it = shard.entries.find(hash);
  if (it == shard.entries.end() || it->second.token != token) {
    ++shard.misses;
    return false;
  }
  const ClaimTimes& times = it->second.record->times;
  if (now_seconds < times.not_before || now_seconds >= times.not_after ||
      it->second.record->key_generation != key_generation) {
    ++shard.misses;
    return false;
  }
  ++shard.hits;
  if (record != nullptr) *record = it->second.record;
  return true;
}

void TokenCache::Insert(std::string_view token, std::shared_ptr<const TokenRecord> record) {
  if (!enabled()) return;
  size_t bytes = token.size() + record->claims.text().size() + record->header.text().size() +
                 kEntryOverhead;
  if (bytes > shard_max_bytes_) return;
  uint64_t hash = Hash(token);
  Shard& shard = shards_[hash % kShardCount];
  std::lock_guard<std::mutex> lock(shard.mutex);
  auto existing = shard.entries.find(hash);
  if (existing != shard.entries.end()) {
    shard.bytes -= existing->second.bytes;
    shard.entries.erase(existing);
  }
  while (!shard.entries.empty() &&
         (shard.entries.size() >= shard_max_entries_ || shard.bytes + bytes > shard_max_bytes_)) {
    if (!EvictOldest(shard)) break;
  }
  uint64_t generation = shard.next_generation++;
  shard.entries.emplace(hash, Entry{std::string(token), std::move(record), generation, bytes});
  shard.bytes += bytes;
  shard.insertion_order.push_back(Order{hash, generation});
  // Replaced entries leave stale items behind; keep the queue proportional.
  if (shard.insertion_order.size() > 2 * shard_max_entries_ + 16) {
    std::deque<Order> live;
    for (const Order& order : shard.insertion_order) {
      auto it = shard.entries.find(order.hash);
      if (it != shard.entries.end() && it->second.generation == order.generation) {
        live.push_back(order);
      }
    }
    shard.insertion_order.swap(live);
  }
}

bool TokenCache::EvictOldest(Shard& shard) {
  while (!shard.insertion_order.empty()) {
    Order oldest = shard.insertion_order.front();
    shard.insertion_order.pop_front();
    auto it = shard.entries.find(oldest.hash);
    if (it != shard.entries.end() && it->second.generation == oldest.generation) {
      shard.bytes -= it->second.bytes;
      shard.entries.erase(it);
      return true;
    }
  }
  return false;
}

void TokenCache::Clear() {
  for (Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mutex);
    shard.entries.clear();
    shard.insertion_order.clear();
    shard.bytes = 0;
  }
}

size_t TokenCache::size() const {
  size_t total = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mutex);
    total += shard.entries.size();
  }
  return total;
}

uint64_t TokenCache::hits() const {
  uint64_t total = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mutex);
    total += shard.hits;
  }
  return total;
}

uint64_t TokenCache::misses() const {
  uint64_t total = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mutex);
    total += shard.misses;
  }
  return total;
}

}  // namespace authgate

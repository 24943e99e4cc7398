// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "session/opened_session_cache.h"

#include "absl/hash/hash.h"

namespace authgate {

OpenedSessionCache::OpenedSessionCache(size_t capacity)
    : per_shard_(capacity == 0 ? 0 : (capacity + kShards - 1) / kShards) {}

uint64_t OpenedSessionCache::Key(std::string_view host, std::string_view sealed) const {
  // absl::Hash is seeded per process, so keys cannot be aimed at one shard
  // or bucket from outside; a collision only costs a miss.
  return absl::HashOf(absl::string_view(host.data(), host.size()),
                      absl::string_view(sealed.data(), sealed.size()));
}

std::optional<Session> OpenedSessionCache::Find(std::string_view host,
                                                std::string_view sealed) const {
  if (per_shard_ == 0) return std::nullopt;
  uint64_t key = Key(host, sealed);
  const Shard& shard = shards_[key % kShards];
  std::lock_guard<std::mutex> lock(shard.mutex);
  auto it = shard.entries.find(key);
  if (it == shard.entries.end() || it->second.host != host || it->second.sealed != sealed) {
    return std::nullopt;
  }
  return it->second.session;
}

void OpenedSessionCache::Insert(std::string_view host, std::string_view sealed,
                                const Session& session) {
  if (per_shard_ == 0) return;
  uint64_t key = Key(host, sealed);
  Shard& shard = shards_[key % kShards];
  std::lock_guard<std::mutex> lock(shard.mutex);
  if (shard.entries.size() >= per_shard_ && shard.entries.find(key) == shard.entries.end()) {
    shard.entries.erase(shard.entries.begin());
  }
  shard.entries[key] = Entry{std::string(host), std::string(sealed), session};
}

size_t OpenedSessionCache::size() const {
  size_t total = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mutex);
    total += shard.entries.size();
  }
  return total;
}

}  // namespace authgate

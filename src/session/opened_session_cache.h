// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// opened_session_cache.h: the sessions recently opened from their cookies,
// so that a browser's next requests with the very same cookies skip the
// AES-GCM open and the record parse (about two thirds of a session
// request's cost in the engine).
//
// A hit needs the same host and the byte-identical sealed text: the text
// authenticated once under the store's keys and binding, and the same bytes
// authenticate the same way again. The caller still checks the session's
// lifetime and idle timeout on every hit. Failures are never stored.
//
// Thread-safe; 16 shards, each under its own mutex. Bounded: a full shard
// drops an arbitrary entry before taking a new one.

#ifndef AUTHGATE_SRC_SESSION_OPENED_SESSION_CACHE_H_
#define AUTHGATE_SRC_SESSION_OPENED_SESSION_CACHE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "session/session.h"

namespace authgate {

class OpenedSessionCache {
 public:
  // `capacity` entries at most in all (0: the cache stores nothing).
  explicit OpenedSessionCache(size_t capacity);

  // Find returns a copy of the session opened from `sealed` on `host`.
  std::optional<Session> Find(std::string_view host, std::string_view sealed) const;
  void Insert(std::string_view host, std::string_view sealed, const Session& session);

  size_t size() const;

 private:
  struct Entry {
    std::string host;
    std::string sealed;
    Session session;
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<uint64_t, Entry> entries;
  };
  static constexpr size_t kShards = 16;

  uint64_t Key(std::string_view host, std::string_view sealed) const;

  size_t per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace authgate

#endif  // AUTHGATE_SRC_SESSION_OPENED_SESSION_CACHE_H_

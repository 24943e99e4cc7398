// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// snapshot_cell.h: an immutable value that a writer replaces now and then and
// many threads read all the time, with no contended lock or shared write on
// the read path.
//
//   SnapshotCell<KeySet> keys;
//   keys.Publish(std::move(new_keys));          // writer (rare)
//   const KeySet* current = keys.Read();        // reader (every verification)
//
// Why not std::atomic<std::shared_ptr>: with g++ 12 it takes a lock from a
// shared pool, and copying a shared_ptr writes its reference count, one cache
// line bounced between every core. Here each thread keeps its own reference
// to the value it last read, tagged with the cell's version; a read is one
// atomic load of the version and, while it is unchanged, nothing else. Only
// after a Publish() does each thread take the cell's mutex once to pick up
// the new value.
//
// The pointer Read() returns stays valid until the same thread calls Read()
// on the same cell again (or the thread ends): long enough for one
// verification, which is how it is used.

#ifndef AUTHGATE_SRC_JWKS_INTERNAL_SNAPSHOT_CELL_H_
#define AUTHGATE_SRC_JWKS_INTERNAL_SNAPSHOT_CELL_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

namespace authgate {
namespace internal {

// Each cell gets an id that is never reused, so that a thread's cache entry
// for a destroyed cell can never be mistaken for a new cell at the same
// address.
uint64_t NextSnapshotCellId();

template <typename T>
class SnapshotCell {
 public:
  SnapshotCell() : id_(NextSnapshotCellId()) {}
  SnapshotCell(const SnapshotCell&) = delete;
  SnapshotCell& operator=(const SnapshotCell&) = delete;

  void Publish(std::shared_ptr<const T> value) {
    std::lock_guard<std::mutex> lock(mutex_);
    value_ = std::move(value);
    version_.store(version_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }

  // Read returns the current value (null before the first Publish()).
  const T* Read() const {
    uint64_t version = version_.load(std::memory_order_acquire);
    Entry& entry = LocalEntry();
    if (entry.cell_id == id_ && entry.version == version) return entry.value.get();
    std::lock_guard<std::mutex> lock(mutex_);
    entry.cell_id = id_;
    entry.version = version_.load(std::memory_order_relaxed);
    entry.value = value_;
    return entry.value.get();
  }

  // Load returns a shared reference (for callers that keep the value).
  std::shared_ptr<const T> Load() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return value_;
  }

 private:
  struct Entry {
    uint64_t cell_id = 0;
    uint64_t version = 0;
    std::shared_ptr<const T> value;
  };
  // A few entries per thread, direct-mapped by cell id: a thread that reads
  // more cells than that in turn only pays the slow path more often.
  static constexpr size_t kEntriesPerThread = 8;

  Entry& LocalEntry() const {
    thread_local std::array<Entry, kEntriesPerThread> entries;
    return entries[id_ % kEntriesPerThread];
  }

  const uint64_t id_;
  mutable std::mutex mutex_;
  std::shared_ptr<const T> value_;
  std::atomic<uint64_t> version_{0};
};

}  // namespace internal
}  // namespace authgate

#endif  // AUTHGATE_SRC_JWKS_INTERNAL_SNAPSHOT_CELL_H_

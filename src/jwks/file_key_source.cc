// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// The file key source: a JWKS, JWK or PEM file, read at creation and read
// again whenever its modification time, size or inode changes (checked every
// poll interval on the scheduler). A file that becomes unreadable or invalid
// never replaces good keys: the last good ones stay, and the stats say why.

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "jwks/internal/snapshot_cell.h"
#include "jwks/key_source.h"
#include "text.h"

namespace authgate {
namespace {

struct FileVersion {
  int64_t mtime_ns = 0;
  int64_t size = -1;
  uint64_t inode = 0;
  bool operator==(const FileVersion& other) const {
    return mtime_ns == other.mtime_ns && size == other.size && inode == other.inode;
  }
};

absl::StatusOr<FileVersion> Stat(const std::string& path) {
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) {
    return absl::NotFoundError(ToAbsl(StrCat(path, ": ", std::strerror(errno))));
  }
  FileVersion version;
  version.mtime_ns = int64_t{info.st_mtim.tv_sec} * 1000000000 + info.st_mtim.tv_nsec;
  version.size = info.st_size;
  version.inode = info.st_ino;
  return version;
}

absl::StatusOr<std::string> ReadAll(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return absl::NotFoundError(ToAbsl(StrCat(path, ": ", std::strerror(errno))));
  std::string text;
  char buffer[65536];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) {
    text.append(buffer, n);
    if (text.size() > (8u << 20)) {
      std::fclose(file);
      return absl::ResourceExhaustedError(ToAbsl(StrCat(path, ": larger than 8 MiB")));
    }
  }
  bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) return absl::UnavailableError(ToAbsl(StrCat(path, ": read error")));
  return text;
}

class FileKeySource final : public KeySource {
 public:
  struct State : std::enable_shared_from_this<State> {
    std::string path;
    absl::Duration poll_interval;
    Scheduler* scheduler = nullptr;
    internal::SnapshotCell<KeySet> keys;
    std::atomic<uint64_t> generation{0};
    mutable std::mutex mutex;
    bool closed = false;
    FileVersion loaded_version;
    absl::Time loaded_at;
    KeySourceStats stats;

    // Loads the file; on failure keeps what it had. Requires the mutex.
    absl::Status LoadLocked() {
      absl::StatusOr<FileVersion> version = Stat(path);
      absl::StatusOr<std::string> text =
          version.ok() ? ReadAll(path) : absl::StatusOr<std::string>(version.status());
      absl::StatusOr<KeySet::Loaded> loaded =
          text.ok() ? KeySet::FromText(*text) : absl::StatusOr<KeySet::Loaded>(text.status());
      if (!loaded.ok()) {
        ++stats.fetch_failures;
        stats.last_error = std::string(FromAbsl(loaded.status().message()));
        return loaded.status();
      }
      ++stats.fetch_successes;
      stats.last_success = scheduler->clock().Now();
      stats.last_error.clear();
      stats.key_count = loaded->keys->size();
      stats.warnings = std::move(loaded->warnings);
      keys.Publish(std::move(loaded->keys));
      ++generation;
      loaded_version = *version;
      loaded_at = scheduler->clock().Now();
      return absl::OkStatus();
    }

    void SchedulePollLocked() {
      std::weak_ptr<State> weak = weak_from_this();
      scheduler->RunAt(scheduler->clock().Now() + poll_interval, [weak] {
        auto self = weak.lock();
        if (!self) return;
        std::lock_guard<std::mutex> lock(self->mutex);
        if (self->closed) return;
        absl::StatusOr<FileVersion> version = Stat(self->path);
        // A failed reload is recorded in the stats; the last good keys stay.
        if (!version.ok() || !(*version == self->loaded_version)) self->LoadLocked().IgnoreError();
        self->SchedulePollLocked();
      });
    }
  };

  explicit FileKeySource(std::shared_ptr<State> state) : state_(std::move(state)) {}

  ~FileKeySource() override {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->closed = true;
  }

  const KeySet* Keys() const override { return state_->keys.Read(); }
  uint64_t Generation() const override { return state_->generation.load(); }
  bool RefreshForUnknownKey(std::function<void()>) override { return false; }

  void Refresh() override {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->LoadLocked().IgnoreError();  // recorded in the stats
  }

  bool WaitForKeys(absl::Duration) const override { return state_->keys.Read() != nullptr; }

  KeySourceStats Stats() const override {
    std::lock_guard<std::mutex> lock(state_->mutex);
    KeySourceStats stats = state_->stats;
    stats.age = state_->scheduler->clock().Now() - state_->loaded_at;
    return stats;
  }

 private:
  std::shared_ptr<State> state_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<KeySource>> KeySource::File(std::string path,
                                                           absl::Duration poll_interval,
                                                           Scheduler* scheduler) {
  auto state = std::make_shared<FileKeySource::State>();
  state->path = std::move(path);
  state->poll_interval = poll_interval;
  state->scheduler = scheduler;
  state->stats.location = state->path;
  std::lock_guard<std::mutex> lock(state->mutex);
  if (absl::Status s = state->LoadLocked(); !s.ok()) return s;
  state->SchedulePollLocked();
  return std::unique_ptr<KeySource>(std::make_unique<FileKeySource>(state));
}

}  // namespace authgate

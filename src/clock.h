// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// clock.h: where the core gets the time, injected so that tests control it.
//
//   const Clock& clock = Clock::System();
//   absl::Time now = clock.Now();
//
// Nothing deep in the core reads the system time itself: components take a
// Clock (and time-driven work a Scheduler), as jwt_verify_lib takes `now`.

#ifndef AUTHGATE_SRC_CLOCK_H_
#define AUTHGATE_SRC_CLOCK_H_

#include <mutex>

#include "absl/time/time.h"

namespace authgate {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;

  // System returns the process's real-time clock (a static instance).
  static const Clock& System();
};

// ManualClock is a clock tests set and advance by hand. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(absl::Time start) : now_(start) {}
  absl::Time Now() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return now_;
  }
  void Advance(absl::Duration by) {
    std::lock_guard<std::mutex> lock(mutex_);
    now_ += by;
  }
  // Set keeps absl::Time's full resolution (finer than a nanosecond), so
  // that setting the clock to a task's due time makes the task due.
  void Set(absl::Time to) {
    std::lock_guard<std::mutex> lock(mutex_);
    now_ = to;
  }

 private:
  mutable std::mutex mutex_;
  absl::Time now_;
};

}  // namespace authgate

#endif  // AUTHGATE_SRC_CLOCK_H_

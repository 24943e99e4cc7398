// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// scheduler.h: time-driven background work (JWKS refresh, retries with
// backoff), behind an interface so that tests drive time by hand.
//
//   std::unique_ptr<Scheduler> scheduler = Scheduler::NewThreaded(Clock::System());
//   scheduler->RunAt(clock.Now() + absl::Minutes(8), [] { Refresh(); });
//
// The threaded scheduler runs tasks one at a time on its own thread; tasks
// must be short (start an asynchronous fetch, do not wait for it). The
// manual scheduler runs due tasks only when the test calls RunDue().

#ifndef AUTHGATE_SRC_SCHEDULER_H_
#define AUTHGATE_SRC_SCHEDULER_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/time/time.h"
#include "clock.h"

namespace authgate {

class Scheduler {
 public:
  using Task = std::function<void()>;

  virtual ~Scheduler() = default;
  // RunAt runs `task` once at or after `when` (by the scheduler's clock).
  // Tasks still pending when the scheduler is destroyed never run.
  virtual void RunAt(absl::Time when, Task task) = 0;
  virtual const Clock& clock() const = 0;

  // NewThreaded returns a scheduler with its own thread, on `clock` (which
  // must be the system clock or advance on its own). In the child of a
  // fork() the thread is started again, with every pending task
  // (after_fork.h).
  static std::unique_ptr<Scheduler> NewThreaded(const Clock& clock);
};

// ManualScheduler runs tasks only in RunDue(), on the caller's thread, in
// time order, against a ManualClock the test advances.
class ManualScheduler final : public Scheduler {
 public:
  explicit ManualScheduler(ManualClock& clock) : clock_(clock) {}
  void RunAt(absl::Time when, Task task) override;
  const Clock& clock() const override { return clock_; }

  // RunDue runs every task due at the clock's current time, including tasks
  // those tasks schedule for no later than now. Returns how many ran.
  int RunDue();
  // AdvanceAndRun moves the clock forward by `by` in steps, running tasks as
  // they fall due.
  int AdvanceAndRun(absl::Duration by);
  size_t pending() const;
  // NextDue is the time of the earliest pending task (InfiniteFuture if none).
  absl::Time NextDue() const;

 private:
  ManualClock& clock_;
  mutable std::mutex mutex_;
  std::multimap<absl::Time, Task> tasks_;
};

}  // namespace authgate

#endif  // AUTHGATE_SRC_SCHEDULER_H_

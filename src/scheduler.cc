// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "scheduler.h"

#include <chrono>
#include <optional>

#include "after_fork.h"

namespace authgate {
namespace {

// Fork: the thread holds work_mutex_ whenever it is not waiting for a due
// task, so once the prepare handler holds work_mutex_ the thread has no task
// half run and holds no other lock; every pending task is in tasks_.
class ThreadedScheduler final : public Scheduler, public ForkParticipant {
 public:
  explicit ThreadedScheduler(const Clock& clock) : clock_(clock) { Start(); }

  ~ThreadedScheduler() override {
    registration_.reset();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_->notify_all();
    thread_->join();
  }

  void RunAt(absl::Time when, Task task) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      tasks_.emplace(when, std::move(task));
      ++added_;
    }
    wake_->notify_all();
  }

  const Clock& clock() const override { return clock_; }

  void QuiesceForFork() override { work_mutex_.lock(); }
  void LockForFork() override { mutex_.lock(); }
  void UnlockInParent() override {
    mutex_.unlock();
    work_mutex_.unlock();
  }
  void RestartInChild() override {
    // The parent's thread is not in the child: its handle and condition
    // variable (which may count it as a waiter) are left alone, leaked.
    (void)thread_.release();
    (void)wake_.release();
    wake_ = std::make_unique<std::condition_variable>();
    mutex_.unlock();
    work_mutex_.unlock();
    Start();
  }

 private:
  void Start() { thread_ = std::make_unique<std::thread>([this] { Run(); }); }

  void Run() {
    std::unique_lock<std::mutex> work(work_mutex_);
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
      absl::Duration wait = tasks_.empty() ? absl::InfiniteDuration()
                                           : tasks_.begin()->first - clock_.Now();
      if (wait > absl::ZeroDuration()) {
        // Idle: let a fork through (work_mutex_ is taken before mutex_);
        // a task added meanwhile ends the wait at once.
        uint64_t seen = added_;
        auto changed = [&] { return stopping_ || added_ != seen; };
        lock.unlock();
        work.unlock();
        lock.lock();
        if (wait == absl::InfiniteDuration()) {
          wake_->wait(lock, changed);
        } else {
          wake_->wait_for(lock, absl::ToChronoNanoseconds(wait), changed);
        }
        lock.unlock();
        work.lock();
        lock.lock();
        continue;
      }
      Task task = std::move(tasks_.begin()->second);
      tasks_.erase(tasks_.begin());
      lock.unlock();
      task();
      task = nullptr;
      lock.lock();
    }
  }

  const Clock& clock_;
  std::mutex work_mutex_;
  std::mutex mutex_;
  std::unique_ptr<std::condition_variable> wake_ = std::make_unique<std::condition_variable>();
  std::multimap<absl::Time, Task> tasks_;
  uint64_t added_ = 0;  // tasks ever added: wakes the thread for an earlier one
  bool stopping_ = false;
  std::unique_ptr<std::thread> thread_;
  std::optional<ForkRegistration> registration_{std::in_place, this};
};

}  // namespace

std::unique_ptr<Scheduler> Scheduler::NewThreaded(const Clock& clock) {
  return std::make_unique<ThreadedScheduler>(clock);
}

void ManualScheduler::RunAt(absl::Time when, Task task) {
  std::lock_guard<std::mutex> lock(mutex_);
  tasks_.emplace(when, std::move(task));
}

int ManualScheduler::RunDue() {
  int ran = 0;
  for (;;) {
    Task task;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (tasks_.empty() || tasks_.begin()->first > clock_.Now()) return ran;
      task = std::move(tasks_.begin()->second);
      tasks_.erase(tasks_.begin());
    }
    task();
    ++ran;
  }
}

int ManualScheduler::AdvanceAndRun(absl::Duration by) {
  absl::Time end = clock_.Now() + by;
  int ran = RunDue();
  for (;;) {
    absl::Time next = NextDue();
    if (next > end) break;
    if (next > clock_.Now()) clock_.Set(next);
    ran += RunDue();
  }
  clock_.Set(end);
  return ran + RunDue();
}

size_t ManualScheduler::pending() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return tasks_.size();
}

absl::Time ManualScheduler::NextDue() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return tasks_.empty() ? absl::InfiniteFuture() : tasks_.begin()->first;
}

}  // namespace authgate

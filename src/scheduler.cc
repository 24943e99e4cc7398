// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "scheduler.h"

#include <chrono>

namespace authgate {
namespace {

class ThreadedScheduler final : public Scheduler {
 public:
  explicit ThreadedScheduler(const Clock& clock) : clock_(clock) {
    thread_ = std::thread([this] { Run(); });
  }

  ~ThreadedScheduler() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

  void RunAt(absl::Time when, Task task) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      tasks_.emplace(when, std::move(task));
    }
    wake_.notify_all();
  }

  const Clock& clock() const override { return clock_; }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
      if (tasks_.empty()) {
        wake_.wait(lock);
        continue;
      }
      absl::Duration wait = tasks_.begin()->first - clock_.Now();
      if (wait > absl::ZeroDuration()) {
        wake_.wait_for(lock, absl::ToChronoNanoseconds(wait));
        continue;
      }
      Task task = std::move(tasks_.begin()->second);
      tasks_.erase(tasks_.begin());
      lock.unlock();
      task();
      lock.lock();
    }
  }

  const Clock& clock_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::multimap<absl::Time, Task> tasks_;
  bool stopping_ = false;
  std::thread thread_;
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

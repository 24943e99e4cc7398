// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "delivery.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

namespace authgate {

struct Delivery::State {
  std::mutex mutex;
  // Behind a pointer: after a fork the child replaces it, since the old one
  // may record a waiter (the parent's thread) that will never wake.
  std::unique_ptr<std::condition_variable> wake = std::make_unique<std::condition_variable>();
  std::deque<Task> tasks;
  bool closed = false;
  bool thread_running = false;

  // Starts the thread unless it runs; `self` is this state. With no thread
  // (the system refused one) the tasks stay queued for the next Post().
  static void StartLocked(const std::shared_ptr<State>& self) {
    if (self->thread_running) return;
    try {
      std::thread([self] { Run(self); }).detach();
      self->thread_running = true;
    } catch (const std::system_error&) {
    }
  }

  static void Run(const std::shared_ptr<State>& self) {
    std::unique_lock<std::mutex> lock(self->mutex);
    for (;;) {
      self->wake->wait(lock, [&] { return !self->tasks.empty() || self->closed; });
      if (self->tasks.empty()) {
        self->thread_running = false;
        return;
      }
      Task task = std::move(self->tasks.front());
      self->tasks.pop_front();
      lock.unlock();
      task();
      task = nullptr;  // its captures go before the lock is taken again
      lock.lock();
    }
  }
};

// The thread holds no lock while it runs a task (host code), so there is
// nothing to quiesce; the queue is locked across the fork.
class Delivery::ForkHandler final : public ForkParticipant {
 public:
  explicit ForkHandler(std::shared_ptr<State> state) : state_(std::move(state)) {}

  void QuiesceForFork() override {}
  void LockForFork() override { state_->mutex.lock(); }
  void UnlockInParent() override { state_->mutex.unlock(); }
  void RestartInChild() override {
    // The parent's thread is not in the child; its condition variable may
    // still count it as a waiter, so it is left alone (leaked) and replaced.
    (void)state_->wake.release();
    state_->wake = std::make_unique<std::condition_variable>();
    state_->thread_running = false;
    if (!state_->tasks.empty()) State::StartLocked(state_);
    state_->mutex.unlock();
  }

 private:
  std::shared_ptr<State> state_;
  ForkRegistration registration_{this};
};

Delivery::Delivery()
    : state_(std::make_shared<State>()), fork_handler_(std::make_unique<ForkHandler>(state_)) {}

Delivery::~Delivery() {
  fork_handler_.reset();
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->closed = true;
  state_->wake->notify_all();
}

void Delivery::Post(Task task) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->tasks.push_back(std::move(task));
  if (state_->thread_running) {
    state_->wake->notify_one();
  } else {
    State::StartLocked(state_);
  }
}

}  // namespace authgate

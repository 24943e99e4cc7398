// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// lifetime.h: the guard shared between an object and its asynchronous
// answers (HTTP responses, timers, key refetches), which may arrive on a
// library thread after the object is gone.
//
//   std::shared_ptr<Lifetime> lifetime = std::make_shared<Lifetime>();
//   // In an answer, on a library thread:
//   if (Lifetime::Use use = lifetime->Enter()) {
//     Compute();        // the object is alive until `use` ends
//     queue.Post(...);  // hand the outcome over; never run host code here
//   }
//   // In the object's destructor, before its members go:
//   lifetime->End();    // waits for the uses in progress; later Enter()s fail
//
// Uses may run on any number of threads at once and may nest on one thread
// (a step completing another one inline), so End() waits for a count, not
// for a lock. A use must never wait for code outside the library (a host's
// callback may take a lock the thread calling End() holds, e.g. Python's
// GIL): host callbacks are delivered after the use, by a Delivery.
// std::mutex rather than absl::Mutex: Debian's abseil is not TSan-clean.

#ifndef AUTHGATE_SRC_LIFETIME_H_
#define AUTHGATE_SRC_LIFETIME_H_

#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace authgate {

class Lifetime {
 public:
  // Use is one use of the object, from Enter() to its destruction; false
  // (and holding nothing) when the object had ended.
  class Use {
   public:
    Use() = default;
    Use(Use&& other) noexcept : lifetime_(other.lifetime_) { other.lifetime_ = nullptr; }
    Use& operator=(Use&&) = delete;
    Use(const Use&) = delete;
    ~Use();
    explicit operator bool() const { return lifetime_ != nullptr; }

   private:
    friend class Lifetime;
    explicit Use(Lifetime* lifetime) : lifetime_(lifetime) {}
    Lifetime* lifetime_ = nullptr;
  };

  Lifetime() = default;
  Lifetime(const Lifetime&) = delete;
  Lifetime& operator=(const Lifetime&) = delete;

  // Enter starts a use unless End() has been called.
  Use Enter();
  // End marks the object gone and returns once every use in progress has
  // finished. Must not be called from inside a use (it would wait for itself).
  void End();

 private:
  std::mutex mutex_;
  std::condition_variable idle_;
  size_t uses_ = 0;
  bool ended_ = false;
};

}  // namespace authgate

#endif  // AUTHGATE_SRC_LIFETIME_H_

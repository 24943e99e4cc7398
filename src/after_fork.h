// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// after_fork.h: keeps the library's own threads (the HTTP client's, the
// scheduler's, the deliveries') working in the child of a fork(), as
// gunicorn and uWSGI do after importing the application. The child of a
// multi-threaded process has only the thread that forked: the others, and
// any lock they held, are gone.
//
//   class Worker final : public ForkParticipant {
//     ...
//     ForkRegistration registration_{this};  // the last member: registered
//   };                                       // once built, first to go
//
// pthread_atfork handlers, installed once: before the fork, each
// participant's thread is brought to a point where it holds no lock (its
// current batch of work done: Quiesce), then each participant's queue is
// locked (Lock), so the child gets consistent queues and no lock held by a
// thread it does not have. After the fork the parent unlocks; the child
// unlocks, forgets the threads it does not have, and starts new ones
// (Restart) before fork() returns. Quiescing waits only for library code:
// host callbacks run on a Delivery's thread, which has nothing to quiesce.
// The registry is the one piece of global state besides the library's
// one-time initialisation; it only lists live participants.

#ifndef AUTHGATE_SRC_AFTER_FORK_H_
#define AUTHGATE_SRC_AFTER_FORK_H_

namespace authgate {

class ForkParticipant {
 public:
  virtual ~ForkParticipant() = default;
  // Before the fork, on the forking thread: Quiesce() of every participant,
  // then Lock() of every participant.
  virtual void QuiesceForFork() = 0;
  virtual void LockForFork() = 0;
  // After the fork: in the parent, undoes both; in the child (single
  // threaded at that point) also replaces what the missing threads owned.
  virtual void UnlockInParent() = 0;
  virtual void RestartInChild() = 0;
};

// ForkRegistration lists `participant` while it exists.
class ForkRegistration {
 public:
  explicit ForkRegistration(ForkParticipant* participant);
  ~ForkRegistration();
  ForkRegistration(const ForkRegistration&) = delete;
  ForkRegistration& operator=(const ForkRegistration&) = delete;

 private:
  ForkParticipant* participant_;
};

}  // namespace authgate

#endif  // AUTHGATE_SRC_AFTER_FORK_H_

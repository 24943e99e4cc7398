// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// delivery.h: where the callbacks of a host (a C, Python or Go program
// using the C ABI) run: on a thread of their own, one per owner (an engine,
// a verifier), in the order they were posted.
//
//   Delivery delivery;                             // a member of the owner
//   delivery.Post([done, decision] { done(decision); });
//
// A host callback may block, or take the host's own lock (Python's GIL),
// which the thread destroying the owner may hold. So callbacks never run
// under a library lock, nor on the HTTP client's or the scheduler's thread
// (the owner joins those when it is destroyed), nor inside the owner's
// destructor. The delivery's thread is detached: destroying the Delivery
// closes it without waiting, and the thread runs what is still queued (the
// cancellations the owner posted last), then exits on its own. Joining it
// instead would deadlock exactly in the case above.
//
// The thread starts at the first Post() (most hosts never wait on the
// network) and again after a fork(), in the child, when tasks are queued.

#ifndef AUTHGATE_SRC_DELIVERY_H_
#define AUTHGATE_SRC_DELIVERY_H_

#include <functional>
#include <memory>

#include "after_fork.h"

namespace authgate {

class Delivery {
 public:
  using Task = std::function<void()>;

  Delivery();
  // Closes the delivery; never waits (see above).
  ~Delivery();
  Delivery(const Delivery&) = delete;
  Delivery& operator=(const Delivery&) = delete;

  // Post queues `task` to run on the delivery's thread, never inside Post().
  void Post(Task task);

 private:
  // Shared with the thread, which may outlive the Delivery.
  struct State;
  class ForkHandler;

  std::shared_ptr<State> state_;
  std::unique_ptr<ForkHandler> fork_handler_;
};

}  // namespace authgate

#endif  // AUTHGATE_SRC_DELIVERY_H_

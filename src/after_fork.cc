// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "after_fork.h"

#include <pthread.h>

#include <algorithm>
#include <mutex>
#include <vector>

namespace authgate {
namespace {

struct Registry {
  // Held from the prepare handler to the parent's or child's handler, so a
  // participant cannot come or go during a fork.
  std::mutex mutex;
  std::vector<ForkParticipant*> participants;
};

// Never destroyed: a participant may outlive static destruction (a handle
// the host frees late, a detached thread).
Registry& TheRegistry() {
  static Registry* registry = new Registry();
  return *registry;
}

void Prepare() {
  Registry& registry = TheRegistry();
  registry.mutex.lock();
  // Two passes: a participant's thread may, while finishing its batch, hand
  // work to another participant's queue, which must not be locked yet.
  for (ForkParticipant* participant : registry.participants) participant->QuiesceForFork();
  for (ForkParticipant* participant : registry.participants) participant->LockForFork();
}

void Parent() {
  Registry& registry = TheRegistry();
  for (ForkParticipant* participant : registry.participants) participant->UnlockInParent();
  registry.mutex.unlock();
}

void Child() {
  Registry& registry = TheRegistry();
  for (ForkParticipant* participant : registry.participants) participant->RestartInChild();
  registry.mutex.unlock();
}

}  // namespace

ForkRegistration::ForkRegistration(ForkParticipant* participant) : participant_(participant) {
  static std::once_flag installed;
  std::call_once(installed, [] { pthread_atfork(Prepare, Parent, Child); });
  Registry& registry = TheRegistry();
  std::lock_guard<std::mutex> lock(registry.mutex);
  registry.participants.push_back(participant_);
}

ForkRegistration::~ForkRegistration() {
  Registry& registry = TheRegistry();
  std::lock_guard<std::mutex> lock(registry.mutex);
  registry.participants.erase(
      std::find(registry.participants.begin(), registry.participants.end(), participant_));
}

}  // namespace authgate

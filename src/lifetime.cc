// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "lifetime.h"

namespace authgate {

Lifetime::Use::~Use() {
  if (lifetime_ == nullptr) return;
  std::lock_guard<std::mutex> lock(lifetime_->mutex_);
  if (--lifetime_->uses_ == 0 && lifetime_->ended_) lifetime_->idle_.notify_all();
}

Lifetime::Use Lifetime::Enter() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (ended_) return Use();
  ++uses_;
  return Use(this);
}

void Lifetime::End() {
  std::unique_lock<std::mutex> lock(mutex_);
  ended_ = true;
  idle_.wait(lock, [this] { return uses_ == 0; });
}

}  // namespace authgate

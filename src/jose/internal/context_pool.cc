// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "jose/internal/context_pool.h"

#include <algorithm>
#include <thread>

namespace authgate {
namespace internal {
namespace {

// Twice the hardware threads, so that two threads rarely hash to the same
// slot, bounded so that a key on a large machine does not hold hundreds of
// contexts it will never use.
size_t SlotCount() {
  size_t threads = std::thread::hardware_concurrency();
  return std::clamp<size_t>(threads * 2, 4, 64);
}

}  // namespace

ContextPool::ContextPool(Factory factory)
    : factory_(std::move(factory)), slot_count_(SlotCount()),
      slots_(new Slot[slot_count_]) {}

ContextPool::Lease::Lease(Lease&& other) noexcept
    : context_(other.context_), busy_(other.busy_), temporary_(std::move(other.temporary_)) {
  other.context_ = nullptr;
  other.busy_ = nullptr;
}

ContextPool::Lease::~Lease() {
  if (busy_ != nullptr) busy_->store(false, std::memory_order_release);
}

ContextPool::Lease ContextPool::Acquire() const {
  size_t start = std::hash<std::thread::id>{}(std::this_thread::get_id()) % slot_count_;
  for (size_t i = 0; i < slot_count_; ++i) {
    Slot& slot = slots_[(start + i) % slot_count_];
    if (slot.busy.load(std::memory_order_relaxed)) continue;
    if (slot.busy.exchange(true, std::memory_order_acquire)) continue;
    if (slot.context == nullptr) {
      slot.context = factory_();
      if (slot.context == nullptr) {
        slot.busy.store(false, std::memory_order_release);
        return Lease(nullptr, nullptr, nullptr);
      }
    }
    return Lease(slot.context.get(), &slot.busy, nullptr);
  }
  std::unique_ptr<VerifyContext> temporary = factory_();
  VerifyContext* context = temporary.get();
  return Lease(context, nullptr, std::move(temporary));
}

}  // namespace internal
}  // namespace authgate

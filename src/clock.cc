// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "clock.h"

#include "absl/time/clock.h"

namespace authgate {
namespace {

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace

const Clock& Clock::System() {
  static const SystemClock clock;
  return clock;
}

}  // namespace authgate

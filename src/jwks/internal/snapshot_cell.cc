// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "jwks/internal/snapshot_cell.h"

namespace authgate {
namespace internal {

uint64_t NextSnapshotCellId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace internal
}  // namespace authgate

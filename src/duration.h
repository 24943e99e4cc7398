// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// duration.h: durations in configuration documents, written as a whole
// number with a unit: "500ms", "60s", "10m", "24h", "7d".
//
//   absl::StatusOr<absl::Duration> skew = ParseConfigDuration("60s");
//
// A bare number is refused (is "60" seconds or milliseconds?), and so are
// signs, fractions and compound forms: one way to write each value.

#ifndef AUTHGATE_SRC_DURATION_H_
#define AUTHGATE_SRC_DURATION_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace authgate {

absl::StatusOr<absl::Duration> ParseConfigDuration(std::string_view text);

}  // namespace authgate

#endif  // AUTHGATE_SRC_DURATION_H_

// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "duration.h"

#include <cstdint>

#include "text.h"

namespace authgate {

absl::StatusOr<absl::Duration> ParseConfigDuration(std::string_view text) {
  size_t digits = 0;
  int64_t value = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    if (value > (INT64_C(1) << 40)) return absl::InvalidArgumentError("duration is too large");
    value = value * 10 + (text[digits] - '0');
    ++digits;
  }
  std::string_view unit = text.substr(digits);
  if (digits == 0 || unit.empty()) {
    return absl::InvalidArgumentError(StrCat(
        "\"", text.substr(0, 32), "\" is not a duration: write a whole number and a unit, "
        "one of ms, s, m, h, d (\"60s\", \"10m\")"));
  }
  if (unit == "ms") return absl::Milliseconds(value);
  if (unit == "s") return absl::Seconds(value);
  if (unit == "m") return absl::Minutes(value);
  if (unit == "h") return absl::Hours(value);
  if (unit == "d") return absl::Hours(24 * value);
  return absl::InvalidArgumentError(StrCat(
      "\"", text.substr(0, 32), "\" has an unknown unit: use ms, s, m, h or d"));
}

}  // namespace authgate

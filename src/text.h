// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// text.h: string helpers that take std::string_view.
//
//   std::string message = StrCat("key of ", bits, " bits: ", why);
//   return absl::InvalidArgumentError(ToAbsl(message_view));
//
// Why: Debian's abseil is built with ABSL_OPTION_USE_STD_STRING_VIEW 0, so
// absl::string_view is abseil's own type and absl::StrCat, absl::StrContains
// and friends do not accept a std::string_view (NOTES.md). The core speaks
// std::string_view; these helpers bridge the two.

#ifndef AUTHGATE_SRC_TEXT_H_
#define AUTHGATE_SRC_TEXT_H_

#include <charconv>
#include <string>
#include <string_view>
#include <type_traits>

#include "absl/strings/string_view.h"

namespace authgate {

inline absl::string_view ToAbsl(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}

inline std::string_view FromAbsl(absl::string_view text) {
  return std::string_view(text.data(), text.size());
}

namespace internal {

inline void AppendPiece(std::string* out, std::string_view piece) { out->append(piece); }
inline void AppendPiece(std::string* out, const std::string& piece) { out->append(piece); }
inline void AppendPiece(std::string* out, const char* piece) { out->append(piece); }
inline void AppendPiece(std::string* out, absl::string_view piece) {
  out->append(piece.data(), piece.size());
}
template <typename Integer,
          typename = std::enable_if_t<std::is_integral_v<Integer> && !std::is_same_v<Integer, bool> &&
                                      !std::is_same_v<Integer, char>>>
void AppendPiece(std::string* out, Integer value) {
  char buffer[24];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out->append(buffer, end);
}

}  // namespace internal

// StrCat concatenates strings (any view type) and integers.
template <typename... Pieces>
std::string StrCat(const Pieces&... pieces) {
  std::string out;
  (internal::AppendPiece(&out, pieces), ...);
  return out;
}

// EqualsIgnoreCase compares ASCII case-insensitively.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// AsciiLowercase returns `text` with A-Z turned into a-z (header names,
// hosts, schemes); other bytes are kept.
std::string AsciiLowercase(std::string_view text);

// StartsWithIgnoreCase tells whether `text` begins with `prefix`, ASCII
// case-insensitively.
bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix);

}  // namespace authgate

#endif  // AUTHGATE_SRC_TEXT_H_

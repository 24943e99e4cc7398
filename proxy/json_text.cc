// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "json_text.h"

#include <cstdint>

namespace authgate_cli {
namespace {

// Utf8Length returns the length of the valid UTF-8 sequence at the start of
// `text`, or 0 when it is not one.
size_t Utf8Length(std::string_view text) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(0);
  size_t length;
  uint32_t min;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2, min = 0x80;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3, min = 0x800;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4, min = 0x10000;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  uint32_t code = lead & (0x3f >> (length - 1));
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xc0) != 0x80) return 0;
    code = (code << 6) | (byte(i) & 0x3f);
  }
  if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
  return length;
}

}  // namespace

void AppendJsonString(std::string_view text, std::string* out, bool replace_invalid_utf8) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (size_t i = 0; i < text.size();) {
    // Runs of characters that need nothing are copied at once.
    size_t plain = i;
    while (plain < text.size()) {
      unsigned char p = static_cast<unsigned char>(text[plain]);
      if (p < 0x20 || p >= 0x7f || p == '"' || p == '\\') break;
      ++plain;
    }
    out->append(text.data() + i, plain - i);
    i = plain;
    if (i == text.size()) break;
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80 && replace_invalid_utf8) {
      size_t length = Utf8Length(text.substr(i));
      if (length == 0) {
        out->append("\xef\xbf\xbd");
        ++i;
      } else {
        out->append(text.substr(i, length));
        i += length;
      }
      continue;
    }
    if (c >= 0x80) {
      out->push_back(static_cast<char>(c));
    } else if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
    } else {  // a control character or DEL
      out->append("\\u00");
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 15]);
    }
    ++i;
  }
  out->push_back('"');
}

std::string JsonString(std::string_view text) {
  std::string out;
  AppendJsonString(text, &out, /*replace_invalid_utf8=*/false);
  return out;
}

}  // namespace authgate_cli

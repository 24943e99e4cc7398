// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "policy/path_normalizer.h"

#include <vector>

#include "text.h"

namespace authgate {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 2.3.
bool IsUnreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

absl::Status Invalid(std::string_view what, size_t offset) {
  return absl::InvalidArgumentError(StrCat("invalid path: ", what, " at byte ", offset));
}

// Step 1 and 2 of the header comment: validate and decode once.
absl::Status Decode(std::string_view raw, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out->reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(raw[i]);
    if (c == '%') {
      const int high = i + 1 < raw.size() ? HexValue(raw[i + 1]) : -1;
      const int low = i + 2 < raw.size() ? HexValue(raw[i + 2]) : -1;
      if (high < 0 || low < 0) return Invalid("invalid percent-escape", i);
      const unsigned char decoded = static_cast<unsigned char>(high * 16 + low);
      if (decoded == '/') return Invalid("encoded '/'", i);
      if (decoded == '\\') return Invalid("encoded '\\'", i);
      if (decoded == 0) return Invalid("encoded NUL", i);
      if (IsUnreserved(decoded)) {
        out->push_back(static_cast<char>(decoded));
      } else {
        out->push_back('%');
        out->push_back(kHex[high]);
        out->push_back(kHex[low]);
      }
      i += 2;
      continue;
    }
    if (c == '\\') return Invalid("'\\'", i);
    // A fragment is never sent; an upstream that cuts the path at '#' would
    // serve another resource than the one the rules saw.
    if (c == '#') return Invalid("'#'", i);
    if (c <= 0x20 || c == 0x7F) return Invalid("space or control character", i);
    if (c >= 0x80) return Invalid("non-ASCII byte (must be percent-encoded)", i);
    out->push_back(static_cast<char>(c));
  }
  return absl::OkStatus();
}

bool IsDotSegment(std::string_view segment) { return segment == "." || segment == ".."; }

}  // namespace

absl::StatusOr<std::string> NormalizePath(std::string_view raw_path) {
  if (raw_path.empty() || raw_path.front() != '/') {
    return absl::InvalidArgumentError("invalid path: must start with '/'");
  }
  std::string decoded;
  if (absl::Status s = Decode(raw_path, &decoded); !s.ok()) return s;

  // Step 3, on segments: an empty segment (a repeated or trailing slash) and
  // a dot segment leave the path ending in a directory.
  std::vector<std::string_view> kept;
  bool ends_in_directory = false;
  std::string_view rest = std::string_view(decoded).substr(1);
  while (true) {
    const size_t slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    if (segment.empty() || segment == ".") {
      ends_in_directory = true;
    } else if (segment == "..") {
      if (kept.empty()) return absl::InvalidArgumentError("invalid path: \"..\" above the root");
      kept.pop_back();
      ends_in_directory = true;
    } else {
      if (IsDotSegment(segment.substr(0, segment.find(';')))) {
        return absl::InvalidArgumentError("invalid path: dot segment with parameters (\"..;\")");
      }
      kept.push_back(segment);
      ends_in_directory = false;
    }
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }

  std::string path;
  path.reserve(decoded.size());
  for (std::string_view segment : kept) {
    path.push_back('/');
    path.append(segment);
  }
  if (path.empty() || ends_in_directory) path.push_back('/');
  return path;
}

std::string PathForMatching(std::string_view normalized_path) {
  std::string out;
  out.reserve(normalized_path.size());
  bool in_parameters = false;
  for (char c : normalized_path) {
    if (c == '/') {
      in_parameters = false;
    } else if (c == ';') {
      in_parameters = true;
    }
    if (in_parameters || (c == '/' && !out.empty() && out.back() == '/')) continue;
    out.push_back(c);
  }
  return out;
}

}  // namespace authgate

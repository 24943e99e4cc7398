// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "oidc/redirect_target.h"

namespace authgate {
namespace {

constexpr size_t kMaxTargetSize = 4096;
// "%25252F" is "/" after three decodings; a target that still changes after
// this many is refused rather than decoded further.
constexpr int kMaxDecodings = 4;

// UTF-8 of characters that look like '/' or '\' and that Unicode
// normalisation (NFKC) or a lax URL parser may turn into one.
constexpr std::string_view kSlashLookalikes[] = {
    "\xEF\xBC\x8F",  // U+FF0F fullwidth solidus
    "\xEF\xBC\xBC",  // U+FF3C fullwidth reverse solidus
    "\xEF\xB9\xA8",  // U+FE68 small reverse solidus
    "\xE2\x88\x95",  // U+2215 division slash
    "\xE2\x88\x96",  // U+2216 set minus
    "\xE2\x81\x84",  // U+2044 fraction slash
    "\xE2\xA7\xB8",  // U+29F8 big solidus
    "\xE2\xA7\xB9",  // U+29F9 big reverse solidus
};

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX once. A '%' not followed by two hex digits fails when
// `strict` (the target as sent must be well-formed) and is kept as it is
// otherwise (a decoded "%" is data, which a second decoder also keeps).
bool PercentDecode(std::string_view in, bool strict, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      int high = i + 2 < in.size() ? HexValue(in[i + 1]) : -1;
      int low = i + 2 < in.size() ? HexValue(in[i + 2]) : -1;
      if (high >= 0 && low >= 0) {
        out->push_back(static_cast<char>(high * 16 + low));
        i += 2;
        continue;
      }
      if (strict) return false;
    }
    out->push_back(in[i]);
  }
  return true;
}

bool IsControl(char c) {
  auto byte = static_cast<unsigned char>(c);
  return byte < 0x20 || byte == 0x7f;
}

// The checks every decoding of the target must pass.
bool IsSafeForm(std::string_view form) {
  if (form.size() < 1 || form[0] != '/') return false;
  if (form.size() > 1 && (form[1] == '/' || form[1] == '\\')) return false;
  for (std::string_view lookalike : kSlashLookalikes) {
    if (form.substr(1, lookalike.size()) == lookalike) return false;
  }
  for (char c : form) {
    if (IsControl(c) || c == '\\') return false;
  }
  // Dot segments: "/./" and "/../" resolve away and can leave "//host".
  std::string_view path = form.substr(0, form.find('?'));
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view segment = path.substr(start, end - start);
    if (segment == "." || segment == "..") return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

std::optional<std::string> SafeReturnTarget(std::string_view target) {
  if (target.empty() || target.size() > kMaxTargetSize) return std::nullopt;
  // As sent: printable ASCII only (no space, no raw UTF-8), no fragment.
  for (char c : target) {
    auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f || c == '#') return std::nullopt;
  }
  std::string form(target), decoded;
  for (int round = 0;; ++round) {
    if (!IsSafeForm(form)) return std::nullopt;
    if (!PercentDecode(form, /*strict=*/round == 0, &decoded)) return std::nullopt;
    if (decoded == form) return std::string(target);
    if (round == kMaxDecodings) return std::nullopt;
    form.swap(decoded);
  }
}

}  // namespace authgate

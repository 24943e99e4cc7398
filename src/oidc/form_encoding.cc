// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "oidc/form_encoding.h"

namespace authgate {
namespace {

bool IsUnreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

}  // namespace

std::string FormUrlEncode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (IsUnreserved(c)) {
      out.push_back(c);
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      auto byte = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 15]);
    }
  }
  return out;
}

void AppendFormParam(std::string* out, std::string_view name, std::string_view value) {
  if (!out->empty()) out->push_back('&');
  out->append(FormUrlEncode(name));
  out->push_back('=');
  out->append(FormUrlEncode(value));
}

std::string WithQuery(std::string_view url, std::string_view query) {
  std::string out(url);
  if (query.empty()) return out;
  size_t question = out.find('?');
  if (question == std::string::npos) {
    out.push_back('?');
  } else if (question + 1 != out.size() && out.back() != '&') {
    out.push_back('&');
  }
  out.append(query);
  return out;
}

}  // namespace authgate

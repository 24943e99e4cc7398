// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "net/query_string.h"

namespace authgate {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

template <typename Visit>
void ForEachPair(std::string_view query, Visit visit) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (!pair.empty()) visit(pair);
  }
}

}  // namespace

std::string FormDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
               HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

QueryParams ParseQueryString(std::string_view query) {
  QueryParams params;
  ForEachPair(query, [&](std::string_view pair) {
    size_t eq = pair.find('=');
    params.emplace_back(FormDecode(pair.substr(0, eq)),
                        eq == std::string_view::npos ? std::string()
                                                     : FormDecode(pair.substr(eq + 1)));
  });
  return params;
}

std::string RemoveQueryParams(std::string_view query, std::string_view name) {
  std::string out;
  ForEachPair(query, [&](std::string_view pair) {
    if (FormDecode(pair.substr(0, pair.find('='))) == name) return;
    if (!out.empty()) out.push_back('&');
    out.append(pair);
  });
  return out;
}

}  // namespace authgate

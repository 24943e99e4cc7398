// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "session/cookie_jar.h"

#include "text.h"

namespace authgate {
namespace {

std::string_view TrimSpaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

CookieJar CookieJar::FromRequest(const Request& request) {
  CookieJar jar;
  for (const auto& [name, value] : request.headers) {
    if (EqualsIgnoreCase(name, "cookie")) jar.Add(value);
  }
  return jar;
}

CookieJar CookieJar::Parse(std::string_view header) {
  CookieJar jar;
  jar.Add(header);
  return jar;
}

void CookieJar::Add(std::string_view header) {
  while (!header.empty()) {
    size_t end = header.find(';');
    std::string_view pair = TrimSpaces(header.substr(0, end));
    header = end == std::string_view::npos ? std::string_view() : header.substr(end + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos) {
      cookies_.emplace_back(std::string(), std::string(pair));
    } else {
      cookies_.emplace_back(std::string(TrimSpaces(pair.substr(0, eq))),
                            std::string(TrimSpaces(pair.substr(eq + 1))));
    }
  }
}

std::optional<std::string_view> CookieJar::Get(std::string_view name) const {
  for (const auto& [key, value] : cookies_) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

size_t CookieJar::Count(std::string_view name) const {
  size_t count = 0;
  for (const auto& cookie : cookies_) count += cookie.first == name ? 1 : 0;
  return count;
}

std::string RemoveCookies(const CookieJar& jar,
                          const std::function<bool(std::string_view name)>& remove) {
  std::string header;
  for (const auto& [name, value] : jar.cookies()) {
    if (remove(name)) continue;
    if (!header.empty()) header += "; ";
    // A nameless cookie is written as its value alone, as browsers send it,
    // unless that reads back otherwise: "=a=b" written as "a=b" would be a
    // cookie named "a" (maybe one of those just removed), and "=" written as
    // "" no cookie at all.
    if (name.empty() && !value.empty() && value.find('=') == std::string::npos) {
      header += value;
    } else {
      header += StrCat(name, "=", value);
    }
  }
  return header;
}

}  // namespace authgate

// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "policy/token_extractor.h"

#include <algorithm>
#include <optional>
#include <string_view>
#include <utility>

#include "session/cookie_jar.h"
#include "text.h"

namespace authgate {
namespace {

// RFC 9110 5.6.2.
bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsToken(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), IsTokenChar);
}

bool HasControl(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; });
}

std::string_view TrimTrailingWhitespace(std::string_view text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes a query component; an invalid escape is kept as it is (the
// token then fails verification rather than vanishing).
std::string PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const bool escape = text[i] == '%' && i + 2 < text.size();
    const int high = escape ? HexValue(text[i + 1]) : -1;
    const int low = escape ? HexValue(text[i + 2]) : -1;
    if (high >= 0 && low >= 0) {
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// The token in `value` after `prefix`, or nullopt when the value does not
// start with it.
std::optional<std::string_view> AfterPrefix(std::string_view value, std::string_view prefix) {
  if (StartsWithIgnoreCase(value, prefix)) {
    std::string_view token = value.substr(prefix.size());
    if (!prefix.empty() && prefix.back() == ' ') {
      while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    }
    return TrimTrailingWhitespace(token);
  }
  // "Bearer " with its space trimmed away by the HTTP parser: the scheme is
  // there, the token is empty.
  const std::string_view bare_prefix = TrimTrailingWhitespace(prefix);
  if (!bare_prefix.empty() && bare_prefix.size() < prefix.size() &&
      EqualsIgnoreCase(TrimTrailingWhitespace(value), bare_prefix)) {
    return std::string_view();
  }
  return std::nullopt;
}

absl::Status ReadNameList(ConfigObject* provider, std::string_view key, bool cookie_names,
                          std::vector<std::string>* out, bool* given) {
  const JsonValue list = provider->Get(key);
  *given = list.valid();
  if (!list.valid()) return absl::OkStatus();
  if (!list.is_array()) return provider->Error(key, "must be a list of names");
  if (list.size() == 0) return provider->Error(key, "must not be empty (omit it)");
  size_t index = 0;
  for (JsonValue name : list.elements()) {
    const std::string element = StrCat(key, "[", index++, "]");
    if (!name.is_string()) return provider->Error(element, "must be a string");
    const bool valid = cookie_names ? IsToken(name.string())
                                    : !name.string().empty() && !HasControl(name.string());
    if (!valid) {
      return provider->Error(
          element, cookie_names ? "must be a cookie name" : "must be a non-empty parameter name");
    }
    out->emplace_back(name.string());
  }
  return absl::OkStatus();
}

absl::Status ReadHeaders(ConfigObject* provider, TokenLocations* out, bool* given) {
  const JsonValue list = provider->Get("from_headers");
  *given = list.valid();
  if (!list.valid()) return absl::OkStatus();
  if (!list.is_array()) {
    return provider->Error("from_headers", "must be a list of {name, value_prefix} objects");
  }
  if (list.size() == 0) return provider->Error("from_headers", "must not be empty (omit it)");
  size_t index = 0;
  for (JsonValue element : list.elements()) {
    absl::StatusOr<ConfigObject> header =
        ConfigObject::Open(element, StrCat(provider->Path("from_headers"), "[", index++, "]"));
    if (!header.ok()) return header.status();
    std::optional<std::string> name, prefix;
    if (absl::Status s = header->GetString("name", &name); !s.ok()) return s;
    if (absl::Status s = header->GetString("value_prefix", &prefix); !s.ok()) return s;
    if (absl::Status s = header->CheckAllKeysKnown(); !s.ok()) return s;
    if (!name) return header->Error("name", "is required");
    if (!IsToken(*name)) return header->Error("name", "must be a header name");
    if (prefix && HasControl(*prefix)) {
      return header->Error("value_prefix", "must not contain control characters");
    }
    TokenLocations::Header location;
    location.name = std::move(*name);
    location.value_prefix = prefix.value_or("");
    out->headers.push_back(std::move(location));
  }
  return absl::OkStatus();
}

bool SameHeader(const TokenLocations::Header& a, const TokenLocations::Header& b) {
  return EqualsIgnoreCase(a.name, b.name) && EqualsIgnoreCase(a.value_prefix, b.value_prefix);
}

ExtractedToken MakeToken(std::string value, ExtractedToken::Where where, std::string name) {
  ExtractedToken token;
  token.value = std::move(value);
  token.where = where;
  token.name = std::move(name);
  return token;
}

void AddUnique(const std::vector<std::string>& names, std::vector<std::string>* out) {
  for (const std::string& name : names) {
    if (std::find(out->begin(), out->end(), name) == out->end()) out->push_back(name);
  }
}

}  // namespace

absl::Status ParseTokenLocations(ConfigObject* provider, TokenLocations* out) {
  TokenLocations locations;
  bool has_headers = false, has_params = false, has_cookies = false;
  if (absl::Status s = ReadHeaders(provider, &locations, &has_headers); !s.ok()) return s;
  if (absl::Status s = ReadNameList(provider, "from_params", /*cookie_names=*/false,
                                    &locations.params, &has_params);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadNameList(provider, "from_cookies", /*cookie_names=*/true,
                                    &locations.cookies, &has_cookies);
      !s.ok()) {
    return s;
  }
  if (!has_headers && !has_params && !has_cookies) {
    TokenLocations::Header bearer;
    bearer.name = "Authorization";
    bearer.value_prefix = "Bearer ";
    locations.headers.push_back(std::move(bearer));
  }
  *out = std::move(locations);
  return absl::OkStatus();
}

std::vector<ExtractedToken> ExtractTokens(const Request& request,
                                          const std::vector<const TokenLocations*>& locations) {
  std::vector<TokenLocations::Header> headers;
  std::vector<std::string> params, cookies;
  for (const TokenLocations* provider : locations) {
    for (const TokenLocations::Header& header : provider->headers) {
      const bool seen = std::any_of(headers.begin(), headers.end(),
                                    [&](const auto& h) { return SameHeader(h, header); });
      if (!seen) headers.push_back(header);
    }
    AddUnique(provider->params, &params);
    AddUnique(provider->cookies, &cookies);
  }

  std::vector<ExtractedToken> tokens;
  for (const auto& [name, value] : request.headers) {
    const TokenLocations::Header* best = nullptr;
    std::string_view best_token;
    for (const TokenLocations::Header& header : headers) {
      if (!EqualsIgnoreCase(name, header.name)) continue;
      std::optional<std::string_view> token = AfterPrefix(value, header.value_prefix);
      if (token && (best == nullptr || header.value_prefix.size() > best->value_prefix.size())) {
        best = &header;
        best_token = *token;
      }
    }
    if (best != nullptr) {
      tokens.push_back(
          MakeToken(std::string(best_token), ExtractedToken::Where::kHeader, best->name));
    }
  }

  if (!params.empty()) {
    std::string_view query = request.Query();
    while (!query.empty()) {
      const size_t end = query.find('&');
      const std::string_view pair = query.substr(0, end);
      query = end == std::string_view::npos ? std::string_view() : query.substr(end + 1);
      const size_t eq = pair.find('=');
      const std::string name = PercentDecode(pair.substr(0, eq));
      if (std::find(params.begin(), params.end(), name) == params.end()) continue;
      const std::string_view value =
          eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
      tokens.push_back(MakeToken(PercentDecode(value), ExtractedToken::Where::kParam, name));
    }
  }

  if (!cookies.empty()) {
    const CookieJar jar = CookieJar::FromRequest(request);
    for (const auto& [name, value] : jar.cookies()) {
      if (std::find(cookies.begin(), cookies.end(), name) == cookies.end()) continue;
      tokens.push_back(MakeToken(value, ExtractedToken::Where::kCookie, name));
    }
  }
  return tokens;
}

}  // namespace authgate

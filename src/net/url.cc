// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "net/url.h"

#include "text.h"

namespace authgate {
namespace {

bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

// 127.x.y.z written as four decimal octets.
bool IsIpv4Loopback(std::string_view host) {
  int octets = 0;
  size_t i = 0;
  int first = -1;
  while (i <= host.size()) {
    size_t start = i;
    int value = 0;
    while (i < host.size() && host[i] >= '0' && host[i] <= '9' && i - start < 3) {
      value = value * 10 + (host[i] - '0');
      ++i;
    }
    if (i == start || value > 255) return false;
    if (first < 0) first = value;
    ++octets;
    if (i == host.size()) break;
    if (host[i] != '.') return false;
    ++i;
  }
  return octets == 4 && first == 127;
}

// Bad quotes the URL in the error, with any user information (credentials)
// replaced by "***": error messages end up in logs.
absl::Status Bad(std::string_view text, std::string_view why) {
  std::string shown(text.substr(0, 200));
  size_t scheme_end = shown.find("://");
  size_t authority_start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  size_t authority_end = shown.find_first_of("/?#", authority_start);
  size_t at = shown.rfind('@', authority_end == std::string::npos ? shown.size() : authority_end);
  if (at != std::string::npos && at >= authority_start) {
    shown.replace(authority_start, at - authority_start, "***");
  }
  return absl::InvalidArgumentError(ToAbsl(StrCat("URL \"", shown, "\": ", why)));
}

}  // namespace

absl::StatusOr<Url> Url::Parse(std::string_view text) {
  Url url;
  size_t colon = text.find("://");
  if (colon == std::string_view::npos) return Bad(text, "needs a scheme (https://...)");
  url.scheme = AsciiLowercase(text.substr(0, colon));
  if (url.scheme != "http" && url.scheme != "https") {
    return Bad(text, "scheme must be http or https");
  }
  std::string_view rest = text.substr(colon + 3);
  for (char c : rest) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return Bad(text, "contains whitespace or control characters");
    }
  }
  if (rest.find('#') != std::string_view::npos) return Bad(text, "must not have a fragment");
  size_t path_start = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_start);
  url.path = path_start == std::string_view::npos ? "/" : std::string(rest.substr(path_start));
  if (!url.path.empty() && url.path[0] == '?') url.path = "/" + url.path;
  if (authority.find('@') != std::string_view::npos) {
    return Bad(text, "must not carry user information");
  }
  std::string_view port_text;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return Bad(text, "unterminated IPv6 literal");
    url.host = AsciiLowercase(authority.substr(0, close + 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Bad(text, "bad characters after the IPv6 literal");
      port_text = after.substr(1);
      if (port_text.empty()) return Bad(text, "empty port");
    }
    for (char c : url.host.substr(1, url.host.size() - 2)) {
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == ':' || c == '.')) {
        return Bad(text, "bad IPv6 literal");
      }
    }
  } else {
    size_t port_colon = authority.rfind(':');
    std::string_view host = authority.substr(0, port_colon);
    if (port_colon != std::string_view::npos) {
      port_text = authority.substr(port_colon + 1);
      if (port_text.empty()) return Bad(text, "empty port");
    }
    for (char c : host) {
      if (!IsHostChar(c)) return Bad(text, "bad character in the host");
    }
    url.host = AsciiLowercase(host);
  }
  if (url.host.empty() || url.host == "[]") return Bad(text, "has no host");
  if (!port_text.empty()) {
    int port = 0;
    for (char c : port_text) {
      if (c < '0' || c > '9' || port > 65535) return Bad(text, "bad port");
      port = port * 10 + (c - '0');
    }
    if (port == 0 || port > 65535) return Bad(text, "port out of range");
    url.port = static_cast<uint16_t>(port);
  } else {
    url.port = url.scheme == "https" ? 443 : 80;
  }
  return url;
}

std::string_view HostOfAuthority(std::string_view authority) {
  std::string_view host = authority;
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    if (close != std::string_view::npos) host = host.substr(0, close + 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  return host;
}

bool IsDomainName(std::string_view name) {
  while (true) {
    const size_t dot = name.find('.');
    const std::string_view label = name.substr(0, dot);
    if (label.empty()) return false;
    for (char c : label) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
        return false;
      }
    }
    if (dot == std::string_view::npos) return true;
    name.remove_prefix(dot + 1);
  }
}

bool Url::IsLoopback() const {
  return host == "localhost" || host == "[::1]" || IsIpv4Loopback(host);
}

std::string Url::ToString() const {
  bool default_port = (scheme == "https" && port == 443) || (scheme == "http" && port == 80);
  return StrCat(scheme, "://", host, default_port ? "" : StrCat(":", port), path);
}

absl::Status CheckFetchAllowed(const Url& url, bool allow_insecure_http) {
  if (url.scheme == "https" || url.IsLoopback() || allow_insecure_http) return absl::OkStatus();
  return absl::FailedPreconditionError(ToAbsl(StrCat(
      "refusing plain http to ", url.host,
      ": use https (http is allowed only for localhost, 127.0.0.0/8 and [::1] unless "
      "allow_insecure_http is set)")));
}

}  // namespace authgate

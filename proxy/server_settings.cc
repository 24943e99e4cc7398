// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "server_settings.h"

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <cstring>
#include <limits>
#include <string>
#include <utility>

namespace authgate_cli {
namespace {

bool Fail(std::string* error, const std::string& key, const std::string& why) {
  *error = key + ": " + why;
  return false;
}

bool ParsePort(std::string_view text, uint16_t* out) {
  if (text.empty() || text.size() > 5) return false;
  uint32_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value > 65535) return false;
  *out = static_cast<uint16_t>(value);
  return true;
}

// SplitHostPort takes "host:port" or "[v6]:port".
bool SplitHostPort(std::string_view text, std::string* host, uint16_t* port) {
  size_t colon;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return false;
    }
    *host = std::string(text.substr(1, close - 1));
    colon = close + 1;
  } else {
    colon = text.rfind(':');
    if (colon == std::string_view::npos) return false;
    *host = std::string(text.substr(0, colon));
    if (host->find(':') != std::string::npos) return false;  // IPv6 needs brackets
  }
  return !host->empty() && ParsePort(text.substr(colon + 1), port);
}

bool ParseAddress(std::string_view text, AddressRange* out) {
  std::string literal(text);
  if (inet_pton(AF_INET, literal.c_str(), out->bytes.data()) == 1) {
    out->ipv6 = false;
    return true;
  }
  if (inet_pton(AF_INET6, literal.c_str(), out->bytes.data()) == 1) {
    out->ipv6 = true;
    return true;
  }
  return false;
}

bool MatchesPrefix(const uint8_t* a, const uint8_t* b, int bits) {
  int whole = bits / 8;
  if (std::memcmp(a, b, static_cast<size_t>(whole)) != 0) return false;
  int rest = bits % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

// ParseDuration reads the configuration's duration syntax: a whole number
// and one unit of ms, s, m, h.
bool ParseDuration(const std::string& text, std::chrono::milliseconds* out) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 9) return false;
  long long value = std::stoll(text.substr(0, digits));
  std::string unit = text.substr(digits);
  long long scale;
  if (unit == "ms") {
    scale = 1;
  } else if (unit == "s") {
    scale = 1000;
  } else if (unit == "m") {
    scale = 60'000;
  } else if (unit == "h") {
    scale = 3'600'000;
  } else {
    return false;
  }
  *out = std::chrono::milliseconds(value * scale);
  return true;
}

class ServerReader {
 public:
  ServerReader(const YAML::Node& node, std::string* error) : node_(node), error_(error) {}

  bool Check() {
    if (!node_ || node_.IsNull()) return true;
    if (!node_.IsMap()) return Fail(error_, "server", "must be a mapping");
    static const char* const kKeys[] = {
        "threads", "max_connections", "max_header_bytes", "header_timeout", "idle_timeout",
        "read_timeout", "upstream_connect_timeout", "upstream_timeout", "shutdown_timeout",
        "trusted_proxies", "auth_request_path", "auth_request_proxy",
        "auth_request_redirect_status", "access_log", "tls", "upstream_tls"};
    for (const auto& member : node_) {
      std::string key = member.first.Scalar();
      bool known = false;
      for (const char* k : kKeys) known |= key == k;
      if (!known) return Fail(error_, "server." + key, "unknown key");
    }
    return true;
  }

  bool Integer(const char* key, long long min, long long max, int* out) {
    YAML::Node value = node_ ? node_[key] : YAML::Node();
    if (!value || value.IsNull()) return true;
    std::string text = value.IsScalar() ? value.Scalar() : std::string();
    std::string name = std::string("server.") + key;
    std::string why = "must be an integer from " + std::to_string(min) + " to " + std::to_string(max);
    if (text.empty() || text.size() > 10 || value.Tag() == "!") return Fail(error_, name, why);
    for (char c : text) {
      if (c < '0' || c > '9') return Fail(error_, name, why);
    }
    long long number = std::stoll(text);
    if (number < min || number > max) return Fail(error_, name, why);
    *out = static_cast<int>(number);
    return true;
  }

  bool Duration(const char* key, std::chrono::milliseconds* out) {
    YAML::Node value = node_ ? node_[key] : YAML::Node();
    if (!value || value.IsNull()) return true;
    std::chrono::milliseconds parsed;
    if (!value.IsScalar() || !ParseDuration(value.Scalar(), &parsed) || parsed.count() == 0) {
      return Fail(error_, std::string("server.") + key,
                  "must be a positive duration such as \"500ms\", \"10s\", \"5m\"");
    }
    *out = parsed;
    return true;
  }

  bool Boolean(const char* key, bool* out) {
    YAML::Node value = node_ ? node_[key] : YAML::Node();
    if (!value || value.IsNull()) return true;
    if (!value.IsScalar() || value.Tag() == "!" ||
        (value.Scalar() != "true" && value.Scalar() != "false")) {
      return Fail(error_, std::string("server.") + key, "must be true or false");
    }
    *out = value.Scalar() == "true";
    return true;
  }

  bool String(const YAML::Node& parent, const std::string& name, const char* key,
              std::string* out) {
    YAML::Node value = parent[key];
    if (!value || value.IsNull()) return true;
    if (!value.IsScalar()) return Fail(error_, name + "." + key, "must be a string");
    *out = value.Scalar();
    return true;
  }

  bool Section(const char* key, std::initializer_list<const char*> keys, YAML::Node* out) {
    *out = node_ ? node_[key] : YAML::Node();
    if (!*out || out->IsNull()) return true;
    std::string name = std::string("server.") + key;
    if (!out->IsMap()) return Fail(error_, name, "must be a mapping");
    for (const auto& member : *out) {
      bool known = false;
      for (const char* k : keys) known |= member.first.Scalar() == k;
      if (!known) return Fail(error_, name + "." + member.first.Scalar(), "unknown key");
    }
    return true;
  }

  const YAML::Node& node() const { return node_; }

 private:
  YAML::Node node_;
  std::string* error_;
};

}  // namespace

bool ParseAddressRange(std::string_view text, AddressRange* out) {
  size_t slash = text.find('/');
  if (!ParseAddress(text.substr(0, slash), out)) return false;
  int max_bits = out->ipv6 ? 128 : 32;
  out->prefix_bits = max_bits;
  if (slash == std::string_view::npos) return true;
  std::string_view bits = text.substr(slash + 1);
  if (bits.empty() || bits.size() > 3) return false;
  int value = 0;
  for (char c : bits) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  if (value > max_bits) return false;
  out->prefix_bits = value;
  return true;
}

bool IsIpAddress(std::string_view text) {
  AddressRange ignored;
  return text.find('\0') == std::string_view::npos && ParseAddress(text, &ignored);
}

bool InRanges(const std::vector<AddressRange>& ranges, std::string_view address) {
  AddressRange parsed;
  if (address.find('\0') != std::string_view::npos || !ParseAddress(address, &parsed)) {
    return false;
  }
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (parsed.ipv6 && std::memcmp(parsed.bytes.data(), kMapped, 12) == 0) {
    std::memmove(parsed.bytes.data(), parsed.bytes.data() + 12, 4);
    parsed.ipv6 = false;
  }
  for (const AddressRange& range : ranges) {
    if (range.ipv6 == parsed.ipv6 &&
        MatchesPrefix(range.bytes.data(), parsed.bytes.data(), range.prefix_bits)) {
      return true;
    }
  }
  return false;
}

bool ParseServerSettings(const std::string& listen, const std::string& upstream,
                         const std::string& admin, const YAML::Node& server,
                         ServerSettings* out, std::string* error) {
  if (listen.empty()) return Fail(error, "listen", "required (host:port)");
  if (!SplitHostPort(listen, &out->listen.host, &out->listen.port)) {
    return Fail(error, "listen", "must be host:port (or [ipv6]:port)");
  }
  if (!admin.empty()) {
    HostPort address;
    if (!SplitHostPort(admin, &address.host, &address.port)) {
      return Fail(error, "admin", "must be host:port (or [ipv6]:port)");
    }
    out->admin = address;
  }
  if (upstream.empty()) return Fail(error, "upstream", "required (http://host:port)");
  std::string_view rest = upstream;
  if (rest.rfind("http://", 0) == 0) {
    rest.remove_prefix(7);
  } else if (rest.rfind("https://", 0) == 0) {
    rest.remove_prefix(8);
    out->upstream.tls = true;
  } else {
    return Fail(error, "upstream", "must start with http:// or https://");
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.empty() || rest.find_first_of("/?#@") != std::string_view::npos) {
    return Fail(error, "upstream", "must be scheme://host[:port] without path, query or user");
  }
  bool has_port = rest.front() == '[' ? rest.find("]:") != std::string_view::npos
                                     : rest.find(':') != std::string_view::npos;
  if (has_port) {
    if (!SplitHostPort(rest, &out->upstream.host, &out->upstream.port)) {
      return Fail(error, "upstream", "bad host:port");
    }
  } else {
    if (rest.front() == '[') rest = rest.substr(1, rest.size() - 2);
    out->upstream.host = std::string(rest);
    out->upstream.port = out->upstream.tls ? 443 : 80;
  }
  if (out->upstream.host.empty() || out->upstream.port == 0) {
    return Fail(error, "upstream", "needs a host and a non-zero port");
  }

  ServerReader reader(server, error);
  if (!reader.Check() || !reader.Integer("threads", 0, 256, &out->threads) ||
      !reader.Integer("max_connections", 1, 1'000'000, &out->max_connections)) {
    return false;
  }
  int header_bytes = static_cast<int>(out->max_header_bytes);
  if (!reader.Integer("max_header_bytes", 1024, 16 * 1024 * 1024, &header_bytes)) return false;
  out->max_header_bytes = static_cast<uint32_t>(header_bytes);
  if (!reader.Duration("header_timeout", &out->header_timeout) ||
      !reader.Duration("idle_timeout", &out->idle_timeout) ||
      !reader.Duration("read_timeout", &out->read_timeout) ||
      !reader.Duration("upstream_connect_timeout", &out->upstream_connect_timeout) ||
      !reader.Duration("upstream_timeout", &out->upstream_timeout) ||
      !reader.Duration("shutdown_timeout", &out->shutdown_timeout) ||
      !reader.Boolean("access_log", &out->access_log) ||
      !reader.Integer("auth_request_redirect_status", 302, 401,
                      &out->auth_request_redirect_status)) {
    return false;
  }
  if (out->auth_request_redirect_status != 302 && out->auth_request_redirect_status != 401) {
    return Fail(error, "server.auth_request_redirect_status", "must be 401 or 302");
  }
  if (!reader.String(server ? server : YAML::Node(), "server", "auth_request_path",
                     &out->auth_request_path)) {
    return false;
  }
  if (!out->auth_request_path.empty() &&
      (out->auth_request_path.front() != '/' || out->auth_request_path.size() < 2 ||
       out->auth_request_path.back() == '/' ||
       out->auth_request_path.find_first_of("?#% ") != std::string::npos)) {
    return Fail(error, "server.auth_request_path",
                "must be an absolute path without a trailing '/', query or escapes (\"\" disables)");
  }

  YAML::Node proxies = server && server.IsMap() ? server["trusted_proxies"] : YAML::Node();
  if (proxies && !proxies.IsNull()) {
    if (!proxies.IsSequence()) {
      return Fail(error, "server.trusted_proxies", "must be a list of addresses or CIDR blocks");
    }
    for (size_t i = 0; i < proxies.size(); ++i) {
      AddressRange range;
      if (!proxies[i].IsScalar() || !ParseAddressRange(proxies[i].Scalar(), &range)) {
        return Fail(error, "server.trusted_proxies[" + std::to_string(i) + "]",
                    "must be an IP address or CIDR block such as 10.0.0.0/8");
      }
      out->trusted_proxies.push_back(range);
    }
  }

  std::string proxy;
  if (!reader.String(server ? server : YAML::Node(), "server", "auth_request_proxy", &proxy)) {
    return false;
  }
  static constexpr std::pair<std::string_view, AuthRequestProxy> kProxies[] = {
      {"nginx", AuthRequestProxy::kNginx},
      {"caddy", AuthRequestProxy::kCaddy},
      {"traefik", AuthRequestProxy::kTraefik},
      {"envoy", AuthRequestProxy::kEnvoy}};
  for (const auto& [name, kind] : kProxies) {
    if (proxy == name) out->auth_request_proxy = kind;
  }
  if (!proxy.empty() && out->auth_request_proxy == AuthRequestProxy::kNone) {
    return Fail(error, "server.auth_request_proxy", "must be nginx, caddy, traefik or envoy");
  }
  // The auth endpoint answers with identity headers (and, with
  // forward_bearer_token, the access token): only to a proxy named here,
  // whose own headers say what the original request was.
  if (!out->auth_request_path.empty()) {
    if (out->auth_request_proxy == AuthRequestProxy::kNone) {
      return Fail(error, "server.auth_request_proxy",
                  "required with server.auth_request_path: nginx, caddy, traefik or envoy (the "
                  "proxy that sends the auth requests; it decides which headers are believed)");
    }
    if (out->trusted_proxies.empty()) {
      return Fail(error, "server.trusted_proxies",
                  "required with server.auth_request_path: the addresses of the proxy that "
                  "sends the auth requests (e.g. [127.0.0.1])");
    }
  } else if (out->auth_request_proxy != AuthRequestProxy::kNone) {
    return Fail(error, "server.auth_request_proxy",
                "only applies with server.auth_request_path (the auth-request mode is off)");
  }

  YAML::Node tls, upstream_tls;
  if (!reader.Section("tls", {"cert_file", "key_file"}, &tls) ||
      !reader.Section("upstream_tls", {"ca_file", "server_name"}, &upstream_tls)) {
    return false;
  }
  if (tls && !tls.IsNull()) {
    if (!reader.String(tls, "server.tls", "cert_file", &out->tls_cert_file) ||
        !reader.String(tls, "server.tls", "key_file", &out->tls_key_file)) {
      return false;
    }
    if (out->tls_cert_file.empty() || out->tls_key_file.empty()) {
      return Fail(error, "server.tls", "needs both cert_file and key_file");
    }
  }
  if (upstream_tls && !upstream_tls.IsNull()) {
    if (!out->upstream.tls) {
      return Fail(error, "server.upstream_tls", "only applies to an https:// upstream");
    }
    if (!reader.String(upstream_tls, "server.upstream_tls", "ca_file", &out->upstream_ca_file) ||
        !reader.String(upstream_tls, "server.upstream_tls", "server_name",
                       &out->upstream_server_name)) {
      return false;
    }
  }
  return true;
}

}  // namespace authgate_cli

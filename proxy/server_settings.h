// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// server_settings.h: the sidecar's own configuration (`listen`, `upstream`,
// `admin` and the `server` section, docs/config.md "sidecar"), parsed and
// checked before anything listens. The engine's keys are not here: they go
// to authgate_engine_new() as JSON (yaml_config.h).

#ifndef AUTHGATE_PROXY_SERVER_SETTINGS_H_
#define AUTHGATE_PROXY_SERVER_SETTINGS_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace YAML {
class Node;
}

namespace authgate_cli {

// HostPort is a listening address: an IP literal or a name, and a port (0:
// the kernel picks one).
struct HostPort {
  std::string host;  // without brackets
  uint16_t port = 0;
};

// UpstreamUrl is where allowed requests go: http:// or https://, no path.
struct UpstreamUrl {
  bool tls = false;
  std::string host;
  uint16_t port = 0;
};

// AddressRange is a CIDR block ("10.0.0.0/8", "::1/128"; a bare address is
// a /32 or /128).
struct AddressRange {
  bool ipv6 = false;
  std::array<uint8_t, 16> bytes{};
  int prefix_bits = 0;
};

// InRanges tells whether the IP literal `address` falls in one of `ranges`.
// An IPv4-mapped IPv6 address ("::ffff:10.1.2.3") is compared as IPv4.
bool InRanges(const std::vector<AddressRange>& ranges, std::string_view address);

// ParseAddressRange reads "10.0.0.0/8", "::1/128" or a bare address.
bool ParseAddressRange(std::string_view text, AddressRange* out);

// IsIpAddress tells whether `text` is an IPv4 or IPv6 literal (no brackets,
// no port).
bool IsIpAddress(std::string_view text);

// AuthRequestProxy is the proxy in front of the auth-request endpoint: it
// decides which of the auth request's headers carry the original request
// (docs/config.md "auth-request mode").
enum class AuthRequestProxy { kNone, kNginx, kCaddy, kTraefik, kEnvoy };

struct ServerSettings {
  HostPort listen;
  UpstreamUrl upstream;
  std::optional<HostPort> admin;

  int threads = 0;  // 0: one per core
  int max_connections = 10000;
  uint32_t max_header_bytes = 64 * 1024;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds read_timeout{60'000};
  std::chrono::milliseconds upstream_connect_timeout{5'000};
  std::chrono::milliseconds upstream_timeout{60'000};
  std::chrono::milliseconds shutdown_timeout{30'000};
  std::vector<AddressRange> trusted_proxies;  // default: none
  std::string auth_request_path;             // "": the auth-request mode is off
  AuthRequestProxy auth_request_proxy = AuthRequestProxy::kNone;  // required with the path
  int auth_request_redirect_status = 401;            // or 302
  bool access_log = true;
  std::string tls_cert_file;  // both set: TLS on the main listener
  std::string tls_key_file;
  std::string upstream_ca_file;      // "": the system's CAs
  std::string upstream_server_name;  // "": the upstream's host
};

// ParseServerSettings fills `out` from the top-level `listen`, `upstream`
// and `admin` strings and the `server` mapping (`server` may be a null
// node). On failure returns false with *error naming the key.
bool ParseServerSettings(const std::string& listen, const std::string& upstream,
                         const std::string& admin, const YAML::Node& server,
                         ServerSettings* out, std::string* error);

}  // namespace authgate_cli

#endif  // AUTHGATE_PROXY_SERVER_SETTINGS_H_

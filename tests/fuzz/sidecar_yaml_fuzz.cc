// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzzes the sidecar's configuration as `authgate serve` and `check-config`
// read it: the YAML (proxy/yaml_config) split into the server settings and
// the engine's JSON document, then that document read by ParseEngineConfig
// (pure: no engine is built, nothing is fetched). Environment variables
// resolve to a fixed value; a document referring to a file (${file:...}) is
// not given to the engine, so that the fuzzer never reads the machine's
// files (a FIFO or a terminal would hang it).
//
// Invariants, beyond no crash, leak, hang or unbounded memory (an alias
// expanded over and over is the classic):
// - a refusal says why;
// - accepted server settings are within their documented ranges;
// - the engine's document is JSON whenever its text is valid UTF-8 (the
//   converter passes other bytes through for the engine to name), an object
//   without the sidecar's own keys;
// - an engine configuration that is accepted has rules.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/engine_config.h"
#include "fuzz_check.h"
#include "jose/json.h"
#include "yaml_config.h"

namespace {

using authgate::JsonDocument;
using authgate::JsonType;
using authgate::JsonValue;
using authgate_cli::ServerSettings;

// Deep enough for any document the converter may produce; the engine's own
// limit (32) then refuses the deep ones with a clear message.
constexpr authgate::JsonLimits kWellFormedLimits{/*max_size=*/64 << 20, /*max_depth=*/1 << 16};

std::optional<std::string> FixedEnvironment(std::string_view name) {
  // Long enough for a session secret, and a valid host name for the
  // examples' ${OKTA_DOMAIN}.
  return "fuzz-value-0123456789abcdef0123456789";
}

bool IsValidUtf8(std::string_view text) {
  JsonDocument doc;
  std::string quoted;
  authgate::JsonQuote(text, &quoted);
  return doc.Parse(quoted, kWellFormedLimits).ok();
}

bool RefersToAFile(JsonValue value) {
  switch (value.type()) {
    case JsonType::kString:
      return value.string().find("${file:") != std::string_view::npos;
    case JsonType::kArray:
      for (JsonValue element : value.elements()) {
        if (RefersToAFile(element)) return true;
      }
      return false;
    case JsonType::kObject:
      for (const JsonValue::Member& member : value.members()) {
        if (RefersToAFile(member.value)) return true;
      }
      return false;
    default:
      return false;
  }
}

void CheckServerSettings(const ServerSettings& s) {
  FUZZ_CHECK(!s.listen.host.empty());
  FUZZ_CHECK(!s.upstream.host.empty() && s.upstream.port != 0);
  if (s.admin) FUZZ_CHECK(!s.admin->host.empty());
  FUZZ_CHECK(s.threads >= 0 && s.threads <= 256);
  FUZZ_CHECK(s.max_connections >= 1 && s.max_connections <= 1'000'000);
  FUZZ_CHECK(s.max_header_bytes >= 1024 && s.max_header_bytes <= 16 * 1024 * 1024);
  for (auto timeout : {s.header_timeout, s.idle_timeout, s.read_timeout,
                       s.upstream_connect_timeout, s.upstream_timeout, s.shutdown_timeout}) {
    FUZZ_CHECK(timeout.count() > 0);
  }
  for (const authgate_cli::AddressRange& range : s.trusted_proxies) {
    FUZZ_CHECK(range.prefix_bits >= 0 && range.prefix_bits <= (range.ipv6 ? 128 : 32));
  }
  FUZZ_CHECK(s.auth_request_redirect_status == 302 || s.auth_request_redirect_status == 401);
  const std::string& path = s.auth_request_path;
  FUZZ_CHECK(path.empty() || (path.size() >= 2 && path.front() == '/' && path.back() != '/' &&
                              path.find_first_of("?#% ") == std::string::npos));
  // The auth endpoint answers with identity headers: only ever on, for a
  // named proxy, with someone trusted to send the auth requests.
  FUZZ_CHECK(path.empty() == (s.auth_request_proxy == authgate_cli::AuthRequestProxy::kNone));
  if (!path.empty()) FUZZ_CHECK(!s.trusted_proxies.empty());
  FUZZ_CHECK(s.tls_cert_file.empty() == s.tls_key_file.empty());
  if (!s.upstream.tls) FUZZ_CHECK(s.upstream_ca_file.empty() && s.upstream_server_name.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view yaml(reinterpret_cast<const char*>(data), size);
  authgate_cli::SidecarConfig config;
  std::string error;
  if (!authgate_cli::LoadSidecarConfig(yaml, &config, &error)) {
    FUZZ_CHECK(!error.empty());
    return 0;
  }
  CheckServerSettings(config.server);

  JsonDocument doc;
  if (!doc.Parse(config.engine_json, kWellFormedLimits).ok()) {
    FUZZ_CHECK(!IsValidUtf8(config.engine_json));
    return 0;
  }
  const JsonValue root = doc.root();
  FUZZ_CHECK(root.is_object());
  for (const char* sidecar_key : {"listen", "upstream", "admin", "server"}) {
    FUZZ_CHECK(!root.Find(sidecar_key).valid());
  }
  if (RefersToAFile(root)) return 0;

  absl::StatusOr<authgate::EngineConfig> engine =
      authgate::ParseEngineConfig(config.engine_json, FixedEnvironment);
  if (!engine.ok()) {
    FUZZ_CHECK(!engine.status().message().empty());
    return 0;
  }
  FUZZ_CHECK(!engine->rules.rules().empty());
  return 0;
}

// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzzes the request head as the sidecar sees it: the bytes a client sends
// are parsed by the same Beast parser `authgate serve` uses, judged
// (proxy/forwarding.h: Host, absolute form, framing, whom to believe) and,
// when accepted, written out as the head the upstream would receive. The
// first input byte picks the peer (a trusted proxy or not) and the proxy kind
// of an auth request. Invariants, each an abort:
// - the upstream head parses back as one HTTP/1.1 request head, with the
//   engine's target, exactly one Host (the host the rules judged), and the
//   sidecar's own framing;
// - nothing the sidecar owns survives in any spelling: x-authgate-*, the
//   engine's identity header other than its own value, Sec-WebSocket-*,
//   the client's X-Forwarded-For/-Proto/-Host;
// - from an untrusted peer no forwarding header passes, and the client
//   address is the peer;
// - an accepted auth request names a path, a valid host and a token method.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "forwarding.h"
#include "server_settings.h"

namespace {

namespace http = boost::beast::http;
using authgate_cli::HeaderNameIs;
using authgate_cli::HeaderNameStartsWith;

constexpr std::string_view kTrustedPeer = "10.0.0.2";
constexpr std::string_view kUntrustedPeer = "192.0.2.1";
constexpr std::string_view kIdentityHeader = "x-user";
constexpr std::string_view kIdentityValue = "alice";

void Check(bool ok) {
  if (!ok) std::abort();
}

authgate_cli::ClientHead ToClientHead(const http::request_header<>& head) {
  authgate_cli::ClientHead out;
  out.method = std::string_view(head.method_string().data(), head.method_string().size());
  out.target = std::string_view(head.target().data(), head.target().size());
  out.version = head.version();
  for (const auto& field : head) {
    out.fields.push_back({std::string_view(field.name_string().data(), field.name_string().size()),
                          std::string_view(field.value().data(), field.value().size())});
  }
  return out;
}

const authgate_cli::ServerSettings& Settings() {
  static const authgate_cli::ServerSettings settings = [] {
    authgate_cli::ServerSettings s;
    authgate_cli::AddressRange range;
    Check(authgate_cli::ParseAddressRange("10.0.0.0/8", &range));
    s.trusted_proxies.push_back(range);
    s.auth_request_path = "/authgate/auth";
    return s;
  }();
  return settings;
}

bool IsForwarding(std::string_view name) {
  return HeaderNameIs(name, "forwarded") || HeaderNameStartsWith(name, "x-forwarded-") ||
         HeaderNameIs(name, "x-real-ip") || HeaderNameStartsWith(name, "x-original-") ||
         HeaderNameIs(name, "x-rewrite-url");
}

void CheckUpstreamHead(const std::string& out, const authgate_cli::JudgedRequest& judged,
                       std::string_view target, std::string_view peer) {
  http::request_parser<http::empty_body> parser;
  parser.eager(false);
  boost::beast::error_code ec;
  size_t used = parser.put(boost::asio::buffer(out), ec);
  Check(!ec && parser.is_header_done() && used == out.size());
  const auto& head = parser.get();
  Check(std::string_view(head.target().data(), head.target().size()) == target);
  Check(head.version() == 11);
  int hosts = 0, identity = 0, framing = 0;
  for (const auto& field : head) {
    std::string_view name(field.name_string().data(), field.name_string().size());
    std::string_view value(field.value().data(), field.value().size());
    if (HeaderNameIs(name, "host")) {
      ++hosts;
      Check(value == (judged.authority.empty() ? "upstream:80" : judged.authority));
    }
    Check(!HeaderNameStartsWith(name, "x-authgate-"));
    Check(!HeaderNameStartsWith(name, "sec-websocket-"));
    if (HeaderNameIs(name, kIdentityHeader)) {
      ++identity;
      Check(value == kIdentityValue);
    }
    if (HeaderNameIs(name, "transfer-encoding") || HeaderNameIs(name, "content-length")) {
      ++framing;
      Check(name == "transfer-encoding" ? (judged.chunked && value == "chunked")
                                        : (!judged.chunked && value == "17"));
    }
    if (HeaderNameIs(name, "x-forwarded-for")) {
      Check(name == "x-forwarded-for");  // the sidecar's, written once, last
      if (!judged.trusted_peer) Check(value == peer);
    }
    if (HeaderNameIs(name, "x-forwarded-proto")) Check(value == judged.scheme);
    if (HeaderNameIs(name, "x-forwarded-host")) Check(value == judged.authority);
    if (!judged.trusted_peer && IsForwarding(name)) {
      Check(name == "x-forwarded-for" || name == "x-forwarded-proto" ||
            name == "x-forwarded-host");
    }
    if (IsForwarding(name)) Check(name.find('_') == std::string_view::npos);
  }
  Check(hosts == 1);
  Check(identity == 1);
  Check(framing == 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  uint8_t selector = data[0];
  std::string_view peer = (selector & 1) ? kTrustedPeer : kUntrustedPeer;
  http::request_parser<http::empty_body> parser;
  parser.eager(false);
  parser.header_limit(64 * 1024);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data + 1, size - 1), ec);
  if (ec || !parser.is_header_done()) return 0;
  authgate_cli::ClientHead head = ToClientHead(parser.get());

  authgate_cli::JudgedRequest judged;
  authgate_cli::Refusal refusal;
  if (!authgate_cli::JudgeRequest(head, peer, Settings(), &judged, &refusal)) {
    Check(refusal.status == 400 || refusal.status == 501);
    Check(!refusal.body.empty() && refusal.body.back() == '\n');
  } else {
    Check(!judged.target.empty() && judged.target.front() == '/');
    Check(judged.scheme == "http" || judged.scheme == "https");
    Check(judged.authority.empty() ? head.version < 11
                                   : authgate_cli::IsValidAuthority(judged.authority));
    if (!judged.trusted_peer) Check(judged.client_address == peer);
    Check(authgate_cli::IsIpAddress(judged.client_address));
    authgate_cli::UpstreamChanges changes;
    changes.target = judged.target;
    changes.remove = {kIdentityHeader, "authorization"};
    changes.set = {{kIdentityHeader, kIdentityValue}};
    std::string out = authgate_cli::BuildUpstreamHead(head, judged, changes, peer, "upstream:80",
                                                      judged.chunked ? std::nullopt
                                                                     : std::optional<uint64_t>(17));
    CheckUpstreamHead(out, judged, judged.target, peer);
  }

  // The same head as an auth request from each kind of proxy.
  authgate_cli::ServerSettings auth = Settings();
  static constexpr authgate_cli::AuthRequestProxy kProxies[] = {
      authgate_cli::AuthRequestProxy::kNginx, authgate_cli::AuthRequestProxy::kCaddy,
      authgate_cli::AuthRequestProxy::kTraefik, authgate_cli::AuthRequestProxy::kEnvoy};
  auth.auth_request_proxy = kProxies[(selector >> 1) % 4];
  std::string_view target = head.target;
  std::string_view suffix = target.substr(0, target.find('?')).size() > 14 ? target.substr(14)
                                                                          : std::string_view();
  authgate_cli::JudgedRequest original;
  if (authgate_cli::JudgeAuthRequest(head, suffix, peer, auth, &original, &refusal)) {
    Check(peer == kTrustedPeer);
    Check(!original.target.empty() && original.target.front() == '/');
    Check(authgate_cli::IsValidAuthority(original.authority));
    Check(!original.method.empty() &&
          original.method.find_first_of(" \t\r\n") == std::string::npos);
  } else {
    Check(refusal.status == 400 || refusal.status == 403);
  }
  return 0;
}

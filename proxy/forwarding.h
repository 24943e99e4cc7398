// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// forwarding.h: the rules at the sidecar's edge, as pure functions over a
// parsed request head (no sockets, no Beast), so that every rule about
// whom to believe is unit tested and fuzzed on its own.
//
//   ClientHead head = ...;                       // from the HTTP parser
//   JudgedRequest judged;
//   Refusal refusal;
//   if (!JudgeRequest(head, peer, settings, &judged, &refusal)) {
//     return Answer(refusal.status, refusal.body);   // 400, 501
//   }
//   ... ask the engine about `judged` (method, scheme, authority, target) ...
//   std::string upstream_head = BuildUpstreamHead(head, judged, changes, peer, length);
//
// JudgeRequest decides what the request is (RFC 9112: one valid Host, the
// absolute form, the only transfer coding accepted) and which of the
// client's forwarding headers are believed (only a peer in
// server.trusted_proxies is). BuildUpstreamHead writes the head the
// upstream gets: the same host the rules judged, no header the sidecar owns
// in any spelling (case, `_` for `-`), forwarding headers rebuilt.

#ifndef AUTHGATE_PROXY_FORWARDING_H_
#define AUTHGATE_PROXY_FORWARDING_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server_settings.h"

namespace authgate_cli {

struct HeaderField {
  std::string_view name;
  std::string_view value;
};

// ClientHead is a request head as the HTTP parser read it: a token for the
// method, a target without whitespace, field values without CR, LF or NUL.
struct ClientHead {
  std::string_view method;
  std::string_view target;
  unsigned version = 11;  // 10 or 11
  std::vector<HeaderField> fields;  // in the order received
};

// HeaderNameIs tells whether `name` is `canonical` (lowercase, words joined
// by '-') in any letter case and with '_' for any '-': CGI-style servers
// (wsgiref, Unicorn, Puma before 6.4.3) turn `X_Authgate_Sub` and
// `X-Authgate-Sub` into the same HTTP_X_AUTHGATE_SUB, so whatever the
// sidecar removes it removes in every spelling. HeaderNameStartsWith is the
// same for a prefix.
bool HeaderNameIs(std::string_view name, std::string_view canonical);
bool HeaderNameStartsWith(std::string_view name, std::string_view canonical_prefix);

// ConnectionTokens returns the names listed by the `Connection` fields.
std::vector<std::string_view> ConnectionTokens(const std::vector<HeaderField>& fields);

// IsHopByHop: the fields of RFC 9110 7.6.1 that concern one connection
// only (Connection, Keep-Alive, TE, Trailer, Transfer-Encoding, Upgrade, the
// Proxy-* pair and Proxy-Connection) and those `Connection` lists.
bool IsHopByHop(std::string_view name, const std::vector<std::string_view>& connection_tokens);

// IsValidAuthority checks RFC 3986's `host [ ":" port ]` without user
// information: a registered name, an IPv4 address or a bracketed IP
// literal, and a port of at most 5 digits. An empty text is not valid.
bool IsValidAuthority(std::string_view authority);

// Refusal is the sidecar's own answer to a request it will not pass on.
struct Refusal {
  int status = 0;               // 400, 403 or 501
  std::string_view decision;    // for the access log and metrics
  std::string_view reason;      // likewise ("none" when there is none)
  std::string_view body;        // text/plain, ends with a newline
};

// JudgedRequest is the request as the engine judges it and, once allowed,
// the upstream receives it.
struct JudgedRequest {
  std::string method;
  std::string scheme;          // "http" or "https"
  std::string authority;       // host[:port]; "" only for HTTP/1.0 without Host
  std::string target;          // origin form: "/path?query"
  std::string client_address;  // the peer, or the client a trusted proxy names
  bool trusted_peer = false;
  bool chunked = false;        // Transfer-Encoding: chunked
  bool expect_continue = false;
};

// JudgeRequest judges a request on the main listener from `peer` (an IP
// literal). Refuses with 400 two Host fields, an invalid Host, HTTP/1.1
// without Host, a target neither in origin form nor an http(s) absolute
// form, a Transfer-Encoding in HTTP/1.0 and an ambiguous or invalid
// forwarding header from a trusted peer; with 501 any transfer coding but
// a lone `chunked`. An absolute-form target is accepted (RFC 9112 3.2.2):
// its authority replaces Host, and the target becomes its origin form.
bool JudgeRequest(const ClientHead& head, std::string_view peer, const ServerSettings& settings,
                  JudgedRequest* out, Refusal* refusal);

// JudgeAuthRequest judges an auth request (server.auth_request_path): the
// original method, URI, host and scheme come only from the headers that
// settings.auth_request_proxy sets and overwrites, never from a fallback
// chain a client could fill in (docs/config.md "auth-request mode"): nginx
// X-Original-Method, X-Original-URI, X-Forwarded-Host, X-Forwarded-Proto as
// the documented location sets them; Caddy and Traefik X-Forwarded-Method,
// -Uri, -Host, -Proto; Envoy the request's own method, `suffix` (the path
// after auth_request_path) and Host. Each must be present exactly once.
// Refuses with 403 a peer outside server.trusted_proxies.
bool JudgeAuthRequest(const ClientHead& head, std::string_view suffix, std::string_view peer,
                      const ServerSettings& settings, JudgedRequest* out, Refusal* refusal);

// UpstreamChanges are the engine's changes to an allowed request.
struct UpstreamChanges {
  std::string_view target;                // the upstream target (origin form)
  std::vector<std::string_view> remove;   // names whose client copies are dropped
  std::vector<HeaderField> set;           // fields the engine sets
};

// BuildUpstreamHead writes the request head for the upstream, through the
// blank line: the method, the engine's target, HTTP/1.1; the client's
// fields except hop-by-hop ones (and Sec-WebSocket-*, as upgrades are not
// proxied), Expect, the framing fields, Host, the method overrides the
// engine removes, any name the engine removes or sets, any x-authgate-*,
// and any underscore spelling of a forwarding header; from a peer outside
// trusted_proxies also Forwarded, X-Forwarded-*, X-Real-IP, X-Original-*,
// X-Rewrite-URL. Then the engine's fields, Host (the judged authority, or
// `default_host`), X-Forwarded-For/-Proto/-Host, and the framing:
// `Transfer-Encoding: chunked` or `content_length`.
std::string BuildUpstreamHead(const ClientHead& head, const JudgedRequest& judged,
                              const UpstreamChanges& changes, std::string_view peer,
                              std::string_view default_host,
                              std::optional<uint64_t> content_length);

}  // namespace authgate_cli

#endif  // AUTHGATE_PROXY_FORWARDING_H_

// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "forwarding.h"

#include <cctype>
#include <string>

namespace authgate_cli {
namespace {

char FoldHeaderChar(char c) {
  if (c >= 'A' && c <= 'Z') return static_cast<char>(c - 'A' + 'a');
  return c == '_' ? '-' : c;
}

char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// ForEachListElement calls f(element) for each non-empty element of a
// comma-separated field value (RFC 9110 5.6.1), trimmed.
template <class F>
void ForEachListElement(std::string_view value, F f) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view element = TrimOws(value.substr(0, comma));
    if (!element.empty()) f(element);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

// The headers by which a proxy tells the next hop about the original
// request; believed, and passed on, only from server.trusted_proxies.
bool IsForwardingHeader(std::string_view name) {
  return HeaderNameIs(name, "forwarded") || HeaderNameStartsWith(name, "x-forwarded-") ||
         HeaderNameIs(name, "x-real-ip") || HeaderNameStartsWith(name, "x-original-") ||
         HeaderNameIs(name, "x-rewrite-url");
}

// The one field spelled exactly `name` (any case, with '-'): counts every
// spelling, so that `X_Forwarded_Host` beside `X-Forwarded-Host` makes it
// ambiguous rather than ignored.
enum class FieldCount { kNone, kOne, kMany };
FieldCount FindOne(const std::vector<HeaderField>& fields, std::string_view name,
                   std::string_view* value) {
  int count = 0;
  for (const HeaderField& field : fields) {
    if (!HeaderNameIs(field.name, name)) continue;
    ++count;
    if (!EqualsIgnoreCase(field.name, name)) return FieldCount::kMany;  // an underscore spelling
    *value = field.value;
  }
  return count == 0 ? FieldCount::kNone : count == 1 ? FieldCount::kOne : FieldCount::kMany;
}

bool Refuse(Refusal* refusal, int status, std::string_view body,
            std::string_view decision = "bad_request", std::string_view reason = "none") {
  refusal->status = status;
  refusal->decision = decision;
  refusal->reason = reason;
  refusal->body = body;
  return false;
}

bool ListenerIsTls(const ServerSettings& settings) { return !settings.tls_cert_file.empty(); }

// ParseScheme accepts the two schemes a forwarding header may name.
bool ParseScheme(std::string_view value, std::string* out) {
  if (EqualsIgnoreCase(value, "http")) {
    *out = "http";
  } else if (EqualsIgnoreCase(value, "https")) {
    *out = "https";
  } else {
    return false;
  }
  return true;
}

// ClientAddress is the address of the client as far as it can be believed:
// from a trusted peer, X-Forwarded-For is read from the right, past the
// addresses of trusted proxies, to the first one that is not (or the
// leftmost when all are); anything unreadable stops the walk at the last
// address believed.
std::string ClientAddress(const std::vector<HeaderField>& fields, std::string_view peer,
                          bool trusted, const std::vector<AddressRange>& trusted_proxies) {
  if (!trusted) return std::string(peer);
  std::vector<std::string_view> chain;
  for (const HeaderField& field : fields) {
    if (EqualsIgnoreCase(field.name, "x-forwarded-for")) {
      ForEachListElement(field.value, [&](std::string_view entry) { chain.push_back(entry); });
    }
  }
  std::string_view believed = peer;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    if (!IsIpAddress(*it)) break;
    believed = *it;
    if (!InRanges(trusted_proxies, *it)) break;
  }
  return std::string(believed);
}

// JudgeFraming accepts no transfer coding but a lone `chunked`, and only in
// HTTP/1.1: a coding the sidecar would drop silently (gzip) changes what
// the upstream reads, and RFC 9112 6.1 makes any Transfer-Encoding in
// HTTP/1.0 a framing fault.
bool JudgeFraming(const ClientHead& head, JudgedRequest* out, Refusal* refusal) {
  int codings = 0;
  bool chunked_only = true;
  bool any = false;
  for (const HeaderField& field : head.fields) {
    if (HeaderNameIs(field.name, "expect")) {
      out->expect_continue = EqualsIgnoreCase(TrimOws(field.value), "100-continue");
    }
    if (!HeaderNameIs(field.name, "transfer-encoding")) continue;
    if (!EqualsIgnoreCase(field.name, "transfer-encoding")) {
      // Transfer_Encoding: the parser framed the body without it, an
      // upstream that reads '_' as '-' would not.
      return Refuse(refusal, 400, "bad request: Transfer_Encoding\n");
    }
    any = true;
    ForEachListElement(field.value, [&](std::string_view coding) {
      ++codings;
      chunked_only = chunked_only && EqualsIgnoreCase(coding, "chunked");
    });
  }
  if (!any) return true;
  if (head.version < 11) {
    return Refuse(refusal, 400, "bad request: Transfer-Encoding in an HTTP/1.0 request\n");
  }
  if (codings != 1 || !chunked_only) {
    return Refuse(refusal, 501, "transfer coding not supported: only chunked\n");
  }
  out->chunked = true;
  return true;
}

// SplitAbsoluteForm splits "http://authority/path?query" (RFC 9112 3.2.2)
// into its authority and its origin form ("/" for an empty path).
bool SplitAbsoluteForm(std::string_view target, std::string* scheme, std::string* authority,
                       std::string* origin) {
  size_t colon = target.find("://");
  if (colon == std::string_view::npos || !ParseScheme(target.substr(0, colon), scheme)) {
    return false;
  }
  std::string_view rest = target.substr(colon + 3);
  size_t end = rest.find_first_of("/?#");
  std::string_view host = rest.substr(0, end);
  if (!IsValidAuthority(host)) return false;  // also refuses user information ('@')
  *authority = std::string(host);
  std::string_view tail = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (!tail.empty() && tail.front() == '#') return false;
  *origin = tail.empty() || tail.front() == '?' ? "/" + std::string(tail) : std::string(tail);
  return true;
}

}  // namespace

bool HeaderNameIs(std::string_view name, std::string_view canonical) {
  if (name.size() != canonical.size()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (FoldHeaderChar(name[i]) != FoldHeaderChar(canonical[i])) return false;
  }
  return true;
}

bool HeaderNameStartsWith(std::string_view name, std::string_view canonical_prefix) {
  return name.size() >= canonical_prefix.size() &&
         HeaderNameIs(name.substr(0, canonical_prefix.size()), canonical_prefix);
}

std::vector<std::string_view> ConnectionTokens(const std::vector<HeaderField>& fields) {
  std::vector<std::string_view> tokens;
  for (const HeaderField& field : fields) {
    if (!HeaderNameIs(field.name, "connection")) continue;
    ForEachListElement(field.value, [&](std::string_view token) { tokens.push_back(token); });
  }
  return tokens;
}

bool IsHopByHop(std::string_view name, const std::vector<std::string_view>& connection_tokens) {
  static constexpr std::string_view kFixed[] = {
      "connection", "keep-alive",         "proxy-connection",   "te",
      "trailer",    "transfer-encoding",  "upgrade",            "proxy-authenticate",
      "proxy-authorization"};
  for (std::string_view fixed : kFixed) {
    if (HeaderNameIs(name, fixed)) return true;
  }
  for (std::string_view token : connection_tokens) {
    if (HeaderNameIs(name, token)) return true;
  }
  return false;
}

bool IsValidAuthority(std::string_view authority) {
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos || close < 3) return false;
    for (char c : authority.substr(1, close - 1)) {
      bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      if (!hex && c != ':' && c != '.') return false;
    }
    std::string_view literal = authority.substr(1, close - 1);
    if (literal.find(':') == std::string_view::npos || !IsIpAddress(literal)) return false;
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return false;
      port = after.substr(1);
      if (port.empty()) return false;
    }
  } else {
    size_t colon = authority.find(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      if (port.empty()) return false;
    }
    if (host.empty()) return false;
    // reg-name: unreserved, pct-encoded, sub-delims (RFC 3986 3.2.2).
    for (size_t i = 0; i < host.size(); ++i) {
      char c = host[i];
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      switch (c) {
        case '-': case '.': case '_': case '~': case '!': case '$': case '&': case '\'':
        case '(': case ')': case '*': case '+': case ',': case ';': case '=':
          ok = true;
          break;
        case '%':
          ok = i + 2 < host.size() && isxdigit(static_cast<unsigned char>(host[i + 1])) &&
               isxdigit(static_cast<unsigned char>(host[i + 2]));
          break;
        default:
          break;
      }
      if (!ok) return false;
    }
  }
  if (port.size() > 5) return false;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool JudgeRequest(const ClientHead& head, std::string_view peer, const ServerSettings& settings,
                  JudgedRequest* out, Refusal* refusal) {
  out->method = std::string(head.method);
  out->trusted_peer = InRanges(settings.trusted_proxies, peer);
  if (!JudgeFraming(head, out, refusal)) return false;

  std::string_view host;
  int hosts = 0;
  for (const HeaderField& field : head.fields) {
    if (HeaderNameIs(field.name, "host")) {
      ++hosts;
      host = field.value;
    }
  }
  if (hosts > 1) return Refuse(refusal, 400, "bad request: more than one Host\n");
  out->scheme = ListenerIsTls(settings) ? "https" : "http";
  if (!head.target.empty() && head.target.front() == '/') {
    out->target = std::string(head.target);
    if (hosts == 0) {
      if (head.version >= 11) return Refuse(refusal, 400, "bad request: no Host\n");
    } else if (!IsValidAuthority(host)) {
      return Refuse(refusal, 400, "bad request: invalid Host\n");
    } else {
      out->authority = std::string(host);
    }
  } else {
    // The absolute form's own scheme is only what the client wrote: the
    // listener (or a trusted proxy) says how the request arrived.
    std::string ignored_scheme;
    if (!SplitAbsoluteForm(head.target, &ignored_scheme, &out->authority, &out->target)) {
      return Refuse(refusal, 400, "bad request: the target must be a path or an http(s) URL\n");
    }
    if (hosts == 1 && !IsValidAuthority(host)) {
      return Refuse(refusal, 400, "bad request: invalid Host\n");
    }
  }

  if (out->trusted_peer) {
    std::string_view value;
    switch (FindOne(head.fields, "x-forwarded-host", &value)) {
      case FieldCount::kNone:
        break;
      case FieldCount::kOne:
        if (!IsValidAuthority(value)) {
          return Refuse(refusal, 400, "bad request: invalid X-Forwarded-Host\n");
        }
        out->authority = std::string(value);
        break;
      case FieldCount::kMany:
        return Refuse(refusal, 400, "bad request: more than one X-Forwarded-Host\n");
    }
    switch (FindOne(head.fields, "x-forwarded-proto", &value)) {
      case FieldCount::kNone:
        break;
      case FieldCount::kOne:
        if (!ParseScheme(TrimOws(value), &out->scheme)) {
          return Refuse(refusal, 400, "bad request: X-Forwarded-Proto must be http or https\n");
        }
        break;
      case FieldCount::kMany:
        return Refuse(refusal, 400, "bad request: more than one X-Forwarded-Proto\n");
    }
  }
  out->client_address =
      ClientAddress(head.fields, peer, out->trusted_peer, settings.trusted_proxies);
  return true;
}

bool JudgeAuthRequest(const ClientHead& head, std::string_view suffix, std::string_view peer,
                      const ServerSettings& settings, JudgedRequest* out, Refusal* refusal) {
  out->trusted_peer = InRanges(settings.trusted_proxies, peer);
  if (!out->trusted_peer) {
    return Refuse(refusal, 403, "auth request from an address not in server.trusted_proxies\n",
                  "auth_request", "untrusted_proxy");
  }
  struct Source {
    std::string_view method, uri, host, scheme;  // header names; "" for the request's own
  };
  Source source;
  switch (settings.auth_request_proxy) {
    case AuthRequestProxy::kNginx:
      source = {"x-original-method", "x-original-uri", "x-forwarded-host", "x-forwarded-proto"};
      break;
    case AuthRequestProxy::kCaddy:
    case AuthRequestProxy::kTraefik:
      source = {"x-forwarded-method", "x-forwarded-uri", "x-forwarded-host", "x-forwarded-proto"};
      break;
    case AuthRequestProxy::kEnvoy:
      source = {"", "", "host", ""};
      break;
    case AuthRequestProxy::kNone:
      return Refuse(refusal, 500, "auth request mode without server.auth_request_proxy\n",
                    "internal_error");
  }
  // Each header the proxy sets must be there exactly once: a second copy
  // is the client's, and choosing either would let the client choose.
  auto one = [&](std::string_view name, std::string_view* value) {
    return FindOne(head.fields, name, value) == FieldCount::kOne;
  };
  std::string_view method = head.method, uri = suffix, host, scheme;
  if (!source.method.empty() && !one(source.method, &method)) {
    return Refuse(refusal, 400, "auth request without exactly one original-method header\n",
                  "auth_request");
  }
  if (!source.uri.empty() && !one(source.uri, &uri)) {
    return Refuse(refusal, 400, "auth request without exactly one original-URI header\n",
                  "auth_request");
  }
  if (!one(source.host, &host)) {
    return Refuse(refusal, 400, "auth request without exactly one original-host header\n",
                  "auth_request");
  }
  if (source.scheme.empty()) {
    // Envoy: X-Forwarded-Proto when allowed_headers passes it, which
    // Envoy sets itself at the edge; else the listener's scheme.
    out->scheme = ListenerIsTls(settings) ? "https" : "http";
    FieldCount count = FindOne(head.fields, "x-forwarded-proto", &scheme);
    if (count == FieldCount::kMany ||
        (count == FieldCount::kOne && !ParseScheme(TrimOws(scheme), &out->scheme))) {
      return Refuse(refusal, 400, "auth request with an invalid X-Forwarded-Proto\n",
                    "auth_request");
    }
  } else if (!one(source.scheme, &scheme) || !ParseScheme(TrimOws(scheme), &out->scheme)) {
    return Refuse(refusal, 400, "auth request without exactly one X-Forwarded-Proto (http or https)\n",
                  "auth_request");
  }
  method = TrimOws(method);
  if (!IsToken(method)) {
    return Refuse(refusal, 400, "auth request with an invalid original method\n", "auth_request");
  }
  if (uri.empty() || uri.front() != '/') {
    return Refuse(refusal, 400, "auth request whose original URI is not a path\n", "auth_request");
  }
  if (!IsValidAuthority(host)) {
    return Refuse(refusal, 400, "auth request with an invalid original host\n", "auth_request");
  }
  out->method = std::string(method);
  out->target = std::string(uri);
  out->authority = std::string(host);
  out->client_address = ClientAddress(head.fields, peer, true, settings.trusted_proxies);
  return true;
}

std::string BuildUpstreamHead(const ClientHead& head, const JudgedRequest& judged,
                              const UpstreamChanges& changes, std::string_view peer,
                              std::string_view default_host,
                              std::optional<uint64_t> content_length) {
  std::string out;
  out.reserve(1024);
  auto append = [&out](std::string_view name, std::string_view value) {
    out.append(name);
    out.append(": ");
    out.append(value);
    out.append("\r\n");
  };
  out.append(head.method);
  out.push_back(' ');
  out.append(changes.target);
  out.append(" HTTP/1.1\r\n");

  std::vector<std::string_view> connection_tokens = ConnectionTokens(head.fields);
  std::string forwarded_for;
  for (const HeaderField& field : head.fields) {
    std::string_view name = field.name;
    if (IsHopByHop(name, connection_tokens) || HeaderNameStartsWith(name, "sec-websocket-") ||
        HeaderNameIs(name, "expect") || HeaderNameIs(name, "content-length") ||
        HeaderNameIs(name, "host") || HeaderNameStartsWith(name, "x-authgate-")) {
      continue;
    }
    if (IsForwardingHeader(name)) {
      // Only a trusted proxy's, and only as a proxy spells them: an
      // underscore copy is a client's that the proxy let through.
      if (!judged.trusted_peer || name.find('_') != std::string_view::npos) continue;
      if (HeaderNameIs(name, "x-forwarded-for")) {
        if (!forwarded_for.empty()) forwarded_for += ", ";
        forwarded_for += field.value;
        continue;
      }
      if (HeaderNameIs(name, "x-forwarded-proto") || HeaderNameIs(name, "x-forwarded-host")) {
        continue;  // rebuilt from what was judged
      }
    }
    bool engine_owned = false;
    for (std::string_view removed : changes.remove) {
      engine_owned = engine_owned || HeaderNameIs(name, removed);
    }
    for (const HeaderField& set : changes.set) {
      engine_owned = engine_owned || HeaderNameIs(name, set.name);
    }
    if (engine_owned) continue;
    append(name, field.value);
  }
  for (const HeaderField& field : changes.set) append(field.name, field.value);
  append("host", judged.authority.empty() ? default_host : judged.authority);
  if (!forwarded_for.empty()) forwarded_for += ", ";
  forwarded_for += peer;
  append("x-forwarded-for", forwarded_for);
  append("x-forwarded-proto", judged.scheme);
  if (!judged.authority.empty()) append("x-forwarded-host", judged.authority);
  if (judged.chunked) {
    out.append("transfer-encoding: chunked\r\n");
  } else if (content_length) {
    append("content-length", std::to_string(*content_length));
  }
  out.append("\r\n");
  return out;
}

}  // namespace authgate_cli

// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// url.h: the strict URL form authgate fetches from (keys, discovery, token
// endpoints), and the rule of which URLs may be fetched at all.
//
//   absl::StatusOr<Url> url = Url::Parse("https://idp.example/.well-known/jwks.json");
//   if (absl::Status s = CheckFetchAllowed(*url, /*allow_insecure_http=*/false); !s.ok()) ...
//
// Only http and https, with a host, no user information (credentials in a
// URL end up in logs) and no fragment. Plain http is allowed only to a
// loopback host (localhost, 127.0.0.0/8, [::1]) unless explicitly enabled:
// keys fetched over plain http from elsewhere can be replaced by anyone on
// the path.

#ifndef AUTHGATE_SRC_NET_URL_H_
#define AUTHGATE_SRC_NET_URL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace authgate {

struct Url {
  std::string scheme;  // "http" or "https", lowercase
  std::string host;    // lowercase; IPv6 literals keep their brackets
  uint16_t port = 0;   // explicit or the scheme's default
  std::string path;    // from the first '/' (with the query), "/" when absent

  static absl::StatusOr<Url> Parse(std::string_view text);

  // IsLoopback: localhost, 127.0.0.0/8 or [::1].
  bool IsLoopback() const;
  std::string ToString() const;
};

// CheckFetchAllowed refuses plain http to a non-loopback host unless
// `allow_insecure_http`.
absl::Status CheckFetchAllowed(const Url& url, bool allow_insecure_http);

// HostOfAuthority returns the host of an authority ("host[:port]", as in a
// Host header): without the port, and without the trailing dot of an
// absolute name ("api.example.com." is the same host to an upstream). An
// IPv6 literal keeps its brackets; case is kept.
std::string_view HostOfAuthority(std::string_view authority);

// IsDomainName tells whether `name` is dot-separated labels of lowercase
// letters, digits, '-' and '_', none of them empty ("example.com",
// "localhost"; not "Example.com", "a..b" or "a.").
bool IsDomainName(std::string_view name);

}  // namespace authgate

#endif  // AUTHGATE_SRC_NET_URL_H_

// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// request.h: an incoming HTTP request as the decision engine sees it, owned
// by the host (the sidecar, a Python or Go middleware) and described once.
//
//   Request request;
//   request.method = "GET";
//   request.scheme = "https";
//   request.authority = "app.example";
//   request.target = "/orders?page=2";
//   request.headers = {{"Accept", "text/html"}, {"Cookie", "a=b"}};
//   std::optional<std::string_view> accept = request.Header("accept");
//
// Header names are compared case-insensitively; repeated headers stay
// separate entries, in arrival order.

#ifndef AUTHGATE_SRC_ENGINE_REQUEST_H_
#define AUTHGATE_SRC_ENGINE_REQUEST_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "text.h"

namespace authgate {

struct Request {
  std::string method;     // as received, e.g. "GET"
  std::string scheme;     // "http" or "https", as the client used it
  std::string authority;  // host[:port] (the Host header or :authority)
  std::string target;     // origin-form: path and optional "?query", undecoded
  std::vector<std::pair<std::string, std::string>> headers;
  std::string client_address;  // the peer's IP address, without port

  // Header returns the value of the first header named `name` (any case).
  std::optional<std::string_view> Header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (EqualsIgnoreCase(key, name)) return std::string_view(value);
    }
    return std::nullopt;
  }

  // HeaderCount returns how many headers are named `name` (any case).
  size_t HeaderCount(std::string_view name) const {
    size_t count = 0;
    for (const auto& header : headers) count += EqualsIgnoreCase(header.first, name) ? 1 : 0;
    return count;
  }

  // Path returns the target up to '?' (undecoded); Query the part after it
  // (without '?'), empty when there is none.
  std::string_view Path() const {
    std::string_view t = target;
    return t.substr(0, t.find('?'));
  }
  std::string_view Query() const {
    std::string_view t = target;
    size_t q = t.find('?');
    return q == std::string_view::npos ? std::string_view() : t.substr(q + 1);
  }
};

}  // namespace authgate

#endif  // AUTHGATE_SRC_ENGINE_REQUEST_H_

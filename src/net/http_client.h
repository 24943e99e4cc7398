// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// http_client.h: the outbound HTTP interface of the core (JWKS, discovery,
// token endpoint). The libcurl implementation is NewCurlHttpClient(); tests
// inject their own.
//
//   std::unique_ptr<HttpClient> http = NewCurlHttpClient(HttpClientOptions{});
//   http->Send(HttpRequest{"GET", "https://idp.example/jwks"},
//              [](absl::StatusOr<HttpResponse> response) { ... });
//
// Every request is bounded: a connect timeout, a total timeout and a
// response size limit. TLS peer and host verification are always on.
// Redirects are not followed unless enabled. A URL that CheckFetchAllowed()
// refuses is failed without any network traffic.

#ifndef AUTHGATE_SRC_NET_HTTP_CLIENT_H_
#define AUTHGATE_SRC_NET_HTTP_CLIENT_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace authgate {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  HttpHeaders headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;  // names in lowercase, in arrival order
  std::string body;

  // Header returns the first value of header `name` (lowercase), if any.
  std::optional<std::string_view> Header(std::string_view name) const;
};

struct HttpClientOptions {
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration total_timeout = absl::Seconds(10);
  size_t max_response_bytes = 1 << 20;
  // Trust anchors; empty uses the system store.
  std::string ca_file;
  std::string ca_dir;
  bool follow_redirects = false;
  // Allow plain http to hosts other than loopback (see url.h).
  bool allow_insecure_http = false;
};

class HttpClient {
 public:
  // The outcome of a request: a response (any status code), or an error:
  // DeadlineExceeded (timeout), ResourceExhausted (response too large),
  // FailedPrecondition (URL refused), Unavailable (connection, TLS), or
  // Cancelled (client destroyed first).
  using Callback = std::function<void(absl::StatusOr<HttpResponse>)>;

  virtual ~HttpClient() = default;

  // Send starts `request` and returns at once; `done` runs exactly once, on
  // a thread of the client (never inside Send()).
  virtual void Send(HttpRequest request, Callback done) = 0;
};

// NewCurlHttpClient returns the libcurl client: one thread driving every
// transfer of this client. Destroying it cancels what is in flight. In the
// child of a fork() it gets a new thread and sends the transfers that were
// in flight again (after_fork.h).
std::unique_ptr<HttpClient> NewCurlHttpClient(HttpClientOptions options);

// InitHttpGlobally runs libcurl's global initialisation (which also
// initialises its TLS library) once per process; later calls return the
// first call's result. Every HTTP client calls it; hosts may call it earlier
// through authgate_global_init() to choose the thread and the moment.
absl::Status InitHttpGlobally();

// UserAgent is "authgate/<version>".
std::string_view UserAgent();

}  // namespace authgate

#endif  // AUTHGATE_SRC_NET_HTTP_CLIENT_H_

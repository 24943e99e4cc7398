// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// fake_http_client.h: an HttpClient that holds every request until the test
// answers it with Deliver(), on the test's thread: the order of events is
// the test's, not the machine's.

#ifndef AUTHGATE_TESTS_SUPPORT_FAKE_HTTP_CLIENT_H_
#define AUTHGATE_TESTS_SUPPORT_FAKE_HTTP_CLIENT_H_

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "net/http_client.h"

namespace authgate::testing {

class FakeHttpClient final : public HttpClient {
 public:
  using Responder = std::function<absl::StatusOr<HttpResponse>(const HttpRequest&)>;

  void Send(HttpRequest request, Callback done) override {
    std::lock_guard<std::mutex> lock(mutex_);
    sent_.push_back(request);
    pending_.emplace_back(std::move(request), std::move(done));
  }

  void SetResponder(Responder responder) {
    std::lock_guard<std::mutex> lock(mutex_);
    responder_ = std::move(responder);
  }

  // Deliver answers every pending request (and those sent while answering).
  int Deliver() {
    int delivered = 0;
    for (;;) {
      std::pair<HttpRequest, Callback> next;
      Responder responder;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (pending_.empty()) return delivered;
        next = std::move(pending_.front());
        pending_.pop_front();
        responder = responder_;
      }
      next.second(responder(next.first));
      ++delivered;
    }
  }

  // sent_urls is the URLs of sent(), in order.
  std::vector<std::string> sent_urls() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> urls;
    for (const HttpRequest& request : sent_) urls.push_back(request.url);
    return urls;
  }
  std::vector<HttpRequest> sent() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return sent_;
  }
  size_t pending() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return pending_.size();
  }

 private:
  mutable std::mutex mutex_;
  Responder responder_;
  std::deque<std::pair<HttpRequest, Callback>> pending_;
  std::vector<HttpRequest> sent_;
};

inline absl::StatusOr<HttpResponse> JsonResponse(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.headers.emplace_back("content-type", "application/json");
  response.body = std::move(body);
  return response;
}

}  // namespace authgate::testing

#endif  // AUTHGATE_TESTS_SUPPORT_FAKE_HTTP_CLIENT_H_

// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// test_http_server.h: a small HTTP/1.1 server on 127.0.0.1 (ephemeral port)
// whose answers the test scripts: status, headers, body, a delay or a hang,
// and which counts the requests it saw.
//
//   TestHttpServer server;
//   server.SetHandler([](const TestHttpServer::Request& r) {
//     return TestHttpServer::Response{200, {{"Content-Type", "application/json"}}, jwks};
//   });
//   std::string url = server.Url("/jwks");

#ifndef AUTHGATE_TESTS_SUPPORT_TEST_HTTP_SERVER_H_
#define AUTHGATE_TESTS_SUPPORT_TEST_HTTP_SERVER_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace authgate::testing {

class TestHttpServer {
 public:
  struct Request {
    std::string method;
    std::string target;  // path and query
    std::vector<std::pair<std::string, std::string>> headers;  // lowercase names
    std::string body;
    std::string Header(const std::string& name) const;
  };
  struct Response {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    // Wait this long before answering.
    std::chrono::milliseconds delay{0};
    // Never answer (until the server stops).
    bool hang = false;
  };
  using Handler = std::function<Response(const Request&)>;

  TestHttpServer();
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  void SetHandler(Handler handler);
  int port() const { return port_; }
  std::string Url(const std::string& path) const;
  int request_count() const { return requests_.load(); }
  std::vector<Request> requests() const;

 private:
  void AcceptLoop();
  void Serve(int fd);
  void Close(int fd);

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> requests_{0};
  mutable std::mutex mutex_;
  Handler handler_;
  std::vector<Request> seen_;
  std::thread acceptor_;
  std::vector<std::thread> workers_;
  std::vector<int> open_fds_;
};

}  // namespace authgate::testing

#endif  // AUTHGATE_TESTS_SUPPORT_TEST_HTTP_SERVER_H_

// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// The libcurl client against a real server on loopback.

#include "net/http_client.h"

#include <future>

#include "gtest/gtest.h"
#include "support/test_http_server.h"

namespace authgate {
namespace {

using ::authgate::testing::TestHttpServer;
using namespace std::chrono_literals;

HttpRequest Get(std::string url) {
  HttpRequest request;
  request.url = std::move(url);
  return request;
}

absl::StatusOr<HttpResponse> Fetch(HttpClient& client, HttpRequest request) {
  std::promise<absl::StatusOr<HttpResponse>> promise;
  std::future<absl::StatusOr<HttpResponse>> future = promise.get_future();
  client.Send(std::move(request),
              [&promise](absl::StatusOr<HttpResponse> r) { promise.set_value(std::move(r)); });
  return future.get();
}

TEST(CurlHttpClientTest, GetsBodyStatusAndHeaders) {
  TestHttpServer server;
  server.SetHandler([](const TestHttpServer::Request& r) {
    return TestHttpServer::Response{
        200, {{"Cache-Control", "max-age=300"}, {"Content-Type", "application/json"}}, "{}"};
  });
  auto client = NewCurlHttpClient({});
  absl::StatusOr<HttpResponse> response = Fetch(*client, Get(server.Url("/jwks")));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "{}");
  EXPECT_EQ(response->Header("cache-control").value_or(""), "max-age=300");
  ASSERT_EQ(server.request_count(), 1);
  EXPECT_EQ(server.requests()[0].target, "/jwks");
  EXPECT_EQ(server.requests()[0].Header("user-agent"), std::string(UserAgent()));
  EXPECT_EQ(std::string(UserAgent()).rfind("authgate/", 0), 0u);
}

TEST(CurlHttpClientTest, PostsFormBodiesWithHeaders) {
  TestHttpServer server;
  server.SetHandler([](const TestHttpServer::Request& r) {
    return TestHttpServer::Response{200, {}, r.method + " " + r.body};
  });
  auto client = NewCurlHttpClient({});
  HttpRequest request{"POST", server.Url("/token"),
                      {{"Content-Type", "application/x-www-form-urlencoded"}},
                      "grant_type=authorization_code&code=x"};
  absl::StatusOr<HttpResponse> response = Fetch(*client, request);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->body, "POST grant_type=authorization_code&code=x");
  EXPECT_EQ(server.requests()[0].Header("content-type"), "application/x-www-form-urlencoded");
}

TEST(CurlHttpClientTest, ErrorStatusesAreResponses) {
  TestHttpServer server;
  server.SetHandler([](const TestHttpServer::Request&) {
    return TestHttpServer::Response{503, {}, "down"};
  });
  auto client = NewCurlHttpClient({});
  absl::StatusOr<HttpResponse> response = Fetch(*client, Get(server.Url("/")));
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 503);
}

TEST(CurlHttpClientTest, LimitsTheResponseSize) {
  TestHttpServer server;
  server.SetHandler([](const TestHttpServer::Request&) {
    return TestHttpServer::Response{200, {}, std::string(2 << 20, 'x')};
  });
  HttpClientOptions options;
  options.max_response_bytes = 1 << 20;
  auto client = NewCurlHttpClient(options);
  absl::StatusOr<HttpResponse> response = Fetch(*client, Get(server.Url("/")));
  EXPECT_EQ(response.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(CurlHttpClientTest, TimesOutOnAHangingServer) {
  TestHttpServer server;
  server.SetHandler([](const TestHttpServer::Request&) {
    TestHttpServer::Response response;
    response.hang = true;
    return response;
  });
  HttpClientOptions options;
  options.total_timeout = absl::Milliseconds(300);
  auto client = NewCurlHttpClient(options);
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<HttpResponse> response = Fetch(*client, Get(server.Url("/")));
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(response.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(elapsed, 300ms * 5) << "the bound holds, with 5x slack";
}

TEST(CurlHttpClientTest, ConnectionRefusedIsUnavailable) {
  int port;
  { TestHttpServer server; port = server.port(); }
  auto client = NewCurlHttpClient({});
  absl::StatusOr<HttpResponse> response =
      Fetch(*client, Get("http://127.0.0.1:" + std::to_string(port) + "/"));
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
}

TEST(CurlHttpClientTest, RefusesPlainHttpToRemoteHostsWithoutTraffic) {
  auto client = NewCurlHttpClient({});
  absl::StatusOr<HttpResponse> response = Fetch(*client, Get("http://idp.example/jwks"));
  EXPECT_EQ(response.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Fetch(*client, Get("ftp://idp.example/")).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(CurlHttpClientTest, DoesNotFollowRedirectsByDefault) {
  TestHttpServer server;
  server.SetHandler([&](const TestHttpServer::Request& r) {
    if (r.target == "/old") return TestHttpServer::Response{302, {{"Location", "/new"}}, ""};
    return TestHttpServer::Response{200, {}, "new"};
  });
  auto client = NewCurlHttpClient({});
  EXPECT_EQ(Fetch(*client, Get(server.Url("/old")))->status, 302);
  HttpClientOptions follow;
  follow.follow_redirects = true;
  auto following = NewCurlHttpClient(follow);
  absl::StatusOr<HttpResponse> followed = Fetch(*following, Get(server.Url("/old")));
  ASSERT_TRUE(followed.ok()) << followed.status();
  EXPECT_EQ(followed->body, "new");
}

TEST(CurlHttpClientTest, ManyConcurrentRequestsAndCancellationOnDestroy) {
  TestHttpServer server;
  server.SetHandler([](const TestHttpServer::Request& r) {
    TestHttpServer::Response response{200, {}, r.target};
    if (r.target == "/slow") response.hang = true;
    return response;
  });
  std::atomic<int> ok{0}, cancelled{0};
  {
    auto client = NewCurlHttpClient({});
    for (int i = 0; i < 20; ++i) {
      client->Send(Get(server.Url("/" + std::to_string(i))),
                   [&](absl::StatusOr<HttpResponse> r) { ok += r.ok() && r->status == 200; });
    }
    client->Send(Get(server.Url("/slow")), [&](absl::StatusOr<HttpResponse> r) {
      cancelled += r.status().code() == absl::StatusCode::kCancelled;
    });
    while (ok.load() < 20) std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(ok.load(), 20);
  EXPECT_EQ(cancelled.load(), 1);
}

}  // namespace
}  // namespace authgate

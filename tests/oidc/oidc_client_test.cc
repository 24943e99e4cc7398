// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// The login flow end to end against the fake provider on loopback (real
// HTTP, discovery, JWKS, token endpoint), time on a hand-driven clock; and,
// with an HTTP client whose answers the test delivers, what happens when
// the client is destroyed with requests in flight.

#include "oidc/oidc_client.h"

#include <future>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/fake_http_client.h"
#include "oidc/fake_provider.h"
#include "oidc/pkce.h"
#include "text.h"

namespace authgate {
namespace {

using ::authgate::testing::FakeHttpClient;
using ::authgate::testing::FakeProvider;
using ::authgate::testing::FormDecode;
using ::authgate::testing::IdTokenClaims;
using ::authgate::testing::JsonResponse;
using ::authgate::testing::kTestNow;
using ::authgate::testing::Quote;
using ::authgate::testing::TestHttpServer;
using ::authgate::testing::TestKey;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

using Params = std::vector<std::pair<std::string, std::string>>;

struct Answer {
  bool ok = false;
  LoginResult result;
  Rejection why;
};

// Waits for the answer of an asynchronous call.
class Waiter {
 public:
  std::function<void(bool, LoginResult, Rejection)> Callback() {
    return [this](bool ok, LoginResult result, Rejection why) {
      ++calls_;
      promise_.set_value(Answer{ok, std::move(result), std::move(why)});
    };
  }
  Answer Get() { return future_.get(); }
  int calls() const { return calls_.load(); }

 private:
  std::promise<Answer> promise_;
  std::future<Answer> future_ = promise_.get_future();
  std::atomic<int> calls_{0};
};

class OidcClientTest : public ::testing::Test {
 protected:
  OidcClientTest()
      : clock_(absl::FromUnixSeconds(kTestNow)), scheduler_(clock_),
        http_(NewCurlHttpClient(HttpClientOptions{})) {}

  std::unique_ptr<OidcClient> Make(OidcConfig config) {
    absl::StatusOr<std::unique_ptr<OidcClient>> client =
        OidcClient::Create(std::move(config), http_.get(), &scheduler_, clock_);
    EXPECT_TRUE(client.ok()) << FromAbsl(client.status().message());
    if (!client.ok()) return nullptr;
    EXPECT_TRUE((*client)->WaitReady(absl::Seconds(60))) << (*client)->last_error();
    return std::move(*client);
  }
  std::unique_ptr<OidcClient> Make() { return Make(provider_.Config()); }

  Answer Callback(OidcClient& client, const Params& params, const FlowState& flow) {
    Waiter waiter;
    client.HandleCallback(params, flow, clock_.Now(), waiter.Callback());
    return waiter.Get();
  }

  // A flow whose nonce the provider will put into its ID token.
  FlowState Flow(OidcClient& client) {
    FlowState flow = *client.NewFlow("/orders", clock_.Now());
    provider_.ExpectNonce(flow.nonce);
    return flow;
  }

  Answer Login(OidcClient& client) {
    FlowState flow = Flow(client);
    return Callback(client, {{"code", "abc"}, {"state", "signed"}}, flow);
  }

  Answer Refresh(OidcClient& client, const std::string& session, const std::string& token) {
    Waiter waiter;
    client.Refresh(session, token, IdTokenClaims(provider_.issuer()).Json(), clock_.Now(),
                   waiter.Callback());
    return waiter.Get();
  }

  void AnswerTokens(int status, const std::string& body) {
    provider_.SetTokenHandler([status, body](const TestHttpServer::Request&) {
      return FakeProvider::Json(status, body);
    });
  }

  FakeProvider provider_;
  ManualClock clock_;
  ManualScheduler scheduler_;
  std::unique_ptr<HttpClient> http_;
};

TEST_F(OidcClientTest, FullLogin) {
  auto client = Make();
  ASSERT_TRUE(client->Ready());
  FlowState flow = Flow(*client);
  absl::StatusOr<std::string> url = client->AuthorizationUrl(flow, "signed.state");
  ASSERT_TRUE(url.ok());
  EXPECT_THAT(*url, StartsWith(provider_.Url("/authorize?response_type=code&client_id=app&")));
  EXPECT_THAT(*url, HasSubstr("&state=signed.state&nonce=" + flow.nonce +
                              "&code_challenge=" + PkceChallengeS256(flow.code_verifier) +
                              "&code_challenge_method=S256"));
  EXPECT_THAT(*url, HasSubstr("&scope=openid+email&"));

  Answer answer = Callback(*client, {{"code", "abc"}, {"state", "signed.state"}}, flow);
  ASSERT_TRUE(answer.ok) << ReasonName(answer.why.reason) << ": " << answer.why.detail;
  EXPECT_EQ(answer.result.tokens.access_token, "at-1");
  EXPECT_EQ(answer.result.tokens.refresh_token, "rt-1");
  ASSERT_TRUE(answer.result.id_token.has_value());
  EXPECT_EQ(answer.result.id_token.claims().Find("sub").string(), "alice");
  EXPECT_EQ(answer.result.access_token_expires_at, clock_.Now() + absl::Seconds(300));

  std::vector<TestHttpServer::Request> requests = provider_.TokenRequests();
  ASSERT_EQ(requests.size(), 1u);
  std::map<std::string, std::string> form = FormDecode(requests[0].body);
  EXPECT_EQ(form["code"], "abc");
  EXPECT_EQ(form["code_verifier"], flow.code_verifier);
  EXPECT_THAT(requests[0].Header("authorization"), StartsWith("Basic "));

  OidcStats stats = client->Stats();
  EXPECT_EQ(stats.logins_ok, 1u);
  EXPECT_EQ(stats.logins_failed, 0u);
  EXPECT_EQ(stats.token_requests, 1u);
}

TEST_F(OidcClientTest, NewFlowHasFreshSecretsAndASafeReturnTarget) {
  auto client = Make();
  FlowState a = *client->NewFlow("/orders?page=2", clock_.Now());
  FlowState b = *client->NewFlow("//evil.example/", clock_.Now());
  EXPECT_EQ(a.return_to, "/orders?page=2");
  EXPECT_EQ(b.return_to, "/") << "refused targets become /";
  EXPECT_EQ(a.created, clock_.Now());
  EXPECT_NE(a.state_id, b.state_id);
  EXPECT_NE(a.nonce, b.nonce);
  EXPECT_NE(a.code_verifier, b.code_verifier);
  EXPECT_EQ(a.code_verifier.size(), 43u);
  EXPECT_NE(a.state_id, a.nonce);
}

TEST_F(OidcClientTest, CallbackWithError) {
  auto client = Make();
  FlowState flow = Flow(*client);
  Answer answer = Callback(
      *client,
      {{"error", "access_denied"}, {"error_description", "The user said no"}, {"state", "s"}},
      flow);
  EXPECT_FALSE(answer.ok);
  EXPECT_EQ(answer.why.reason, Reason::kAuthorizationError);
  EXPECT_THAT(answer.why.detail, HasSubstr("access_denied"));
  answer = Callback(*client, {{"error", "<script>alert(1)</script>\r\n"}, {"code", "abc"}}, flow);
  EXPECT_EQ(answer.why.reason, Reason::kAuthorizationError) << "an error wins over a code";
  EXPECT_THAT(answer.why.detail, Not(HasSubstr("<script>")));
  EXPECT_TRUE(provider_.TokenRequests().empty());
  EXPECT_EQ(client->Stats().logins_failed, 2u);
}

TEST_F(OidcClientTest, CallbackWithoutCode) {
  auto client = Make();
  FlowState flow = Flow(*client);
  EXPECT_EQ(Callback(*client, {{"state", "s"}}, flow).why.reason, Reason::kAuthorizationError);
  EXPECT_EQ(Callback(*client, {{"code", ""}, {"state", "s"}}, flow).why.reason,
            Reason::kAuthorizationError);
  EXPECT_TRUE(provider_.TokenRequests().empty());
}

TEST_F(OidcClientTest, CallbackWithRepeatedParameters) {
  auto client = Make();
  FlowState flow = Flow(*client);
  Answer answer = Callback(*client, {{"code", "abc"}, {"code", "attacker"}}, flow);
  EXPECT_EQ(answer.why.reason, Reason::kAuthorizationError);
  EXPECT_THAT(answer.why.detail, HasSubstr("\"code\" twice"));
  EXPECT_EQ(Callback(*client, {{"code", "abc"}, {"iss", provider_.issuer()}, {"iss", "x"}}, flow)
                .why.reason,
            Reason::kAuthorizationError);
  EXPECT_TRUE(provider_.TokenRequests().empty());
}

TEST_F(OidcClientTest, IssParameterMismatch) {
  auto client = Make();
  FlowState flow = Flow(*client);
  Answer answer = Callback(*client, {{"code", "abc"}, {"iss", "https://evil.example"}}, flow);
  EXPECT_EQ(answer.why.reason, Reason::kIssuerMismatch);
  EXPECT_EQ(
      Callback(*client, {{"code", "abc"}, {"iss", provider_.issuer() + "/"}}, flow).why.reason,
      Reason::kIssuerMismatch);
  EXPECT_EQ(Callback(*client, {{"error", "access_denied"}, {"iss", "https://evil.example"}}, flow)
                .why.reason,
            Reason::kIssuerMismatch)
      << "an error from another provider is not even read (RFC 9207)";
  EXPECT_TRUE(provider_.TokenRequests().empty());
  EXPECT_TRUE(Callback(*client, {{"code", "abc"}, {"iss", provider_.issuer()}}, flow).ok)
      << "a matching iss is fine even when not announced";
}

TEST_F(OidcClientTest, IssParameterMissingWhenTheProviderAnnouncesIt) {
  provider_.SetIssParameterSupported(true);
  auto client = Make();
  FlowState flow = Flow(*client);
  Answer answer = Callback(*client, {{"code", "abc"}}, flow);
  EXPECT_EQ(answer.why.reason, Reason::kIssuerMismatch);
  EXPECT_THAT(answer.why.detail, HasSubstr("lacks \"iss\""));
  EXPECT_TRUE(provider_.TokenRequests().empty());
  answer = Callback(*client, {{"code", "abc"}, {"iss", provider_.issuer()}}, flow);
  EXPECT_TRUE(answer.ok) << answer.why.detail;
}

TEST_F(OidcClientTest, TokenEndpointRefusesTheCode) {
  auto client = Make();
  AnswerTokens(400, R"({"error":"invalid_grant"})");
  Answer answer = Login(*client);
  EXPECT_EQ(answer.why.reason, Reason::kTokenExchangeFailed);
  EXPECT_THAT(answer.why.detail, HasSubstr("invalid_grant"));
  EXPECT_THAT(answer.why.detail, Not(HasSubstr("abc")));
}

TEST_F(OidcClientTest, TokenEndpointAnswersNonsense) {
  auto client = Make();
  AnswerTokens(200, "<html>login</html>");
  EXPECT_EQ(Login(*client).why.reason, Reason::kTokenExchangeFailed);
  AnswerTokens(200, R"({"access_token":"a","token_type":"DPoP","id_token":"x.y.z"})");
  Answer answer = Login(*client);
  EXPECT_EQ(answer.why.reason, Reason::kTokenExchangeFailed);
  EXPECT_THAT(answer.why.detail, HasSubstr("Bearer"));
  AnswerTokens(200, R"({"access_token":"a","token_type":"Bearer"})");
  answer = Login(*client);
  EXPECT_EQ(answer.why.reason, Reason::kTokenExchangeFailed);
  EXPECT_THAT(answer.why.detail, HasSubstr("no id_token"));
}

TEST_F(OidcClientTest, IdTokenWithAnotherNonceIsRefused) {
  auto client = Make();
  FlowState flow = *client->NewFlow("/", clock_.Now());
  provider_.ExpectNonce("replayed-nonce");
  Answer answer = Callback(*client, {{"code", "abc"}}, flow);
  EXPECT_EQ(answer.why.reason, Reason::kNonceMismatch);
  EXPECT_EQ(client->Stats().logins_failed, 1u);
}

TEST_F(OidcClientTest, IdTokenFromAnotherIssuerIsRefused) {
  auto client = Make();
  FlowState flow = Flow(*client);
  provider_.SetTokenHandler([&](const TestHttpServer::Request&) {
    std::string id_token =
        provider_.Sign(IdTokenClaims("https://evil.example").SetString("nonce", flow.nonce));
    return FakeProvider::Json(
        200, R"({"access_token":"a","token_type":"Bearer","id_token":)" + Quote(id_token) + "}");
  });
  EXPECT_EQ(Callback(*client, {{"code", "abc"}}, flow).why.reason, Reason::kIssuerMismatch);
}

TEST_F(OidcClientTest, RotatedSigningKeyIsFetched) {
  auto client = Make();
  provider_.SetSigningKey(TestKey::Ec("P-256"), "k2");
  // Past the key source's refetch rate limit (30 s since the first fetch).
  clock_.Advance(absl::Seconds(31));
  Answer answer = Login(*client);
  EXPECT_TRUE(answer.ok) << ReasonName(answer.why.reason) << ": " << answer.why.detail;
  EXPECT_EQ(answer.result.id_token.key_id(), "k2");
}

TEST_F(OidcClientTest, RefreshOk) {
  auto client = Make();
  Answer answer = Refresh(*client, "session-1", "rt-old");
  ASSERT_TRUE(answer.ok) << answer.why.detail;
  EXPECT_EQ(answer.result.tokens.access_token, "at-1");
  EXPECT_EQ(answer.result.tokens.refresh_token, "rt-1");
  ASSERT_TRUE(answer.result.id_token.has_value());
  EXPECT_EQ(answer.result.id_token.claims().Find("sub").string(), "alice");
  EXPECT_EQ(answer.result.access_token_expires_at, clock_.Now() + absl::Seconds(300));
  std::map<std::string, std::string> form = FormDecode(provider_.TokenRequests().at(0).body);
  EXPECT_EQ(form["grant_type"], "refresh_token");
  EXPECT_EQ(form["refresh_token"], "rt-old");
  EXPECT_EQ(client->Stats().refreshes_ok, 1u);
}

TEST_F(OidcClientTest, RefreshKeepsTheOldRefreshTokenWhenNoneIsReturned) {
  auto client = Make();
  AnswerTokens(200, R"({"access_token":"at-new","token_type":"Bearer","expires_in":60})");
  Answer answer = Refresh(*client, "session-1", "rt-old");
  ASSERT_TRUE(answer.ok) << answer.why.detail;
  EXPECT_EQ(answer.result.tokens.access_token, "at-new");
  EXPECT_EQ(answer.result.tokens.refresh_token, "rt-old");
  EXPECT_FALSE(answer.result.id_token.has_value()) << "the session keeps its claims";
  EXPECT_EQ(answer.result.access_token_expires_at, clock_.Now() + absl::Seconds(60));
}

TEST_F(OidcClientTest, RefreshFailure) {
  auto client = Make();
  AnswerTokens(400, R"({"error":"invalid_grant"})");
  Answer answer = Refresh(*client, "session-1", "rt-old");
  EXPECT_FALSE(answer.ok);
  EXPECT_EQ(answer.why.reason, Reason::kRefreshFailed);
  EXPECT_THAT(answer.why.detail, HasSubstr("invalid_grant"));
  EXPECT_THAT(answer.why.detail, Not(HasSubstr("rt-old")));
  EXPECT_EQ(client->Stats().refreshes_failed, 1u);

  Waiter unreadable;
  client->Refresh("session-2", "rt", "not json", clock_.Now(), unreadable.Callback());
  EXPECT_EQ(unreadable.Get().why.reason, Reason::kRefreshFailed);
  Waiter empty;
  client->Refresh("session-2", "", "{}", clock_.Now(), empty.Callback());
  EXPECT_EQ(empty.Get().why.reason, Reason::kRefreshFailed);
}

TEST_F(OidcClientTest, RefreshedIdTokenWithAnotherSubjectFails) {
  auto client = Make();
  provider_.SetTokenHandler([&](const TestHttpServer::Request&) {
    std::string id_token = provider_.Sign(
        IdTokenClaims(provider_.issuer()).SetString("sub", "mallory").Erase("nonce"));
    return FakeProvider::Json(
        200, R"({"access_token":"a","token_type":"Bearer","id_token":)" + Quote(id_token) + "}");
  });
  Answer answer = Refresh(*client, "session-1", "rt-old");
  EXPECT_FALSE(answer.ok);
  EXPECT_EQ(answer.why.reason, Reason::kRefreshFailed);
  EXPECT_THAT(answer.why.detail, HasSubstr("\"sub\""));

  provider_.SetTokenHandler([&](const TestHttpServer::Request&) {
    std::string id_token = provider_.Sign(IdTokenClaims(provider_.issuer())
                                              .Set("exp", std::to_string(kTestNow - 3600))
                                              .Erase("nonce"));
    return FakeProvider::Json(
        200, R"({"access_token":"a","token_type":"Bearer","id_token":)" + Quote(id_token) + "}");
  });
  answer = Refresh(*client, "session-2", "rt-old");
  EXPECT_EQ(answer.why.reason, Reason::kRefreshFailed);
  EXPECT_THAT(answer.why.detail, HasSubstr("expired"));
}

TEST_F(OidcClientTest, ConcurrentRefreshMakesOneRequest) {
  auto client = Make();
  provider_.HoldTokenEndpoint();
  constexpr int kThreads = 20;
  std::vector<Waiter> waiters(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      client->Refresh("session-1", "rt-old", IdTokenClaims(provider_.issuer()).Json(), clock_.Now(),
                      waiters[i].Callback());
    });
  }
  for (std::thread& thread : threads) thread.join();
  provider_.WaitForHeldRequests(1);
  provider_.ReleaseTokenEndpoint();
  for (Waiter& waiter : waiters) {
    Answer answer = waiter.Get();
    ASSERT_TRUE(answer.ok) << answer.why.detail;
    EXPECT_EQ(answer.result.tokens.access_token, "at-1");
    EXPECT_EQ(answer.result.tokens.refresh_token, "rt-1");
  }
  EXPECT_EQ(provider_.TokenRequests().size(), 1u);
  EXPECT_EQ(client->Stats().token_requests, 1u);
  EXPECT_EQ(client->Stats().refreshes_ok, static_cast<uint64_t>(kThreads));
  for (Waiter& waiter : waiters) EXPECT_EQ(waiter.calls(), 1);
}

TEST_F(OidcClientTest, LateCallerWithTheOldRefreshTokenGetsTheRememberedResult) {
  auto client = Make();
  Answer first = Refresh(*client, "session-1", "rt-old");
  ASSERT_TRUE(first.ok);
  clock_.Advance(absl::Seconds(59));
  Answer late = Refresh(*client, "session-1", "rt-old");
  ASSERT_TRUE(late.ok);
  EXPECT_EQ(late.result.tokens.access_token, first.result.tokens.access_token);
  EXPECT_EQ(late.result.tokens.refresh_token, first.result.tokens.refresh_token);
  EXPECT_EQ(provider_.TokenRequests().size(), 1u) << "the rotated token is not replayed";

  // Another session, or the new token, is a new refresh.
  EXPECT_EQ(Refresh(*client, "session-2", "rt-old").result.tokens.access_token, "at-2");
  EXPECT_EQ(
      Refresh(*client, "session-1", first.result.tokens.refresh_token).result.tokens.access_token,
      "at-3");
  // After a minute the old token is sent again (and the provider decides).
  clock_.Advance(absl::Seconds(120));
  EXPECT_EQ(Refresh(*client, "session-2", "rt-old").result.tokens.access_token, "at-4");
  EXPECT_EQ(provider_.TokenRequests().size(), 4u);
}

TEST_F(OidcClientTest, LogoutUrlWithEndSessionEndpoint) {
  provider_.SetEndSessionEndpoint(true);
  OidcConfig config = provider_.Config();
  config.post_logout_redirect_uri = "https://app.example/signed-out?x=1";
  auto client = Make(config);
  std::optional<std::string> url = client->LogoutUrl("eyJ.hint.sig");
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(*url, provider_.Url("/logout") +
                      "?id_token_hint=eyJ.hint.sig&post_logout_redirect_uri=https%3A%2F%2F"
                      "app.example%2Fsigned-out%3Fx%3D1&client_id=app");
  EXPECT_EQ(*client->LogoutUrl(""), provider_.Url("/logout") +
                                        "?post_logout_redirect_uri=https%3A%2F%2Fapp.example%2F"
                                        "signed-out%3Fx%3D1&client_id=app");
}

TEST_F(OidcClientTest, LogoutUrlWithoutEndSessionEndpoint) {
  auto client = Make();
  EXPECT_FALSE(client->LogoutUrl("eyJ.hint.sig").has_value());
}

TEST_F(OidcClientTest, DestructionWhileTheTokenEndpointIsSlow) {
  auto client = Make();
  provider_.HoldTokenEndpoint();
  Waiter login, refresh;
  FlowState flow = Flow(*client);
  client->HandleCallback({{"code", "abc"}}, flow, clock_.Now(), login.Callback());
  client->Refresh("session-1", "rt-old", IdTokenClaims(provider_.issuer()).Json(), clock_.Now(),
                  refresh.Callback());
  provider_.WaitForHeldRequests(2);
  client.reset();
  EXPECT_EQ(login.calls(), 1);
  EXPECT_EQ(login.Get().why.reason, Reason::kProviderUnavailable);
  EXPECT_EQ(refresh.calls(), 1);
  EXPECT_EQ(refresh.Get().why.reason, Reason::kRefreshFailed);
  provider_.ReleaseTokenEndpoint();
  http_.reset();  // waits for the answers, which find the client gone
  EXPECT_EQ(login.calls(), 1);
  EXPECT_EQ(refresh.calls(), 1);
}

// With explicit endpoints, fixed keys and answers the test delivers.
class OidcClientOfflineTest : public ::testing::Test {
 protected:
  OidcClientOfflineTest()
      : clock_(absl::FromUnixSeconds(kTestNow)), scheduler_(clock_), key_(TestKey::Ec("P-256")) {
    config_.issuer = "https://idp.example";
    config_.client_id = "app";
    config_.client_secret = "app-secret";
    config_.redirect_uri = "https://app.example/callback";
    config_.authorization_endpoint = "https://idp.example/authorize";
    config_.token_endpoint = "https://idp.example/token";
    config_.jwks_uri = "https://idp.example/jwks";
  }

  std::unique_ptr<OidcClient> Make() {
    absl::StatusOr<KeySet::Loaded> keys = KeySet::FromText(key_.PublicJwks("k1"));
    EXPECT_TRUE(keys.ok());
    absl::StatusOr<std::unique_ptr<OidcClient>> client =
        OidcClient::Create(config_, &http_, &scheduler_, clock_, KeySource::Fixed(keys->keys, {}));
    EXPECT_TRUE(client.ok()) << FromAbsl(client.status().message());
    return client.ok() ? std::move(*client) : nullptr;
  }

  OidcConfig config_;
  ManualClock clock_;
  ManualScheduler scheduler_;
  FakeHttpClient http_;
  TestKey key_;
};

TEST_F(OidcClientOfflineTest, ExplicitEndpointsAreReadyWithoutTraffic) {
  auto client = Make();
  EXPECT_TRUE(client->Ready());
  EXPECT_TRUE(http_.sent().empty());
  absl::StatusOr<std::string> url =
      client->AuthorizationUrl(*client->NewFlow("/", clock_.Now()), "s");
  ASSERT_TRUE(url.ok());
  EXPECT_THAT(*url, StartsWith("https://idp.example/authorize?response_type=code&"));
}

TEST_F(OidcClientOfflineTest, NotReadyUntilDiscoverySucceeds) {
  config_.authorization_endpoint.reset();
  http_.SetResponder([](const HttpRequest&) { return JsonResponse(500, ""); });
  auto client = Make();
  http_.Deliver();
  EXPECT_FALSE(client->Ready());
  EXPECT_THAT(client->last_error(), HasSubstr("HTTP status 500"));
  absl::StatusOr<std::string> url =
      client->AuthorizationUrl(*client->NewFlow("/", clock_.Now()), "s");
  EXPECT_EQ(url.status().code(), absl::StatusCode::kUnavailable);
  int calls = 0;
  Rejection why;
  client->HandleCallback({{"code", "abc"}}, *client->NewFlow("/", clock_.Now()), clock_.Now(),
                         [&](bool ok, LoginResult, Rejection r) { ++calls, why = r; });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(why.reason, Reason::kProviderUnavailable);
  EXPECT_FALSE(client->LogoutUrl("x").has_value());
}

TEST_F(OidcClientOfflineTest, PendingCallbacksRunOnceWhenDestroyed) {
  auto client = Make();
  http_.SetResponder([](const HttpRequest&) {
    return JsonResponse(200, R"({"access_token":"a","token_type":"Bearer","refresh_token":"r"})");
  });
  int login_calls = 0, refresh_calls = 0;
  Reason login_reason = Reason::kNone, refresh_reason = Reason::kNone;
  client->HandleCallback({{"code", "abc"}}, *client->NewFlow("/", clock_.Now()), clock_.Now(),
                         [&](bool, LoginResult, Rejection why) {
                           ++login_calls;
                           login_reason = why.reason;
                         });
  for (int i = 0; i < 3; ++i) {
    client->Refresh("session-1", "rt", "{}", clock_.Now(), [&](bool, LoginResult, Rejection why) {
      ++refresh_calls;
      refresh_reason = why.reason;
    });
  }
  EXPECT_EQ(http_.pending(), 2u) << "one code exchange, one refresh";
  client.reset();
  EXPECT_EQ(login_calls, 1);
  EXPECT_EQ(login_reason, Reason::kProviderUnavailable);
  EXPECT_EQ(refresh_calls, 3);
  EXPECT_EQ(refresh_reason, Reason::kRefreshFailed);
  EXPECT_EQ(http_.Deliver(), 2);
  EXPECT_EQ(login_calls, 1) << "late answers are dropped";
  EXPECT_EQ(refresh_calls, 3);
}

TEST_F(OidcClientOfflineTest, CreateNeedsHttpAndScheduler) {
  EXPECT_FALSE(OidcClient::Create(config_, nullptr, &scheduler_, clock_).ok());
  EXPECT_FALSE(OidcClient::Create(config_, &http_, nullptr, clock_).ok());
}

}  // namespace
}  // namespace authgate

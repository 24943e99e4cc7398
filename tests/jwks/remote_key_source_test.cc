// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// The remote key source on a hand-driven clock and scheduler, with an
// in-process HTTP client whose answers the test controls: nothing here
// depends on the speed of the machine.

#include <mutex>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jwks/key_source.h"
#include "support/fake_http_client.h"
#include "support/token_factory.h"
#include "text.h"

namespace authgate {
namespace {

using ::authgate::testing::FakeHttpClient;
using ::authgate::testing::TestKey;
using ::testing::HasSubstr;

absl::StatusOr<HttpResponse> Ok(std::string body, std::string cache_control = "") {
  HttpResponse response;
  response.status = 200;
  response.body = std::move(body);
  if (!cache_control.empty()) response.headers.emplace_back("cache-control", cache_control);
  return response;
}

absl::StatusOr<HttpResponse> Status(int status) {
  HttpResponse response;
  response.status = status;
  return response;
}

std::string Jwks(const std::vector<std::pair<const TestKey*, std::string>>& keys) {
  std::string out = "{\"keys\":[";
  for (size_t i = 0; i < keys.size(); ++i) {
    out += (i ? "," : "") + keys[i].first->PublicJwk(keys[i].second);
  }
  return out + "]}";
}

std::vector<std::string> Kids(const KeySet* keys) {
  std::vector<std::string> kids;
  if (keys == nullptr) return kids;
  for (const auto& key : keys->keys()) kids.push_back(key->kid().value_or(""));
  return kids;
}

class RemoteKeySourceTest : public ::testing::Test {
 protected:
  RemoteKeySourceTest()
      : clock_(absl::FromUnixSeconds(1800000000)), scheduler_(clock_), key_a_(TestKey::Ec("P-256")),
        key_b_(TestKey::Ec("P-256")) {}

  std::unique_ptr<KeySource> Make(RemoteKeySourceOptions options) {
    absl::StatusOr<std::unique_ptr<KeySource>> source =
        KeySource::Remote(std::move(options), &http_, &scheduler_);
    EXPECT_TRUE(source.ok()) << FromAbsl(source.status().message());
    return std::move(*source);
  }
  std::unique_ptr<KeySource> MakeUri() {
    RemoteKeySourceOptions options;
    options.jwks_uri = "https://idp.example/jwks";
    return Make(options);
  }

  ManualClock clock_;
  ManualScheduler scheduler_;
  FakeHttpClient http_;
  TestKey key_a_, key_b_;
};

TEST_F(RemoteKeySourceTest, FetchesAtCreationAndServesTheKeys) {
  http_.SetResponder([&](const HttpRequest&) { return Ok(Jwks({{&key_a_, "a"}})); });
  auto source = MakeUri();
  EXPECT_EQ(http_.sent().size(), 1u) << "the first fetch starts at creation";
  EXPECT_EQ(source->Keys(), nullptr) << "nothing before the answer";
  http_.Deliver();
  EXPECT_THAT(Kids(source->Keys()), ::testing::ElementsAre("a"));
  KeySourceStats stats = source->Stats();
  EXPECT_EQ(stats.fetch_successes, 1u);
  EXPECT_EQ(stats.key_count, 1u);
  EXPECT_EQ(stats.location, "https://idp.example/jwks");
  EXPECT_EQ(*stats.age, absl::ZeroDuration());
}

TEST_F(RemoteKeySourceTest, RefreshesAheadOfTheCacheLifetime) {
  http_.SetResponder([&](const HttpRequest&) { return Ok(Jwks({{&key_a_, "a"}}), "max-age=100"); });
  auto source = MakeUri();
  http_.Deliver();
  scheduler_.AdvanceAndRun(absl::Seconds(79));
  EXPECT_EQ(http_.sent().size(), 1u);
  scheduler_.AdvanceAndRun(absl::Seconds(2));
  EXPECT_EQ(http_.sent().size(), 2u) << "refresh at 80% of max-age";
  http_.Deliver();
  EXPECT_EQ(source->Stats().fetch_successes, 2u);
}

TEST_F(RemoteKeySourceTest, CacheLifetimeDefaultsAndBounds) {
  RemoteKeySourceOptions options;
  options.jwks_uri = "https://idp.example/jwks";
  options.cache_duration = absl::Minutes(10);
  options.min_cache_duration = absl::Seconds(60);
  options.max_cache_duration = absl::Hours(1);
  std::string cache_control;
  http_.SetResponder([&](const HttpRequest&) { return Ok(Jwks({{&key_a_, "a"}}), cache_control); });
  auto source = Make(options);
  http_.Deliver();
  // No header: 10 minutes, refreshed at 8.
  scheduler_.AdvanceAndRun(absl::Minutes(8) - absl::Seconds(1));
  EXPECT_EQ(http_.sent().size(), 1u);
  cache_control = "public, max-age=5";  // below the minimum: 60 s
  scheduler_.AdvanceAndRun(absl::Seconds(2));
  ASSERT_EQ(http_.sent().size(), 2u);
  http_.Deliver();
  scheduler_.AdvanceAndRun(absl::Seconds(47));
  EXPECT_EQ(http_.sent().size(), 2u);
  cache_control = "max-age=999999";  // above the maximum: 1 hour
  scheduler_.AdvanceAndRun(absl::Seconds(2));
  ASSERT_EQ(http_.sent().size(), 3u);
  http_.Deliver();
  scheduler_.AdvanceAndRun(absl::Minutes(47));
  EXPECT_EQ(http_.sent().size(), 3u);
  scheduler_.AdvanceAndRun(absl::Minutes(2));
  EXPECT_EQ(http_.sent().size(), 4u);
}

TEST_F(RemoteKeySourceTest, FollowsKeyRotation) {
  std::string body = Jwks({{&key_a_, "a"}});
  http_.SetResponder([&](const HttpRequest&) { return Ok(body, "max-age=60"); });
  auto source = MakeUri();
  http_.Deliver();
  uint64_t generation = source->Generation();
  body = Jwks({{&key_a_, "a"}, {&key_b_, "b"}});  // overlap
  scheduler_.AdvanceAndRun(absl::Seconds(60));
  http_.Deliver();
  EXPECT_THAT(Kids(source->Keys()), ::testing::ElementsAre("a", "b"));
  EXPECT_GT(source->Generation(), generation);
  body = Jwks({{&key_b_, "b"}});  // old key retired
  scheduler_.AdvanceAndRun(absl::Seconds(60));
  http_.Deliver();
  EXPECT_THAT(Kids(source->Keys()), ::testing::ElementsAre("b"));
}

TEST_F(RemoteKeySourceTest, ServesStaleKeysWhileTheProviderIsDownThenRecovers) {
  RemoteKeySourceOptions options;
  options.jwks_uri = "https://idp.example/jwks";
  options.cache_duration = absl::Minutes(5);
  options.max_stale = absl::Hours(2);
  bool down = false;
  http_.SetResponder([&](const HttpRequest&) -> absl::StatusOr<HttpResponse> {
    if (down) return absl::UnavailableError("connection refused");
    return Ok(Jwks({{&key_a_, "a"}}));
  });
  auto source = Make(options);
  http_.Deliver();
  down = true;
  // An hour down: far beyond the 5-minute cache lifetime.
  for (int minute = 0; minute < 60; ++minute) {
    scheduler_.AdvanceAndRun(absl::Minutes(1));
    http_.Deliver();
  }
  EXPECT_THAT(Kids(source->Keys()), ::testing::ElementsAre("a")) << "stale keys still served";
  KeySourceStats stats = source->Stats();
  EXPECT_GT(stats.fetch_failures, 3u);
  EXPECT_THAT(stats.last_error, HasSubstr("connection refused"));
  EXPECT_GE(*stats.age, absl::Minutes(60));
  // Backoff grows: far fewer attempts than one per second.
  EXPECT_LT(stats.fetch_failures, 40u);
  down = false;
  scheduler_.AdvanceAndRun(absl::Minutes(6));  // max_backoff is 5 minutes
  http_.Deliver();
  EXPECT_EQ(source->Stats().last_error, "");
  EXPECT_LT(*source->Stats().age, absl::Minutes(6));
}

TEST_F(RemoteKeySourceTest, DropsKeysOlderThanMaxStale) {
  RemoteKeySourceOptions options;
  options.jwks_uri = "https://idp.example/jwks";
  options.max_stale = absl::Hours(1);
  bool down = false;
  http_.SetResponder([&](const HttpRequest&) -> absl::StatusOr<HttpResponse> {
    if (down) return Status(503);
    return Ok(Jwks({{&key_a_, "a"}}));
  });
  auto source = Make(options);
  http_.Deliver();
  down = true;
  for (int minute = 0; minute < 59; ++minute) {
    scheduler_.AdvanceAndRun(absl::Minutes(1));
    http_.Deliver();
  }
  EXPECT_NE(source->Keys(), nullptr);
  scheduler_.AdvanceAndRun(absl::Minutes(2));
  http_.Deliver();
  EXPECT_EQ(source->Keys(), nullptr) << "too stale to trust";
}

TEST_F(RemoteKeySourceTest, BadDocumentsNeverReplaceGoodKeys) {
  std::string body = Jwks({{&key_a_, "a"}});
  http_.SetResponder([&](const HttpRequest&) { return Ok(body, "max-age=60"); });
  auto source = MakeUri();
  http_.Deliver();
  for (std::string bad : {std::string(R"({"keys":[]})"), std::string("<html>oops</html>"),
                          std::string(R"({"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]})"),
                          std::string(""), std::string(R"({"keys":[],"keys":[]})")}) {
    body = bad;
    source->Refresh();
    http_.Deliver();
    EXPECT_THAT(Kids(source->Keys()), ::testing::ElementsAre("a")) << bad;
  }
  EXPECT_EQ(source->Stats().fetch_failures, 5u);
}

TEST_F(RemoteKeySourceTest, SkipsIndividualBadKeysWithWarnings) {
  http_.SetResponder([&](const HttpRequest&) {
    return Ok("{\"keys\":[" + key_a_.PublicJwk("a") +
              R"(,{"kty":"EC","crv":"P-256","x":"AA","y":"AA","kid":"bad"}]})");
  });
  auto source = MakeUri();
  http_.Deliver();
  EXPECT_THAT(Kids(source->Keys()), ::testing::ElementsAre("a"));
  ASSERT_EQ(source->Stats().warnings.size(), 1u);
}

TEST_F(RemoteKeySourceTest, UnknownKidRefetchIsSingleFlightAndRateLimited) {
  http_.SetResponder([&](const HttpRequest&) { return Ok(Jwks({{&key_a_, "a"}})); });
  auto source = MakeUri();
  http_.Deliver();
  int completions = 0;
  EXPECT_TRUE(source->RefreshForUnknownKey([&] { ++completions; }));
  // While in flight, more requests join the same fetch.
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(source->RefreshForUnknownKey([&] { ++completions; }));
  EXPECT_EQ(http_.sent().size(), 2u);
  http_.Deliver();
  EXPECT_EQ(completions, 101);
  // Within the interval after that refetch: refused, nothing sent.
  EXPECT_FALSE(source->RefreshForUnknownKey([] { FAIL() << "must not run"; }));
  EXPECT_EQ(http_.sent().size(), 2u);
  scheduler_.AdvanceAndRun(absl::Seconds(31));
  EXPECT_TRUE(source->RefreshForUnknownKey(nullptr));
  EXPECT_EQ(http_.sent().size(), 3u);
}

TEST_F(RemoteKeySourceTest, AScheduledFetchDoesNotDelayTheFetchOfANewKey) {
  // The provider starts signing with key b just after a fetch that only
  // had key a (the first one here, or any scheduled refresh): the token's
  // unknown kid fetches again at once, rather than a refetch_interval later.
  bool rotated = false;
  http_.SetResponder([&](const HttpRequest&) {
    return rotated ? Ok(Jwks({{&key_a_, "a"}, {&key_b_, "b"}})) : Ok(Jwks({{&key_a_, "a"}}));
  });
  auto source = MakeUri();
  http_.Deliver();
  ASSERT_THAT(Kids(source->Keys()), ::testing::ElementsAre("a"));
  rotated = true;
  bool done = false;
  EXPECT_TRUE(source->RefreshForUnknownKey([&] { done = true; }));
  http_.Deliver();
  EXPECT_TRUE(done);
  EXPECT_THAT(Kids(source->Keys()), ::testing::ElementsAre("a", "b"));
}

TEST_F(RemoteKeySourceTest, AFloodOfUnknownKidsFromManyThreadsFetchesOncePerInterval) {
  http_.SetResponder([&](const HttpRequest&) { return Ok(Jwks({{&key_a_, "a"}})); });
  auto source = MakeUri();
  http_.Deliver();
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 125; ++i) source->RefreshForUnknownKey(nullptr);
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(http_.sent().size(), 2u) << "1000 requests, one fetch";
  http_.Deliver();
  for (int i = 0; i < 1000; ++i) source->RefreshForUnknownKey(nullptr);
  EXPECT_EQ(http_.sent().size(), 2u) << "rate limit after the fetch";
  scheduler_.AdvanceAndRun(absl::Seconds(30));
  for (int i = 0; i < 1000; ++i) source->RefreshForUnknownKey(nullptr);
  EXPECT_EQ(http_.sent().size(), 3u) << "one more per interval";
}

TEST_F(RemoteKeySourceTest, DiscoversTheJwksUri) {
  http_.SetResponder([&](const HttpRequest& r) -> absl::StatusOr<HttpResponse> {
    if (r.url == "https://idp.example/tenant/.well-known/openid-configuration") {
      return Ok(R"({"issuer":"https://idp.example/tenant/","jwks_uri":"https://keys.example/k"})");
    }
    if (r.url == "https://keys.example/k") return Ok(Jwks({{&key_a_, "a"}}));
    return Status(404);
  });
  RemoteKeySourceOptions options;
  options.discovery_issuer = "https://idp.example/tenant/";  // one trailing '/' removed
  auto source = Make(options);
  http_.Deliver();
  EXPECT_THAT(Kids(source->Keys()), ::testing::ElementsAre("a"));
  EXPECT_THAT(http_.sent_urls(), ::testing::ElementsAre(
                                "https://idp.example/tenant/.well-known/openid-configuration",
                                "https://keys.example/k"));
  EXPECT_EQ(source->Stats().location, "https://keys.example/k");
}

TEST_F(RemoteKeySourceTest, RejectsADiscoveryDocumentForAnotherIssuer) {
  for (std::string issuer : {"https://idp.example", "https://IDP.example/", "https://evil.example/",
                             "https://idp.example//"}) {
    FakeHttpClient http;
    http.SetResponder([&](const HttpRequest& r) -> absl::StatusOr<HttpResponse> {
      if (r.url.find("openid-configuration") != std::string::npos) {
        return Ok(R"({"issuer":")" + issuer + R"(","jwks_uri":"https://keys.example/k"})");
      }
      return Ok(Jwks({{&key_a_, "a"}}));
    });
    RemoteKeySourceOptions options;
    options.discovery_issuer = "https://idp.example/";
    auto source = KeySource::Remote(options, &http, &scheduler_);
    ASSERT_TRUE(source.ok());
    http.Deliver();
    EXPECT_EQ((*source)->Keys(), nullptr) << issuer;
    EXPECT_THAT((*source)->Stats().last_error, HasSubstr("issuer")) << issuer;
    EXPECT_EQ(http.sent().size(), 1u) << "the keys of a mismatched issuer are never fetched";
  }
}

TEST_F(RemoteKeySourceTest, RequiresHttpsExceptOnLoopback) {
  RemoteKeySourceOptions options;
  options.jwks_uri = "http://idp.example/jwks";
  EXPECT_EQ(KeySource::Remote(options, &http_, &scheduler_).status().code(),
            absl::StatusCode::kFailedPrecondition);
  options.jwks_uri = "";
  options.discovery_issuer = "http://idp.example";
  EXPECT_EQ(KeySource::Remote(options, &http_, &scheduler_).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(http_.sent().size(), 0u);
  options.allow_insecure_http = true;
  EXPECT_TRUE(KeySource::Remote(options, &http_, &scheduler_).ok());
  options.allow_insecure_http = false;
  options.discovery_issuer = "http://127.0.0.1:9000";
  EXPECT_TRUE(KeySource::Remote(options, &http_, &scheduler_).ok());
  options.discovery_issuer = "";
  options.jwks_uri = "https://x/jwks";
  options.discovery_issuer = "https://x";
  EXPECT_FALSE(KeySource::Remote(options, &http_, &scheduler_).ok()) << "exactly one";
}

TEST_F(RemoteKeySourceTest, WaitersRunWhenTheSourceIsDestroyed) {
  http_.SetResponder([&](const HttpRequest&) { return Ok(Jwks({{&key_a_, "a"}})); });
  int completions = 0;
  {
    auto source = MakeUri();
    EXPECT_TRUE(source->RefreshForUnknownKey([&] { ++completions; }));
  }
  EXPECT_EQ(completions, 1);
  http_.Deliver();  // the late answer finds nobody and does nothing
  EXPECT_EQ(completions, 1);
}

}  // namespace
}  // namespace authgate

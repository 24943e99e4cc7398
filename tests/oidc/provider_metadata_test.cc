// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// Discovery documents (OIDC Discovery 1.0) and the metadata source: explicit
// endpoints, discovery with retries and daily refresh, on a hand-driven
// clock with an HTTP client whose answers the test delivers.

#include "oidc/provider_metadata.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/fake_http_client.h"
#include "text.h"

namespace authgate {
namespace {

using ::authgate::testing::FakeHttpClient;
using ::authgate::testing::JsonResponse;
using ::testing::HasSubstr;

constexpr char kIssuer[] = "https://idp.example";

std::string Document(const std::string& issuer = kIssuer, const std::string& extra = "") {
  return R"({"issuer":")" + issuer +
         R"(","authorization_endpoint":"https://idp.example/authorize",)"
         R"("token_endpoint":"https://idp.example/token","jwks_uri":"https://idp.example/jwks")" +
         extra + "}";
}

std::string ParseError(const std::string& body, const std::string& issuer = kIssuer) {
  absl::StatusOr<ProviderMetadata> metadata = ParseDiscoveryDocument(body, issuer);
  return metadata.ok() ? "" : std::string(FromAbsl(metadata.status().message()));
}

TEST(DiscoveryDocumentTest, ReadsTheMembersAuthgateUses) {
  absl::StatusOr<ProviderMetadata> metadata = ParseDiscoveryDocument(
      Document(kIssuer,
               R"(,"end_session_endpoint":"https://idp.example/logout",)"
               R"("authorization_response_iss_parameter_supported":true,)"
               R"("token_endpoint_auth_methods_supported":["client_secret_post"],)"
               R"("id_token_signing_alg_values_supported":["RS256","ES256"],)"
               R"("code_challenge_methods_supported":["S256"],"claims_supported":["sub"],)"
               R"("mtls_endpoint_aliases":{"token_endpoint":"https://mtls.idp.example/token"})"),
      kIssuer);
  ASSERT_TRUE(metadata.ok()) << FromAbsl(metadata.status().message());
  EXPECT_EQ(metadata->issuer, kIssuer);
  EXPECT_EQ(metadata->authorization_endpoint, "https://idp.example/authorize");
  EXPECT_EQ(metadata->token_endpoint, "https://idp.example/token");
  EXPECT_EQ(metadata->jwks_uri, "https://idp.example/jwks");
  EXPECT_EQ(metadata->end_session_endpoint, "https://idp.example/logout");
  EXPECT_TRUE(metadata->authorization_response_iss_parameter_supported);
  EXPECT_THAT(metadata->token_endpoint_auth_methods_supported,
              ::testing::ElementsAre("client_secret_post"));
  EXPECT_THAT(metadata->id_token_signing_alg_values_supported,
              ::testing::ElementsAre("RS256", "ES256"));
  EXPECT_THAT(metadata->code_challenge_methods_supported, ::testing::ElementsAre("S256"));

  metadata = ParseDiscoveryDocument(Document(), kIssuer);
  ASSERT_TRUE(metadata.ok());
  EXPECT_FALSE(metadata->end_session_endpoint.has_value());
  EXPECT_FALSE(metadata->authorization_response_iss_parameter_supported);
}

TEST(DiscoveryDocumentTest, IssuerMustEqualTheConfiguredOneByteForByte) {
  EXPECT_THAT(ParseError(Document("https://evil.example")), HasSubstr("does not equal"));
  EXPECT_THAT(ParseError(Document("https://idp.example/")), HasSubstr("does not equal"))
      << "a trailing slash is a different issuer";
  EXPECT_THAT(ParseError(Document("https://IDP.example")), HasSubstr("does not equal"));
  EXPECT_THAT(ParseError(R"({"authorization_endpoint":"https://idp.example/a"})"),
              HasSubstr("\"issuer\" (a string) is required"));
}

TEST(DiscoveryDocumentTest, TrailingSlashIssuer) {
  // Auth0-style issuers end with '/': the document URL drops one slash, the
  // comparison keeps it.
  EXPECT_EQ(DiscoveryUrl("https://tenant.auth0.example/"),
            "https://tenant.auth0.example/.well-known/openid-configuration");
  EXPECT_EQ(DiscoveryUrl("https://idp.example/realms/a"),
            "https://idp.example/realms/a/.well-known/openid-configuration");
  EXPECT_EQ(ParseError(Document("https://idp.example/"), "https://idp.example/"), "");
}

TEST(DiscoveryDocumentTest, RequiredEndpoints) {
  const std::pair<std::string, std::string> members[] = {
      {"authorization_endpoint", R"("authorization_endpoint":"https://idp.example/authorize")"},
      {"token_endpoint", R"("token_endpoint":"https://idp.example/token")"},
      {"jwks_uri", R"("jwks_uri":"https://idp.example/jwks")"}};
  for (const auto& [missing, unused] : members) {
    std::string body = R"({"issuer":"https://idp.example")";
    for (const auto& [name, member] : members) {
      if (name != missing) body += "," + member;
    }
    body += "}";
    EXPECT_THAT(ParseError(body), HasSubstr("\"" + missing + "\" is required")) << body;
  }
}

TEST(DiscoveryDocumentTest, EndpointsMustBeFetchableUrls) {
  EXPECT_THAT(
      ParseError(
          R"({"issuer":"https://idp.example","authorization_endpoint":"https://idp.example/a",)"
          R"("token_endpoint":"http://idp.example/token","jwks_uri":"https://idp.example/j"})"),
      HasSubstr("\"token_endpoint\": refusing plain http"));
  EXPECT_THAT(ParseError(Document(kIssuer, R"(,"end_session_endpoint":"javascript:void")")),
              HasSubstr("\"end_session_endpoint\""));
  EXPECT_THAT(
      ParseError(
          R"({"issuer":"https://idp.example","authorization_endpoint":"https://u:p@idp.example/a",)"
          R"("token_endpoint":"https://idp.example/t","jwks_uri":"https://idp.example/j"})"),
      HasSubstr("user information"));
  EXPECT_EQ(
      ParseError(
          R"({"issuer":"https://idp.example","authorization_endpoint":"http://localhost:8080/a",)"
          R"("token_endpoint":"http://127.0.0.1:8080/t","jwks_uri":"http://[::1]/j"})"),
      "")
      << "loopback http is fine";
}

TEST(DiscoveryDocumentTest, IsStrictAboutTypes) {
  EXPECT_THAT(ParseError("not json"), HasSubstr("discovery document: invalid JSON"));
  EXPECT_THAT(ParseError("[]"), HasSubstr("not a JSON object"));
  EXPECT_THAT(ParseError(Document(kIssuer, R"(,"issuer":"https://idp.example")")),
              HasSubstr("duplicate member"));
  EXPECT_THAT(
      ParseError(Document(kIssuer, R"(,"authorization_response_iss_parameter_supported":"true")")),
      HasSubstr("must be true or false"));
  EXPECT_THAT(ParseError(Document(
                  kIssuer, R"(,"token_endpoint_auth_methods_supported":"client_secret_basic")")),
              HasSubstr("must be an array of strings"));
  EXPECT_THAT(ParseError(Document(kIssuer, R"(,"id_token_signing_alg_values_supported":[1])")),
              HasSubstr("must be an array of strings"));
}

OidcConfig Config() {
  OidcConfig config;
  config.issuer = kIssuer;
  config.client_id = "app";
  config.client_secret = "secret";
  config.redirect_uri = "https://app.example/callback";
  return config;
}

class MetadataSourceTest : public ::testing::Test {
 protected:
  MetadataSourceTest() : clock_(absl::FromUnixSeconds(1800000000)), scheduler_(clock_) {}

  std::unique_ptr<MetadataSource> Make(const OidcConfig& config) {
    absl::StatusOr<std::unique_ptr<MetadataSource>> source =
        MetadataSource::Create(config, &http_, &scheduler_);
    EXPECT_TRUE(source.ok()) << FromAbsl(source.status().message());
    return source.ok() ? std::move(*source) : nullptr;
  }

  ManualClock clock_;
  ManualScheduler scheduler_;
  FakeHttpClient http_;
};

TEST_F(MetadataSourceTest, ExplicitEndpointsAreReadyAtOnce) {
  OidcConfig config = Config();
  config.authorization_endpoint = "https://idp.example/auth";
  config.token_endpoint = "https://idp.example/token";
  config.jwks_uri = "https://idp.example/keys";
  auto source = Make(config);
  ASSERT_NE(source->Get(), nullptr);
  EXPECT_EQ(source->Get()->authorization_endpoint, "https://idp.example/auth");
  EXPECT_EQ(source->Get()->issuer, kIssuer);
  EXPECT_FALSE(source->Get()->end_session_endpoint.has_value());
  EXPECT_TRUE(http_.sent().empty()) << "no discovery";
  EXPECT_EQ(scheduler_.pending(), 0u);
}

TEST_F(MetadataSourceTest, DiscoversAtCreation) {
  http_.SetResponder([](const HttpRequest&) { return JsonResponse(200, Document()); });
  auto source = Make(Config());
  ASSERT_EQ(http_.sent().size(), 1u);
  EXPECT_EQ(http_.sent()[0].url, "https://idp.example/.well-known/openid-configuration");
  EXPECT_EQ(source->Get(), nullptr) << "nothing before the answer";
  http_.Deliver();
  ASSERT_NE(source->Get(), nullptr);
  EXPECT_EQ(source->Get()->token_endpoint, "https://idp.example/token");
  EXPECT_TRUE(source->WaitReady(absl::ZeroDuration()));
  EXPECT_EQ(source->last_error(), "");
}

TEST_F(MetadataSourceTest, ConfiguredEndpointsOverrideDiscoveredOnes) {
  http_.SetResponder([](const HttpRequest&) { return JsonResponse(200, Document()); });
  OidcConfig config = Config();
  config.end_session_endpoint = "https://idp.example/v2/logout";
  config.token_endpoint = "https://idp.example/other-token";
  auto source = Make(config);
  http_.Deliver();
  ASSERT_NE(source->Get(), nullptr);
  EXPECT_EQ(source->Get()->end_session_endpoint, "https://idp.example/v2/logout");
  EXPECT_EQ(source->Get()->token_endpoint, "https://idp.example/other-token");
  EXPECT_EQ(source->Get()->authorization_endpoint, "https://idp.example/authorize");
}

TEST_F(MetadataSourceTest, RetriesAfterFailureWithBackoff) {
  int status = 503;
  http_.SetResponder([&](const HttpRequest&) { return JsonResponse(status, Document()); });
  auto source = Make(Config());
  http_.Deliver();
  EXPECT_EQ(source->Get(), nullptr);
  EXPECT_THAT(source->last_error(), HasSubstr("HTTP status 503"));
  // First retry within 1 s (0.5-1 s with jitter), the next within 2 s.
  absl::Time first_retry = scheduler_.NextDue();
  EXPECT_LE(first_retry - clock_.Now(), absl::Seconds(1));
  EXPECT_GE(first_retry - clock_.Now(), absl::Milliseconds(500));
  scheduler_.AdvanceAndRun(absl::Seconds(1));
  ASSERT_EQ(http_.sent().size(), 2u);
  http_.Deliver();
  absl::Duration second_wait = scheduler_.NextDue() - clock_.Now();
  EXPECT_GE(second_wait, absl::Seconds(1));
  EXPECT_LE(second_wait, absl::Seconds(2));
  // A wrong document is a failure like any other.
  status = 200;
  http_.SetResponder(
      [](const HttpRequest&) { return JsonResponse(200, Document("https://evil.example")); });
  scheduler_.AdvanceAndRun(absl::Seconds(2));
  http_.Deliver();
  EXPECT_EQ(source->Get(), nullptr);
  EXPECT_THAT(source->last_error(), HasSubstr("does not equal the configured issuer"));
  http_.SetResponder([](const HttpRequest&) { return JsonResponse(200, Document()); });
  scheduler_.AdvanceAndRun(absl::Seconds(4));
  http_.Deliver();
  EXPECT_NE(source->Get(), nullptr);
  EXPECT_EQ(source->last_error(), "");
}

TEST_F(MetadataSourceTest, BackoffIsCappedAtFiveMinutes) {
  http_.SetResponder([](const HttpRequest&) { return JsonResponse(500, ""); });
  auto source = Make(Config());
  for (int i = 0; i < 20; ++i) {
    http_.Deliver();
    EXPECT_LE(scheduler_.NextDue() - clock_.Now(), absl::Minutes(5));
    clock_.Set(scheduler_.NextDue());
    scheduler_.RunDue();
  }
  EXPECT_EQ(http_.sent().size(), 21u);
}

TEST_F(MetadataSourceTest, RefreshesDailyAndKeepsTheLastGoodDocument) {
  http_.SetResponder([](const HttpRequest&) { return JsonResponse(200, Document()); });
  auto source = Make(Config());
  http_.Deliver();
  std::shared_ptr<const ProviderMetadata> first = source->Get();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(scheduler_.NextDue() - clock_.Now(), absl::Hours(24));
  http_.SetResponder(
      [](const HttpRequest&) { return absl::UnavailableError("connection refused"); });
  scheduler_.AdvanceAndRun(absl::Hours(24));
  ASSERT_EQ(http_.sent().size(), 2u);
  http_.Deliver();
  EXPECT_EQ(source->Get(), first) << "a failed refresh keeps the last good document";
  EXPECT_THAT(source->last_error(), HasSubstr("connection refused"));
  http_.SetResponder([](const HttpRequest&) {
    return JsonResponse(200,
                        Document(kIssuer, R"(,"end_session_endpoint":"https://idp.example/bye")"));
  });
  scheduler_.AdvanceAndRun(absl::Seconds(1));
  http_.Deliver();
  ASSERT_NE(source->Get(), first);
  EXPECT_EQ(source->Get()->end_session_endpoint, "https://idp.example/bye");
}

TEST_F(MetadataSourceTest, AnswersAfterDestructionAreIgnored) {
  http_.SetResponder([](const HttpRequest&) { return JsonResponse(200, Document()); });
  auto source = Make(Config());
  source.reset();
  EXPECT_EQ(http_.Deliver(), 1);
  EXPECT_EQ(scheduler_.pending(), 0u) << "nothing scheduled once closed";
}

TEST_F(MetadataSourceTest, RefusesAnIssuerItMayNotFetch) {
  OidcConfig config = Config();
  config.issuer = "http://idp.example";
  EXPECT_FALSE(MetadataSource::Create(config, &http_, &scheduler_).ok());
  config.allow_insecure_http = true;
  EXPECT_TRUE(MetadataSource::Create(config, &http_, &scheduler_).ok());
}

}  // namespace
}  // namespace authgate

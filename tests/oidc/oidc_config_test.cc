// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// The `oidc` configuration object: required keys, defaults, and errors that
// name the offending key.

#include "oidc/oidc_config.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "text.h"

namespace authgate {
namespace {

using ::testing::HasSubstr;

constexpr char kMinimal[] =
    R"("issuer":"https://idp.example","client_id":"app","client_secret":"s3cret",)"
    R"("redirect_uri":"https://app.example/callback")";

// Parses `{<members>}` as the engine would: its own keys first (here
// "signout_path"), then ParseOidcConfig, then CheckAllKeysKnown.
absl::StatusOr<OidcConfig> Parse(const std::string& members) {
  JsonDocument doc;
  if (absl::Status s = doc.Parse("{" + members + "}", JsonLimits{}); !s.ok()) return s;
  absl::StatusOr<ConfigObject> oidc = ConfigObject::Open(doc.root(), "oidc");
  if (!oidc.ok()) return oidc.status();
  std::optional<std::string> signout_path;
  if (absl::Status s = oidc->GetString("signout_path", &signout_path); !s.ok()) return s;
  OidcConfig config;
  if (absl::Status s = ParseOidcConfig(&*oidc, &config); !s.ok()) return s;
  if (absl::Status s = oidc->CheckAllKeysKnown(); !s.ok()) return s;
  return config;
}

std::string Error(const std::string& members) {
  absl::StatusOr<OidcConfig> config = Parse(members);
  return config.ok() ? "" : std::string(FromAbsl(config.status().message()));
}

TEST(OidcConfigTest, MinimalConfigurationHasTheDefaults) {
  absl::StatusOr<OidcConfig> config = Parse(kMinimal);
  ASSERT_TRUE(config.ok()) << FromAbsl(config.status().message());
  EXPECT_EQ(config->issuer, "https://idp.example");
  EXPECT_EQ(config->client_id, "app");
  EXPECT_EQ(config->client_secret, "s3cret");
  EXPECT_EQ(config->redirect_uri, "https://app.example/callback");
  EXPECT_THAT(config->scopes, ::testing::ElementsAre("openid"));
  EXPECT_FALSE(config->token_endpoint_auth_method.has_value());
  EXPECT_FALSE(config->HasExplicitEndpoints());
  EXPECT_EQ(config->clock_skew, absl::Seconds(60));
  EXPECT_FALSE(config->allow_insecure_http);
  EXPECT_TRUE(config->id_token_algorithms.contains(Algorithm::kRS256));
  EXPECT_TRUE(config->id_token_algorithms.contains(Algorithm::kEdDSA));
  EXPECT_FALSE(config->id_token_algorithms.contains(Algorithm::kHS256)) << "HMAC only when listed";
}

TEST(OidcConfigTest, RequiredKeysAreNamed) {
  EXPECT_EQ(Error(R"("client_id":"a","client_secret":"s","redirect_uri":"https://a/cb")"),
            "oidc.issuer: is required");
  EXPECT_EQ(Error(R"("issuer":"https://i","client_secret":"s","redirect_uri":"https://a/cb")"),
            "oidc.client_id: is required");
  EXPECT_THAT(Error(R"("issuer":"https://i","client_id":"a","redirect_uri":"https://a/cb")"),
              HasSubstr("oidc.client_secret: is required"));
  EXPECT_EQ(Error(R"("issuer":"https://i","client_id":"a","client_secret":"s")"),
            "oidc.redirect_uri: is required");
}

TEST(OidcConfigTest, PublicClientsHaveNoSecret) {
  absl::StatusOr<OidcConfig> config =
      Parse(R"("issuer":"https://i","client_id":"a","redirect_uri":"https://a/cb",)"
            R"("token_endpoint_auth_method":"none")");
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->token_endpoint_auth_method, TokenEndpointAuthMethod::kNone);
  EXPECT_THAT(Error(std::string(kMinimal) + R"(,"token_endpoint_auth_method":"none")"),
              HasSubstr("oidc.client_secret: must not be set"));
  EXPECT_THAT(Error(std::string(kMinimal) + R"(,"token_endpoint_auth_method":"private_key_jwt")"),
              HasSubstr("oidc.token_endpoint_auth_method:"));
}

TEST(OidcConfigTest, UrlsAreChecked) {
  EXPECT_THAT(Error(R"("issuer":"http://idp.example","client_id":"a","client_secret":"s",)"
                    R"("redirect_uri":"https://a/cb")"),
              HasSubstr("oidc.issuer: refusing plain http"));
  EXPECT_TRUE(Parse(R"("issuer":"http://127.0.0.1:8080","client_id":"a","client_secret":"s",)"
                    R"("redirect_uri":"https://a/cb")")
                  .ok())
      << "plain http to loopback";
  EXPECT_TRUE(Parse(R"("issuer":"http://idp.example","client_id":"a","client_secret":"s",)"
                    R"("redirect_uri":"https://a/cb","allow_insecure_http":true)")
                  .ok());
  EXPECT_THAT(Error(R"("issuer":"https://i?x=1","client_id":"a","client_secret":"s",)"
                    R"("redirect_uri":"https://a/cb")"),
              HasSubstr("oidc.issuer: must not have a query"));
  EXPECT_THAT(Error(R"("issuer":"https://i","client_id":"a","client_secret":"s",)"
                    R"("redirect_uri":"http://app.example/cb")"),
              HasSubstr("oidc.redirect_uri: refusing plain http"));
  EXPECT_TRUE(Parse(R"("issuer":"https://i","client_id":"a","client_secret":"s",)"
                    R"("redirect_uri":"http://localhost:8080/cb")")
                  .ok());
  EXPECT_THAT(Error(R"("issuer":"https://i","client_id":"a","client_secret":"s",)"
                    R"("redirect_uri":"/callback")"),
              HasSubstr("oidc.redirect_uri: "));
  EXPECT_THAT(Error(R"("issuer":"https://i","client_id":"a","client_secret":"s",)"
                    R"("redirect_uri":"https://a/cb#frag")"),
              HasSubstr("oidc.redirect_uri: "));
  EXPECT_THAT(Error(std::string(kMinimal) + R"(,"token_endpoint":"http://idp.example/token")"),
              HasSubstr("oidc.token_endpoint: refusing plain http"));
  EXPECT_THAT(Error(std::string(kMinimal) + R"(,"end_session_endpoint":"not a url")"),
              HasSubstr("oidc.end_session_endpoint: "));
}

TEST(OidcConfigTest, ExplicitEndpointsSkipDiscovery) {
  absl::StatusOr<OidcConfig> config = Parse(
      std::string(kMinimal) +
      R"(,"authorization_endpoint":"https://idp.example/auth",)"
      R"("token_endpoint":"https://idp.example/token","jwks_uri":"https://idp.example/jwks",)"
      R"("end_session_endpoint":"https://idp.example/logout",)"
      R"("post_logout_redirect_uri":"https://app.example/bye")");
  ASSERT_TRUE(config.ok()) << FromAbsl(config.status().message());
  EXPECT_TRUE(config->HasExplicitEndpoints());
  EXPECT_EQ(*config->end_session_endpoint, "https://idp.example/logout");
  EXPECT_EQ(*config->post_logout_redirect_uri, "https://app.example/bye");
}

TEST(OidcConfigTest, ScopesStartWithOpenid) {
  absl::StatusOr<OidcConfig> config =
      Parse(std::string(kMinimal) + R"(,"scopes":["email","openid","offline_access"])");
  ASSERT_TRUE(config.ok());
  EXPECT_THAT(config->scopes, ::testing::ElementsAre("openid", "email", "offline_access"));
  config = Parse(std::string(kMinimal) + R"(,"scopes":["email"])");
  ASSERT_TRUE(config.ok());
  EXPECT_THAT(config->scopes, ::testing::ElementsAre("openid", "email"));
  EXPECT_THAT(Error(std::string(kMinimal) + R"(,"scopes":["a b"])"), HasSubstr("oidc.scopes:"));
  EXPECT_THAT(Error(std::string(kMinimal) + R"(,"scopes":[""])"), HasSubstr("oidc.scopes:"));
  EXPECT_THAT(Error(std::string(kMinimal) + R"(,"scopes":["email","email"])"),
              HasSubstr("oidc.scopes: \"email\" appears twice"));
  EXPECT_THAT(Error(std::string(kMinimal) + R"(,"scopes":"openid")"), HasSubstr("oidc.scopes:"));
}

TEST(OidcConfigTest, ExtraParametersCannotOverrideTheProtocol) {
  absl::StatusOr<OidcConfig> config = Parse(
      std::string(kMinimal) + R"(,"auth_request_params":{"audience":"api","prompt":"login"})");
  ASSERT_TRUE(config.ok());
  ASSERT_EQ(config->auth_request_params.size(), 2u);
  EXPECT_EQ(config->auth_request_params[0],
            (std::pair<std::string, std::string>{"audience", "api"}));
  for (const char* name : {"state", "nonce", "redirect_uri", "client_id", "code_challenge",
                           "code_challenge_method", "response_type", "scope", "response_mode"}) {
    EXPECT_THAT(Error(std::string(kMinimal) + R"(,"auth_request_params":{")" + name + R"(":"x"})"),
                HasSubstr(std::string("oidc.auth_request_params.") + name + ": is a protocol"))
        << name;
  }
  EXPECT_THAT(Error(std::string(kMinimal) + R"(,"auth_request_params":{"prompt":1})"),
              HasSubstr("oidc.auth_request_params.prompt: must be a string"));
}

TEST(OidcConfigTest, IdTokenAlgorithms) {
  absl::StatusOr<OidcConfig> config =
      Parse(std::string(kMinimal) + R"(,"id_token_algorithms":["ES256"])");
  ASSERT_TRUE(config.ok());
  EXPECT_TRUE(config->id_token_algorithms.contains(Algorithm::kES256));
  EXPECT_FALSE(config->id_token_algorithms.contains(Algorithm::kRS256));
  EXPECT_THAT(Error(std::string(kMinimal) + R"(,"id_token_algorithms":["none"])"),
              HasSubstr("oidc.id_token_algorithms: \"none\" is not a supported"));
  EXPECT_THAT(Error(std::string(kMinimal) + R"(,"id_token_algorithms":[])"),
              HasSubstr("oidc.id_token_algorithms: must not be empty"));
  EXPECT_THAT(Error(std::string(kMinimal) + R"(,"id_token_algorithms":["HS256"])"),
              HasSubstr("HS256 needs a client_secret of at least 32 bytes"));
  std::string long_secret(32, 'k');
  config = Parse(R"("issuer":"https://i","client_id":"a","redirect_uri":"https://a/cb",)"
                 R"("client_secret":")" +
                 long_secret + R"(","id_token_algorithms":["HS256","RS256"])");
  ASSERT_TRUE(config.ok()) << FromAbsl(config.status().message());
  EXPECT_TRUE(config->id_token_algorithms.contains(Algorithm::kHS256));
}

TEST(OidcConfigTest, ClockSkew) {
  absl::StatusOr<OidcConfig> config = Parse(std::string(kMinimal) + R"(,"clock_skew":"5s")");
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->clock_skew, absl::Seconds(5));
  EXPECT_THAT(Error(std::string(kMinimal) + R"(,"clock_skew":"1h")"),
              HasSubstr("oidc.clock_skew: must be at most 10m"));
  EXPECT_THAT(Error(std::string(kMinimal) + R"(,"clock_skew":60)"), HasSubstr("oidc.clock_skew:"));
}

TEST(OidcConfigTest, LeavesUnknownKeysToTheEngine) {
  EXPECT_EQ(Error(std::string(kMinimal) + R"(,"signout_path":"/logout")"), "");
  EXPECT_EQ(Error(std::string(kMinimal) + R"(,"scope":["openid"])"), "oidc.scope: unknown key");
}

}  // namespace
}  // namespace authgate

// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// The engine's configuration document: the keys of the hardening settings,
// their errors (which name the key) and the warnings about risky settings.

#include "engine/engine_config.h"

#include <string>
#include <string_view>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "text.h"

namespace authgate {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<EngineConfig> Parse(std::string_view json) {
  return ParseEngineConfig(json, [](std::string_view) { return std::optional<std::string>(); });
}

std::string ErrorOf(std::string_view json) {
  absl::StatusOr<EngineConfig> config = Parse(json);
  EXPECT_FALSE(config.ok()) << "accepted " << json;
  return std::string(config.status().message());
}

constexpr std::string_view kJwtOnly = R"(
  "jwt": {"providers": {"idp": {"issuer": "https://idp.test", "audiences": ["api"],
                                "jwks": {"kty": "oct",
                                         "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnl0ZXMh"}}}},
  "rules": [{"match": {"prefix": "/admin"}, "requires": {"jwt": ["idp"]}}])";

TEST(EngineConfigTest, RulesCaseInsensitiveIsABoolean) {
  absl::StatusOr<EngineConfig> on =
      Parse(StrCat("{\"rules_case_insensitive\": true,", kJwtOnly, "}"));
  ASSERT_TRUE(on.ok()) << on.status();
  EXPECT_NE(on->rules.Match("GET", "app.test", "/ADMIN"), nullptr);
  absl::StatusOr<EngineConfig> off = Parse(StrCat("{", kJwtOnly, "}"));
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_EQ(off->rules.Match("GET", "app.test", "/ADMIN"), nullptr);
  EXPECT_THAT(ErrorOf(StrCat("{\"rules_case_insensitive\": \"yes\",", kJwtOnly, "}")),
              HasSubstr("rules_case_insensitive"));
}

TEST(EngineConfigTest, ProviderWithoutAudiencesIsWarnedAbout) {
  absl::StatusOr<EngineConfig> config = Parse(R"({
    "jwt": {"providers": {
      "checked": {"issuer": "https://a.test", "audiences": ["api"],
                  "jwks": {"kty": "oct", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnl0ZXMh"}},
      "open": {"issuer": "https://b.test",
               "jwks": {"kty": "oct", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnl0ZXMh"}}}},
    "rules": [{"requires": {"jwt": ["checked", "open"]}}]})");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->warnings.size(), 1u);
  EXPECT_THAT(config->warnings[0], HasSubstr("jwt.providers.open"));
  EXPECT_THAT(config->warnings[0], HasSubstr("set audiences"));

  absl::StatusOr<EngineConfig> quiet = Parse(StrCat("{", kJwtOnly, "}"));
  ASSERT_TRUE(quiet.ok()) << quiet.status();
  EXPECT_TRUE(quiet->warnings.empty());
}

// A binding hands over the sidecar's whole document: the keys only the
// sidecar's server reads are accepted, ignored, and named in one warning.
TEST(EngineConfigTest, SidecarServerKeysAreIgnoredWithAWarning) {
  absl::StatusOr<EngineConfig> config = Parse(StrCat(R"({
    "listen": "127.0.0.1:8080", "upstream": "http://127.0.0.1:9000",
    "admin": "127.0.0.1:9901", "server": {"read_timeout": "5s"},)", kJwtOnly, "}"));
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->warnings.size(), 1u);
  for (std::string_view key : {"listen", "upstream", "admin", "server"}) {
    EXPECT_THAT(config->warnings[0], HasSubstr(StrCat("\"", key, "\""))) << key;
  }
  EXPECT_THAT(config->warnings[0], HasSubstr("ignored"));

  absl::StatusOr<EngineConfig> one = Parse(StrCat(R"({"listen": ":8080",)", kJwtOnly, "}"));
  ASSERT_TRUE(one.ok()) << one.status();
  ASSERT_EQ(one->warnings.size(), 1u);
  EXPECT_THAT(one->warnings[0], HasSubstr("\"listen\""));
  EXPECT_THAT(one->warnings[0], ::testing::Not(HasSubstr("\"upstream\"")));

  // Any other unknown key is still a typo to report.
  EXPECT_THAT(ErrorOf(StrCat(R"({"listn": ":8080",)", kJwtOnly, "}")), HasSubstr("listn"));
}

std::string WithCookieDomain(std::string_view domain,
                             std::string_view redirect_uri = "https://app.example.test/callback") {
  return StrCat(R"({"session": {"secret": "0123456789abcdef0123456789abcdef", "cookie_domain": )",
                domain, R"(},
    "oidc": {"issuer": "https://idp.test", "client_id": "c", "client_secret": "s",
             "redirect_uri": ")", redirect_uri, R"(",
             "authorization_endpoint": "https://idp.test/auth",
             "token_endpoint": "https://idp.test/token", "jwks_uri": "https://idp.test/jwks"},
    "rules": [{"requires": "login"}]})");
}

TEST(EngineConfigTest, CookieDomainIsNormalised) {
  absl::StatusOr<EngineConfig> config = Parse(WithCookieDomain(R"(".Example.TEST")"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->session.attributes.domain, "example.test");
  EXPECT_EQ(config->session.cookie_prefix, "__Secure-");
}

TEST(EngineConfigTest, CookieDomainMustBeADomainHoldingTheRedirectUri) {
  for (std::string_view bad : {R"("")", R"(".")", R"("exa mple.test")", R"("example..test")",
                               R"("example.test.")", R"(42)"}) {
    EXPECT_THAT(ErrorOf(WithCookieDomain(bad)), HasSubstr("session.cookie_domain")) << bad;
  }
  EXPECT_THAT(ErrorOf(WithCookieDomain(R"("example.test")", "https://app.other.test/callback")),
              HasSubstr("session.cookie_domain"));
  EXPECT_THAT(ErrorOf(WithCookieDomain(R"("example.test")", "https://badexample.test/callback")),
              HasSubstr("session.cookie_domain"));
}

std::string WithCallbackRateLimit(std::string_view limit) {
  return StrCat(R"({"session": {"secret": "0123456789abcdef0123456789abcdef"},
    "oidc": {"issuer": "https://idp.test", "client_id": "c", "client_secret": "s",
             "redirect_uri": "https://app.test/callback",
             "authorization_endpoint": "https://idp.test/auth",
             "token_endpoint": "https://idp.test/token", "jwks_uri": "https://idp.test/jwks")",
                limit.empty() ? "" : StrCat(R"(, "callback_rate_limit": )", limit), R"(},
    "rules": [{"requires": "login"}]})");
}

TEST(EngineConfigTest, CallbackRateLimitDefaultsToTenAMinute) {
  absl::StatusOr<EngineConfig> config = Parse(WithCallbackRateLimit(""));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->login->callback_rate_limit.per_minute, 10);
  EXPECT_EQ(config->login->callback_rate_limit.burst, 10);
  absl::StatusOr<EngineConfig> off = Parse(WithCallbackRateLimit(R"({"per_minute": 0})"));
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_EQ(off->login->callback_rate_limit.per_minute, 0);
}

TEST(EngineConfigTest, CallbackRateLimitErrorsNameTheKey) {
  EXPECT_THAT(ErrorOf(WithCallbackRateLimit(R"({"per_minute": -1})")),
              HasSubstr("oidc.callback_rate_limit.per_minute"));
  EXPECT_THAT(ErrorOf(WithCallbackRateLimit(R"({"burst": 0})")),
              HasSubstr("oidc.callback_rate_limit.burst"));
  EXPECT_THAT(ErrorOf(WithCallbackRateLimit(R"({"per_second": 1})")),
              HasSubstr("oidc.callback_rate_limit.per_second"));
  EXPECT_THAT(ErrorOf(WithCallbackRateLimit("10")), HasSubstr("oidc.callback_rate_limit"));
}

}  // namespace
}  // namespace authgate

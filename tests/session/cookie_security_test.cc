// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "session/cookie_security.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace authgate {
namespace {

using ::testing::HasSubstr;

TEST(CookieSecurityTest, HttpsIsSecureWithHostPrefix) {
  absl::StatusOr<CookieSecurity> security =
      DecideCookieSecurity("https://app.example/oauth2/callback", false, std::nullopt);
  ASSERT_TRUE(security.ok()) << security.status();
  EXPECT_TRUE(security->secure);
  EXPECT_EQ(security->name_prefix, "__Host-");
  EXPECT_FALSE(security->warning.has_value());
}

TEST(CookieSecurityTest, HttpsOnLoopbackIsSecureToo) {
  absl::StatusOr<CookieSecurity> security =
      DecideCookieSecurity("https://localhost:8443/callback", false, std::nullopt);
  ASSERT_TRUE(security.ok());
  EXPECT_TRUE(security->secure);
  EXPECT_EQ(security->name_prefix, "__Host-");
}

TEST(CookieSecurityTest, HttpsWithACookieDomainUsesSecurePrefix) {
  absl::StatusOr<CookieSecurity> security = DecideCookieSecurity(
      "https://app.example/oauth2/callback", false, std::string("example"));
  ASSERT_TRUE(security.ok());
  EXPECT_TRUE(security->secure);
  EXPECT_EQ(security->name_prefix, "__Secure-");
  EXPECT_FALSE(security->warning.has_value());
}

TEST(CookieSecurityTest, PlainHttpOnLoopbackIsNotSecureWithAWarning) {
  for (const char* uri : {"http://localhost:8080/callback", "http://127.0.0.5/callback",
                          "http://[::1]:3000/callback", "http://LOCALHOST/cb"}) {
    absl::StatusOr<CookieSecurity> security = DecideCookieSecurity(uri, false, std::nullopt);
    ASSERT_TRUE(security.ok()) << uri << ": " << security.status();
    EXPECT_FALSE(security->secure) << uri;
    EXPECT_EQ(security->name_prefix, "") << uri;
    ASSERT_TRUE(security->warning.has_value()) << uri;
    EXPECT_EQ(*security->warning,
              "cookies are not Secure: redirect_uri is plain http on a loopback host; use https "
              "outside local development");
  }
}

TEST(CookieSecurityTest, PlainHttpOnLoopbackWithACookieDomainHasNoPrefix) {
  absl::StatusOr<CookieSecurity> security =
      DecideCookieSecurity("http://localhost/cb", false, std::string("localhost"));
  ASSERT_TRUE(security.ok());
  EXPECT_FALSE(security->secure);
  EXPECT_EQ(security->name_prefix, "");
}

TEST(CookieSecurityTest, PlainHttpElsewhereIsRefused) {
  for (const char* uri : {"http://app.example/callback", "http://10.0.0.1/cb",
                          "http://localhost.evil/cb", "http://128.0.0.1/cb", "http://[::2]/cb"}) {
    absl::StatusOr<CookieSecurity> security = DecideCookieSecurity(uri, false, std::nullopt);
    ASSERT_EQ(security.status().code(), absl::StatusCode::kInvalidArgument) << uri;
    EXPECT_THAT(std::string(security.status().message()), HasSubstr("oidc.redirect_uri")) << uri;
    EXPECT_THAT(std::string(security.status().message()), HasSubstr("allow_insecure_http"));
  }
}

TEST(CookieSecurityTest, PlainHttpElsewhereWhenAllowedIsNotSecureWithAWarning) {
  absl::StatusOr<CookieSecurity> security =
      DecideCookieSecurity("http://app.example/callback", true, std::string("example"));
  ASSERT_TRUE(security.ok()) << security.status();
  EXPECT_FALSE(security->secure);
  EXPECT_EQ(security->name_prefix, "");
  ASSERT_TRUE(security->warning.has_value());
  EXPECT_THAT(*security->warning, HasSubstr("not Secure"));
  EXPECT_THAT(*security->warning, HasSubstr("app.example"));
}

TEST(CookieSecurityTest, AnInvalidRedirectUriIsRefused) {
  for (const char* uri : {"", "app.example/callback", "ftp://app.example/", "https://",
                          "https://app.example/cb#fragment", "https://user:pw@app.example/cb"}) {
    absl::StatusOr<CookieSecurity> security = DecideCookieSecurity(uri, true, std::nullopt);
    ASSERT_EQ(security.status().code(), absl::StatusCode::kInvalidArgument) << uri;
    EXPECT_THAT(std::string(security.status().message()), HasSubstr("oidc.redirect_uri")) << uri;
  }
}

}  // namespace
}  // namespace authgate

// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "session/cookie_scope.h"

#include "gtest/gtest.h"

namespace authgate {
namespace {

TEST(CookieScopeTest, WithoutADomainTheScopeIsTheAuthority) {
  EXPECT_EQ(CookieScope("App.Example.com:8443", std::nullopt), "app.example.com:8443");
}

TEST(CookieScopeTest, HostsWithinTheDomainShareItsScope) {
  const std::optional<std::string> domain = "example.com";
  EXPECT_EQ(CookieScope("example.com", domain), "example.com");
  EXPECT_EQ(CookieScope("a.example.com", domain), "example.com");
  EXPECT_EQ(CookieScope("A.B.Example.COM:8443", domain), "example.com");
  EXPECT_EQ(CookieScope("a.example.com.", domain), "example.com");
}

TEST(CookieScopeTest, HostsOutsideTheDomainHaveNoScope) {
  const std::optional<std::string> domain = "example.com";
  for (const char* authority : {"badexample.com", "example.com.evil", "example.co", "com",
                                "[::1]:443", "", "xexample.com:443", ".example.com"}) {
    EXPECT_EQ(CookieScope(authority, domain), std::nullopt) << authority;
  }
}

TEST(CookieScopeTest, DomainsAreNormalised) {
  EXPECT_EQ(NormalizeCookieDomain(".Example.COM"), "example.com");
  EXPECT_EQ(NormalizeCookieDomain("example.com"), "example.com");
  for (const char* bad : {"", ".", "..example.com", "example..com", "example.com.", "exa mple.com",
                          "[::1]", "example.com:80"}) {
    EXPECT_EQ(NormalizeCookieDomain(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace authgate

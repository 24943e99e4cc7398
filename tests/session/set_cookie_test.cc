// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "session/set_cookie.h"

#include <string>

#include "gtest/gtest.h"

namespace authgate {
namespace {

TEST(SetCookieTest, DefaultAttributesWithMaxAge) {
  EXPECT_EQ(FormatSetCookie("__Host-authgate_session", "1.abc-_", CookieAttributes(),
                            absl::Hours(1)),
            "__Host-authgate_session=1.abc-_; Path=/; Max-Age=3600; Secure; HttpOnly; "
            "SameSite=Lax");
}

TEST(SetCookieTest, SessionCookieHasNoMaxAge) {
  EXPECT_EQ(FormatSetCookie("n", "v", CookieAttributes(), std::nullopt),
            "n=v; Path=/; Secure; HttpOnly; SameSite=Lax");
}

TEST(SetCookieTest, EveryAttributeAsConfigured) {
  CookieAttributes attributes;
  attributes.secure = false;
  attributes.http_only = false;
  attributes.same_site = "Strict";
  attributes.path = "/app";
  attributes.domain = "example.com";
  EXPECT_EQ(FormatSetCookie("n", "v", attributes, absl::Seconds(90)),
            "n=v; Path=/app; Domain=example.com; Max-Age=90; SameSite=Strict");
}

TEST(SetCookieTest, MaxAgeIsWholeSecondsAndNeverNegative) {
  EXPECT_EQ(FormatSetCookie("n", "v", CookieAttributes(), absl::Milliseconds(2999)),
            "n=v; Path=/; Max-Age=2; Secure; HttpOnly; SameSite=Lax");
  EXPECT_EQ(FormatSetCookie("n", "v", CookieAttributes(), -absl::Seconds(5)),
            "n=v; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax");
}

TEST(SetCookieTest, DeleteCookie) {
  EXPECT_EQ(FormatDeleteCookie("__Host-authgate_session", CookieAttributes()),
            "__Host-authgate_session=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; "
            "Secure; HttpOnly; SameSite=Lax");
}

TEST(SetCookieTest, DeleteCookieKeepsPathAndDomain) {
  CookieAttributes attributes;
  attributes.path = "/app";
  attributes.domain = "example.com";
  attributes.same_site = "None";
  EXPECT_EQ(FormatDeleteCookie("__Secure-s", attributes),
            "__Secure-s=; Path=/app; Domain=example.com; Max-Age=0; "
            "Expires=Thu, 01 Jan 1970 00:00:00 GMT; Secure; HttpOnly; SameSite=None");
}

TEST(SetCookieTest, CookieNames) {
  for (const char* good : {"a", "__Host-authgate_session", "s.1", "A~b!#$%&'*+-.^_`|"}) {
    EXPECT_TRUE(IsCookieName(good)) << good;
  }
  for (const char* bad : {"", "a b", "a=b", "a;b", "a,b", "a\"b", "a(b)", "a/b", "a\tb", "a\r\nb",
                          "a\x7f", "\xc3\xa9", "a:b", "a@b", "a[b]", "a{b}", "a?b", "a\\b"}) {
    EXPECT_FALSE(IsCookieName(bad)) << bad;
  }
}

TEST(SetCookieTest, CookieValues) {
  for (const char* good : {"", "1.abc-_", "a!#$%&'()*+-./:<=>?@[]^_`{|}~"}) {
    EXPECT_TRUE(IsCookieValue(good)) << good;
  }
  for (const char* bad : {"a b", "a;b", "a,b", "\"a\"", "a\\b", "a\r\nSet-Cookie: x=y", "\x7f",
                          "\xc3\xa9", "a\tb"}) {
    EXPECT_FALSE(IsCookieValue(bad)) << bad;
  }
}

TEST(SetCookieTest, ValidAttributes) {
  EXPECT_TRUE(ValidateCookie("__Host-s", CookieAttributes()).ok());
  CookieAttributes attributes;
  attributes.domain = "example.com";
  attributes.path = "/app";
  EXPECT_TRUE(ValidateCookie("__Secure-s", attributes).ok());
  attributes.secure = false;
  attributes.same_site = "Strict";
  EXPECT_TRUE(ValidateCookie("s", attributes).ok());
}

TEST(SetCookieTest, RefusesABadName) {
  EXPECT_EQ(ValidateCookie("a b", CookieAttributes()).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(ValidateCookie("", CookieAttributes()).ok());
}

TEST(SetCookieTest, RefusesABadSameSite) {
  for (const char* same_site : {"", "lax", "Sometimes", "Lax; Domain=evil"}) {
    CookieAttributes attributes;
    attributes.same_site = same_site;
    EXPECT_FALSE(ValidateCookie("s", attributes).ok()) << same_site;
  }
}

TEST(SetCookieTest, RefusesSameSiteNoneWithoutSecure) {
  CookieAttributes attributes;
  attributes.same_site = "None";
  EXPECT_TRUE(ValidateCookie("s", attributes).ok());
  attributes.secure = false;
  EXPECT_FALSE(ValidateCookie("s", attributes).ok());
}

TEST(SetCookieTest, RefusesABadPath) {
  for (const char* path : {"", "app", "/a;Domain=evil", "/a\r\n", "/\x7f"}) {
    CookieAttributes attributes;
    attributes.path = path;
    EXPECT_FALSE(ValidateCookie("s", attributes).ok()) << path;
  }
}

TEST(SetCookieTest, RefusesABadDomain) {
  for (const char* domain : {"", "a b", "example.com;Secure", "ex_ample.com", "exa\r\nmple"}) {
    CookieAttributes attributes;
    attributes.domain = domain;
    EXPECT_FALSE(ValidateCookie("s", attributes).ok()) << domain;
  }
}

TEST(SetCookieTest, HostPrefixRequiresSecureRootPathAndNoDomain) {
  CookieAttributes not_secure;
  not_secure.secure = false;
  CookieAttributes with_domain;
  with_domain.domain = "example.com";
  CookieAttributes sub_path;
  sub_path.path = "/app";
  for (const CookieAttributes& attributes : {not_secure, with_domain, sub_path}) {
    EXPECT_FALSE(ValidateCookie("__Host-s", attributes).ok());
    EXPECT_FALSE(ValidateCookie("__host-s", attributes).ok());
  }
}

TEST(SetCookieTest, SecurePrefixRequiresSecure) {
  CookieAttributes attributes;
  attributes.secure = false;
  EXPECT_FALSE(ValidateCookie("__Secure-s", attributes).ok());
  EXPECT_FALSE(ValidateCookie("__SECURE-s", attributes).ok());
}

}  // namespace
}  // namespace authgate

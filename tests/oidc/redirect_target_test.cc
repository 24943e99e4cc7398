// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// The open-redirect guard against a corpus of known payloads: protocol-
// relative URLs, backslashes, whitespace and control characters browsers
// drop, percent-encoded (and double-encoded) forms, absolute URLs and
// script schemes, dot segments, and Unicode slash look-alikes.

#include <string>
#include <vector>

#include "oidc/redirect_target.h"

#include "gtest/gtest.h"

namespace authgate {
namespace {

TEST(RedirectTargetTest, AcceptsSameOriginPathsUnchanged) {
  for (const char* target :
       {"/", "/orders", "/orders?page=2&sort=desc", "/a/b/c/", "/search?q=a%20b",
        "/caf%C3%A9", "/discount/100%25", "/login?next=https://elsewhere.example",
        "/p;matrix=1", "/@user", "/a//b", "/~user/file.txt", "/a%2Fb"}) {
    std::optional<std::string> safe = SafeReturnTarget(target);
    ASSERT_TRUE(safe.has_value()) << target;
    EXPECT_EQ(*safe, target);
  }
}

TEST(RedirectTargetTest, RefusesEmptyAndRelativeTargets) {
  for (const char* target : {"", "orders", "?q=1", "#top", ".", "./x", "../x"}) {
    EXPECT_FALSE(SafeReturnTarget(target).has_value()) << target;
  }
}

TEST(RedirectTargetTest, RefusesOverLongTargets) {
  std::string at_limit = "/" + std::string(4095, 'a');
  EXPECT_TRUE(SafeReturnTarget(at_limit).has_value());
  EXPECT_FALSE(SafeReturnTarget(at_limit + "a").has_value());
}

TEST(RedirectTargetTest, RefusesTheOpenRedirectCorpus) {
  const std::vector<std::string> corpus = {
      // Absolute and scheme URLs.
      "https://evil.example", "http://evil.example/", "javascript:alert(1)",
      "JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>", "https:evil.example",
      "//evil.example", "///evil.example", "////evil.example/", "//evil.example@app.example",
      "//evil%00.example",
      // Backslashes, which browsers read as slashes.
      "/\\evil.example", "\\\\evil.example", "/\\/evil.example", "//\\/\\evil.example/",
      "/a\\b", "\\/evil.example",
      // Whitespace and control characters (browsers drop tab, CR, LF).
      "/\t/evil.example", "/\n/evil.example", "/\r/evil.example", " /evil", "/ /evil",
      std::string("/\0/evil.example", 16), "/evil\x7f",
      // Percent-encoded control characters, anywhere.
      "/%09/evil.example", "/%0d/evil.example", "/%0A/evil.example", "/%00", "/%7F",
      "/x?y=%0d%0aSet-Cookie:a",
      // Percent-encoded slashes and backslashes that decode to "//" or "/\".
      "/%2F%2Fevil.example", "/%2fevil.example", "/%5Cevil.example", "/%5cevil.example",
      "/%252F%252Fevil.example", "/%25252Fevil.example", "/%255Cevil.example", "/x/%5C/y",
      // Dot segments, which resolve away and can leave "//host".
      "/.//evil.example", "/..//evil.example", "/%2e%2e/%2fevil.example", "/a/../b",
      "/%2E/%2Fevil.example",
      // Unicode slash look-alikes, raw and encoded.
      "/\xEF\xBC\x8F" "evil.example", "/%EF%BC%8Fevil.example", "/%EF%BC%BCevil.example",
      "/%E2%88%95evil.example", "/%E2%81%84evil.example", "/%EF%B9%A8evil.example",
      "/evil\xE3\x80\x82" "example",
      // Malformed percent-encoding and fragments.
      "/%", "/%zz", "/%2", "/page#//evil.example",
  };
  EXPECT_GE(corpus.size(), 25u);
  for (const std::string& payload : corpus) {
    EXPECT_FALSE(SafeReturnTarget(payload).has_value()) << "accepted: " << payload;
  }
}

}  // namespace
}  // namespace authgate

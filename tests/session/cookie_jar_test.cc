// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "session/cookie_jar.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace authgate {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

bool IsSession(std::string_view name) { return name == "__Host-authgate_session"; }

TEST(CookieJarTest, ParsesPairsLeniently) {
  CookieJar jar = CookieJar::Parse(" a=1;b = 2 ;; novalue; =x; c=\"q\"");
  EXPECT_THAT(jar.cookies(), ElementsAre(Pair("a", "1"), Pair("b", "2"), Pair("", "novalue"),
                                         Pair("", "x"), Pair("c", "\"q\"")));
  EXPECT_EQ(jar.Get("b"), "2");
  EXPECT_EQ(jar.Count(""), 2u);
}

TEST(CookieJarTest, RemoveCookiesKeepsTheOthersInOrder) {
  CookieJar jar = CookieJar::Parse("theme=dark; __Host-authgate_session=1.x; novalue; lang=en");
  EXPECT_EQ(RemoveCookies(jar, IsSession), "theme=dark; novalue; lang=en");
  EXPECT_EQ(RemoveCookies(CookieJar::Parse("__Host-authgate_session=1.x"), IsSession), "");
}

// Found by session_cookie_fuzz: "=__Host-authgate_session=v" is a nameless
// cookie, kept; it was forwarded as "__Host-authgate_session=v", which the
// upstream reads as the very cookie authgate removes. A nameless empty
// cookie ("=") was forwarded as nothing.
TEST(CookieJarTest, RemoveCookiesWritesWhatReadsBackAsTheSameCookies) {
  CookieJar jar =
      CookieJar::Parse("=__Host-authgate_session=v; __Host-authgate_session=1.x; =; a=b");
  const std::string forwarded = RemoveCookies(jar, IsSession);
  EXPECT_EQ(forwarded, "=__Host-authgate_session=v; =; a=b");
  EXPECT_THAT(CookieJar::Parse(forwarded).cookies(),
              ElementsAre(Pair("", "__Host-authgate_session=v"), Pair("", ""), Pair("a", "b")));
}

}  // namespace
}  // namespace authgate

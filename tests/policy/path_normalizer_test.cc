// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "policy/path_normalizer.h"

#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"

namespace authgate {
namespace {

struct Case {
  std::string_view input;
  std::string_view expected;
};

void ExpectNormalized(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    absl::StatusOr<std::string> path = NormalizePath(c.input);
    ASSERT_TRUE(path.ok()) << c.input << ": " << path.status();
    EXPECT_EQ(*path, c.expected) << c.input;
  }
}

void ExpectRefused(const std::vector<std::string_view>& inputs) {
  for (std::string_view input : inputs) {
    absl::StatusOr<std::string> path = NormalizePath(input);
    ASSERT_FALSE(path.ok()) << "accepted " << input << " as " << *path;
    EXPECT_EQ(path.status().code(), absl::StatusCode::kInvalidArgument) << input;
  }
}

TEST(PathNormalizerTest, KeepsCanonicalPaths) {
  ExpectNormalized({{"/", "/"},
                    {"/a", "/a"},
                    {"/a/b/c", "/a/b/c"},
                    {"/a-b_c~d.e", "/a-b_c~d.e"},
                    {"/a:b@c!$&'()*+,;=", "/a:b@c!$&'()*+,;="}});
}

TEST(PathNormalizerTest, ResolvesDotDot) {
  ExpectNormalized({{"/public/../private", "/private"},
                    {"/a/b/../c", "/a/c"},
                    {"/a/b/../../c", "/c"},
                    {"/a/..", "/"},
                    {"/a/b/..", "/a/"},
                    {"/a/b/../", "/a/"}});
}

TEST(PathNormalizerTest, ResolvesSingleDot) {
  ExpectNormalized(
      {{"/a/./b", "/a/b"}, {"/./a", "/a"}, {"/.", "/"}, {"/a/.", "/a/"}, {"/a/./", "/a/"}});
}

TEST(PathNormalizerTest, MergesRepeatedSlashes) {
  ExpectNormalized({{"/a//b", "/a/b"},
                    {"//a", "/a"},
                    {"///", "/"},
                    {"/a///b//", "/a/b/"},
                    // Merged before dot segments are resolved: ".." removes "a".
                    {"/a//../b", "/b"}});
}

TEST(PathNormalizerTest, DecodesUnreservedCharactersOnly) {
  ExpectNormalized({{"/%61bc", "/abc"},
                    {"/%41%5a%30%39", "/AZ09"},
                    {"/%2d%2E%5f%7e", "/-._~"},
                    {"/a%7Eb", "/a~b"}});
}

TEST(PathNormalizerTest, KeepsOtherEscapesWithUppercaseHex) {
  ExpectNormalized({{"/a%3ab", "/a%3Ab"},
                    {"/a%3Ab", "/a%3Ab"},
                    {"/%c3%a9", "/%C3%A9"},
                    {"/a%20b", "/a%20b"},
                    {"/a%3fb%23c", "/a%3Fb%23c"},
                    {"/%25", "/%25"}});
}

TEST(PathNormalizerTest, ResolvesEncodedDotSegments) {
  ExpectNormalized({{"/public/%2e%2e/private", "/private"},
                    {"/public/%2E%2E/private", "/private"},
                    {"/public/.%2e/private", "/private"},
                    {"/public/%2e./private", "/private"},
                    {"/a/%2e/b", "/a/b"},
                    {"/a/%2e%2e", "/"}});
}

TEST(PathNormalizerTest, DoubleEncodingStaysEncoded) {
  // "%25" is a kept escape; "2e" after it is literal text. Decoding once
  // means these never become "..", "/" or "\".
  ExpectNormalized({{"/%252e%252e", "/%252e%252e"},
                    {"/public/%252e%252e%252fprivate", "/public/%252e%252e%252fprivate"},
                    {"/a/%252e%252e/b", "/a/%252e%252e/b"},
                    {"/%255c", "/%255c"}});
}

TEST(PathNormalizerTest, KeepsTrailingSlash) {
  ExpectNormalized({{"/private/", "/private/"}, {"/a/b/", "/a/b/"}});
}

TEST(PathNormalizerTest, KeepsTrailingDotsInSegments) {
  ExpectNormalized({{"/public.", "/public."},
                    {"/public..", "/public.."},
                    {"/a/...", "/a/..."},
                    {"/a/.b", "/a/.b"},
                    {"/a/..b/c", "/a/..b/c"}});
}

TEST(PathNormalizerTest, RefusesEncodedSlash) {
  ExpectRefused({"/public%2F..%2Fprivate", "/a%2fb", "/%2F", "/a/%2f"});
}

TEST(PathNormalizerTest, RefusesEncodedBackslash) {
  ExpectRefused({"/public%5C..%5Cprivate", "/a%5cb"});
}

TEST(PathNormalizerTest, RefusesEncodedNul) { ExpectRefused({"/a%00", "/a%00.json"}); }

TEST(PathNormalizerTest, RefusesClimbAboveRoot) {
  ExpectRefused({"/..", "/../a", "/a/../..", "/a/../../b", "/%2e%2e/a", "/./../a", "/a//../../b"});
}

TEST(PathNormalizerTest, RefusesInvalidEscapes) {
  ExpectRefused({"/%", "/a%", "/%4", "/a%4", "/%zz", "/%4g", "/%g4", "/%%41"});
}

TEST(PathNormalizerTest, RefusesRawBackslash) {
  ExpectRefused({"/public\\..\\private", "\\a", "/a\\"});
}

TEST(PathNormalizerTest, RefusesControlCharactersAndSpace) {
  ExpectRefused(
      {std::string_view("/a\0b", 4), "/a\tb", "/a\nb", "/a\rb", "/a\x7f", "/a b", "/a\x1f"});
}

TEST(PathNormalizerTest, RefusesRawNonAscii) { ExpectRefused({"/caf\xc3\xa9", "/\x80", "/\xff"}); }

TEST(PathNormalizerTest, RefusesFragment) { ExpectRefused({"/admin#x", "/#"}); }

TEST(PathNormalizerTest, RefusesDotSegmentsWithParameters) {
  // Servlet containers read "..;x" as "..": "/public/..;/admin" would reach /admin.
  ExpectRefused({"/public/..;/admin", "/public/.;/admin", "/public/%2e%2e;x/admin", "/a/..;"});
  ExpectNormalized({{"/a;b/c", "/a;b/c"}, {"/a/...;x", "/a/...;x"}});
}

TEST(PathNormalizerTest, RequiresLeadingSlash) {
  ExpectRefused({"", "a/b", "*", "%2Fa", "http://x/a"});
}

TEST(PathForMatching, RemovesSegmentParameters) {
  EXPECT_EQ(PathForMatching("/admin;x=1"), "/admin");
  EXPECT_EQ(PathForMatching("/admin;jsessionid=A/b;c/d"), "/admin/b/d");
  EXPECT_EQ(PathForMatching("/;x/a"), "/a");
  EXPECT_EQ(PathForMatching("/plain/path/"), "/plain/path/");
}

}  // namespace
}  // namespace authgate

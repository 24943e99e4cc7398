// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0

#include "policy/token_extractor.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace authgate {
namespace {

using ::testing::StartsWith;
using Where = ExtractedToken::Where;

absl::StatusOr<TokenLocations> Parse(std::string_view provider_json) {
  JsonDocument doc;
  if (absl::Status s = doc.Parse(provider_json, JsonLimits{}); !s.ok()) return s;
  absl::StatusOr<ConfigObject> provider = ConfigObject::Open(doc.root(), "providers.idp");
  if (!provider.ok()) return provider.status();
  TokenLocations locations;
  if (absl::Status s = ParseTokenLocations(&*provider, &locations); !s.ok()) return s;
  if (absl::Status s = provider->CheckAllKeysKnown(); !s.ok()) return s;
  return locations;
}

TokenLocations MustParse(std::string_view provider_json) {
  absl::StatusOr<TokenLocations> locations = Parse(provider_json);
  EXPECT_TRUE(locations.ok()) << locations.status();
  return locations.ok() ? *locations : TokenLocations();
}

std::string ErrorOf(std::string_view provider_json) {
  absl::StatusOr<TokenLocations> locations = Parse(provider_json);
  EXPECT_FALSE(locations.ok()) << "accepted " << provider_json;
  return std::string(locations.status().message());
}

Request MakeRequest(std::string target,
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
  Request request;
  request.method = "GET";
  request.scheme = "https";
  request.authority = "app.example";
  request.target = std::move(target);
  request.headers = std::move(headers);
  return request;
}

// The tokens' values, for compact assertions.
std::vector<std::string> Values(const std::vector<ExtractedToken>& tokens) {
  std::vector<std::string> values;
  for (const ExtractedToken& token : tokens) values.push_back(token.value);
  return values;
}

using Strings = std::vector<std::string>;

TEST(TokenExtractorTest, DefaultIsAuthorizationBearer) {
  const TokenLocations locations = MustParse("{}");
  ASSERT_EQ(locations.headers.size(), 1u);
  EXPECT_EQ(locations.headers[0].name, "Authorization");
  EXPECT_EQ(locations.headers[0].value_prefix, "Bearer ");
  EXPECT_TRUE(locations.params.empty());
  EXPECT_TRUE(locations.cookies.empty());

  const std::vector<ExtractedToken> tokens =
      ExtractTokens(MakeRequest("/", {{"Authorization", "Bearer abc.def.ghi"}}), {&locations});
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0].value, "abc.def.ghi");
  EXPECT_EQ(tokens[0].where, Where::kHeader);
  EXPECT_EQ(tokens[0].name, "Authorization");
}

TEST(TokenExtractorTest, BearerSchemeIsCaseInsensitive) {
  const TokenLocations locations = MustParse("{}");
  for (std::string_view value :
       {"bearer t1", "BEARER t1", "BeArEr t1", "Bearer   t1", "Bearer t1 "}) {
    EXPECT_EQ(Values(ExtractTokens(MakeRequest("/", {{"authorization", std::string(value)}}),
                                   {&locations})),
              Strings{"t1"})
        << value;
  }
}

TEST(TokenExtractorTest, OtherSchemesYieldNothing) {
  const TokenLocations locations = MustParse("{}");
  for (std::string_view value :
       {"Basic dXNlcjpwYXNz", "Bearerabc", "DPoP abc", "Basic x, Bearer y", "", " Bearer abc"}) {
    EXPECT_TRUE(
        ExtractTokens(MakeRequest("/", {{"Authorization", std::string(value)}}), {&locations})
            .empty())
        << value;
  }
  EXPECT_TRUE(
      ExtractTokens(MakeRequest("/", {{"X-Authorization", "Bearer abc"}}), {&locations}).empty());
}

TEST(TokenExtractorTest, EmptyBearerYieldsAnEmptyToken) {
  // Present but empty: an invalid token, not a missing one (allow_missing must not let it pass).
  const TokenLocations locations = MustParse("{}");
  for (std::string_view value : {"Bearer", "Bearer ", "bearer   "}) {
    EXPECT_EQ(Values(ExtractTokens(MakeRequest("/", {{"Authorization", std::string(value)}}),
                                   {&locations})),
              Strings{""})
        << value;
  }
}

TEST(TokenExtractorTest, CustomHeaderWithPrefix) {
  const TokenLocations locations =
      MustParse(R"({"from_headers": [{"name": "X-Api-Token", "value_prefix": "Token "}]})");
  std::vector<ExtractedToken> tokens =
      ExtractTokens(MakeRequest("/", {{"x-api-token", "Token abc"}}), {&locations});
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0].value, "abc");
  EXPECT_EQ(tokens[0].name, "X-Api-Token");
  EXPECT_TRUE(ExtractTokens(MakeRequest("/", {{"X-Api-Token", "abc"}}), {&locations}).empty());
  // The default Authorization location is replaced, not added to.
  EXPECT_TRUE(
      ExtractTokens(MakeRequest("/", {{"Authorization", "Bearer abc"}}), {&locations}).empty());
}

TEST(TokenExtractorTest, CustomHeaderWithoutPrefixTakesTheWholeValue) {
  const TokenLocations locations = MustParse(R"({"from_headers": [{"name": "X-Jwt"}]})");
  EXPECT_EQ(Values(ExtractTokens(MakeRequest("/", {{"X-Jwt", "a.b.c"}}), {&locations})),
            Strings{"a.b.c"});
  EXPECT_EQ(Values(ExtractTokens(MakeRequest("/", {{"X-Jwt", ""}}), {&locations})), Strings{""});
}

TEST(TokenExtractorTest, Cookie) {
  const TokenLocations locations = MustParse(R"({"from_cookies": ["api_token"]})");
  std::vector<ExtractedToken> tokens =
      ExtractTokens(MakeRequest("/", {{"Cookie", "a=1; api_token=t.o.k; b=2"}}), {&locations});
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0].value, "t.o.k");
  EXPECT_EQ(tokens[0].where, Where::kCookie);
  EXPECT_EQ(tokens[0].name, "api_token");
  // Cookie names are case-sensitive.
  EXPECT_TRUE(ExtractTokens(MakeRequest("/", {{"Cookie", "API_TOKEN=x"}}), {&locations}).empty());
}

TEST(TokenExtractorTest, QueryParameterIsPercentDecoded) {
  const TokenLocations locations = MustParse(R"({"from_params": ["access_token"]})");
  std::vector<ExtractedToken> tokens =
      ExtractTokens(MakeRequest("/x?a=1&access_token=ab%2Ecd%2eef&b=2"), {&locations});
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0].value, "ab.cd.ef");
  EXPECT_EQ(tokens[0].where, Where::kParam);
  EXPECT_EQ(tokens[0].name, "access_token");
  // The name is decoded too; '+' and invalid escapes stay as they are.
  EXPECT_EQ(Values(ExtractTokens(MakeRequest("/?access%5Ftoken=a+b%zz"), {&locations})),
            Strings{"a+b%zz"});
  EXPECT_EQ(Values(ExtractTokens(MakeRequest("/?access_token"), {&locations})), Strings{""});
  EXPECT_TRUE(
      ExtractTokens(MakeRequest("/?xaccess_token=a&access_tokenx=b"), {&locations}).empty());
  EXPECT_TRUE(ExtractTokens(MakeRequest("/access_token=a"), {&locations}).empty());
}

TEST(TokenExtractorTest, TwoAuthorizationHeadersYieldTwoTokens) {
  const TokenLocations locations = MustParse("{}");
  EXPECT_EQ(Values(ExtractTokens(MakeRequest("/", {{"Authorization", "Bearer one"},
                                                   {"authorization", "Bearer two"}}),
                                 {&locations})),
            (Strings{"one", "two"}));
}

TEST(TokenExtractorTest, HeaderAndParamYieldTwoTokens) {
  const TokenLocations locations =
      MustParse(R"({"from_headers": [{"name": "Authorization", "value_prefix": "Bearer "}],
                    "from_params": ["access_token"]})");
  std::vector<ExtractedToken> tokens = ExtractTokens(
      MakeRequest("/?access_token=two", {{"Authorization", "Bearer one"}}), {&locations});
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].value, "one");
  EXPECT_EQ(tokens[0].where, Where::kHeader);
  EXPECT_EQ(tokens[1].value, "two");
  EXPECT_EQ(tokens[1].where, Where::kParam);
}

TEST(TokenExtractorTest, RepeatedParamAndCookieYieldEachOccurrence) {
  const TokenLocations locations = MustParse(R"({"from_params": ["t"], "from_cookies": ["t"]})");
  EXPECT_EQ(Values(ExtractTokens(MakeRequest("/?t=1&t=2", {{"Cookie", "t=3"}, {"Cookie", "t=4"}}),
                                 {&locations})),
            (Strings{"1", "2", "3", "4"}));
}

TEST(TokenExtractorTest, IdenticalLocationsOfSeveralProvidersAreReadOnce) {
  const TokenLocations first = MustParse("{}");
  const TokenLocations second =
      MustParse(R"({"from_headers": [{"name": "authorization", "value_prefix": "bearer "}],
                    "from_params": ["t"]})");
  const TokenLocations third = MustParse(R"({"from_params": ["t"]})");
  EXPECT_EQ(Values(ExtractTokens(MakeRequest("/?t=p", {{"Authorization", "Bearer h"}}),
                                 {&first, &second, &third})),
            (Strings{"h", "p"}));
}

TEST(TokenExtractorTest, OneHeaderValueYieldsOneTokenWithTheLongestPrefix) {
  const TokenLocations whole = MustParse(R"({"from_headers": [{"name": "Authorization"}]})");
  const TokenLocations bearer = MustParse("{}");
  EXPECT_EQ(
      Values(ExtractTokens(MakeRequest("/", {{"Authorization", "Bearer x"}}), {&whole, &bearer})),
      Strings{"x"});
  EXPECT_EQ(
      Values(ExtractTokens(MakeRequest("/", {{"Authorization", "Basic y"}}), {&whole, &bearer})),
      Strings{"Basic y"});
}

TEST(TokenExtractorTest, NoLocationsNoTokens) {
  EXPECT_TRUE(
      ExtractTokens(MakeRequest("/?access_token=a", {{"Authorization", "Bearer x"}}), {}).empty());
}

TEST(TokenExtractorConfigTest, HeaderErrors) {
  EXPECT_THAT(ErrorOf(R"({"from_headers": [{"value_prefix": "Bearer "}]})"),
              StartsWith("providers.idp.from_headers[0].name: is required"));
  EXPECT_THAT(ErrorOf(R"({"from_headers": [{"name": "Bad Name"}]})"),
              StartsWith("providers.idp.from_headers[0].name: must be a header name"));
  EXPECT_THAT(ErrorOf(R"({"from_headers": [{"name": "X", "prefix": "a"}]})"),
              StartsWith("providers.idp.from_headers[0].prefix: unknown key"));
  EXPECT_THAT(ErrorOf(R"({"from_headers": [{"name": "X", "value_prefix": "a\r\n"}]})"),
              StartsWith("providers.idp.from_headers[0].value_prefix: must not contain control"));
  EXPECT_THAT(ErrorOf(R"({"from_headers": []})"),
              StartsWith("providers.idp.from_headers: must not be empty"));
  EXPECT_THAT(ErrorOf(R"({"from_headers": {"name": "X"}})"),
              StartsWith("providers.idp.from_headers: must be a list"));
  EXPECT_THAT(ErrorOf(R"({"from_headers": ["Authorization"]})"),
              StartsWith("providers.idp.from_headers[0]: must be an object"));
}

TEST(TokenExtractorConfigTest, ParamAndCookieErrors) {
  EXPECT_THAT(ErrorOf(R"({"from_params": []})"),
              StartsWith("providers.idp.from_params: must not be empty"));
  EXPECT_THAT(ErrorOf(R"({"from_params": [""]})"),
              StartsWith("providers.idp.from_params[0]: must be a non-empty"));
  EXPECT_THAT(ErrorOf(R"({"from_params": "t"})"),
              StartsWith("providers.idp.from_params: must be a list"));
  EXPECT_THAT(ErrorOf(R"({"from_cookies": ["a b"]})"),
              StartsWith("providers.idp.from_cookies[0]: must be a cookie name"));
  EXPECT_THAT(ErrorOf(R"({"from_cookies": [1]})"),
              StartsWith("providers.idp.from_cookies[0]: must be a string"));
}

TEST(TokenExtractorConfigTest, LeavesOtherKeysToTheCaller) {
  EXPECT_THAT(ErrorOf(R"({"issuer": "x"})"), StartsWith("providers.idp.issuer: unknown key"));
}

}  // namespace
}  // namespace authgate

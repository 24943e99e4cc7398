// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// The authorization request URL (parameters and their encoding) and the
// flow state kept in the browser between the redirect and the callback.

#include "oidc/authorization_request.h"

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "oidc/form_encoding.h"
#include "oidc/pkce.h"
#include "text.h"

namespace authgate {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

int Hex(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (c | 32) - 'a' + 10;
}

std::string Decode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(Hex(text[i + 1]) * 16 + Hex(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// The decoded parameters of a URL's query, in order.
std::vector<std::pair<std::string, std::string>> QueryParams(const std::string& url) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string_view query = std::string_view(url).substr(url.find('?') + 1);
  while (!query.empty()) {
    std::string_view pair = query.substr(0, query.find('&'));
    size_t eq = pair.find('=');
    out.emplace_back(Decode(pair.substr(0, eq)), Decode(pair.substr(eq + 1)));
    query.remove_prefix(std::min(query.size(), pair.size() + 1));
  }
  return out;
}

class AuthorizationRequestTest : public ::testing::Test {
 protected:
  AuthorizationRequestTest() {
    metadata_.issuer = "https://idp.example";
    metadata_.authorization_endpoint = "https://idp.example/authorize";
    config_.issuer = "https://idp.example";
    config_.client_id = "my app";
    config_.redirect_uri = "https://app.example/oauth2/callback?x=1";
    config_.scopes = {"openid", "email", "profile"};
  }
  ProviderMetadata metadata_;
  OidcConfig config_;
};

TEST_F(AuthorizationRequestTest, CarriesEveryProtocolParameterInOrder) {
  std::string url = BuildAuthorizationUrl(metadata_, config_, "signed.state", "n-0S6_WzA2Mj",
                                          "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  EXPECT_THAT(url, StartsWith("https://idp.example/authorize?"));
  using Param = std::pair<std::string, std::string>;
  EXPECT_THAT(
      QueryParams(url),
      ::testing::ElementsAre(Param{"response_type", "code"}, Param{"client_id", "my app"},
                             Param{"redirect_uri", "https://app.example/oauth2/callback?x=1"},
                             Param{"scope", "openid email profile"}, Param{"state", "signed.state"},
                             Param{"nonce", "n-0S6_WzA2Mj"},
                             Param{"code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"},
                             Param{"code_challenge_method", "S256"}));
}

TEST_F(AuthorizationRequestTest, EncodesValuesAsFormUrlencoded) {
  std::string url = BuildAuthorizationUrl(metadata_, config_, "a+b/c=d&e", "n", "c");
  EXPECT_THAT(url, HasSubstr("&client_id=my+app&"));
  EXPECT_THAT(url,
              HasSubstr("&redirect_uri=https%3A%2F%2Fapp.example%2Foauth2%2Fcallback%3Fx%3D1&"));
  EXPECT_THAT(url, HasSubstr("&scope=openid+email+profile&"));
  EXPECT_THAT(url, HasSubstr("&state=a%2Bb%2Fc%3Dd%26e&"));
  // RFC 3986 unreserved characters stay as they are.
  EXPECT_EQ(FormUrlEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(FormUrlEncode("\xC3\xA9 *'!"), "%C3%A9+%2A%27%21");
}

TEST_F(AuthorizationRequestTest, PkceChallengeIsTheS256OfTheVerifier) {
  // RFC 7636 appendix B.
  std::string url =
      BuildAuthorizationUrl(metadata_, config_, "s", "n",
                            PkceChallengeS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
  EXPECT_THAT(url, HasSubstr("&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&"
                             "code_challenge_method=S256"));
}

TEST_F(AuthorizationRequestTest, ExtraParametersComeLast) {
  config_.auth_request_params = {{"audience", "api://orders"}, {"prompt", "select_account"}};
  std::string url = BuildAuthorizationUrl(metadata_, config_, "s", "n", "c");
  EXPECT_THAT(url,
              ::testing::EndsWith(
                  "&code_challenge_method=S256&audience=api%3A%2F%2Forders&prompt=select_account"));
}

TEST_F(AuthorizationRequestTest, KeepsTheEndpointsOwnQuery) {
  metadata_.authorization_endpoint = "https://idp.example/authorize?p=B2C_1_signin";
  std::string url = BuildAuthorizationUrl(metadata_, config_, "s", "n", "c");
  EXPECT_THAT(url, StartsWith("https://idp.example/authorize?p=B2C_1_signin&response_type=code&"));
  metadata_.authorization_endpoint = "https://idp.example/authorize?";
  EXPECT_THAT(BuildAuthorizationUrl(metadata_, config_, "s", "n", "c"),
              StartsWith("https://idp.example/authorize?response_type=code&"));
}

FlowState SampleFlow() {
  FlowState flow;
  flow.state_id = "st4te";
  flow.nonce = "n0nce";
  flow.code_verifier = *RandomUrlSafe(32);
  flow.return_to = "/orders?q=\"quoted\"\\";
  flow.created = absl::FromUnixSeconds(1800000000);
  return flow;
}

TEST(FlowStateTest, RoundTrips) {
  FlowState flow = SampleFlow();
  std::string json = SerializeFlowState(flow);
  absl::StatusOr<FlowState> back = ParseFlowState(json);
  ASSERT_TRUE(back.ok()) << FromAbsl(back.status().message());
  EXPECT_EQ(back->state_id, flow.state_id);
  EXPECT_EQ(back->nonce, flow.nonce);
  EXPECT_EQ(back->code_verifier, flow.code_verifier);
  EXPECT_EQ(back->return_to, flow.return_to);
  EXPECT_EQ(back->created, flow.created);
}

TEST(FlowStateTest, IsStrict) {
  std::string verifier = *RandomUrlSafe(32);
  auto json = [&](std::string extra, std::string v, std::string t) {
    return R"({"id":"a","n":"b","v":")" + v + R"(","r":"/","t":)" + t + extra + "}";
  };
  EXPECT_TRUE(ParseFlowState(json("", verifier, "1")).ok());
  EXPECT_FALSE(ParseFlowState(json(R"(,"x":1)", verifier, "1")).ok()) << "unknown member";
  EXPECT_FALSE(ParseFlowState(json("", "short", "1")).ok()) << "verifier below 43 characters";
  EXPECT_FALSE(ParseFlowState(json("", verifier + "!", "1")).ok()) << "not unreserved";
  EXPECT_FALSE(ParseFlowState(json("", verifier, "1.5")).ok());
  EXPECT_FALSE(ParseFlowState(json("", verifier, "-1")).ok());
  EXPECT_FALSE(ParseFlowState(json("", verifier, "\"1\"")).ok());
  EXPECT_FALSE(ParseFlowState(R"({"id":"","n":"b","v":")" + verifier + R"(","r":"/","t":1})").ok());
  EXPECT_FALSE(
      ParseFlowState(R"({"id":"a","n":"b","v":")" + verifier + R"(","r":"/","t":1,"id":"c"})").ok())
      << "duplicate member";
  EXPECT_FALSE(ParseFlowState("[]").ok());
  EXPECT_FALSE(ParseFlowState("").ok());
}

TEST(FormEncodingTest, WithQueryAppendsCorrectly) {
  EXPECT_EQ(WithQuery("https://a/b", "x=1"), "https://a/b?x=1");
  EXPECT_EQ(WithQuery("https://a/b?y=2", "x=1"), "https://a/b?y=2&x=1");
  EXPECT_EQ(WithQuery("https://a/b?y=2&", "x=1"), "https://a/b?y=2&x=1");
  EXPECT_EQ(WithQuery("https://a/b", ""), "https://a/b");
}

}  // namespace
}  // namespace authgate

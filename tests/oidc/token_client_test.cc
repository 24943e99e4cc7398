// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// The token endpoint client over real HTTP on loopback (the fake provider
// records what arrives on the wire), and the strict reading of token
// responses.

#include "oidc/token_client.h"

#include <openssl/evp.h>

#include <future>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "oidc/fake_provider.h"
#include "text.h"

namespace authgate {
namespace {

using ::authgate::testing::FakeProvider;
using ::authgate::testing::FormDecode;
using ::authgate::testing::TestHttpServer;
using ::testing::HasSubstr;
using ::testing::Not;

// Standard base64, by OpenSSL (not by the code under test).
std::string Base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

class TokenClientTest : public ::testing::Test {
 protected:
  TokenClientTest() : http_(NewCurlHttpClient(HttpClientOptions{})) {
    metadata_.issuer = provider_.issuer();
    metadata_.token_endpoint = provider_.Url("/token");
    config_ = provider_.Config();
  }

  absl::StatusOr<TokenResponse> Exchange(const std::string& code = "the-code") {
    TokenClient client(config_, http_.get());
    std::promise<absl::StatusOr<TokenResponse>> answer;
    client.ExchangeCode(
        metadata_, code, "the-verifier-0123456789-0123456789-0123456789",
        [&](absl::StatusOr<TokenResponse> response) { answer.set_value(response); });
    return answer.get_future().get();
  }

  TestHttpServer::Request LastRequest() {
    std::vector<TestHttpServer::Request> requests = provider_.TokenRequests();
    EXPECT_FALSE(requests.empty());
    return requests.empty() ? TestHttpServer::Request() : requests.back();
  }

  void Answer(int status, const std::string& body) {
    provider_.SetTokenHandler([status, body](const TestHttpServer::Request&) {
      return FakeProvider::Json(status, body);
    });
  }

  FakeProvider provider_;
  std::unique_ptr<HttpClient> http_;
  ProviderMetadata metadata_;
  OidcConfig config_;
};

TEST_F(TokenClientTest, ExchangesTheCodeWithClientSecretBasic) {
  config_.client_id = "my app:1";
  config_.client_secret = "p:ss%w rd/+";
  absl::StatusOr<TokenResponse> tokens = Exchange("c0de/+=");
  ASSERT_TRUE(tokens.ok()) << FromAbsl(tokens.status().message());
  EXPECT_EQ(tokens->access_token, "at-1");
  EXPECT_EQ(tokens->token_type, "Bearer");
  EXPECT_EQ(tokens->refresh_token, "rt-1");
  EXPECT_EQ(tokens->expires_in, 300);
  EXPECT_EQ(tokens->scope, "openid email");
  EXPECT_FALSE(tokens->id_token.empty());

  TestHttpServer::Request request = LastRequest();
  EXPECT_EQ(request.method, "POST");
  // RFC 6749 2.3.1: each part form-urlencoded, then base64 of "id:secret".
  EXPECT_EQ(request.Header("authorization"), "Basic " + Base64("my+app%3A1:p%3Ass%25w+rd%2F%2B"));
  EXPECT_EQ(request.Header("content-type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(request.Header("accept"), "application/json");
  std::map<std::string, std::string> form = FormDecode(request.body);
  EXPECT_EQ(form["grant_type"], "authorization_code");
  EXPECT_EQ(form["code"], "c0de/+=");
  EXPECT_EQ(form["redirect_uri"], "https://app.example/oauth2/callback");
  EXPECT_EQ(form["code_verifier"], "the-verifier-0123456789-0123456789-0123456789");
  EXPECT_EQ(form.count("client_secret"), 0u) << "the secret travels in the header only";
  EXPECT_EQ(form.count("client_id"), 0u);
}

TEST_F(TokenClientTest, ExchangesTheCodeWithClientSecretPost) {
  config_.token_endpoint_auth_method = TokenEndpointAuthMethod::kClientSecretPost;
  config_.client_secret = "p:ss%w rd";
  ASSERT_TRUE(Exchange().ok());
  TestHttpServer::Request request = LastRequest();
  EXPECT_EQ(request.Header("authorization"), "");
  std::map<std::string, std::string> form = FormDecode(request.body);
  EXPECT_EQ(form["client_id"], "app");
  EXPECT_EQ(form["client_secret"], "p:ss%w rd");
  EXPECT_EQ(form["grant_type"], "authorization_code");
}

TEST_F(TokenClientTest, PublicClientSendsItsIdOnly) {
  config_.token_endpoint_auth_method = TokenEndpointAuthMethod::kNone;
  config_.client_secret.clear();
  ASSERT_TRUE(Exchange().ok());
  TestHttpServer::Request request = LastRequest();
  EXPECT_EQ(request.Header("authorization"), "");
  std::map<std::string, std::string> form = FormDecode(request.body);
  EXPECT_EQ(form["client_id"], "app");
  EXPECT_EQ(form.count("client_secret"), 0u);
}

TEST_F(TokenClientTest, RefreshSendsTheRefreshToken) {
  TokenClient client(config_, http_.get());
  std::promise<absl::StatusOr<TokenResponse>> answer;
  client.Refresh(metadata_, "rt-old",
                 [&](absl::StatusOr<TokenResponse> response) { answer.set_value(response); });
  ASSERT_TRUE(answer.get_future().get().ok());
  std::map<std::string, std::string> form = FormDecode(LastRequest().body);
  EXPECT_EQ(form["grant_type"], "refresh_token");
  EXPECT_EQ(form["refresh_token"], "rt-old");
  EXPECT_EQ(form.count("code"), 0u);
}

TEST(ChooseAuthMethodTest, FollowsConfigurationThenDiscovery) {
  OidcConfig config;
  ProviderMetadata metadata;
  EXPECT_EQ(ChooseAuthMethod(config, metadata), TokenEndpointAuthMethod::kClientSecretBasic);
  metadata.token_endpoint_auth_methods_supported = {"client_secret_post", "private_key_jwt"};
  EXPECT_EQ(ChooseAuthMethod(config, metadata), TokenEndpointAuthMethod::kClientSecretPost);
  metadata.token_endpoint_auth_methods_supported = {"client_secret_post", "client_secret_basic"};
  EXPECT_EQ(ChooseAuthMethod(config, metadata), TokenEndpointAuthMethod::kClientSecretBasic);
  metadata.token_endpoint_auth_methods_supported = {"client_secret_post"};
  config.token_endpoint_auth_method = TokenEndpointAuthMethod::kClientSecretBasic;
  EXPECT_EQ(ChooseAuthMethod(config, metadata), TokenEndpointAuthMethod::kClientSecretBasic)
      << "configuration wins";
}

TEST_F(TokenClientTest, InvalidGrantCarriesTheErrorCodeOnly) {
  Answer(400, R"({"error":"invalid_grant","error_description":"code the-code was used"})");
  absl::StatusOr<TokenResponse> tokens = Exchange("the-code");
  ASSERT_FALSE(tokens.ok());
  EXPECT_EQ(tokens.status().code(), absl::StatusCode::kPermissionDenied);
  std::string message(FromAbsl(tokens.status().message()));
  EXPECT_EQ(message, "token endpoint: invalid_grant (HTTP 400)");
  EXPECT_THAT(message, Not(HasSubstr("the-code")));
  EXPECT_THAT(message, Not(HasSubstr("app-secret")));
}

TEST_F(TokenClientTest, NonJsonResponseIsRefused) {
  Answer(200, "<html>Welcome</html>");
  absl::StatusOr<TokenResponse> tokens = Exchange();
  ASSERT_FALSE(tokens.ok());
  EXPECT_THAT(FromAbsl(tokens.status().message()), HasSubstr("token response: invalid JSON"));
  Answer(502, "<html>Bad gateway</html>");
  tokens = Exchange();
  ASSERT_FALSE(tokens.ok());
  EXPECT_EQ(tokens.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(TokenClientTest, TokenTypeMustBeBearer) {
  Answer(200, R"({"access_token":"x","token_type":"DPoP","expires_in":60})");
  absl::StatusOr<TokenResponse> tokens = Exchange();
  ASSERT_FALSE(tokens.ok());
  EXPECT_THAT(FromAbsl(tokens.status().message()), HasSubstr("\"token_type\" is not Bearer"));
  Answer(200, R"({"access_token":"x","token_type":"bearer"})");
  tokens = Exchange();
  ASSERT_TRUE(tokens.ok()) << "case-insensitive (RFC 6749 5.1)";
  EXPECT_FALSE(tokens->expires_in.has_value());
}

HttpResponse Response(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

std::string ParseError(int status, const std::string& body) {
  absl::StatusOr<TokenResponse> tokens = ParseTokenResponse(Response(status, body));
  return tokens.ok() ? "" : std::string(FromAbsl(tokens.status().message()));
}

TEST(TokenResponseTest, IsStrict) {
  EXPECT_EQ(ParseError(200, R"({"access_token":"x","token_type":"Bearer","expires_in":0})"), "");
  EXPECT_THAT(ParseError(200, R"({"token_type":"Bearer"})"), HasSubstr("\"access_token\""));
  EXPECT_THAT(ParseError(200, R"({"access_token":"","token_type":"Bearer"})"),
              HasSubstr("\"access_token\""));
  EXPECT_THAT(ParseError(200, R"({"access_token":1,"token_type":"Bearer"})"),
              HasSubstr("\"access_token\""));
  EXPECT_THAT(ParseError(200, R"({"access_token":"x"})"), HasSubstr("\"token_type\""));
  EXPECT_THAT(ParseError(200, R"({"access_token":"x","token_type":"MAC"})"),
              HasSubstr("not Bearer"));
  for (const char* expires : {"\"3600\"", "-1", "1.5", "1e3", "null"}) {
    EXPECT_THAT(
        ParseError(200, std::string(R"({"access_token":"x","token_type":"Bearer","expires_in":)") +
                            expires + "}"),
        HasSubstr("\"expires_in\""))
        << expires;
  }
  EXPECT_THAT(ParseError(200, R"({"access_token":"x","token_type":"Bearer","id_token":7})"),
              HasSubstr("\"id_token\" must be a string"));
  EXPECT_THAT(ParseError(200, R"({"access_token":"x","token_type":"Bearer","refresh_token":[]})"),
              HasSubstr("\"refresh_token\" must be a string"));
  EXPECT_THAT(ParseError(200, R"({"access_token":"x","access_token":"y","token_type":"Bearer"})"),
              HasSubstr("duplicate member"));
  EXPECT_THAT(ParseError(200, R"(["x"])"), HasSubstr("not a JSON object"));
  EXPECT_THAT(ParseError(200, ""), HasSubstr("invalid JSON"));
}

TEST(TokenResponseTest, ErrorResponses) {
  EXPECT_EQ(ParseError(401, R"({"error":"invalid_client"})"),
            "token endpoint: invalid_client (HTTP 401)");
  EXPECT_EQ(ParseError(400, R"({"error":"bad\u0000code\r\n"})"),
            "token endpoint: (malformed error code) (HTTP 400)");
  EXPECT_EQ(ParseError(400, R"({"error":")" + std::string(100, 'x') + "\"}"),
            "token endpoint: (malformed error code) (HTTP 400)");
  EXPECT_EQ(ParseError(400, "Bad Request"), "token endpoint: HTTP status 400");
  EXPECT_EQ(ParseError(500, R"({"error":"server_error"})"), "token endpoint: HTTP status 500");
  EXPECT_EQ(ParseError(302, ""), "token endpoint: HTTP status 302");
}

TEST(TokenResponseTest, TransportFailuresKeepTheirCode) {
  FakeProvider provider;
  std::unique_ptr<HttpClient> http = NewCurlHttpClient(HttpClientOptions{});
  OidcConfig config = provider.Config();
  ProviderMetadata metadata;
  metadata.token_endpoint = "http://not-loopback.example/token";  // refused without traffic
  TokenClient client(config, http.get());
  std::promise<absl::StatusOr<TokenResponse>> answer;
  client.ExchangeCode(metadata, "c", "v",
                      [&](absl::StatusOr<TokenResponse> response) { answer.set_value(response); });
  absl::StatusOr<TokenResponse> tokens = answer.get_future().get();
  ASSERT_FALSE(tokens.ok());
  EXPECT_EQ(tokens.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(FromAbsl(tokens.status().message()), HasSubstr("token endpoint: "));
}

}  // namespace
}  // namespace authgate

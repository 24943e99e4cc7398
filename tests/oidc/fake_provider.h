// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// fake_provider.h: an OpenID Provider in the test process, on loopback:
// discovery, JWKS and a token endpoint that issues signed ID tokens, with
// knobs for what the tests need (an announced RFC 9207 `iss`, an
// end_session_endpoint, scripted token answers, a token endpoint held until
// the test releases it). Also ID-token claims with sensible defaults.
//
//   FakeProvider provider;
//   OidcConfig config = provider.Config();
//   provider.SetTokenHandler([&](const FakeProvider::Form& form) { ... });

#ifndef AUTHGATE_TESTS_OIDC_FAKE_PROVIDER_H_
#define AUTHGATE_TESTS_OIDC_FAKE_PROVIDER_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "oidc/oidc_config.h"
#include "support/test_http_server.h"
#include "support/token_factory.h"

namespace authgate::testing {

// The tests' "now": every ManualClock starts here.
inline constexpr int64_t kTestNow = 1800000000;

// Quote returns `text` as a JSON string literal.
std::string Quote(const std::string& text);

// IdTokenClaims builds an ID token payload: iss, sub "alice", aud "app",
// iat now, exp now + 600, nonce "n-123" unless changed.
class IdTokenClaims {
 public:
  explicit IdTokenClaims(std::string issuer);
  // Set puts a member with a raw JSON value (Set("aud", R"(["a","b"])")).
  IdTokenClaims& Set(const std::string& name, const std::string& raw_json);
  IdTokenClaims& SetString(const std::string& name, const std::string& value);
  IdTokenClaims& Erase(const std::string& name);
  std::string Json() const;

 private:
  std::vector<std::pair<std::string, std::string>> members_;
};

// FormDecode decodes an application/x-www-form-urlencoded body.
std::map<std::string, std::string> FormDecode(const std::string& body);

class FakeProvider {
 public:
  using Form = std::map<std::string, std::string>;
  using TokenHandler = std::function<TestHttpServer::Response(const TestHttpServer::Request&)>;

  FakeProvider();
  ~FakeProvider();

  // issuer is "http://127.0.0.1:<port>" (plain http to loopback is allowed).
  const std::string& issuer() const { return issuer_; }
  std::string Url(const std::string& path) const { return server_->Url(path); }
  // Config: this provider, client "app" with secret "app-secret", by discovery.
  OidcConfig Config() const;

  // Discovery document knobs.
  void SetIssParameterSupported(bool supported);
  void SetEndSessionEndpoint(bool present);
  void SetAuthMethodsSupported(std::vector<std::string> methods);
  void SetDiscoveryIssuer(std::string issuer);
  // Keys: SetSigningKey replaces the published key and the one ID tokens
  // are signed with (a rotation).
  void SetSigningKey(const TestKey& key, std::string kid);

  // Sign signs `claims` with the current key and kid (ES256).
  std::string Sign(const std::string& claims) const;
  std::string Sign(const IdTokenClaims& claims) const { return Sign(claims.Json()); }

  // The default token endpoint: for grant_type=authorization_code, a Bearer
  // access token "at-<n>", refresh token "rt-<n>", expires_in 300 and an ID
  // token with the nonce given to ExpectNonce(); for grant_type=
  // refresh_token, the same without nonce. SetTokenHandler replaces it.
  void ExpectNonce(std::string nonce);
  void SetTokenHandler(TokenHandler handler);
  static TestHttpServer::Response Json(int status, const std::string& body);

  // HoldTokenEndpoint makes token requests wait until ReleaseTokenEndpoint().
  void HoldTokenEndpoint();
  void ReleaseTokenEndpoint();
  // WaitForHeldRequests blocks until `count` token requests are waiting.
  void WaitForHeldRequests(int count);

  std::vector<TestHttpServer::Request> TokenRequests() const;
  int discovery_requests() const;

 private:
  TestHttpServer::Response Handle(const TestHttpServer::Request& request);
  TestHttpServer::Response DefaultToken(const TestHttpServer::Request& request);
  std::string DiscoveryDocument() const;

  // Destroyed first, explicitly: its threads run Handle().
  std::unique_ptr<TestHttpServer> server_;
  std::string issuer_;
  mutable std::mutex mutex_;
  std::condition_variable held_changed_;
  TestKey key_;
  std::string kid_ = "k1";
  std::string discovery_issuer_;
  bool iss_supported_ = false;
  bool end_session_ = false;
  std::vector<std::string> auth_methods_ = {"client_secret_basic", "client_secret_post"};
  std::string nonce_ = "n-123";
  TokenHandler token_handler_;
  int issued_ = 0;
  bool hold_ = false;
  int held_ = 0;
  int discovery_requests_ = 0;
};

}  // namespace authgate::testing

#endif  // AUTHGATE_TESTS_OIDC_FAKE_PROVIDER_H_

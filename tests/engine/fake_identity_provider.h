// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// fake_identity_provider.h: an in-process OpenID Provider for engine tests,
// reached through an HttpClient that answers on its own thread (as libcurl's
// does): discovery, JWKS, and a token endpoint that checks the client's
// credentials, the redirect URI and PKCE, and rotates refresh tokens.
//
//   FakeIdentityProvider idp("https://idp.test", clock);
//   auto engine = Engine::Create(config, {idp.NewClient(), std::move(scheduler)});
//   std::string code = idp.Authorize(location_of_the_302);   // the user logs in
//
// Time comes from the test's clock, so tokens expire when the test says.

#ifndef AUTHGATE_TESTS_ENGINE_FAKE_IDENTITY_PROVIDER_H_
#define AUTHGATE_TESTS_ENGINE_FAKE_IDENTITY_PROVIDER_H_

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "clock.h"
#include "net/http_client.h"
#include "support/token_factory.h"

namespace authgate::testing {

class FakeIdentityProvider {
 public:
  static constexpr std::string_view kClientId = "hello-world";
  static constexpr std::string_view kClientSecret = "s3cret:with%odd chars";
  static constexpr std::string_view kKid = "idp-key-1";

  FakeIdentityProvider(std::string issuer, const Clock& clock);
  ~FakeIdentityProvider();

  // NewClient returns an HttpClient whose requests this provider answers.
  std::unique_ptr<HttpClient> NewClient();

  // Authorize plays the user logging in at `authorization_url`: checks its
  // parameters and returns a code. `claims_patch` members replace or add ID
  // token claims for this login ("null" values remove a claim).
  std::string Authorize(std::string_view authorization_url, std::string claims_patch = "{}");

  // Tokens signed by the provider's key.
  std::string SignIdToken(std::string_view claims_json) const;
  std::string AccessToken(std::string_view claims_json) const;
  const TestKey& key() const { return key_; }
  const std::string& issuer() const { return issuer_; }

  // Behaviour switches.
  void set_access_token_lifetime(int seconds);
  void set_refresh_fails(bool fails);
  void set_refresh_sub(std::string sub);  // a refreshed ID token with another subject
  // While held, token endpoint answers wait (to gather concurrent refreshes).
  void HoldTokenEndpoint(bool hold);
  // While held, JWKS answers wait (a key refetch stays pending).
  void HoldJwks(bool hold);
  int token_requests() const;
  int refresh_requests() const;

  // The queue of requests the clients hand over (defined in the .cc).
  struct Pending;

 private:
  HttpResponse Answer(const HttpRequest& request);
  HttpResponse TokenEndpoint(const HttpRequest& request);
  std::string IdTokenFor(const std::string& nonce, const std::string& patch,
                         const std::string& sub);
  void Worker();
  // Whether `request` waits for a Hold to end; mutex_ held.
  bool HeldLocked(const HttpRequest& request) const;

  std::string issuer_;
  const Clock& clock_;
  TestKey key_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  struct Grant {
    std::string nonce, challenge, redirect_uri, patch;
  };
  std::map<std::string, Grant> codes_;
  std::map<std::string, std::string> refresh_tokens_;  // token -> nonce
  int access_token_lifetime_ = 300;
  bool refresh_fails_ = false;
  std::string refresh_sub_ = "alice";
  bool hold_ = false;
  bool hold_jwks_ = false;
  int token_requests_ = 0;
  int refresh_requests_ = 0;
  int counter_ = 0;
  bool stopping_ = false;
  std::shared_ptr<Pending> queue_;
  std::thread worker_;
};

}  // namespace authgate::testing

#endif  // AUTHGATE_TESTS_ENGINE_FAKE_IDENTITY_PROVIDER_H_

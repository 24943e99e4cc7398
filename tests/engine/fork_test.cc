// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// fork(): gunicorn and uWSGI import the application, which creates its
// engine and verifier, and then fork the workers. The child has none of the
// parent's threads (HTTP client, scheduler, deliveries); authgate starts
// them again, so a key refetch, its timer and the callback all work there.
// Not under ThreadSanitizer, which does not support new threads after a
// multi-threaded fork.

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <string>

#include "engine/engine.h"
#include "gtest/gtest.h"
#include "jwt/verifier_config.h"
#include "support/test_http_server.h"
#include "support/token_factory.h"
#include "text.h"

#if defined(__SANITIZE_THREAD__)
#define AUTHGATE_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define AUTHGATE_UNDER_TSAN 1
#endif
#endif

namespace authgate {
namespace {

using ::authgate::testing::SignToken;
using ::authgate::testing::TestHttpServer;
using ::authgate::testing::TestKey;

constexpr std::string_view kIssuer = "https://idp.example";

// Exit codes of the child, each naming what failed there.
enum ChildExit : int {
  kChildOk = 0,
  kVerifyNotPending = 10,
  kVerifyNoAnswer = 11,
  kVerifyRejected = 12,
  kEvaluateRefused = 13,
};

std::string Token(const TestKey& key, const std::string& kid) {
  int64_t now = absl::ToUnixSeconds(absl::Now());
  return SignToken(key, "ES256", StrCat(R"({"alg":"ES256","kid":")", kid, "\"}"),
                   StrCat(R"({"iss":")", kIssuer, R"(","sub":"alice","aud":"api","exp":)",
                          now + 600, "}"));
}

// In the child: no gtest, only the exit code.
int ChildChecks(const JwtVerifier& verifier, const Engine& engine, const std::string& token) {
  struct Answer {
    std::mutex mutex;
    std::condition_variable changed;
    bool done = false;
    bool valid = false;
  } answer;
  bool valid = false;
  Rejection why;
  if (verifier.VerifyAsync(token, &valid, nullptr, &why,
                           [&answer](absl::Status, bool ok, VerifiedToken, Rejection) {
                             std::lock_guard<std::mutex> lock(answer.mutex);
                             answer.done = true;
                             answer.valid = ok;
                             answer.changed.notify_all();
                           })) {
    return kVerifyNotPending;  // the key is new: only a refetch can tell
  }
  {
    std::unique_lock<std::mutex> lock(answer.mutex);
    if (!answer.changed.wait_for(lock, std::chrono::seconds(10), [&] { return answer.done; })) {
      return kVerifyNoAnswer;
    }
    if (!answer.valid) return kVerifyRejected;
  }
  Request request;
  request.method = "GET";
  request.scheme = "https";
  request.authority = "app.test";
  request.target = "/api/orders";
  request.headers.emplace_back("Authorization", "Bearer " + token);
  Decision decision = engine.Evaluate(request);
  if (decision.action != Decision::Action::kAllow) return kEvaluateRefused;
  return kChildOk;
}

TEST(ForkTest, ChildFetchesKeysVerifiesAndEvaluates) {
#ifdef AUTHGATE_UNDER_TSAN
  GTEST_SKIP() << "ThreadSanitizer does not support threads started after a fork";
#endif
  TestKey old_key = TestKey::Ec("P-256");
  TestKey new_key = TestKey::Ec("P-256");
  std::mutex jwks_mutex;
  std::string jwks = StrCat(R"({"keys":[)", old_key.PublicJwk("old"), "]}");
  TestHttpServer server;
  server.SetHandler([&](const TestHttpServer::Request&) {
    std::lock_guard<std::mutex> lock(jwks_mutex);
    TestHttpServer::Response response;
    response.body = jwks;
    return response;
  });

  absl::StatusOr<VerifierConfig> config = ParseVerifierConfig(
      StrCat(R"({"issuers":[")", kIssuer, R"("],"audiences":["api"],"jwks_uri":")",
             server.Url("/jwks"), R"("})"));
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<std::unique_ptr<JwtVerifier>> verifier = BuildVerifier(std::move(*config));
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(StrCat(
      R"({"jwt": {"providers": {"idp": {"issuer": ")", kIssuer,
      R"(", "audiences": ["api"], "jwks_uri": ")", server.Url("/jwks"), R"("}}},
          "rules": [{"match": {"prefix": "/api"}, "requires": {"jwt": ["idp"]}}]})"));
  ASSERT_TRUE(engine.ok()) << engine.status();
  ASSERT_TRUE((*verifier)->WaitReady(absl::Seconds(10)));
  ASSERT_TRUE((*engine)->WaitReady(absl::Seconds(10)));
  {
    // The provider rotates: only a fetch made after the fork knows "new".
    std::lock_guard<std::mutex> lock(jwks_mutex);
    jwks = StrCat(R"({"keys":[)", old_key.PublicJwk("old"), ",", new_key.PublicJwk("new"), "]}");
  }
  std::string token = Token(new_key, "new");

  pid_t child = fork();
  ASSERT_NE(child, -1);
  if (child == 0) {
    alarm(30);  // a hang in the child fails the test instead of blocking ctest
    _exit(ChildChecks(**verifier, **engine, token));
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "the child was killed by signal "
                                 << (WIFSIGNALED(status) ? WTERMSIG(status) : 0)
                                 << " (SIGALRM: it hung)";
  EXPECT_EQ(WEXITSTATUS(status), kChildOk)
      << "10: verify answered at once; 11: no answer; 12: rejected; 13: the engine refused";

  // The parent is unaffected, and fetches for itself.
  EXPECT_EQ(ChildChecks(**verifier, **engine, token), kChildOk);
}

}  // namespace
}  // namespace authgate

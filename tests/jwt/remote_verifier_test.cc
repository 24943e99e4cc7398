// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// The verifier with remote keys, over real HTTP on loopback: a test JWKS
// server that rotates keys, fails, hangs, and counts requests. The few
// assertions on elapsed time allow 5x slack.

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <mutex>
#include <random>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jwt/verifier_config.h"
#include "support/test_http_server.h"
#include "support/token_factory.h"
#include "text.h"

namespace authgate {
namespace {

using ::authgate::testing::SignToken;
using ::authgate::testing::TestHttpServer;
using ::authgate::testing::TestKey;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

std::string Claims(const std::string& iss = "https://idp.example") {
  return R"({"iss":")" + iss + R"(","sub":"alice","exp":)" +
         std::to_string(absl::ToUnixSeconds(absl::Now()) + 600) + "}";
}

// A JWKS server whose key list and failure mode the test changes.
class JwksServer {
 public:
  JwksServer() {
    server_.SetHandler([this](const TestHttpServer::Request& request) {
      std::lock_guard<std::mutex> lock(mutex_);
      TestHttpServer::Response response;
      if (hang_) {
        response.hang = true;
      } else if (status_ != 200) {
        response.status = status_;
      } else if (request.target == "/.well-known/openid-configuration") {
        response.body = R"({"issuer":")" + discovery_issuer_ + R"(","jwks_uri":")" +
                        server_.Url("/jwks") + "\"}";
      } else {
        response.body = jwks_;
      }
      return response;
    });
  }
  void Serve(std::string jwks) {
    std::lock_guard<std::mutex> lock(mutex_);
    jwks_ = std::move(jwks);
    status_ = 200;
    hang_ = false;
  }
  void Fail(int status) {
    std::lock_guard<std::mutex> lock(mutex_);
    status_ = status;
  }
  void Hang() {
    std::lock_guard<std::mutex> lock(mutex_);
    hang_ = true;
  }
  void SetDiscoveryIssuer(std::string issuer) {
    std::lock_guard<std::mutex> lock(mutex_);
    discovery_issuer_ = std::move(issuer);
  }
  std::string Url(const std::string& path) { return server_.Url(path); }
  std::string Base() { return server_.Url(""); }
  int requests() { return server_.request_count(); }

 private:
  std::mutex mutex_;
  std::string jwks_ = R"({"keys":[]})";
  int status_ = 200;
  bool hang_ = false;
  std::string discovery_issuer_;
  // Last: destroyed (its threads joined) before the state its handler reads.
  TestHttpServer server_;
};

std::unique_ptr<JwtVerifier> Build(const std::string& config_json) {
  absl::StatusOr<VerifierConfig> config = ParseVerifierConfig(config_json);
  EXPECT_TRUE(config.ok()) << FromAbsl(config.status().message());
  if (!config.ok()) return nullptr;
  absl::StatusOr<std::unique_ptr<JwtVerifier>> verifier = BuildVerifier(std::move(*config));
  EXPECT_TRUE(verifier.ok()) << FromAbsl(verifier.status().message());
  return verifier.ok() ? std::move(*verifier) : nullptr;
}

Reason Check(const JwtVerifier& verifier, const std::string& token) {
  Rejection why;
  return verifier.Verify(token, absl::Now(), nullptr, &why) ? Reason::kNone : why.reason;
}

struct AsyncOutcome {
  bool final_at_once = false;
  bool valid = false;
  Reason reason = Reason::kNone;
  std::chrono::milliseconds waited{0};
};

AsyncOutcome CheckAsync(const JwtVerifier& verifier, const std::string& token) {
  AsyncOutcome outcome;
  std::promise<std::pair<bool, Reason>> promise;
  auto start = std::chrono::steady_clock::now();
  bool valid = false;
  Rejection why;
  outcome.final_at_once = verifier.VerifyAsync(
      token, &valid, nullptr, &why,
      [&promise](absl::Status status, bool ok, VerifiedToken, Rejection late) {
        EXPECT_TRUE(status.ok()) << status;
        promise.set_value({ok, late.reason});
      });
  if (outcome.final_at_once) {
    outcome.valid = valid;
    outcome.reason = valid ? Reason::kNone : why.reason;
  } else {
    auto [ok, reason] = promise.get_future().get();
    outcome.valid = ok;
    outcome.reason = ok ? Reason::kNone : reason;
  }
  outcome.waited = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  return outcome;
}

class RemoteVerifierTest : public ::testing::Test {
 protected:
  RemoteVerifierTest() : old_key_(TestKey::Ec("P-256")), new_key_(TestKey::Ec("P-256")) {}
  std::string JwksOf(std::vector<std::pair<const TestKey*, std::string>> keys) {
    std::string out = "{\"keys\":[";
    for (size_t i = 0; i < keys.size(); ++i) {
      out += (i ? "," : "") + keys[i].first->PublicJwk(keys[i].second);
    }
    return out + "]}";
  }
  std::string TokenFrom(const TestKey& key, const std::string& kid,
                        const std::string& claims = Claims()) {
    return SignToken(key, "ES256", R"({"alg":"ES256","kid":")" + kid + "\"}", claims);
  }

  JwksServer server_;
  TestKey old_key_, new_key_;
};

TEST_F(RemoteVerifierTest, VerifiesWithFetchedKeysAndReportsStats) {
  server_.Serve(JwksOf({{&old_key_, "old"}}));
  auto verifier = Build(R"({"jwks_uri":")" + server_.Url("/jwks") + R"("})");
  ASSERT_TRUE(verifier->WaitReady(absl::Seconds(10)));
  EXPECT_EQ(Check(*verifier, TokenFrom(old_key_, "old")), Reason::kNone);
  KeySourceStats stats = verifier->providers()[0].keys->Stats();
  EXPECT_EQ(stats.fetch_successes, 1u);
  EXPECT_EQ(stats.key_count, 1u);
}

TEST_F(RemoteVerifierTest, SyncVerifyBeforeKeysArriveIsJwksUnavailableAtOnce) {
  server_.Hang();
  auto verifier = Build(R"({"jwks_uri":")" + server_.Url("/jwks") + R"("})");
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Check(*verifier, TokenFrom(old_key_, "old")), Reason::kJwksUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms) << "never waits on the network";
  EXPECT_FALSE(verifier->WaitReady(absl::Milliseconds(100)));
}

TEST_F(RemoteVerifierTest, KeyRotationCostsNoRejectedRequestWithAsyncVerify) {
  server_.Serve(JwksOf({{&old_key_, "old"}}));
  auto verifier =
      Build(R"({"jwks_uri":")" + server_.Url("/jwks") + R"(","jwks_cache":{"refetch_interval":"1ms"}})");
  ASSERT_TRUE(verifier->WaitReady(absl::Seconds(10)));
  // The provider rotates: the new key is published alongside the old one.
  server_.Serve(JwksOf({{&old_key_, "old"}, {&new_key_, "new"}}));
  std::this_thread::sleep_for(5ms);  // past the refetch interval
  AsyncOutcome outcome = CheckAsync(*verifier, TokenFrom(new_key_, "new"));
  EXPECT_FALSE(outcome.final_at_once) << "waited for the refetch";
  EXPECT_TRUE(outcome.valid);
  // During the overlap both keys verify; later only the new one.
  EXPECT_EQ(Check(*verifier, TokenFrom(old_key_, "old")), Reason::kNone);
  server_.Serve(JwksOf({{&new_key_, "new"}}));
  verifier->Refresh();
  for (int i = 0; i < 500 && Check(*verifier, TokenFrom(old_key_, "old")) == Reason::kNone; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(Check(*verifier, TokenFrom(old_key_, "old")), Reason::kKeyNotFound);
  EXPECT_EQ(Check(*verifier, TokenFrom(new_key_, "new")), Reason::kNone);
}

TEST_F(RemoteVerifierTest, ValidTokensKeepVerifyingWhileTheProviderIsDown) {
  server_.Serve(JwksOf({{&old_key_, "old"}}));
  auto verifier = Build(R"({"jwks_uri":")" + server_.Url("/jwks") +
                        R"(","jwks_cache":{"cache_duration":"1s","min_cache_duration":"1s",)"
                        R"("initial_backoff":"100ms","max_backoff":"200ms"}})");
  ASSERT_TRUE(verifier->WaitReady(absl::Seconds(10)));
  server_.Fail(503);
  // Several cache lifetimes of failures.
  auto until = std::chrono::steady_clock::now() + 2500ms;
  int failures_seen = 0;
  while (std::chrono::steady_clock::now() < until) {
    EXPECT_EQ(Check(*verifier, TokenFrom(old_key_, "old")), Reason::kNone);
    std::this_thread::sleep_for(50ms);
  }
  failures_seen = static_cast<int>(verifier->providers()[0].keys->Stats().fetch_failures);
  EXPECT_GE(failures_seen, 2);
  // Recovery.
  server_.Serve(JwksOf({{&old_key_, "old"}}));
  for (int i = 0; i < 200 && !verifier->providers()[0].keys->Stats().last_error.empty(); ++i) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(verifier->providers()[0].keys->Stats().last_error, "");
}

TEST_F(RemoteVerifierTest, SlowProviderNeverHoldsARequestBeyondTheBound) {
  server_.Serve(JwksOf({{&old_key_, "old"}}));
  auto verifier = Build(R"({"jwks_uri":")" + server_.Url("/jwks") +
                        R"(","async_timeout":"300ms","jwks_cache":{"refetch_interval":"1ms"}})");
  ASSERT_TRUE(verifier->WaitReady(absl::Seconds(10)));
  server_.Hang();
  std::this_thread::sleep_for(5ms);
  AsyncOutcome outcome = CheckAsync(*verifier, TokenFrom(new_key_, "new"));
  EXPECT_FALSE(outcome.valid);
  EXPECT_EQ(outcome.reason, Reason::kKeyNotFound);
  EXPECT_LT(outcome.waited, 300ms * 5);
  // Known keys are unaffected by the hanging fetch.
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Check(*verifier, TokenFrom(old_key_, "old")), Reason::kNone);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);
}

// Destroying the verifier (authgate_verifier_free) with calls pending, while
// holding the host's lock (the GIL) that the first cancellation's callback
// takes: the destructor returns without waiting for it, the callbacks run
// afterwards on a library thread, each exactly once, with Cancelled.
TEST_F(RemoteVerifierTest, DestructionCancelsPendingCallsWithoutWaitingForThem) {
  server_.Serve(JwksOf({{&old_key_, "old"}}));
  auto verifier = Build(R"({"jwks_uri":")" + server_.Url("/jwks") + R"(","async_timeout":"60s"})");
  ASSERT_TRUE(verifier->WaitReady(absl::Seconds(10)));
  server_.Hang();  // the refetch for the unknown key never completes
  struct Shared {
    std::mutex host_lock;
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<absl::Status> statuses;
    std::vector<std::thread::id> threads;
    bool destroyed = false;
  };
  auto shared = std::make_shared<Shared>();
  auto record = [shared](absl::Status status) {
    std::lock_guard<std::mutex> lock(shared->mutex);
    shared->statuses.push_back(std::move(status));
    shared->threads.push_back(std::this_thread::get_id());
    shared->changed.notify_all();
  };
  std::thread::id destroying_thread;
  std::thread host([&, shared, verifier = std::move(verifier)]() mutable {
    destroying_thread = std::this_thread::get_id();
    std::lock_guard<std::mutex> held(shared->host_lock);
    bool valid = true;
    Rejection why;
    for (int i = 0; i < 2; ++i) {
      EXPECT_FALSE(verifier->VerifyAsync(
          TokenFrom(new_key_, "new"), &valid, nullptr, &why,
          [shared, record, i](absl::Status status, bool ok, VerifiedToken, Rejection) {
            EXPECT_FALSE(ok);
            if (i == 0) {
              std::lock_guard<std::mutex> gil(shared->host_lock);  // waits for the host
            }
            record(std::move(status));
          }));
    }
    verifier.reset();
    std::lock_guard<std::mutex> lock(shared->mutex);
    shared->destroyed = true;
    shared->changed.notify_all();
  });
  std::unique_lock<std::mutex> lock(shared->mutex);
  if (!shared->changed.wait_for(lock, 10s, [&] { return shared->destroyed; })) {
    // The old behaviour: the destructor ran the first callback itself, which
    // waits for the lock its own thread holds. That thread can never be
    // joined: end the process.
    ADD_FAILURE() << "destroying the verifier waited for a callback";
    std::fflush(stdout);
    std::_Exit(1);
  }
  lock.unlock();
  host.join();
  lock.lock();
  ASSERT_TRUE(shared->changed.wait_for(lock, 10s, [&] { return shared->statuses.size() == 2; }));
  lock.unlock();
  std::this_thread::sleep_for(50ms);  // a third call would show
  lock.lock();
  ASSERT_EQ(shared->statuses.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(absl::IsCancelled(shared->statuses[i])) << shared->statuses[i];
    EXPECT_NE(shared->threads[i], destroying_thread);
  }
}

TEST_F(RemoteVerifierTest, AFloodOfRandomKidsFetchesAtMostOncePerInterval) {
  server_.Serve(JwksOf({{&old_key_, "old"}}));
  auto verifier = Build(R"({"jwks_uri":")" + server_.Url("/jwks") +
                        R"(","jwks_cache":{"refetch_interval":"2s"}})");
  ASSERT_TRUE(verifier->WaitReady(absl::Seconds(10)));
  std::this_thread::sleep_for(2100ms);  // one refetch is allowed again
  int before = server_.requests();
  std::vector<std::string> tokens;
  std::mt19937_64 random(7);
  for (int i = 0; i < 1000; ++i) {
    tokens.push_back(TokenFrom(new_key_, "kid-" + std::to_string(random())));
  }
  std::atomic<int> rejected{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < 1000; i += 8) rejected += Check(*verifier, tokens[i]) == Reason::kKeyNotFound;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(rejected.load(), 1000);
  std::this_thread::sleep_for(200ms);
  // 1000 unknown kids from 8 threads: one fetch for the whole flood.
  EXPECT_EQ(server_.requests() - before, 1);
}

TEST_F(RemoteVerifierTest, DiscoveryFindsTheKeysAndRejectsAnotherIssuer) {
  server_.Serve(JwksOf({{&old_key_, "old"}}));
  server_.SetDiscoveryIssuer(server_.Base());
  auto verifier = Build(R"({"discovery":")" + server_.Base() + R"("})");
  ASSERT_TRUE(verifier->WaitReady(absl::Seconds(10)));
  EXPECT_EQ(Check(*verifier, TokenFrom(old_key_, "old")), Reason::kNone);

  server_.SetDiscoveryIssuer("https://evil.example");
  auto mismatched = Build(R"({"discovery":")" + server_.Base() + R"("})");
  EXPECT_FALSE(mismatched->WaitReady(absl::Milliseconds(500)));
  EXPECT_THAT(mismatched->providers()[0].keys->Stats().last_error, HasSubstr("issuer"));
  EXPECT_EQ(Check(*mismatched, TokenFrom(old_key_, "old")), Reason::kJwksUnavailable);
}

TEST_F(RemoteVerifierTest, RequiresHttpsForRemoteHosts) {
  for (const char* config : {R"({"jwks_uri":"http://idp.example/jwks"})",
                             R"({"discovery":"http://idp.example"})",
                             R"({"providers":[{"issuer":"http://idp.example","discovery":true}]})"}) {
    absl::StatusOr<VerifierConfig> parsed = ParseVerifierConfig(config);
    ASSERT_FALSE(parsed.ok()) << config;
    EXPECT_THAT(std::string(FromAbsl(parsed.status().message())), HasSubstr("https")) << config;
  }
  EXPECT_TRUE(ParseVerifierConfig(
                  R"({"jwks_uri":"http://idp.example/jwks","http":{"allow_insecure_http":true}})")
                  .ok());
}

TEST_F(RemoteVerifierTest, EachTokenIsCheckedOnlyAgainstItsIssuersKeys) {
  JwksServer other;
  server_.Serve(JwksOf({{&old_key_, "k"}}));
  other.Serve(JwksOf({{&new_key_, "k"}}));
  auto verifier = Build(R"({"providers":[)"
                        R"({"issuer":"https://a.example","jwks_uri":")" + server_.Url("/jwks") + R"("},)"
                        R"({"issuer":"https://b.example","jwks_uri":")" + other.Url("/jwks") + R"("}]})");
  ASSERT_TRUE(verifier->WaitReady(absl::Seconds(10)));
  EXPECT_EQ(Check(*verifier, TokenFrom(old_key_, "k", Claims("https://a.example"))), Reason::kNone);
  EXPECT_EQ(Check(*verifier, TokenFrom(new_key_, "k", Claims("https://b.example"))), Reason::kNone);
  // Issuer a's claims signed with b's key (same kid): refused.
  EXPECT_EQ(Check(*verifier, TokenFrom(new_key_, "k", Claims("https://a.example"))),
            Reason::kSignatureInvalid);
  EXPECT_EQ(Check(*verifier, TokenFrom(old_key_, "k", Claims("https://c.example"))),
            Reason::kKeyNotFound);
}

}  // namespace
}  // namespace authgate

// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// The C ABI with remote keys: asynchronous verification, waiting for keys,
// refresh and the stats snapshot.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "authgate/authgate.h"
#include "capi/internal.h"  // the allocation seam (authgate::capi::new_decision)
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_http_server.h"
#include "support/token_factory.h"

namespace {

using ::authgate::testing::SignToken;
using ::authgate::testing::TestHttpServer;
using ::authgate::testing::TestKey;
using ::testing::HasSubstr;

struct Completion {
  std::mutex mutex;
  std::condition_variable done;
  bool called = false;
  int calls = 0;
  authgate_status status = AUTHGATE_INTERNAL;
  authgate_reason reason = AUTHGATE_REASON_NONE;
  std::string subject;
};

void OnVerified(authgate_status status, authgate_result* result, authgate_error* error,
                void* userdata) {
  auto* completion = static_cast<Completion*>(userdata);
  std::lock_guard<std::mutex> lock(completion->mutex);
  completion->status = status;
  completion->reason = authgate_error_reason(error);
  if (result != nullptr && authgate_result_subject(result) != nullptr) {
    completion->subject = authgate_result_subject(result);
  }
  authgate_result_free(result);
  authgate_error_free(error);
  completion->called = true;
  ++completion->calls;
  completion->done.notify_all();
}

class CapiRemoteTest : public ::testing::Test {
 protected:
  CapiRemoteTest() : old_key_(TestKey::Ec("P-256")), new_key_(TestKey::Ec("P-256")) {
    server_.SetHandler([this](const TestHttpServer::Request&) {
      std::lock_guard<std::mutex> lock(mutex_);
      TestHttpServer::Response response{200, {}, jwks_};
      response.hang = hang_;
      response.delay = delay_;
      return response;
    });
  }
  void Serve(const std::string& jwks) {
    std::lock_guard<std::mutex> lock(mutex_);
    jwks_ = jwks;
    hang_ = false;
    delay_ = std::chrono::milliseconds(0);
  }
  // ServeSlowly answers after 300 ms: an evaluation that needs a refetch is
  // then certainly still pending when evaluate_async returns.
  void ServeSlowly(const std::string& jwks) {
    Serve(jwks);
    std::lock_guard<std::mutex> lock(mutex_);
    delay_ = std::chrono::milliseconds(300);
  }
  // Hang leaves every later request unanswered (until the server stops).
  void Hang() {
    std::lock_guard<std::mutex> lock(mutex_);
    hang_ = true;
  }
  authgate_engine* MakeEngine() {
    std::string config = R"({"jwt": {"providers": {"idp": {"issuer": "https://idp.example",
        "audiences": ["api"], "jwks_uri": ")" + server_.Url("/jwks") + R"("}}},
        "rules": [{"match": {"prefix": "/api"}, "requires": {"jwt": ["idp"]}}]})";
    authgate_engine* engine = nullptr;
    authgate_error* error = nullptr;
    EXPECT_EQ(authgate_engine_new(&engine, config.data(), config.size(), &error), AUTHGATE_OK)
        << authgate_error_message(error);
    authgate_error_free(error);
    return engine;
  }
  // A request to the engine's /api with `token` as its Bearer token.
  authgate_request* ApiRequest(const std::string& token) {
    authgate_request* request = nullptr;
    EXPECT_EQ(authgate_request_new(&request, nullptr), AUTHGATE_OK);
    std::string authorization = "Bearer " + token;
    authgate_request_set(request, AUTHGATE_REQUEST_METHOD, "GET", 3, nullptr);
    authgate_request_set(request, AUTHGATE_REQUEST_SCHEME, "https", 5, nullptr);
    authgate_request_set(request, AUTHGATE_REQUEST_AUTHORITY, "app.test", 8, nullptr);
    authgate_request_set(request, AUTHGATE_REQUEST_TARGET, "/api/x", 6, nullptr);
    authgate_request_add_header(request, "Authorization", 13, authorization.data(),
                                authorization.size(), nullptr);
    return request;
  }
  std::string EngineToken(const TestKey& key, const std::string& kid) {
    return SignToken(key, "ES256", R"({"alg":"ES256","kid":")" + kid + "\"}",
                     R"({"iss":"https://idp.example","aud":"api","sub":"alice","exp":4102444800})");
  }
  authgate_verifier* Make(const std::string& extra = "") {
    std::string config = R"({"jwks_uri":")" + server_.Url("/jwks") +
                         R"(","jwks_cache":{"refetch_interval":"1ms"})" + extra + "}";
    authgate_verifier* verifier = nullptr;
    EXPECT_EQ(authgate_verifier_new(&verifier, config.data(), config.size(), nullptr), AUTHGATE_OK);
    return verifier;
  }
  std::string Token(const TestKey& key, const std::string& kid) {
    return SignToken(key, "ES256", R"({"alg":"ES256","kid":")" + kid + "\"}",
                     R"({"sub":"alice","exp":4102444800})");
  }

  std::mutex mutex_;
  std::string jwks_;
  bool hang_ = false;
  std::chrono::milliseconds delay_{0};
  TestKey old_key_, new_key_;
  // Last: destroyed (its threads joined) before the state its handler reads.
  TestHttpServer server_;
};

TEST_F(CapiRemoteTest, WaitReadyThenVerify) {
  Serve("{\"keys\":[" + old_key_.PublicJwk("old") + "]}");
  authgate_verifier* verifier = Make();
  ASSERT_EQ(authgate_verifier_wait_ready(verifier, 10000, nullptr), AUTHGATE_OK);
  EXPECT_EQ(authgate_verifier_key_count(verifier), 1u);
  std::string token = Token(old_key_, "old");
  EXPECT_EQ(authgate_verifier_verify(nullptr, verifier, token.data(), token.size(), nullptr),
            AUTHGATE_OK);
  authgate_verifier_free(verifier);
}

TEST_F(CapiRemoteTest, WaitReadyTimesOutWithTheReason) {
  Serve("not a jwks");
  authgate_verifier* verifier = Make();
  authgate_error* error = nullptr;
  EXPECT_EQ(authgate_verifier_wait_ready(verifier, 300, &error), AUTHGATE_TIMEOUT);
  EXPECT_THAT(authgate_error_message(error), HasSubstr("JWKS"));
  authgate_error_free(error);
  authgate_verifier_free(verifier);
}

TEST_F(CapiRemoteTest, AsyncVerifyIsImmediateWhenNoFetchIsNeeded) {
  Serve("{\"keys\":[" + old_key_.PublicJwk("old") + "]}");
  authgate_verifier* verifier = Make();
  ASSERT_EQ(authgate_verifier_wait_ready(verifier, 10000, nullptr), AUTHGATE_OK);
  Completion completion;
  std::string token = Token(old_key_, "old");
  authgate_result* result = nullptr;
  EXPECT_EQ(authgate_verifier_verify_async(&result, verifier, token.data(), token.size(),
                                           OnVerified, &completion, nullptr),
            AUTHGATE_OK);
  ASSERT_NE(result, nullptr);
  EXPECT_STREQ(authgate_result_subject(result), "alice");
  authgate_result_free(result);
  std::string garbage = "x.y.z";
  authgate_error* error = nullptr;
  EXPECT_EQ(authgate_verifier_verify_async(nullptr, verifier, garbage.data(), garbage.size(),
                                           OnVerified, &completion, &error),
            AUTHGATE_REJECTED);
  EXPECT_EQ(authgate_error_reason(error), AUTHGATE_REASON_MALFORMED);
  authgate_error_free(error);
  authgate_verifier_free(verifier);
  EXPECT_EQ(completion.calls, 0) << "the callback is only for pending verifications";
}

TEST_F(CapiRemoteTest, AsyncVerifyWaitsForARotatedKey) {
  Serve("{\"keys\":[" + old_key_.PublicJwk("old") + "]}");
  authgate_verifier* verifier = Make();
  ASSERT_EQ(authgate_verifier_wait_ready(verifier, 10000, nullptr), AUTHGATE_OK);
  Serve("{\"keys\":[" + old_key_.PublicJwk("old") + "," + new_key_.PublicJwk("new") + "]}");
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  Completion completion;
  std::string token = Token(new_key_, "new");
  authgate_result* result = nullptr;
  ASSERT_EQ(authgate_verifier_verify_async(&result, verifier, token.data(), token.size(),
                                           OnVerified, &completion, nullptr),
            AUTHGATE_PENDING);
  EXPECT_EQ(result, nullptr);
  token.assign(token.size(), 'x');  // the library kept its own copy
  {
    std::unique_lock<std::mutex> lock(completion.mutex);
    ASSERT_TRUE(completion.done.wait_for(lock, std::chrono::seconds(25),
                                         [&] { return completion.called; }));
  }
  EXPECT_EQ(completion.status, AUTHGATE_OK);
  EXPECT_EQ(completion.subject, "alice");
  authgate_verifier_free(verifier);
  EXPECT_EQ(completion.calls, 1);
}

TEST_F(CapiRemoteTest, StatsAndRefresh) {
  Serve("{\"keys\":[" + old_key_.PublicJwk("old") + "]}");
  authgate_verifier* verifier = Make(R"(,"token_cache":{"max_entries":10})");
  ASSERT_EQ(authgate_verifier_wait_ready(verifier, 10000, nullptr), AUTHGATE_OK);
  ASSERT_EQ(authgate_verifier_refresh(verifier, nullptr), AUTHGATE_OK);
  for (int i = 0; i < 200; ++i) {
    char* json = nullptr;
    ASSERT_EQ(authgate_verifier_stats_json(&json, nullptr, verifier, nullptr), AUTHGATE_OK);
    bool refreshed = std::string(json).find("\"fetch_successes\":2") != std::string::npos;
    authgate_string_free(json);
    if (refreshed) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  char* json = nullptr;
  size_t len = 0;
  ASSERT_EQ(authgate_verifier_stats_json(&json, &len, verifier, nullptr), AUTHGATE_OK);
  std::string stats(json, len);
  authgate_string_free(json);
  EXPECT_THAT(stats, HasSubstr("\"location\":\"" + server_.Url("/jwks") + "\""));
  EXPECT_THAT(stats, HasSubstr("\"fetch_successes\":2"));
  EXPECT_THAT(stats, HasSubstr("\"keys\":1"));
  EXPECT_THAT(stats, HasSubstr("\"token_cache\":{\"entries\":0"));
  EXPECT_EQ(authgate_verifier_stats_json(nullptr, nullptr, verifier, nullptr),
            AUTHGATE_INVALID_ARGUMENT);
  authgate_verifier_free(verifier);
}


// What a host's callbacks saw: how often each ran, with which status, on
// which thread.
struct Calls {
  std::mutex mutex;
  std::condition_variable changed;
  int calls = 0;
  authgate_status status = AUTHGATE_INTERNAL;
  bool had_object = false;  // a decision or a result came with it
  std::thread::id thread;

  void Record(authgate_status s, bool object) {
    std::lock_guard<std::mutex> lock(mutex);
    ++calls;
    status = s;
    had_object = object;
    thread = std::this_thread::get_id();
    changed.notify_all();
  }
  // Waits for a first call, then a little longer: a second one would show.
  bool WaitForOne() {
    std::unique_lock<std::mutex> lock(mutex);
    if (!changed.wait_for(lock, std::chrono::seconds(10), [&] { return calls > 0; })) return false;
    lock.unlock();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return true;
  }
};

void OnDecision(authgate_status status, authgate_decision* decision, void* userdata) {
  static_cast<Calls*>(userdata)->Record(status, decision != nullptr);
  authgate_decision_free(decision);
}

// authgate_verifier_free with a verification pending: the callback gets
// AUTHGATE_CANCELLED once, from a library thread, never inside the free.
TEST_F(CapiRemoteTest, FreeCancelsAPendingVerification) {
  Serve("{\"keys\":[" + old_key_.PublicJwk("old") + "]}");
  authgate_verifier* verifier = Make(R"(,"async_timeout":"60s")");
  ASSERT_EQ(authgate_verifier_wait_ready(verifier, 10000, nullptr), AUTHGATE_OK);
  Hang();
  Calls calls;
  std::string token = Token(new_key_, "new");
  ASSERT_EQ(authgate_verifier_verify_async(
                nullptr, verifier, token.data(), token.size(),
                [](authgate_status status, authgate_result* result, authgate_error* error,
                   void* userdata) {
                  EXPECT_EQ(authgate_error_status(error), status);
                  static_cast<Calls*>(userdata)->Record(status, result != nullptr);
                  authgate_result_free(result);
                  authgate_error_free(error);
                },
                &calls, nullptr),
            AUTHGATE_PENDING);
  authgate_verifier_free(verifier);
  ASSERT_TRUE(calls.WaitForOne());
  std::lock_guard<std::mutex> lock(calls.mutex);
  EXPECT_EQ(calls.calls, 1);
  EXPECT_EQ(calls.status, AUTHGATE_CANCELLED);
  EXPECT_FALSE(calls.had_object);
  EXPECT_NE(calls.thread, std::this_thread::get_id());
}

// authgate_engine_free with an evaluation pending: likewise, with a NULL
// decision.
TEST_F(CapiRemoteTest, EngineFreeCancelsAPendingEvaluation) {
  Serve("{\"keys\":[" + old_key_.PublicJwk("old") + "]}");
  authgate_engine* engine = MakeEngine();
  ASSERT_NE(engine, nullptr);
  ASSERT_EQ(authgate_engine_wait_ready(engine, 10000, nullptr), AUTHGATE_OK);
  Hang();
  Calls calls;
  authgate_request* request = ApiRequest(EngineToken(new_key_, "new"));
  authgate_decision* now = nullptr;
  ASSERT_EQ(authgate_engine_evaluate_async(&now, engine, request, OnDecision, &calls, nullptr),
            AUTHGATE_PENDING);
  authgate_request_free(request);
  authgate_engine_free(engine);
  ASSERT_TRUE(calls.WaitForOne());
  std::lock_guard<std::mutex> lock(calls.mutex);
  EXPECT_EQ(calls.calls, 1);
  EXPECT_EQ(calls.status, AUTHGATE_CANCELLED);
  EXPECT_FALSE(calls.had_object);
  EXPECT_NE(calls.thread, std::this_thread::get_id());
}

// When the decision for the callback cannot be allocated, the callback
// still runs, once, with AUTHGATE_OUT_OF_MEMORY and a NULL decision.
TEST_F(CapiRemoteTest, EngineCallbackRunsOnceWhenTheDecisionCannotBeAllocated) {
  Serve("{\"keys\":[" + old_key_.PublicJwk("old") + "]}");
  authgate_engine* engine = MakeEngine();
  ASSERT_NE(engine, nullptr);
  ASSERT_EQ(authgate_engine_wait_ready(engine, 10000, nullptr), AUTHGATE_OK);
  ServeSlowly("{\"keys\":[" + old_key_.PublicJwk("old") + "," + new_key_.PublicJwk("new") + "]}");
  auto* const real = authgate::capi::new_decision;
  authgate::capi::new_decision = [](authgate::Decision&&) -> authgate_decision* {
    return nullptr;
  };
  Calls calls;
  authgate_request* request = ApiRequest(EngineToken(new_key_, "new"));
  authgate_decision* now = nullptr;
  EXPECT_EQ(authgate_engine_evaluate_async(&now, engine, request, OnDecision, &calls, nullptr),
            AUTHGATE_PENDING);
  authgate_request_free(request);
  bool called = calls.WaitForOne();
  authgate::capi::new_decision = real;
  authgate_engine_free(engine);
  ASSERT_TRUE(called);
  std::lock_guard<std::mutex> lock(calls.mutex);
  EXPECT_EQ(calls.calls, 1);
  EXPECT_EQ(calls.status, AUTHGATE_OUT_OF_MEMORY);
  EXPECT_FALSE(calls.had_object);
}


// A callback may free the engine that called it: it runs on the engine's
// callback thread, which the free neither joins nor waits for.
TEST_F(CapiRemoteTest, EngineMayBeFreedFromItsOwnCallback) {
  Serve("{\"keys\":[" + old_key_.PublicJwk("old") + "]}");
  struct Holder {
    authgate_engine* engine = nullptr;
    Calls calls;
  } holder;
  holder.engine = MakeEngine();
  ASSERT_NE(holder.engine, nullptr);
  ASSERT_EQ(authgate_engine_wait_ready(holder.engine, 10000, nullptr), AUTHGATE_OK);
  ServeSlowly("{\"keys\":[" + old_key_.PublicJwk("old") + "," + new_key_.PublicJwk("new") + "]}");
  authgate_request* request = ApiRequest(EngineToken(new_key_, "new"));
  authgate_decision* now = nullptr;
  ASSERT_EQ(authgate_engine_evaluate_async(
                &now, holder.engine, request,
                [](authgate_status status, authgate_decision* decision, void* userdata) {
                  auto* h = static_cast<Holder*>(userdata);
                  EXPECT_EQ(authgate_decision_action(decision), AUTHGATE_ACTION_ALLOW);
                  authgate_decision_free(decision);
                  authgate_engine_free(h->engine);
                  h->calls.Record(status, true);
                },
                &holder, nullptr),
            AUTHGATE_PENDING);
  authgate_request_free(request);
  ASSERT_TRUE(holder.calls.WaitForOne());
  std::lock_guard<std::mutex> lock(holder.calls.mutex);
  EXPECT_EQ(holder.calls.calls, 1);
  EXPECT_EQ(holder.calls.status, AUTHGATE_OK);
}

}  // namespace

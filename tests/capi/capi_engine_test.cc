// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// The engine through the C ABI only: configuration errors, Bearer decisions
// with their header lists, a whole login against a provider served on
// loopback (discovery, keys and token endpoint over real HTTP), the
// asynchronous evaluate, stats, and the cookie signer.

#include <openssl/sha.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "authgate/authgate.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_http_server.h"
#include "support/token_factory.h"

namespace {

using ::authgate::testing::Base64Url;
using ::authgate::testing::SignToken;
using ::authgate::testing::TestHttpServer;
using ::authgate::testing::TestKey;
using ::testing::HasSubstr;

struct EngineDeleter {
  void operator()(authgate_engine* e) const { authgate_engine_free(e); }
};
struct DecisionDeleter {
  void operator()(authgate_decision* d) const { authgate_decision_free(d); }
};
struct RequestDeleter {
  void operator()(authgate_request* r) const { authgate_request_free(r); }
};
using EnginePtr = std::unique_ptr<authgate_engine, EngineDeleter>;
using DecisionPtr = std::unique_ptr<authgate_decision, DecisionDeleter>;
using RequestPtr = std::unique_ptr<authgate_request, RequestDeleter>;

EnginePtr NewEngine(const std::string& config, std::string* message = nullptr) {
  authgate_engine* engine = nullptr;
  authgate_error* error = nullptr;
  authgate_status status = authgate_engine_new(&engine, config.data(), config.size(), &error);
  if (message != nullptr && error != nullptr) *message = authgate_error_message(error);
  EXPECT_EQ(status == AUTHGATE_OK, engine != nullptr);
  authgate_error_free(error);
  return EnginePtr(engine);
}

RequestPtr NewRequest(const std::string& target,
                      const std::vector<std::pair<std::string, std::string>>& headers,
                      const std::string& authority = "127.0.0.1:8000") {
  authgate_request* raw = nullptr;
  EXPECT_EQ(authgate_request_new(&raw, nullptr), AUTHGATE_OK);
  RequestPtr r(raw);
  authgate_request_set(r.get(), AUTHGATE_REQUEST_METHOD, "GET", 3, nullptr);
  authgate_request_set(r.get(), AUTHGATE_REQUEST_SCHEME, "http", 4, nullptr);
  authgate_request_set(r.get(), AUTHGATE_REQUEST_AUTHORITY, authority.data(), authority.size(), nullptr);
  authgate_request_set(r.get(), AUTHGATE_REQUEST_TARGET, target.data(), target.size(), nullptr);
  for (const auto& [name, value] : headers) {
    authgate_request_add_header(r.get(), name.data(), name.size(), value.data(), value.size(), nullptr);
  }
  return r;
}

DecisionPtr Evaluate(authgate_engine* engine, const RequestPtr& request) {
  authgate_decision* decision = nullptr;
  EXPECT_EQ(authgate_engine_evaluate(&decision, engine, request.get(), nullptr), AUTHGATE_OK);
  return DecisionPtr(decision);
}

std::multimap<std::string, std::string> Headers(const authgate_decision* d,
                                                authgate_header_list list) {
  std::multimap<std::string, std::string> out;
  for (size_t i = 0; i < authgate_decision_header_count(d, list); ++i) {
    const char *name = nullptr, *value = nullptr;
    EXPECT_EQ(authgate_decision_header(d, list, i, &name, nullptr, &value, nullptr, nullptr), AUTHGATE_OK);
    out.emplace(name, value);
  }
  return out;
}

std::string First(const std::multimap<std::string, std::string>& headers, const std::string& name) {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

std::string Param(const std::string& url, const std::string& name) {
  size_t at = url.find(name + "=");
  if (at == std::string::npos) return "";
  size_t start = at + name.size() + 1;
  std::string value = url.substr(start, url.find('&', start) - start);
  std::string decoded;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '%' && i + 2 < value.size()) {
      decoded.push_back(static_cast<char>(std::stoi(value.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      decoded.push_back(value[i] == '+' ? ' ' : value[i]);
    }
  }
  return decoded;
}

const char kRules[] = R"(
  "rules": [
    {"match": {"prefix": "/public"}, "requires": "none"},
    {"match": {"prefix": "/api"}, "requires": {"jwt": ["local"]}},
    {"match": {"prefix": "/"}, "requires": "login"}
  ])";

TEST(CapiEngine, InvalidConfigNamesTheKey) {
  std::string message;
  EXPECT_EQ(NewEngine(R"({"rules": [{"match": {"prefix": "/"}}]})", &message), nullptr);
  EXPECT_THAT(message, HasSubstr("rules[0].requires"));
  EXPECT_EQ(NewEngine(R"({"rules": [{"requires": "none"}], "bogus": 1})", &message), nullptr);
  EXPECT_THAT(message, HasSubstr("bogus"));
  authgate_engine* engine = nullptr;
  EXPECT_EQ(authgate_engine_new(&engine, nullptr, 0, nullptr), AUTHGATE_INVALID_ARGUMENT);
  EXPECT_EQ(authgate_engine_new(nullptr, "{}", 2, nullptr), AUTHGATE_INVALID_ARGUMENT);
  authgate_engine_free(nullptr);
  authgate_decision_free(nullptr);
  authgate_request_free(nullptr);
}

TEST(CapiEngine, BearerDecisionsAndTheirHeaders) {
  TestKey key = TestKey::Ec("P-256");
  std::string config = R"({"jwt": {"providers": {"local": {"issuer": "https://issuer.test",
      "audiences": ["api"], "jwks": )" + key.PublicJwks("k1") + R"(,
      "claim_to_headers": [{"claim": "sub", "header": "x-user"}]}}},
      "rules": [{"match": {"prefix": "/public"}, "requires": "none"},
                {"match": {"prefix": "/api"}, "requires": {"jwt": ["local"]}}]})";
  EnginePtr engine = NewEngine(config);
  ASSERT_NE(engine, nullptr);
  int ready = 0;
  EXPECT_EQ(authgate_engine_ready(&ready, engine.get(), nullptr), AUTHGATE_OK);
  EXPECT_EQ(ready, 1);
  std::string token = SignToken(key, "ES256", R"({"alg":"ES256","kid":"k1"})",
                                R"({"iss":"https://issuer.test","aud":"api","sub":"svc",)"
                                R"("exp":4102444800})");

  DecisionPtr ok = Evaluate(engine.get(), NewRequest("/api/x?y=1", {{"Authorization", "Bearer " + token},
                                                                    {"X-User", "spoofed"}}));
  EXPECT_EQ(authgate_decision_action(ok.get()), AUTHGATE_ACTION_ALLOW);
  EXPECT_EQ(authgate_decision_status(ok.get()), 0);
  EXPECT_STREQ(authgate_decision_upstream_target(ok.get(), nullptr), "/api/x?y=1");
  EXPECT_STREQ(authgate_decision_outcome(ok.get()), "allowed");
  EXPECT_EQ(authgate_decision_reason(ok.get()), AUTHGATE_REASON_NONE);
  auto removed = Headers(ok.get(), AUTHGATE_HEADERS_REMOVE);
  EXPECT_EQ(removed.count("x-user"), 1u);
  EXPECT_EQ(removed.count("authorization"), 1u);
  EXPECT_EQ(First(Headers(ok.get(), AUTHGATE_HEADERS_SET), "x-user"), "svc");
  size_t claims_len = 0;
  std::string claims = authgate_decision_claims_json(ok.get(), &claims_len);
  EXPECT_EQ(claims, R"({"iss":"https://issuer.test","aud":"api","sub":"svc","exp":4102444800})");
  EXPECT_EQ(claims_len, claims.size());

  DecisionPtr missing = Evaluate(engine.get(), NewRequest("/api/x", {}));
  EXPECT_EQ(authgate_decision_action(missing.get()), AUTHGATE_ACTION_RESPOND);
  EXPECT_EQ(authgate_decision_status(missing.get()), 401);
  EXPECT_EQ(authgate_decision_reason(missing.get()), AUTHGATE_REASON_TOKEN_MISSING);
  EXPECT_STREQ(authgate_decision_claims_json(missing.get(), nullptr), "");
  EXPECT_EQ(First(Headers(missing.get(), AUTHGATE_HEADERS_RESPONSE), "www-authenticate"),
            "Bearer realm=\"authgate\"");
  size_t body_len = 0;
  EXPECT_NE(std::string(authgate_decision_body(missing.get(), &body_len)), "");
  EXPECT_GT(body_len, 0u);

  const char* name = nullptr;
  EXPECT_EQ(authgate_decision_header(missing.get(), AUTHGATE_HEADERS_RESPONSE, 99, &name, nullptr,
                                     nullptr, nullptr, nullptr),
            AUTHGATE_NOT_FOUND);

  // Decided at once: no network step.
  authgate_decision* now = nullptr;
  EXPECT_EQ(authgate_engine_evaluate_async(
                &now, engine.get(), NewRequest("/public", {}).get(),
                [](authgate_status, authgate_decision* d, void*) { authgate_decision_free(d); },
                nullptr, nullptr),
            AUTHGATE_OK);
  ASSERT_NE(now, nullptr);
  EXPECT_EQ(authgate_decision_action(now), AUTHGATE_ACTION_ALLOW);
  EXPECT_STREQ(authgate_decision_claims_json(now, nullptr), "");  // a public route: no identity
  authgate_decision_free(now);

  // The counters, as numbers: two allowed, one token_missing.
  uint64_t outcomes[16] = {};
  size_t count = 0;
  ASSERT_EQ(authgate_engine_counters(outcomes, 16, &count, engine.get(),
                                     AUTHGATE_COUNTERS_OUTCOMES, nullptr),
            AUTHGATE_OK);
  ASSERT_EQ(count, 8u);
  EXPECT_STREQ(authgate_counter_name(AUTHGATE_COUNTERS_OUTCOMES, 0), "allowed");
  EXPECT_EQ(outcomes[0], 2u);
  EXPECT_STREQ(authgate_counter_name(AUTHGATE_COUNTERS_OUTCOMES, 4), "unauthorized");
  EXPECT_EQ(outcomes[4], 1u);
  EXPECT_EQ(authgate_counter_name(AUTHGATE_COUNTERS_OUTCOMES, 8), nullptr);
  uint64_t reasons[64] = {};
  ASSERT_EQ(authgate_engine_counters(reasons, 64, &count, engine.get(), AUTHGATE_COUNTERS_REASONS,
                                     nullptr),
            AUTHGATE_OK);
  EXPECT_EQ(count, static_cast<size_t>(AUTHGATE_REASON_RATE_LIMITED) + 1);
  EXPECT_EQ(reasons[AUTHGATE_REASON_TOKEN_MISSING], 1u);
  EXPECT_STREQ(authgate_counter_name(AUTHGATE_COUNTERS_REASONS, AUTHGATE_REASON_TOKEN_MISSING),
               "token_missing");
  uint64_t sum = 0;
  for (size_t i = 0; i < count; ++i) sum += reasons[i];
  EXPECT_EQ(sum, 1u);
  // A smaller buffer gets a prefix, and the full size.
  uint64_t two[2] = {7, 7};
  ASSERT_EQ(authgate_engine_counters(two, 2, &count, engine.get(), AUTHGATE_COUNTERS_OUTCOMES,
                                     nullptr),
            AUTHGATE_OK);
  EXPECT_EQ(count, 8u);
  EXPECT_EQ(two[0], 2u);
  ASSERT_EQ(authgate_engine_counters(nullptr, 0, &count, engine.get(), AUTHGATE_COUNTERS_ENGINE,
                                     nullptr),
            AUTHGATE_OK);
  EXPECT_EQ(count, 9u);
  for (size_t i = 0; i < count; ++i) {
    EXPECT_NE(authgate_counter_name(AUTHGATE_COUNTERS_ENGINE, i), nullptr) << i;
  }
  EXPECT_EQ(authgate_counter_name(AUTHGATE_COUNTERS_ENGINE, count), nullptr);
  authgate_error* error = nullptr;
  EXPECT_EQ(authgate_engine_counters(outcomes, 16, &count, engine.get(),
                                     AUTHGATE_COUNTERS_VERIFIER, &error),
            AUTHGATE_INVALID_ARGUMENT);
  EXPECT_THAT(authgate_error_message(error), HasSubstr("not a counter set of an engine"));
  authgate_error_free(error);

  // The local key set never fails to load: provider 0 has no key error.
  char* provider = nullptr;
  char* key_error = nullptr;
  ASSERT_EQ(authgate_engine_key_error(&provider, &key_error, engine.get(), 0, nullptr),
            AUTHGATE_OK);
  EXPECT_STREQ(provider, "local");
  EXPECT_STREQ(key_error, "");
  authgate_string_free(provider);
  authgate_string_free(key_error);
  EXPECT_EQ(authgate_engine_key_error(&provider, &key_error, engine.get(), 1, nullptr),
            AUTHGATE_NOT_FOUND);
  EXPECT_EQ(provider, nullptr);
  EXPECT_EQ(key_error, nullptr);
}

// The engine's counter `name` (AUTHGATE_COUNTERS_ENGINE), looked up by name.
uint64_t EngineCounter(authgate_engine* engine, const std::string& name) {
  uint64_t counters[64] = {};
  size_t count = 0;
  EXPECT_EQ(authgate_engine_counters(counters, 64, &count, engine, AUTHGATE_COUNTERS_ENGINE,
                                     nullptr),
            AUTHGATE_OK);
  for (size_t i = 0; i < count && i < 64; ++i) {
    if (name == authgate_counter_name(AUTHGATE_COUNTERS_ENGINE, i)) return counters[i];
  }
  ADD_FAILURE() << "no engine counter " << name;
  return 0;
}

// A `jwt` provider caches verified tokens without a `token_cache` key;
// `{"max_entries": 0}` turns the cache off.
TEST(CapiEngine, TokenCacheIsOnByDefaultAndMaxEntriesZeroTurnsItOff) {
  TestKey key = TestKey::Ec("P-256");
  std::string token = SignToken(key, "ES256", R"({"alg":"ES256","kid":"k1"})",
                                R"({"iss":"https://issuer.test","aud":"api","sub":"svc",)"
                                R"("exp":4102444800})");
  for (const std::string cache : {"", R"(, "token_cache": {"max_entries": 0})"}) {
    std::string config = R"({"jwt": {"providers": {"local": {"issuer": "https://issuer.test",
        "audiences": ["api"], "jwks": )" + key.PublicJwks("k1") + cache + R"(}}},
        "rules": [{"match": {"prefix": "/api"}, "requires": {"jwt": ["local"]}}]})";
    EnginePtr engine = NewEngine(config);
    ASSERT_NE(engine, nullptr) << cache;
    for (int i = 0; i < 3; ++i) {
      DecisionPtr d =
          Evaluate(engine.get(), NewRequest("/api/x", {{"Authorization", "Bearer " + token}}));
      EXPECT_EQ(authgate_decision_action(d.get()), AUTHGATE_ACTION_ALLOW) << cache;
    }
    bool on = cache.empty();
    EXPECT_EQ(EngineCounter(engine.get(), "token_cache_hits"), on ? 2u : 0u) << cache;
    EXPECT_EQ(EngineCounter(engine.get(), "token_cache_misses"), on ? 1u : 0u) << cache;
  }
}

// The request and decision calls report misuse through the error
// out-parameter like every other call.
TEST(CapiEngine, RequestAndDecisionCallsReportErrors) {
  authgate_error* error = nullptr;
  EXPECT_EQ(authgate_request_new(nullptr, &error), AUTHGATE_INVALID_ARGUMENT);
  ASSERT_NE(error, nullptr);
  EXPECT_THAT(authgate_error_message(error), HasSubstr("out_request"));
  authgate_error_free(error);

  authgate_request* request = nullptr;
  ASSERT_EQ(authgate_request_new(&request, &error), AUTHGATE_OK);
  EXPECT_EQ(error, nullptr);
  RequestPtr owned(request);
  EXPECT_EQ(authgate_request_set(request, static_cast<authgate_request_field>(99), "x", 1, &error),
            AUTHGATE_INVALID_ARGUMENT);
  EXPECT_THAT(authgate_error_message(error), HasSubstr("unknown request field"));
  authgate_error_free(error);
  EXPECT_EQ(authgate_request_set(request, AUTHGATE_REQUEST_METHOD, nullptr, 3, &error),
            AUTHGATE_INVALID_ARGUMENT);
  authgate_error_free(error);
  EXPECT_EQ(authgate_request_add_header(nullptr, "a", 1, "b", 1, &error),
            AUTHGATE_INVALID_ARGUMENT);
  authgate_error_free(error);
  EXPECT_EQ(authgate_request_add_header(request, "a", 1, "b", 1, &error), AUTHGATE_OK);
  EXPECT_EQ(error, nullptr);

  EXPECT_EQ(authgate_decision_header(nullptr, AUTHGATE_HEADERS_SET, 0, nullptr, nullptr, nullptr,
                                     nullptr, &error),
            AUTHGATE_INVALID_ARGUMENT);
  authgate_error_free(error);
  int ready = 5;
  EXPECT_EQ(authgate_engine_ready(&ready, nullptr, &error), AUTHGATE_INVALID_ARGUMENT);
  EXPECT_EQ(ready, 5);
  authgate_error_free(error);
  // A C caller may pass any int for an enum: answered, never undefined
  // behaviour (the sanitizer build runs this).
  EXPECT_EQ(authgate_counter_name(static_cast<authgate_counter_set>(99), 0), nullptr);
  EXPECT_STREQ(authgate_reason_name(static_cast<authgate_reason>(999)), "unknown");
  EXPECT_STREQ(authgate_status_name(static_cast<authgate_status>(77)), "unknown");
}

// A provider on loopback: discovery, JWKS and a token endpoint that hands
// out an ID token with the nonce of the last authorization request.
class LoopbackProvider {
 public:
  LoopbackProvider() : key_(TestKey::Rsa()) {
    server_.SetHandler([this](const TestHttpServer::Request& r) { return Answer(r); });
  }
  std::string issuer() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }
  void set_nonce(std::string nonce) {
    std::lock_guard<std::mutex> lock(mutex_);
    nonce_ = std::move(nonce);
  }

 private:
  TestHttpServer::Response Answer(const TestHttpServer::Request& r) {
    std::string iss = issuer();
    if (r.target == "/.well-known/openid-configuration") {
      return {200, {{"Content-Type", "application/json"}},
              R"({"issuer":")" + iss + R"(","authorization_endpoint":")" + iss +
                  R"(/auth","token_endpoint":")" + iss + R"(/token","jwks_uri":")" + iss +
                  R"(/jwks"})"};
    }
    if (r.target == "/jwks") return {200, {}, key_.PublicJwks("rsa1")};
    if (r.target == "/token" && r.method == "POST") {
      std::lock_guard<std::mutex> lock(mutex_);
      int64_t now = static_cast<int64_t>(time(nullptr));
      std::string id_token = SignToken(
          key_, "RS256", R"({"alg":"RS256","kid":"rsa1"})",
          R"({"iss":")" + iss + R"(","aud":"c-client","sub":"carol","iat":)" +
              std::to_string(now) + R"(,"exp":)" + std::to_string(now + 300) +
              R"(,"nonce":")" + nonce_ + R"("})");
      return {200, {{"Content-Type", "application/json"}},
              R"({"access_token":"opaque-at","token_type":"Bearer","expires_in":300,)"
              R"("id_token":")" + id_token + R"("})"};
    }
    return {404, {}, "{}"};
  }

  TestKey key_;
  std::mutex mutex_;
  std::string nonce_;
  TestHttpServer server_;
};

TEST(CapiEngine, LoginAgainstALoopbackProvider) {
  LoopbackProvider idp;
  std::string config = R"({
    "session": {"secret": "a-session-secret-that-is-long-enough!!"},
    "oidc": {"issuer": ")" + idp.issuer() + R"(", "client_id": "c-client",
             "client_secret": "c-secret", "redirect_uri": "http://127.0.0.1:8000/callback",
             "claim_to_headers": [{"claim": "sub", "header": "x-user"}]},
    "jwt": {"providers": {"local": {"issuer": "https://unused.test", "audiences": ["api"],
            "jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnl0ZXMh"}]}}}},)" +
                       std::string(kRules) + "}";
  EnginePtr engine = NewEngine(config);
  ASSERT_NE(engine, nullptr);
  ASSERT_EQ(authgate_engine_wait_ready(engine.get(), 10000, nullptr), AUTHGATE_OK);
  ASSERT_EQ(authgate_engine_warning_count(engine.get()), 1u);
  EXPECT_THAT(authgate_engine_warning(engine.get(), 0), HasSubstr("Secure"));
  EXPECT_EQ(authgate_engine_warning(engine.get(), 1), nullptr);

  DecisionPtr start = Evaluate(engine.get(), NewRequest("/home?tab=2", {{"Accept", "text/html"}}));
  ASSERT_EQ(authgate_decision_status(start.get()), 302);
  auto response = Headers(start.get(), AUTHGATE_HEADERS_RESPONSE);
  std::string location = First(response, "location");
  EXPECT_EQ(location.rfind(idp.issuer() + "/auth?", 0), 0u) << location;
  std::string flow_cookie = First(response, "set-cookie");
  EXPECT_EQ(flow_cookie.rfind("authgate_flow.", 0), 0u) << "no __Host- prefix on plain http";
  EXPECT_THAT(flow_cookie, ::testing::Not(HasSubstr("Secure")));
  idp.set_nonce(Param(location, "nonce"));

  std::string cookie = flow_cookie.substr(0, flow_cookie.find(';'));
  DecisionPtr callback = Evaluate(
      engine.get(), NewRequest("/callback?code=abc&state=" + Param(location, "state"),
                               {{"Cookie", cookie}}));
  ASSERT_EQ(authgate_decision_status(callback.get()), 302)
      << authgate_decision_detail(callback.get(), nullptr);
  auto after = Headers(callback.get(), AUTHGATE_HEADERS_RESPONSE);
  EXPECT_EQ(First(after, "location"), "/home?tab=2");
  std::string session;
  for (auto [it, end] = after.equal_range("set-cookie"); it != end; ++it) {
    if (it->second.rfind("authgate_session=", 0) == 0) {
      session = it->second.substr(0, it->second.find(';'));
    }
  }
  ASSERT_FALSE(session.empty());

  DecisionPtr home = Evaluate(engine.get(), NewRequest("/home?tab=2", {{"Cookie", session}}));
  EXPECT_EQ(authgate_decision_action(home.get()), AUTHGATE_ACTION_ALLOW);
  EXPECT_EQ(First(Headers(home.get(), AUTHGATE_HEADERS_SET), "x-user"), "carol");
}

TEST(CapiCookie, SignVerifyAndTheAttacks) {
  const char* secrets[] = {"0123456789abcdef0123456789abcdef"};
  size_t lens[] = {32};
  authgate_cookie_signer* signer = nullptr;
  ASSERT_EQ(authgate_cookie_signer_new(&signer, secrets, lens, 1, nullptr), AUTHGATE_OK);
  char* text = nullptr;
  size_t text_len = 0;
  ASSERT_EQ(authgate_cookie_sign(&text, &text_len, signer, "pref", 4, "app.test", 8, 2000000000,
                                 "dark", 4, nullptr),
            AUTHGATE_OK);
  std::string signed_text(text, text_len);
  authgate_string_free(text);
  for (char c : signed_text) {
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-');
  }
  char* value = nullptr;
  size_t value_len = 0;
  ASSERT_EQ(authgate_cookie_verify_at(&value, &value_len, signer, "pref", 4, "app.test", 8,
                                      signed_text.data(), signed_text.size(), 1900000000, nullptr),
            AUTHGATE_OK);
  EXPECT_EQ(std::string(value, value_len), "dark");
  authgate_string_free(value);

  auto reject = [&](const char* name, const char* host, std::string t, int64_t now) {
    authgate_error* error = nullptr;
    char* v = nullptr;
    authgate_status s = authgate_cookie_verify_at(&v, nullptr, signer, name, strlen(name), host,
                                                  strlen(host), t.data(), t.size(), now, &error);
    authgate_reason reason = authgate_error_reason(error);
    authgate_error_free(error);
    EXPECT_EQ(s, AUTHGATE_REJECTED);
    EXPECT_EQ(v, nullptr);
    return reason;
  };
  EXPECT_EQ(reject("other", "app.test", signed_text, 1900000000), AUTHGATE_REASON_SESSION_INVALID);
  EXPECT_EQ(reject("pref", "evil.test", signed_text, 1900000000), AUTHGATE_REASON_SESSION_INVALID);
  EXPECT_EQ(reject("pref", "app.test", signed_text, 2000000001), AUTHGATE_REASON_SESSION_EXPIRED);
  std::string tampered = signed_text;
  tampered[tampered.size() - 2] = tampered[tampered.size() - 2] == 'A' ? 'B' : 'A';
  EXPECT_EQ(reject("pref", "app.test", tampered, 1900000000), AUTHGATE_REASON_SESSION_INVALID);

  // Rotation: a new first secret signs; the old one still verifies.
  const char* rotated[] = {"fedcba9876543210fedcba9876543210", secrets[0]};
  size_t rotated_lens[] = {32, 32};
  authgate_cookie_signer* next = nullptr;
  ASSERT_EQ(authgate_cookie_signer_new(&next, rotated, rotated_lens, 2, nullptr), AUTHGATE_OK);
  EXPECT_EQ(authgate_cookie_verify_at(&value, nullptr, next, "pref", 4, "app.test", 8,
                                      signed_text.data(), signed_text.size(), 1900000000, nullptr),
            AUTHGATE_OK);
  authgate_string_free(value);
  authgate_cookie_signer_free(next);
  authgate_cookie_signer_free(signer);

  const char* short_secret[] = {"too-short"};
  size_t short_len[] = {9};
  authgate_error* error = nullptr;
  EXPECT_EQ(authgate_cookie_signer_new(&signer, short_secret, short_len, 1, &error),
            AUTHGATE_INVALID_CONFIG);
  EXPECT_THAT(authgate_error_message(error), ::testing::Not(HasSubstr("too-short")));
  authgate_error_free(error);
}

}  // namespace

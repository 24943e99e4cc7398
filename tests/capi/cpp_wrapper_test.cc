// Copyright authgate authors. SPDX-License-Identifier: Apache-2.0
//
// cpp_wrapper_test.cc: the header-only C++ wrapper (include/authgate/authgate.hpp)
// over the C ABI: construction errors as exceptions, verdicts, result
// accessors, unverified decoding and RAII/move semantics.
//
// All tests share the suite name `cpp_wrapper` so that `ctest -R cpp_wrapper`
// selects them.

#include "authgate/authgate.hpp"

#include <string>
#include <type_traits>
#include <utility>

#include "gtest/gtest.h"
#include "support/token_factory.h"

namespace {

using authgate::api::DecodedToken;
using authgate::api::DecodeUnverified;
using authgate::api::Error;
using authgate::api::Result;
using authgate::api::Verdict;
using authgate::api::Verifier;
using authgate::testing::SignToken;
using authgate::testing::TestKey;

constexpr int64_t kNow = 1700000000;

static_assert(!std::is_copy_constructible_v<Verifier>, "a Verifier owns its handle");
static_assert(!std::is_copy_assignable_v<Verifier>, "a Verifier owns its handle");
static_assert(std::is_nothrow_move_constructible_v<Verifier>, "");
static_assert(std::is_nothrow_move_assignable_v<Verifier>, "");
static_assert(!std::is_copy_constructible_v<Result>, "a Result owns its handle");
static_assert(std::is_nothrow_move_constructible_v<Result>, "");
static_assert(std::is_nothrow_move_assignable_v<Result>, "");
static_assert(std::is_base_of_v<std::runtime_error, Error>, "");

struct Keys {
  TestKey rsa = TestKey::Rsa(2048);
  TestKey rsa_weak = TestKey::Rsa(1024);
};

const Keys& K() {
  static const Keys* keys = new Keys();
  return *keys;
}

std::string Config(const std::string& extra = "") {
  return "{\"jwks\":" + K().rsa.PublicJwks("k1") + (extra.empty() ? "" : "," + extra) + "}";
}

std::string Token(const std::string& payload,
                  const std::string& header = R"({"alg":"RS256","kid":"k1"})") {
  return SignToken(K().rsa, "RS256", header, payload);
}

const char kPayload[] =
    R"({"iss":"https://idp.example", "sub":"alice","exp":4102444800.5,"n":3.25,)"
    R"("s":"a\u0000b","obj":{"x":[1, 2]}})";

// ---------------------------------------------------------------------------
// Create.

TEST(cpp_wrapper, CreateThrowsErrorWithStatusOnBadConfig) {
  try {
    Verifier::Create(Config(R"("foo":true)"));
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), AUTHGATE_INVALID_CONFIG);
    EXPECT_NE(std::string(e.what()).find("foo"), std::string::npos) << e.what();
  }
  try {
    Verifier::Create("{\"jwks\":" + K().rsa_weak.PublicJwks() + "}");
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), AUTHGATE_INVALID_CONFIG);
    EXPECT_NE(std::string(e.what()).find("2048"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Verifier::Create(""), Error);
  EXPECT_THROW(Verifier::Create("not json"), Error);
  // A string_view without data is a NULL config: INVALID_ARGUMENT.
  try {
    Verifier::Create(std::string_view());
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), AUTHGATE_INVALID_ARGUMENT);
    EXPECT_STRNE(e.what(), "");
  }
}

TEST(cpp_wrapper, CreateWithWarnings) {
  std::string jwks =
      "{\"keys\":[" + K().rsa.PublicJwk("k1") + "," + K().rsa_weak.PublicJwk("weak") + "]}";
  Verifier verifier = Verifier::Create("{\"jwks\":" + jwks + "}");
  EXPECT_EQ(verifier.key_count(), 1u);
  ASSERT_EQ(verifier.warnings().size(), 1u);
  EXPECT_FALSE(verifier.warnings()[0].empty());
  EXPECT_NE(verifier.get(), nullptr);

  Verifier clean = Verifier::Create(Config());
  EXPECT_TRUE(clean.warnings().empty());
  EXPECT_EQ(clean.key_count(), 1u);
}

// ---------------------------------------------------------------------------
// Verify / VerifyAt.

TEST(cpp_wrapper, VerifyOk) {
  Verifier verifier = Verifier::Create(Config());
  Verdict verdict = verifier.Verify(Token(kPayload));
  ASSERT_TRUE(verdict.ok()) << verdict.message;
  EXPECT_FALSE(verdict.rejected());
  EXPECT_EQ(verdict.status, AUTHGATE_OK);
  EXPECT_EQ(verdict.reason, AUTHGATE_REASON_NONE);
  EXPECT_EQ(verdict.message, "");
  ASSERT_TRUE(static_cast<bool>(verdict.result));
  EXPECT_EQ(verdict.result.claims_json(), kPayload);
}

TEST(cpp_wrapper, VerifyWithoutClaims) {
  Verifier verifier = Verifier::Create(Config());
  Verdict verdict = verifier.Verify(Token(kPayload), /*with_claims=*/false);
  EXPECT_TRUE(verdict.ok()) << verdict.message;
  EXPECT_FALSE(static_cast<bool>(verdict.result));
  EXPECT_EQ(verdict.result.get(), nullptr);
  verdict = verifier.VerifyAt(Token(kPayload), kNow, /*with_claims=*/false);
  EXPECT_TRUE(verdict.ok()) << verdict.message;
  EXPECT_FALSE(static_cast<bool>(verdict.result));
}

TEST(cpp_wrapper, VerifyRejected) {
  Verifier verifier = Verifier::Create(Config(R"("issuers":["https://idp.example"])"));
  Verdict verdict = verifier.Verify(Token(R"({"iss":"https://idp.example","exp":1000})"));
  EXPECT_FALSE(verdict.ok());
  EXPECT_TRUE(verdict.rejected());
  EXPECT_EQ(verdict.status, AUTHGATE_REJECTED);
  EXPECT_EQ(verdict.reason, AUTHGATE_REASON_EXPIRED);
  EXPECT_FALSE(verdict.message.empty());
  EXPECT_FALSE(static_cast<bool>(verdict.result));

  verdict = verifier.Verify(Token(R"({"iss":"https://evil","exp":4102444800})"));
  EXPECT_TRUE(verdict.rejected());
  EXPECT_EQ(verdict.reason, AUTHGATE_REASON_ISSUER_MISMATCH);

  verdict = verifier.Verify("");
  EXPECT_TRUE(verdict.rejected());
  EXPECT_EQ(verdict.reason, AUTHGATE_REASON_MALFORMED);
  verdict = verifier.Verify(std::string_view());  // NULL data, length 0
  EXPECT_TRUE(verdict.rejected());
  EXPECT_EQ(verdict.reason, AUTHGATE_REASON_MALFORMED);

  std::string tampered = Token(kPayload);
  // A character in the middle of the signature: every one of its bits counts
  // (the last character's low bits must be zero in strict base64url).
  char& c = tampered[tampered.size() - 10];
  c = c == 'A' ? 'B' : 'A';
  verdict = verifier.Verify(tampered);
  EXPECT_TRUE(verdict.rejected());
  EXPECT_EQ(verdict.reason, AUTHGATE_REASON_SIGNATURE_INVALID);
}

TEST(cpp_wrapper, VerifyAt) {
  Verifier verifier = Verifier::Create(Config());
  std::string token = Token(R"({"exp":1700000000})");
  EXPECT_TRUE(verifier.VerifyAt(token, kNow - 1).ok());
  EXPECT_TRUE(verifier.VerifyAt(token, kNow + 59).ok());
  Verdict late = verifier.VerifyAt(token, kNow + 60);
  EXPECT_TRUE(late.rejected());
  EXPECT_EQ(late.reason, AUTHGATE_REASON_EXPIRED);
  EXPECT_TRUE(verifier.Verify(token).rejected()) << "the clock is past 2023";

  Verifier strict = Verifier::Create(Config(R"("clock_skew":"0s")"));
  EXPECT_TRUE(strict.VerifyAt(token, kNow - 1).ok());
  EXPECT_EQ(strict.VerifyAt(token, kNow).reason, AUTHGATE_REASON_EXPIRED);

  Verdict ok = verifier.VerifyAt(Token(kPayload), kNow);
  ASSERT_TRUE(ok.ok()) << ok.message;
  EXPECT_EQ(ok.result.claims_json(), kPayload);
}

// ---------------------------------------------------------------------------
// Result accessors.

TEST(cpp_wrapper, ResultAccessors) {
  Verifier verifier = Verifier::Create(Config());
  Verdict verdict = verifier.Verify(Token(kPayload, R"({"alg":"RS256","kid":"k1","typ":"JWT"})"));
  ASSERT_TRUE(verdict.ok()) << verdict.message;
  const Result& result = verdict.result;
  EXPECT_EQ(result.claims_json(), kPayload);
  EXPECT_EQ(result.header_json(), R"({"alg":"RS256","kid":"k1","typ":"JWT"})");
  EXPECT_EQ(result.algorithm(), "RS256");
  EXPECT_EQ(result.key_id(), "k1");
  ASSERT_TRUE(result.subject().has_value());
  EXPECT_EQ(*result.subject(), "alice");
  ASSERT_TRUE(result.issuer().has_value());
  EXPECT_EQ(*result.issuer(), "https://idp.example");
  ASSERT_TRUE(result.expires_at().has_value());
  EXPECT_EQ(*result.expires_at(), 4102444800);

  ASSERT_TRUE(result.claim_string("s").has_value());
  EXPECT_EQ(result.claim_string("s")->size(), 3u);
  EXPECT_EQ(*result.claim_string("s"), std::string_view("a\0b", 3));
  EXPECT_FALSE(result.claim_string("n").has_value()) << "wrong type";
  EXPECT_FALSE(result.claim_string("missing").has_value());

  ASSERT_TRUE(result.claim_number("n").has_value());
  EXPECT_EQ(*result.claim_number("n"), 3.25);
  EXPECT_FALSE(result.claim_number("sub").has_value());
  EXPECT_FALSE(result.claim_number("missing").has_value());

  ASSERT_TRUE(result.claim_json("obj").has_value());
  EXPECT_EQ(*result.claim_json("obj"), R"({"x":[1, 2]})");
  EXPECT_EQ(*result.claim_json("s"), R"("a\u0000b")");
  EXPECT_FALSE(result.claim_json("missing").has_value());
  EXPECT_EQ(result.get(), verdict.result.get());
}

TEST(cpp_wrapper, ResultAbsentClaims) {
  Verifier verifier = Verifier::Create(Config(R"("require_exp":false)"));
  Verdict verdict = verifier.Verify(Token("{}", R"({"alg":"RS256"})"));
  ASSERT_TRUE(verdict.ok()) << verdict.message;
  EXPECT_FALSE(verdict.result.subject().has_value());
  EXPECT_FALSE(verdict.result.issuer().has_value());
  EXPECT_FALSE(verdict.result.expires_at().has_value());
  EXPECT_EQ(verdict.result.key_id(), "k1");
  EXPECT_EQ(verdict.result.claims_json(), "{}");
}

TEST(cpp_wrapper, DefaultResultIsEmpty) {
  Result result;
  EXPECT_FALSE(static_cast<bool>(result));
  EXPECT_EQ(result.get(), nullptr);
  // Every accessor copes with no result.
  EXPECT_TRUE(result.claims_json().empty());
  EXPECT_TRUE(result.header_json().empty());
  EXPECT_TRUE(result.algorithm().empty());
  EXPECT_TRUE(result.key_id().empty());
  EXPECT_FALSE(result.subject().has_value());
  EXPECT_FALSE(result.issuer().has_value());
  EXPECT_FALSE(result.expires_at().has_value());
  EXPECT_FALSE(result.claim_string("sub").has_value());
  EXPECT_FALSE(result.claim_number("exp").has_value());
  EXPECT_FALSE(result.claim_json("sub").has_value());
}

// ---------------------------------------------------------------------------
// DecodeUnverified.

TEST(cpp_wrapper, DecodeUnverified) {
  DecodedToken decoded;
  std::string forged = SignToken(TestKey::Hmac(std::string(32, 's')), "HS256",
                                 R"({"alg":"HS256"})", R"({"exp":1, "sub":"x"})");
  Verdict verdict = DecodeUnverified(forged, &decoded);
  ASSERT_TRUE(verdict.ok()) << verdict.message;
  EXPECT_EQ(decoded.header, R"({"alg":"HS256"})");
  EXPECT_EQ(decoded.payload, R"({"exp":1, "sub":"x"})");
  EXPECT_FALSE(static_cast<bool>(verdict.result));
}

TEST(cpp_wrapper, DecodeUnverifiedMalformed) {
  DecodedToken decoded{"untouched-header", "untouched-payload"};
  Verdict verdict = DecodeUnverified("not.a-token", &decoded);
  EXPECT_TRUE(verdict.rejected());
  EXPECT_EQ(verdict.reason, AUTHGATE_REASON_MALFORMED);
  EXPECT_FALSE(verdict.message.empty());
  EXPECT_EQ(decoded.header, "untouched-header");
  EXPECT_EQ(decoded.payload, "untouched-payload");

  verdict = DecodeUnverified("", &decoded);
  EXPECT_TRUE(verdict.rejected());
  EXPECT_EQ(verdict.reason, AUTHGATE_REASON_MALFORMED);
}

// ---------------------------------------------------------------------------
// Move semantics and lifetimes.

TEST(cpp_wrapper, VerifierMove) {
  Verifier first = Verifier::Create(Config());
  authgate_verifier* handle = first.get();
  ASSERT_NE(handle, nullptr);

  Verifier second(std::move(first));
  EXPECT_EQ(second.get(), handle);
  EXPECT_EQ(first.get(), nullptr);  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_TRUE(second.Verify(Token(kPayload)).ok());

  // A moved-from verifier is a NULL handle: calls fail as INVALID_ARGUMENT,
  // never crash.
  Verdict verdict = first.Verify(Token(kPayload));  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(verdict.status, AUTHGATE_INVALID_ARGUMENT);
  EXPECT_FALSE(verdict.ok());
  EXPECT_FALSE(verdict.rejected());
  EXPECT_FALSE(verdict.message.empty());
  EXPECT_EQ(first.key_count(), 0u);       // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(first.warnings().empty());  // NOLINT(bugprone-use-after-move)

  Verifier third = Verifier::Create(Config(R"("clock_skew":"0s")"));
  third = std::move(second);  // releases third's own verifier
  EXPECT_EQ(third.get(), handle);
  EXPECT_TRUE(third.Verify(Token(kPayload)).ok());
}

TEST(cpp_wrapper, ResultAndVerdictMove) {
  Verifier verifier = Verifier::Create(Config());
  Verdict verdict = verifier.Verify(Token(kPayload));
  ASSERT_TRUE(verdict.ok());
  const authgate_result* handle = verdict.result.get();

  Result moved(std::move(verdict.result));
  EXPECT_EQ(moved.get(), handle);
  EXPECT_FALSE(static_cast<bool>(verdict.result));  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(moved.claims_json(), kPayload);

  Result assigned;
  assigned = std::move(moved);
  EXPECT_EQ(assigned.get(), handle);
  EXPECT_EQ(*assigned.subject(), "alice");

  Verdict other = verifier.Verify(Token(kPayload));
  Verdict moved_verdict = std::move(other);
  ASSERT_TRUE(moved_verdict.ok());
  EXPECT_EQ(moved_verdict.result.claims_json(), kPayload);
}

TEST(cpp_wrapper, ResultOutlivesVerifier) {
  Result result;
  {
    Verifier verifier = Verifier::Create(Config());
    Verdict verdict = verifier.Verify(Token(kPayload));
    ASSERT_TRUE(verdict.ok());
    result = std::move(verdict.result);
  }
  EXPECT_EQ(result.claims_json(), kPayload);
  EXPECT_EQ(result.algorithm(), "RS256");
  EXPECT_EQ(result.key_id(), "k1");
  EXPECT_EQ(*result.claim_string("s"), std::string_view("a\0b", 3));
  EXPECT_EQ(*result.claim_json("obj"), R"({"x":[1, 2]})");
}

TEST(cpp_wrapper, EngineDecides) {
  TestKey key = TestKey::Ec("P-256");
  std::string config = R"({"jwt": {"providers": {"p": {"issuer": "https://iss.test",
      "audiences": ["api"], "jwks": )" + key.PublicJwks("k") + R"(,
      "claim_to_headers": [{"claim": "sub", "header": "x-user"}]}}},
      "rules": [{"match": {"prefix": "/api"}, "requires": {"jwt": ["p"]}}]})";
  authgate::api::Engine engine = authgate::api::Engine::Create(config);
  EXPECT_TRUE(engine.Ready());
  EXPECT_TRUE(engine.warnings().empty());
  std::string token =
      SignToken(key, "ES256", R"({"alg":"ES256","kid":"k"})",
                R"({"iss":"https://iss.test","sub":"bob","aud":"api","exp":4102444800})");
  authgate::api::Request request;
  request.Method("GET").Scheme("https").Authority("app.test").Target("/api/a?b=1");
  request.AddHeader("Authorization", "Bearer " + token);
  authgate::api::Decision allowed = engine.Evaluate(request);
  EXPECT_TRUE(allowed.allow());
  EXPECT_EQ(allowed.upstream_target(), "/api/a?b=1");
  auto set = allowed.Headers(AUTHGATE_HEADERS_SET);
  ASSERT_EQ(set.size(), 1u);
  EXPECT_EQ(set[0].first, "x-user");
  EXPECT_EQ(set[0].second, "bob");
  EXPECT_EQ(allowed.outcome(), "allowed");

  authgate::api::Request other;
  other.Method("GET").Authority("app.test").Target("/elsewhere");
  std::optional<authgate::api::Decision> denied =
      engine.EvaluateAsync(
          other, [](authgate_status, authgate_decision* d, void*) { authgate_decision_free(d); },
          nullptr);
  ASSERT_TRUE(denied.has_value());
  EXPECT_FALSE(denied->allow());
  EXPECT_EQ(denied->status(), 403);
  EXPECT_EQ(denied->reason(), AUTHGATE_REASON_NO_MATCHING_RULE);
  EXPECT_EQ(engine.Counters(AUTHGATE_COUNTERS_REASONS).at(AUTHGATE_REASON_NO_MATCHING_RULE), 1u);

  EXPECT_THROW(authgate::api::Engine::Create(R"({"rules": []})"), Error);
}

TEST(cpp_wrapper, CookieSigner) {
  auto signer = authgate::api::CookieSigner::Create({std::string(32, 'k')});
  std::string text = signer.Sign("c", "h.test", 2000000000, "v");
  EXPECT_EQ(signer.Verify("c", "h.test", text, 1900000000), "v");
  authgate_reason reason = AUTHGATE_REASON_NONE;
  EXPECT_FALSE(signer.Verify("c", "h.test", text, 2000000001, &reason).has_value());
  EXPECT_EQ(reason, AUTHGATE_REASON_SESSION_EXPIRED);
  EXPECT_THROW(authgate::api::CookieSigner::Create({"short"}), Error);
}

}  // namespace
